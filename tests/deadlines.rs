//! Waits with an end (issue 12, item 5): against servers on 127.0.0.1 that accept and never
//! answer, that trickle their answer a byte at a time, or whose connection queue is full, every
//! command ends by its own deadlines with an error that says which one passed. Each test runs
//! the binary under a deadline of its own (`run_with_deadline`), so a regression fails the test
//! instead of hanging CI.
#![allow(clippy::disallowed_methods)] // Tests build fixture repositories.

mod support;

use std::process::Command;
use std::time::Duration;

use support::forge::Fixture;
use support::hostile::{Behaviour, Hostile, run_with_deadline};
use support::{Run, SOURCE_DATE_EPOCH, repository_with_assertions};

/// Far beyond every deadline the runs below are given, and far short of forever.
const TEST_DEADLINE: Duration = Duration::from_secs(30);

/// The base fixture with one assertion.
fn repository() -> tempfile::TempDir {
    repository_with_assertions(
        "- it: www has an address\n  query: www.example.com.\n  expect: { at_least: 1 }\n",
    )
}

fn zonegate(repo: &std::path::Path, args: &[&str]) -> Run {
    run_with_deadline(
        Command::new(env!("CARGO_BIN_EXE_zonegate"))
            .arg("--repo")
            .arg(repo)
            .args(args)
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            .env("NO_COLOR", "1"),
        TEST_DEADLINE,
    )
}

/// A DNS answer over TCP that announces 65,535 octets and then sends one every 50 ms: a
/// socket read timeout of any length never fires.
fn trickling_dns() -> Behaviour {
    Behaviour::Trickle {
        start: vec![0xff, 0xff],
        filler: 0,
        interval: Duration::from_millis(50),
    }
}

/// `zonegate test --server` against `server` with two tries of `timeout` seconds; the
/// transcript with its address as `SERVER`.
fn test_against(server: &Hostile, timeout: &str) -> String {
    let repo = repository();
    let address = server.address.to_string();
    let arguments = [
        "test",
        "--server",
        &address,
        "--timeout",
        timeout,
        "--tries",
        "2",
    ];
    zonegate(repo.path(), &arguments)
        .transcript()
        .replace(&address, "SERVER")
}

#[test]
fn a_dns_answer_trickling_over_tcp_ends_at_the_deadline_of_each_try() {
    let server = Hostile::dns_truncating(trickling_dns());
    insta::assert_snapshot!(test_against(&server, "0.5"), @"
    exit: 2
    --- stdout
    --- stderr
    error: server SERVER does not answer a query for the SOA of example.com.: no response from SERVER (tries: 2, 500 ms each)
    ");
}

#[test]
fn a_dns_server_that_accepts_over_tcp_and_never_answers_ends_at_the_deadline() {
    let server = Hostile::dns_truncating(Behaviour::Silent);
    insta::assert_snapshot!(test_against(&server, "0.3"), @"
    exit: 2
    --- stdout
    --- stderr
    error: server SERVER does not answer a query for the SOA of example.com.: no response from SERVER (tries: 2, 300 ms each)
    ");
}

/// `zonegate regen --dry-run --cmdb URL` on a fixture repository, with `deadlines` as flags.
fn regen_from(url: &str, deadlines: &[&str]) -> Run {
    let fixture = Fixture::new();
    run_with_deadline(
        Command::new(env!("CARGO_BIN_EXE_zonegate"))
            .arg("--repo")
            .arg(&fixture.path)
            .args(["regen", "--dry-run", "--cmdb", url])
            .args(deadlines)
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            .env("NO_COLOR", "1"),
        TEST_DEADLINE,
    )
}

#[test]
fn a_cmdb_url_whose_server_never_answers_ends_at_the_read_deadline() {
    let server = Hostile::tcp(Behaviour::Silent);
    let url = format!("http://{}/servers.csv", server.address);
    let run = regen_from(&url, &["--cmdb-read-timeout", "0.5"]);
    insta::assert_snapshot!(run.transcript().replace(&url, "URL"), @"
    exit: 2
    --- stdout
    --- stderr
    error: cannot fetch the export URL: the server sent nothing for 0.5 s (--cmdb-read-timeout)
    ");
}

#[test]
fn a_cmdb_url_trickling_a_byte_at_a_time_ends_at_the_total_deadline() {
    let server = Hostile::tcp(Behaviour::Trickle {
        start: b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000000\r\n\r\nhostname,datacenter,ipv4,ipv6,status,roles\n".to_vec(),
        filler: b'#',
        interval: Duration::from_millis(20),
    });
    let url = format!("http://{}/servers.csv", server.address);
    let run = regen_from(&url, &["--cmdb-read-timeout", "0.5", "--cmdb-timeout", "2"]);
    insta::assert_snapshot!(run.transcript().replace(&url, "URL"), @"
    exit: 2
    --- stdout
    --- stderr
    error: cannot fetch the export URL: the download did not finish within 2 s (--cmdb-timeout)
    ");
}

#[test]
fn a_cmdb_url_that_takes_no_connection_ends_at_the_connect_deadline() {
    let server = Hostile::backlogged();
    let url = format!("http://{}/servers.csv", server.address);
    let run = regen_from(&url, &["--cmdb-connect-timeout", "0.5"]);
    insta::assert_snapshot!(run.transcript().replace(&url, "URL"), @"
    exit: 2
    --- stdout
    --- stderr
    error: cannot fetch the export URL: no connection within 0.5 s (--cmdb-connect-timeout)
    ");
}

#[test]
fn a_cmdb_url_with_a_password_is_named_without_it() {
    let server = Hostile::tcp(Behaviour::Silent);
    let run = regen_from(
        &format!("http://zonegate:s3cret@{}/servers.csv", server.address),
        &["--cmdb-read-timeout", "0.2"],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(!run.transcript().contains("s3cret"), "{}", run.transcript());
    assert!(
        run.stderr.contains(&format!(
            "http://zonegate:***@{}/servers.csv",
            server.address
        )),
        "{}",
        run.stderr
    );
}

/// `- it: ...` whose `for_each` is three loops over a literal list of `length` values:
/// `length`^3 assertions.
fn cubed_for_each(length: usize) -> String {
    let values: Vec<String> = (0..length).map(|value| value.to_string()).collect();
    let list = format!("[{}]", values.join(", "));
    format!(
        "- it: www answers\n  query: www.example.com.\n  expect: {{ at_least: 1 }}\n\
- it: \"{{{{ a }}}}.{{{{ b }}}}.{{{{ c }}}}\"\n  for_each: {{ a: {list}, b: {list}, c: {list} }}\n  query: www.example.com.\n  expect: {{ at_least: 1 }}\n"
    )
}

#[test]
fn a_for_each_of_a_billion_assertions_is_refused_before_it_is_expanded() {
    let repo = repository_with_assertions(&cubed_for_each(1000));
    let run = zonegate(repo.path(), &["test"]);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 2
    --- stdout
    --- stderr
    assertions/checks.yaml:4:3: error[invalid-value]: `for_each` expands to 1000000000 assertions, more than the 1000000 allowed
      hint: narrow it with `where:` or `sample: N`
      hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    error: 1 input error(s); nothing was written
    ");
}

#[test]
fn the_assertion_budget_is_set_by_flag_or_environment() {
    // 1 + 2^3 = 9 assertions.
    let repo = repository_with_assertions(&cubed_for_each(2));
    let run = zonegate(repo.path(), &["test", "--max-assertions", "8"]);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 2
    --- stdout
    --- stderr
    assertions/checks.yaml:4:3: error[invalid-value]: `for_each` expands to 8 assertions, which with the 1 before it are more than the 8 allowed
      hint: narrow it with `where:` or `sample: N`
      hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    error: 1 input error(s); nothing was written
    ");
    let run = zonegate(repo.path(), &["test", "--max-assertions", "9"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let run = run_with_deadline(
        Command::new(env!("CARGO_BIN_EXE_zonegate"))
            .arg("--repo")
            .arg(repo.path())
            .arg("test")
            .env("ZONEGATE_MAX_ASSERTIONS", "8")
            .env("NO_COLOR", "1"),
        TEST_DEADLINE,
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    let run = zonegate(repo.path(), &["test", "--max-assertions", "0"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(run.stderr.contains("--max-assertions"), "{}", run.stderr);
}

#[test]
fn a_pull_request_adding_a_billion_assertions_is_rejected_by_the_bot_at_once() {
    let fixture = Fixture::new();
    let huge = cubed_for_each(1000);
    let number = fixture.pull("huge", &[("assertions/huge.yaml", Some(&huge))]);
    fixture.approve(number, "bob");
    let run = run_with_deadline(
        Command::new(env!("CARGO_BIN_EXE_zonegate"))
            .arg("--repo")
            .arg(&fixture.path)
            .arg("bot")
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            .env("NO_COLOR", "1"),
        TEST_DEADLINE,
    );
    let forge = fixture.path.display().to_string();
    insta::assert_snapshot!(run.transcript().replace(&forge, "FORGE"), @r#"
    exit: 0
    --- stdout
    local forge FORGE/: 1 open pull request(s) into main
    #1 "huge" by alice: not merged
      the merge onto the current base fails render, check or test
      assertions/huge.yaml:4:3: error[invalid-value]: `for_each` expands to 1000000000 assertions, more than the 1000000 allowed
        hint: narrow it with `where:` or `sample: N`
        hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    --- stderr
    "#);
}
