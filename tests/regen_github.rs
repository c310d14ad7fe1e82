//! `zonegate regen --forge github` against a local stand-in for the GitHub REST API (wiremock)
//! answering with the documented response shapes: the proposal is one commit made through the
//! Git Data API (blob, tree on the base's tree, commit on the base, reference) and one pull
//! request, opened the first time and updated the next; the token never appears in any output.
#![allow(clippy::disallowed_methods)] // Tests run the binary and write exports directly.

mod support;

use serde_json::json;
use support::forge::{Fixture, servers_with_web4};
use support::github::{REPOSITORY, StandIn, commit, reference, regen_pull, repository, run_regen};

const TOKEN: &str = "ghp_zonegateRegenTestToken0123456789abcd";
const BLOB: &str = "3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15";
const TREE: &str = "cd8274d15fa3ae2ab983129fb037999f264ba9a7";
const COMMIT: &str = "7638417db6d59f3c431d3e1f261cc637155684cd";
const OLD_PROPOSAL: &str = "aa218f56b14c9653891f9e74264a383fa43fefbd";
const OLD_BASE: &str = "ed9a4f3c2bb8a4b6d6c77d1b1d4c5e6f7a8b9c0d";

/// The repository, `main` at `main_sha`, and the Git Data API answers for a new commit.
fn git_data_api(stand_in: &StandIn, main_sha: &str) {
    stand_in.on("GET", REPOSITORY, 200, repository());
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/ref/heads/main"),
        200,
        reference("refs/heads/main", main_sha),
    );
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/commits/{main_sha}"),
        200,
        commit(
            main_sha,
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
            &[OLD_BASE],
        ),
    );
    stand_in.on(
        "POST",
        &format!("{REPOSITORY}/git/blobs"),
        201,
        json!({ "url": format!("https://api.github.com/repos/example/zones/git/blobs/{BLOB}"), "sha": BLOB }),
    );
    stand_in.on(
        "POST",
        &format!("{REPOSITORY}/git/trees"),
        201,
        json!({ "sha": TREE, "url": format!("https://api.github.com/repos/example/zones/git/trees/{TREE}"), "tree": [], "truncated": false }),
    );
    stand_in.on(
        "POST",
        &format!("{REPOSITORY}/git/commits"),
        201,
        commit(COMMIT, TREE, &[main_sha]),
    );
}

#[test]
fn the_first_proposal_is_a_git_data_api_commit_and_a_new_pull_request() {
    let fixture = Fixture::new();
    let main = fixture.main().to_string();
    let stand_in = StandIn::faithful();
    git_data_api(&stand_in, &main);
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/ref/heads/zonegate/regen"),
        404,
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest/git/refs#get-a-reference", "status": "404" }),
    );
    stand_in.on(
        "POST",
        &format!("{REPOSITORY}/git/refs"),
        201,
        reference("refs/heads/zonegate/regen", COMMIT),
    );
    stand_in.on("GET", &format!("{REPOSITORY}/pulls"), 200, json!([]));
    stand_in.on(
        "POST",
        &format!("{REPOSITORY}/pulls"),
        201,
        regen_pull(12, COMMIT, &main),
    );

    let export = servers_with_web4();
    let run = run_regen(&fixture, &stand_in, TOKEN, &export);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(!run.transcript().contains(TOKEN));
    assert_eq!(
        run.stdout,
        "opened pull request #12 (zonegate/regen -> main): regen: CMDB export servers.csv: +3 records in 2 zone(s)\n"
    );
    assert_eq!(
        stand_in.lines(),
        [
            "GET /repos/example/zones".to_owned(),
            "GET /repos/example/zones/git/ref/heads/main".to_owned(),
            "GET /repos/example/zones/git/ref/heads/zonegate/regen".to_owned(),
            "POST /repos/example/zones/git/blobs".to_owned(),
            format!("GET /repos/example/zones/git/commits/{main}"),
            "POST /repos/example/zones/git/trees".to_owned(),
            "POST /repos/example/zones/git/commits".to_owned(),
            "POST /repos/example/zones/git/refs".to_owned(),
            "GET /repos/example/zones/pulls?state=open&head=example:zonegate%2Fregen&base=main"
                .to_owned(),
            "POST /repos/example/zones/pulls".to_owned(),
        ]
    );
    assert_eq!(
        stand_in.body("POST", &format!("{REPOSITORY}/git/blobs")),
        json!({ "content": export, "encoding": "utf-8" })
    );
    assert_eq!(
        stand_in.body("POST", &format!("{REPOSITORY}/git/trees")),
        json!({
            "base_tree": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
            "tree": [{ "path": "zones/cmdb/servers.csv", "mode": "100644", "type": "blob", "sha": BLOB }],
        })
    );
    let commit = stand_in.body("POST", &format!("{REPOSITORY}/git/commits"));
    assert_eq!(commit["tree"], TREE);
    assert_eq!(commit["parents"], json!([main]));
    assert!(
        commit["message"].as_str().unwrap().starts_with(
            "regen: CMDB export servers.csv: +3 records in 2 zone(s)\n\nRecords per zone:\n"
        ),
        "{commit}"
    );
    assert_eq!(
        stand_in.body("POST", &format!("{REPOSITORY}/git/refs")),
        json!({ "ref": "refs/heads/zonegate/regen", "sha": COMMIT })
    );
    let pull = stand_in.body("POST", &format!("{REPOSITORY}/pulls"));
    assert_eq!(pull["head"], "zonegate/regen");
    assert_eq!(pull["base"], "main");
    assert_eq!(
        pull["title"],
        "regen: CMDB export servers.csv: +3 records in 2 zone(s)"
    );
    assert!(
        pull["body"]
            .as_str()
            .unwrap()
            .contains("### DNS diff: `main` → `zonegate/regen`"),
        "{pull}"
    );
    // Nothing was written to the local repository: GitHub holds the proposal.
    assert!(
        fixture
            .repository
            .find_branch("zonegate/regen", git2::BranchType::Local)
            .is_err()
    );
}

#[test]
fn a_second_change_moves_the_branch_and_updates_the_same_pull_request() {
    let fixture = Fixture::new();
    let main = fixture.main().to_string();
    let stand_in = StandIn::faithful();
    git_data_api(&stand_in, &main);
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/ref/heads/zonegate/regen"),
        200,
        reference("refs/heads/zonegate/regen", OLD_PROPOSAL),
    );
    // The earlier proposal was made on an older main, so it is not this one.
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/commits/{OLD_PROPOSAL}"),
        200,
        commit(OLD_PROPOSAL, TREE, &[OLD_BASE]),
    );
    stand_in.on(
        "PATCH",
        &format!("{REPOSITORY}/git/refs/heads/zonegate/regen"),
        200,
        reference("refs/heads/zonegate/regen", COMMIT),
    );
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/pulls"),
        200,
        json!([regen_pull(12, OLD_PROPOSAL, OLD_BASE)]),
    );
    stand_in.on(
        "PATCH",
        &format!("{REPOSITORY}/pulls/12"),
        200,
        regen_pull(12, COMMIT, &main),
    );

    let run = run_regen(&fixture, &stand_in, TOKEN, &servers_with_web4());
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(!run.transcript().contains(TOKEN));
    assert!(
        run.stdout.starts_with("updated pull request #12 "),
        "{}",
        run.stdout
    );
    assert_eq!(
        stand_in.body(
            "PATCH",
            &format!("{REPOSITORY}/git/refs/heads/zonegate/regen")
        ),
        json!({ "sha": COMMIT, "force": true })
    );
    let update = stand_in.body("PATCH", &format!("{REPOSITORY}/pulls/12"));
    assert_eq!(
        update["title"],
        "regen: CMDB export servers.csv: +3 records in 2 zone(s)"
    );
    assert!(
        !stand_in
            .lines()
            .iter()
            .any(|line| line == "POST /repos/example/zones/pulls"),
        "no second pull request: {:?}",
        stand_in.lines()
    );
}

#[test]
fn an_export_that_fails_check_is_proposed_on_github_with_its_findings_in_title_and_body() {
    let fixture = Fixture::new();
    let main = fixture.main().to_string();
    let stand_in = StandIn::faithful();
    git_data_api(&stand_in, &main);
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/ref/heads/zonegate/regen"),
        404,
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest/git/refs#get-a-reference", "status": "404" }),
    );
    stand_in.on(
        "POST",
        &format!("{REPOSITORY}/git/refs"),
        201,
        reference("refs/heads/zonegate/regen", COMMIT),
    );
    stand_in.on("GET", &format!("{REPOSITORY}/pulls"), 200, json!([]));
    stand_in.on(
        "POST",
        &format!("{REPOSITORY}/pulls"),
        201,
        regen_pull(12, COMMIT, &main),
    );

    // web5 takes web1's address (10.1.0.1): a duplicate address, and no record of its own.
    let export = format!("{}web5,ams,r1,10.1.0.1,,web,in_use\n", servers_with_web4());
    let run = run_regen(&fixture, &stand_in, TOKEN, &export);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(!run.transcript().contains(TOKEN));
    let title = "regen: CMDB export servers.csv fails check (1 error(s)): +3 records in 2 zone(s)";
    assert_eq!(
        run.stdout,
        format!("opened pull request #12 (zonegate/regen -> main): {title}\n")
    );
    let pull = stand_in.body("POST", &format!("{REPOSITORY}/pulls"));
    assert_eq!(pull["title"], title);
    let body = pull["body"].as_str().unwrap();
    assert!(
        body.contains("**The new export fails `check`: 1 error(s);"),
        "{body}"
    );
    assert!(body.contains("  zones/cmdb/servers.csv:9:"), "{body}");
    assert!(body.contains("error[duplicate-address]"), "{body}");
    let commit = stand_in.body("POST", &format!("{REPOSITORY}/git/commits"));
    let message = commit["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "{title}\n\nThe new export fails check: 1 error(s), 0 warning(s)."
        )),
        "{message}"
    );
}
