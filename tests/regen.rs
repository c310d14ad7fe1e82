//! `zonegate regen` end to end through the binary against the local forge (a bare git repository
//! holding the base fixture on `main`): an unchanged export proposes nothing; a changed one makes
//! one branch, one commit with the summary and one pull request; a second change updates the
//! same pull request; running again with the same export changes nothing.
#![allow(clippy::disallowed_methods)] // Tests write exports and read repositories directly.

mod support;

use std::fs;

use support::forge::{Fixture, SERVERS, commit_message, servers_with_web4};
use support::zonegate;
use zonegate::merge::forge::Forge;

const BRANCH: &str = "zonegate/regen";

fn export(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("servers.csv");
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn branches(fixture: &Fixture) -> Vec<String> {
    let mut names: Vec<String> = fixture
        .repository
        .branches(None)
        .unwrap()
        .map(|branch| branch.unwrap().0.name().unwrap().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_unchanged_export_proposes_nothing() {
    let fixture = Fixture::new();
    let exports = tempfile::tempdir().unwrap();
    let same = export(&exports, SERVERS);
    let run = zonegate(&fixture.path, &["regen", "--cmdb", &same]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.starts_with("nothing changed: "),
        "{}",
        run.stdout
    );
    assert_eq!(branches(&fixture), ["main"]);
    assert!(
        fixture
            .forge()
            .open_pull_requests("main")
            .unwrap()
            .is_empty()
    );

    // A change outside what generates records (a column zonegate ignores) proposes nothing
    // either: the pull request would show no DNS change.
    let reracked = SERVERS.replace(",r1,", ",r1b,");
    assert_ne!(reracked, SERVERS);
    let run = zonegate(
        &fixture.path,
        &["regen", "--cmdb", &export(&exports, &reracked)],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("but no record changes; no commit, no pull request"),
        "{}",
        run.stdout
    );
    assert_eq!(branches(&fixture), ["main"]);
}

#[test]
fn a_changed_export_is_one_commit_and_one_pull_request_then_updated_in_place() {
    let fixture = Fixture::new();
    let main = fixture.main();
    let exports = tempfile::tempdir().unwrap();
    let first = servers_with_web4();
    let run = zonegate(
        &fixture.path,
        &["regen", "--cmdb", &export(&exports, &first)],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .contains("opened pull request #1 (zonegate/regen -> main)"),
        "{}",
        run.stdout
    );
    assert_eq!(branches(&fixture), ["main", BRANCH]);
    assert_eq!(fixture.main(), main, "main is untouched");

    let commit = fixture.tip(BRANCH);
    let parents: Vec<_> = fixture
        .repository
        .find_commit(commit)
        .unwrap()
        .parent_ids()
        .collect();
    assert_eq!(parents, [main], "one commit on top of main");
    assert_eq!(fixture.file(commit, "zones/cmdb/servers.csv"), first);
    insta::assert_snapshot!(commit_message(&fixture, commit), @"
    regen: CMDB export servers.csv: +3 records in 2 zone(s)

    Records per zone:
      10.in-addr.arpa.  +1 records (10 -> 11 records)
      example.com.  +2 records (23 -> 25 records)

    Records per datacenter:
      nyc  +3 records (11 -> 14 records)
    ");

    let pulls = fixture.forge().open_pull_requests("main").unwrap();
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].head_ref, BRANCH);
    assert_eq!(pulls[0].author, "zonegate");
    let record = fixture.forge().record(1).unwrap();
    assert_eq!(record.comments.len(), 1);
    assert!(record.comments[0].body.contains("<!-- zonegate:regen -->"));
    assert!(
        record.comments[0]
            .body
            .contains("### DNS diff: `main` → `zonegate/regen`")
    );

    // The same export again: nothing new (cron runs every few minutes).
    let again = zonegate(
        &fixture.path,
        &["regen", "--cmdb", &export(&exports, &first)],
    );
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(fixture.tip(BRANCH), commit, "no new commit");
    assert!(
        again.stdout.contains("already proposed in pull request #1"),
        "{}",
        again.stdout
    );

    // A second change replaces the branch's commit and updates the same pull request.
    let second = first.replacen("web2,", "web2b,", 1);
    let update = zonegate(
        &fixture.path,
        &["regen", "--cmdb", &export(&exports, &second)],
    );
    assert_eq!(update.code, 0, "{}", update.transcript());
    assert!(
        update.stdout.contains("updated pull request #1"),
        "{}",
        update.stdout
    );
    let replaced = fixture.tip(BRANCH);
    assert_ne!(replaced, commit);
    let parents: Vec<_> = fixture
        .repository
        .find_commit(replaced)
        .unwrap()
        .parent_ids()
        .collect();
    assert_eq!(parents, [main], "still one commit on top of main");
    assert_eq!(fixture.file(replaced, "zones/cmdb/servers.csv"), second);
    let pulls = fixture.forge().open_pull_requests("main").unwrap();
    assert_eq!(pulls.len(), 1, "the same pull request");
    assert_eq!(
        pulls[0].title,
        commit_message(&fixture, replaced).lines().next().unwrap()
    );
    let record = fixture.forge().record(1).unwrap();
    assert_eq!(
        record.comments.len(),
        1,
        "the comment is updated, not repeated"
    );
}

#[test]
fn a_malformed_export_is_refused_with_its_location_and_writes_nothing() {
    let fixture = Fixture::new();
    let exports = tempfile::tempdir().unwrap();
    let broken = format!("{SERVERS}web9,nyc,r1,10.2.0.999,,web,in_use\n");
    let run = zonegate(
        &fixture.path,
        &["regen", "--cmdb", &export(&exports, &broken)],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("servers.csv:8:"), "{}", run.stderr);
    assert_eq!(branches(&fixture), ["main"]);
}

#[test]
fn a_dry_run_says_what_it_would_propose_and_writes_nothing() {
    let fixture = Fixture::new();
    let exports = tempfile::tempdir().unwrap();
    let run = zonegate(
        &fixture.path,
        &[
            "regen",
            "--dry-run",
            "--cmdb",
            &export(&exports, &servers_with_web4()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout
            .starts_with("regen: CMDB export servers.csv: +3 records"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("dry run: would commit"),
        "{}",
        run.stdout
    );
    assert_eq!(branches(&fixture), ["main"]);
    assert!(
        fixture
            .forge()
            .open_pull_requests("main")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_export_given_as_a_url_is_fetched() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    runtime.block_on(
        Mock::given(method("GET"))
            .and(path("/exports/servers.csv"))
            .respond_with(ResponseTemplate::new(200).set_body_string(servers_with_web4()))
            .mount(&server),
    );
    let fixture = Fixture::new();
    let url = format!("{}/exports/servers.csv", server.uri());
    let run = zonegate(&fixture.path, &["regen", "--cmdb", &url]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("opened pull request #1"),
        "{}",
        run.stdout
    );
    assert_eq!(
        fixture.file(fixture.tip(BRANCH), "zones/cmdb/servers.csv"),
        servers_with_web4()
    );

    let missing = zonegate(
        &fixture.path,
        &[
            "regen",
            "--cmdb",
            &format!("{}/exports/gone.csv", server.uri()),
        ],
    );
    assert_eq!(missing.code, 2, "{}", missing.transcript());
    assert!(
        missing.stderr.contains("cannot fetch the export ") && missing.stderr.contains("404"),
        "{}",
        missing.stderr
    );
}

// Issue 16 item 2: the proposal's body is the diff's Markdown report, and decommissioning the
// example's hosts made it longer than the 65,536 characters GitHub accepts in a body.
#[test]
fn the_proposal_to_decommission_every_host_fits_a_pull_request_body() {
    let example = support::example_repository();
    let fixture = Fixture::from_directory(example.path());
    let current = fs::read_to_string(example.path().join("zones/cmdb/servers.csv")).unwrap();
    let decommissioned = support::decommission_every_host(&current);
    let exports = tempfile::tempdir().unwrap();
    let run = zonegate(
        &fixture.path,
        &["regen", "--cmdb", &export(&exports, &decommissioned)],
    );
    // With every host gone, check fails (77 service-missing-in-datacenter, 11 dangling-target):
    // regen still proposes the export, says so first, and exits 1 (issue 14 item 7).
    assert_eq!(run.code, 1, "{}", run.transcript());
    let record = fixture.forge().record(1).unwrap();
    let body = &record.comments[0].body;
    assert!(body.len() <= 60_000, "{} bytes", body.len());
    assert!(body.chars().count() <= 65_536);
    assert!(
        body.starts_with(
            "<!-- zonegate:regen -->\n**The new export fails `check`: 88 error(s); the bot will not merge this as it is.** They are listed at the end.\n\n### DNS diff: `main` → `zonegate/regen`"
        ),
        "{body}"
    );
    assert!(body.contains("> **Large change**"), "{body}");
    assert!(body.contains(" more record(s) not shown."), "{body}");
    // The commit message's summary closes the body, its long lists counted.
    assert!(body.contains("Services losing targets:\n"), "{body}");
    assert!(body.contains("  and "), "{body}");
    assert!(body.ends_with("```\n"), "{body}");

    // The note names the command that prints all of it, and that command works as written.
    let command = support::note_command(body);
    let run = support::shell(command, &fixture.path);
    assert_eq!(run.code, 0, "`{command}`: {}", run.transcript());
    let whole = run.stdout;
    let removed = whole
        .lines()
        .filter(|line| line.trim_start().starts_with("- ") && line.contains(" IN "))
        .count();
    assert_eq!(removed, 1456, "`{command}`:\n{whole}");
}

#[test]
fn an_export_given_as_a_url_is_downloaded_into_a_private_file_and_proposed() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    let export = servers_with_web4();
    runtime.block_on(
        Mock::given(method("GET"))
            .and(path("/exports/servers.csv"))
            .respond_with(ResponseTemplate::new(200).set_body_string(&export))
            .mount(&server),
    );
    let fixture = Fixture::new();
    let temporary = tempfile::tempdir().unwrap();
    let url = format!("{}/exports/servers.csv?key=k3y", server.uri());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zonegate"))
        .arg("--repo")
        .arg(&fixture.path)
        .args(["regen", "--cmdb", &url])
        .env("TMPDIR", temporary.path())
        .env("SOURCE_DATE_EPOCH", support::SOURCE_DATE_EPOCH)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tip = fixture.tip(BRANCH);
    assert_eq!(fixture.file(tip, "zones/cmdb/servers.csv"), export);
    // The summary names the file, not the URL's query (which may hold a key).
    let message = commit_message(&fixture, tip);
    assert!(
        message.starts_with("regen: CMDB export servers.csv: "),
        "{message}"
    );
    assert!(
        !message.contains("k3y") && !stdout.contains("k3y"),
        "{message}"
    );
    // The private temporary copy is gone with the run.
    assert_eq!(fs::read_dir(temporary.path()).unwrap().count(), 0);
}

/// An export with web4 (a new address) and web5 (web1's address, 10.1.0.1) added at the end.
fn export_with_a_duplicate_address() -> String {
    format!("{}web5,ams,r1,10.1.0.1,,web,in_use\n", servers_with_web4())
}

#[test]
fn an_export_that_fails_check_is_proposed_with_its_findings_in_the_title_and_body() {
    let fixture = Fixture::new();
    let exports = tempfile::tempdir().unwrap();
    let run = zonegate(
        &fixture.path,
        &[
            "regen",
            "--cmdb",
            &export(&exports, &export_with_a_duplicate_address()),
        ],
    );
    // Proposed (the pull request is where the finding is seen), and the exit status says a
    // rule found an error.
    assert_eq!(run.code, 1, "{}", run.transcript());
    let pull = fixture.forge().record(1).unwrap();
    // web4 makes three records (A, PTR, SRV target); web5 makes none, and the counts say so.
    assert_eq!(
        pull.title,
        "regen: CMDB export servers.csv fails check (1 error(s)): +3 records in 2 zone(s)"
    );
    let message = commit_message(&fixture, fixture.tip(BRANCH));
    assert!(
        message.starts_with(&format!("{}\n\n", pull.title)),
        "{message}"
    );
    for text in [&message, &pull.comments[0].body] {
        assert!(
            text.contains("The new export fails check: 1 error(s), 0 warning(s)."),
            "{text}"
        );
        // Named by the path the export has on the branch, row 9 (web5).
        assert!(text.contains("  zones/cmdb/servers.csv:9:"), "{text}");
        assert!(text.contains("error[duplicate-address]"), "{text}");
        assert!(
            !text.contains(&exports.path().display().to_string()),
            "{text}"
        );
        assert!(
            text.contains("example.com.  +2 records (23 -> 25 records)"),
            "{text}"
        );
    }
    assert!(
        pull.comments[0]
            .body
            .contains("**The new export fails `check`: 1 error(s);"),
        "{}",
        pull.comments[0].body
    );
}

#[test]
fn an_export_whose_only_change_fails_check_is_still_proposed() {
    let fixture = Fixture::new();
    let exports = tempfile::tempdir().unwrap();
    // web5 takes web1's address: it makes no record at all, so no record changes.
    let duplicate = format!("{SERVERS}web5,ams,r1,10.1.0.1,,web,in_use\n");
    let run = zonegate(
        &fixture.path,
        &["regen", "--cmdb", &export(&exports, &duplicate)],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    let pull = fixture.forge().record(1).unwrap();
    assert_eq!(
        pull.title,
        "regen: CMDB export servers.csv fails check (1 error(s)): no record changes"
    );
    assert!(
        pull.comments[0]
            .body
            .contains("  zones/cmdb/servers.csv:8:"),
        "{}",
        pull.comments[0].body
    );
}
