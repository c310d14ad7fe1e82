//! The GitHub token never leaves the `Authorization` header, whatever the forge answers: the
//! stand-in for the GitHub API echoes the token into every value of every answer (from each
//! request on in turn), or into the text of every answer, and the real binary's `bot` and
//! `regen` must keep it out of stdout, stderr, every request body and URL they send, and every
//! git object and file they write.
//!
//! Security review (issue 12, item 2): a 200 answer carrying the token in a field put it into the
//! decode error (`invalid type: string "ghp_...", expected u64`), and a default branch equal to
//! the token was printed as a branch name.
#![allow(clippy::disallowed_methods)] // Tests run the binary and write exports directly.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::Run;
use support::forge::{Fixture, servers_with_web4};
use support::github::{
    Echo, REPOSITORY, Route, StandIn, commit, pull, reference, regen_pull, repository, review,
    route, run_bot, run_regen, user,
};

const TOKEN: &str = "ghp_zonegateEchoedToken0123456789abcdefgh";
const MERGED: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const BLOB: &str = "3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15";
const TREE: &str = "cd8274d15fa3ae2ab983129fb037999f264ba9a7";
const COMMIT: &str = "7638417db6d59f3c431d3e1f261cc637155684cd";
const OLD_PROPOSAL: &str = "aa218f56b14c9653891f9e74264a383fa43fefbd";
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// A fixture with one approved pull request (`add-web4`, by alice, approved by bob) and the
/// answers of a pass that merges it.
fn bot_scenario() -> (Fixture, Vec<Route>) {
    let fixture = Fixture::new();
    let base = fixture.main();
    let head = fixture.commit_add_web4();
    let merged_tree = fixture.merge_tree(base, head).to_string();
    let (base, head) = (base.to_string(), head.to_string());
    let routes = vec![
        route("GET", REPOSITORY, 200, repository()),
        route(
            "GET",
            &format!("{REPOSITORY}/pulls"),
            200,
            json!([pull(1, "add-web4", &head, &base, &["dns"])]),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/pulls/1"),
            200,
            pull(1, "add-web4", &head, &base, &["dns"]),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/pulls/1/reviews"),
            200,
            json!([review("bob", "APPROVED", &head)]),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/git/ref/heads/main"),
            200,
            reference("refs/heads/main", &base),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/commits/{head}/status"),
            200,
            json!({ "state": "pending", "statuses": [], "sha": head, "total_count": 0 }),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/statuses/{head}"),
            201,
            json!({ "id": 1, "state": "success", "context": "zonegate/bot", "description": "merged" }),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/issues/1/comments"),
            200,
            json!([]),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/issues/1/comments"),
            201,
            json!({ "id": 1_234, "body": "posted", "user": user("zonegate[bot]") }),
        ),
        route(
            "PUT",
            &format!("{REPOSITORY}/pulls/1/merge"),
            200,
            json!({ "sha": MERGED, "merged": true, "message": "Pull Request successfully merged" }),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/git/commits/{MERGED}"),
            200,
            commit(MERGED, &merged_tree, &[&base, &head]),
        ),
    ];
    (fixture, routes)
}

/// The answers of a first regeneration proposal: no branch yet, a Git Data API commit on
/// `main`, a new pull request.
fn first_proposal(main: &str) -> Vec<Route> {
    let mut routes = proposal_common(main);
    routes.extend([
        route(
            "GET",
            &format!("{REPOSITORY}/git/ref/heads/zonegate/regen"),
            404,
            json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest/git/refs#get-a-reference", "status": "404" }),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/git/refs"),
            201,
            reference("refs/heads/zonegate/regen", COMMIT),
        ),
        route("GET", &format!("{REPOSITORY}/pulls"), 200, json!([])),
        route(
            "POST",
            &format!("{REPOSITORY}/pulls"),
            201,
            regen_pull(12, COMMIT, main),
        ),
    ]);
    routes
}

/// The answers of a later proposal: the branch holds an older export on `main`, so it moves
/// and its pull request is updated.
fn later_proposal(main: &str) -> Vec<Route> {
    let mut routes = proposal_common(main);
    routes.extend([
        route(
            "GET",
            &format!("{REPOSITORY}/git/ref/heads/zonegate/regen"),
            200,
            reference("refs/heads/zonegate/regen", OLD_PROPOSAL),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/git/commits/{OLD_PROPOSAL}"),
            200,
            commit(OLD_PROPOSAL, TREE, &[main]),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/contents/zones/cmdb/servers.csv"),
            200,
            json!({ "type": "file", "encoding": "base64", "size": 3, "name": "servers.csv", "path": "zones/cmdb/servers.csv", "content": "b2xk", "sha": "0ed29d7c3b3e2ec3e3c0e0d4a9b8c7d6e5f4a3b2" }),
        ),
        route(
            "PATCH",
            &format!("{REPOSITORY}/git/refs/heads/zonegate/regen"),
            200,
            reference("refs/heads/zonegate/regen", COMMIT),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/pulls"),
            200,
            json!([regen_pull(12, OLD_PROPOSAL, main)]),
        ),
        route(
            "PATCH",
            &format!("{REPOSITORY}/pulls/12"),
            200,
            regen_pull(12, COMMIT, main),
        ),
    ]);
    routes
}

fn proposal_common(main: &str) -> Vec<Route> {
    vec![
        route("GET", REPOSITORY, 200, repository()),
        route(
            "GET",
            &format!("{REPOSITORY}/git/ref/heads/main"),
            200,
            reference("refs/heads/main", main),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/git/commits/{main}"),
            200,
            commit(main, EMPTY_TREE, &[OLD_PROPOSAL]),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/git/blobs"),
            201,
            json!({ "url": format!("https://api.github.com/repos/example/zones/git/blobs/{BLOB}"), "sha": BLOB }),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/git/trees"),
            201,
            json!({ "sha": TREE, "url": format!("https://api.github.com/repos/example/zones/git/trees/{TREE}"), "tree": [], "truncated": false }),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/git/commits"),
            201,
            commit(COMMIT, TREE, &[main]),
        ),
    ]
}

/// The token is in no output, no request but its `Authorization` header, and nothing in the
/// repository; the run ended as the tool ends (exit 0, 1 or 2, no panic).
fn assert_token_nowhere(case: &str, run: &Run, stand_in: &StandIn, fixture: &Fixture) {
    let transcript = run.transcript();
    assert!(
        !transcript.contains(TOKEN),
        "{case}: the token was printed:\n{transcript}"
    );
    assert!(
        matches!(run.code, 0..=2) && !run.stderr.contains("panicked"),
        "{case}:\n{transcript}"
    );
    for request in stand_in.requests() {
        let line = format!("{case}: {} {}", request.method, request.url);
        assert!(!request.url.as_str().contains(TOKEN), "{line}");
        assert!(
            !contains(&request.body, TOKEN),
            "{line}: the body carries the token: {}",
            String::from_utf8_lossy(&request.body)
        );
        for (name, value) in &request.headers {
            let expected = (name.as_str() == "authorization").then(|| format!("Bearer {TOKEN}"));
            match expected {
                Some(expected) => assert_eq!(value.to_str().unwrap(), expected, "{line}"),
                None => assert!(!contains(value.as_bytes(), TOKEN), "{line}: header {name}"),
            }
        }
    }
    let odb = fixture.repository.odb().unwrap();
    odb.foreach(|oid| {
        let object = odb.read(*oid).unwrap();
        assert!(
            !contains(object.data(), TOKEN),
            "{case}: git object {oid} holds the token:\n{}",
            String::from_utf8_lossy(object.data())
        );
        true
    })
    .unwrap();
    assert_no_file_holds_the_token(case, &fixture.path);
}

/// Refs, reflogs, the local forge's records: no file below `directory` holds the token.
fn assert_no_file_holds_the_token(case: &str, directory: &Path) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_no_file_holds_the_token(case, &path);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!contains(&bytes, TOKEN), "{case}: {}", path.display());
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn bot_answers_with_the_token_in_every_value_never_leak_it() {
    let (fixture, routes) = bot_scenario();
    let stand_in = StandIn::start(routes, Echo::Never, TOKEN);
    let faithful = run_bot(&fixture, &stand_in, TOKEN);
    assert_eq!(faithful.code, 0, "{}", faithful.transcript());
    assert!(
        faithful.stdout.contains("merged as 6dcb09b"),
        "{}",
        faithful.stdout
    );
    // Each run below echoes from one of these requests on.
    let requests = stand_in.requests().len();

    for from in 0..requests {
        let (fixture, routes) = bot_scenario();
        let stand_in = StandIn::start(routes, Echo::Everywhere { from }, TOKEN);
        let run = run_bot(&fixture, &stand_in, TOKEN);
        let case = format!("echoed from request {from}");
        assert_token_nowhere(&case, &run, &stand_in, &fixture);
        assert!(stand_in.requests().len() > from, "{case}: never echoed");
    }
}

#[test]
fn the_default_branch_and_a_decode_error_show_the_token_blanked_out() {
    let (fixture, routes) = bot_scenario();
    let stand_in = StandIn::start(routes, Echo::Everywhere { from: 0 }, TOKEN);
    let run = run_bot(&fixture, &stand_in, TOKEN);
    insta::assert_snapshot!(run.transcript(), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: GET /repos/example/zones/pulls?state=open&base=%3Credacted%3E&sort=created&direction=asc&per_page=100: unexpected answer: invalid type: string "<redacted>", expected a boolean
    "#);

    let (fixture, routes) = bot_scenario();
    let stand_in = StandIn::start(routes, Echo::Everywhere { from: 1 }, TOKEN);
    let run = run_bot(&fixture, &stand_in, TOKEN);
    insta::assert_snapshot!(run.transcript(), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: GET /repos/example/zones/pulls?state=open&base=main&sort=created&direction=asc&per_page=100: unexpected answer: invalid type: string "<redacted>", expected a boolean
    "#);
}

#[test]
fn bot_answers_with_the_token_in_their_text_still_merge_without_leaking_it() {
    let (fixture, routes) = bot_scenario();
    let stand_in = StandIn::start(routes, Echo::InText, TOKEN);
    let run = run_bot(&fixture, &stand_in, TOKEN);
    assert_token_nowhere("text", &run, &stand_in, &fixture);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("#1 \"add-web4 <redacted>\" by alice <redacted>: merged as 6dcb09b"),
        "{}",
        run.stdout
    );
    let merge = stand_in
        .requests()
        .into_iter()
        .find(|request| request.method.as_str() == "PUT")
        .unwrap();
    let body: Value = serde_json::from_slice(&merge.body).unwrap();
    let message = body["commit_message"].as_str().unwrap();
    assert!(
        message.contains("\nApproved-by: bob <redacted>\n"),
        "{message}"
    );
}

#[test]
fn regen_answers_with_the_token_in_every_value_never_leak_it() {
    for (flow, routes) in [
        ("first", first_proposal as fn(&str) -> Vec<Route>),
        ("later", later_proposal),
    ] {
        let fixture = Fixture::new();
        let main = fixture.main().to_string();
        let stand_in = StandIn::start(routes(&main), Echo::Never, TOKEN);
        let faithful = run_regen(&fixture, &stand_in, TOKEN, &servers_with_web4());
        assert_eq!(faithful.code, 0, "{flow}: {}", faithful.transcript());
        let requests = stand_in.requests().len();

        for from in 0..requests {
            let fixture = Fixture::new();
            let main = fixture.main().to_string();
            let stand_in = StandIn::start(routes(&main), Echo::Everywhere { from }, TOKEN);
            let run = run_regen(&fixture, &stand_in, TOKEN, &servers_with_web4());
            let case = format!("{flow} proposal, echoed from request {from}");
            assert_token_nowhere(&case, &run, &stand_in, &fixture);
            assert!(stand_in.requests().len() > from, "{case}: never echoed");
        }
    }
}

#[test]
fn regen_answers_with_the_token_in_their_text_still_propose_without_leaking_it() {
    for (flow, routes, verb) in [
        (
            "first",
            first_proposal as fn(&str) -> Vec<Route>,
            "opened pull request #12 ",
        ),
        ("later", later_proposal, "updated pull request #12 "),
    ] {
        let fixture = Fixture::new();
        let main = fixture.main().to_string();
        let stand_in = StandIn::start(routes(&main), Echo::InText, TOKEN);
        let run = run_regen(&fixture, &stand_in, TOKEN, &servers_with_web4());
        assert_token_nowhere(flow, &run, &stand_in, &fixture);
        assert_eq!(run.code, 0, "{flow}: {}", run.transcript());
        assert!(run.stdout.starts_with(verb), "{flow}: {}", run.stdout);
    }
}

#[test]
fn a_request_body_that_would_carry_the_token_is_not_sent() {
    let fixture = Fixture::new();
    let main = fixture.main().to_string();
    let stand_in = StandIn::start(first_proposal(&main), Echo::Never, TOKEN);
    // An export that holds the token (pasted into a column zonegate ignores).
    let export = servers_with_web4().replacen(
        "web4,nyc,r7,10.2.0.4,,web,in_use",
        &format!("web4,nyc,r7 {TOKEN},10.2.0.4,,web,in_use"),
        1,
    );
    let run = run_regen(&fixture, &stand_in, TOKEN, &export);
    assert_token_nowhere("export", &run, &stand_in, &fixture);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 2
    --- stdout
    --- stderr
    error: POST /repos/example/zones/git/blobs: the request would carry the API token outside its Authorization header; nothing was sent
    ");
    assert!(
        !stand_in
            .requests()
            .iter()
            .any(|request| request.method.as_str() == "POST"),
        "nothing is written on GitHub"
    );
}
