//! `zonegate diff` on two revisions of the example repository, read from git objects: the
//! difference is checked record by record, in every format, and against the working tree.
#![allow(clippy::disallowed_methods)] // Tests build repositories directly.

mod support;

use std::fs;
use std::path::Path;

use git2::Repository;
use support::{commit_all, example_repository, zonegate};

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from} not in {}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The example repository as a git repository with the sample change applied in the work tree
/// (committed too when `commit` is set).
fn example_with_change(commit: bool) -> tempfile::TempDir {
    let repo = example_repository();
    let repository = Repository::init(repo.path()).unwrap();
    repository.set_head("refs/heads/main").unwrap();
    commit_all(&repository, "example");
    let root = repo.path();
    // playlist04 in ash is decommissioned, playlist07 there goes into service, and a friendly
    // name is added.
    replace_in(
        &root.join("zones/cmdb/servers.csv"),
        "playlist04,ash,ash-r00,10.1.0.4,2001:db8:1::4,playlist,in_use,",
        "playlist04,ash,ash-r00,10.1.0.4,2001:db8:1::4,playlist,decommissioned,",
    );
    replace_in(
        &root.join("zones/cmdb/servers.csv"),
        "playlist07,ash,ash-r00,10.1.0.7,2001:db8:1::7,playlist,provisioning,",
        "playlist07,ash,ash-r00,10.1.0.7,2001:db8:1::7,playlist,in_use,",
    );
    replace_in(
        &root.join("zones/records/friendly.yaml"),
        "  - { name: bastion,",
        "  - { name: status, type: CNAME, target: grafana.example.net. }\n  - { name: bastion,",
    );
    if commit {
        commit_all(&repository, "drain playlist04, add status");
    }
    repo
}

const EXPECTED: [&str; 7] = [
    "10.in-addr.arpa.: - 4.0.1.10.in-addr.arpa. 3600 PTR playlist04.ash.example.net.",
    "8.b.d.0.1.0.0.2.ip6.arpa.: - 4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 3600 PTR playlist04.ash.example.net.",
    "example.net.: - _playlist._tcp.ash.example.net. 300 SRV 10 10 8080 playlist04.ash.example.net.",
    "example.net.: + _playlist._tcp.ash.example.net. 300 SRV 10 10 8080 playlist07.ash.example.net.",
    "example.net.: - playlist04.ash.example.net. 3600 A 10.1.0.4",
    "example.net.: - playlist04.ash.example.net. 3600 AAAA 2001:db8:1::4",
    "example.net.: + status.example.net. 3600 CNAME grafana.example.net.",
];

/// `zone: +/- name ttl TYPE data` for every change in a JSON report.
fn changes(json: &serde_json::Value) -> Vec<String> {
    let mut lines = Vec::new();
    for zone in json["zones"].as_array().unwrap() {
        for change in zone["changes"].as_array().unwrap() {
            let sign = match change["change"].as_str().unwrap() {
                "added" => "+",
                "removed" => "-",
                other => other,
            };
            lines.push(format!(
                "{}: {sign} {} {} {} {}",
                zone["origin"].as_str().unwrap(),
                change["name"].as_str().unwrap(),
                change["ttl"],
                change["type"].as_str().unwrap(),
                change["data"].as_str().unwrap()
            ));
        }
    }
    lines
}

#[test]
fn two_revisions_of_the_example_differ_exactly_by_the_change() {
    let repo = example_with_change(true);
    let run = zonegate(
        repo.path(),
        &[
            "diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(changes(&json), EXPECTED);
    assert_eq!(json["totals"]["added"], 2);
    assert_eq!(json["totals"]["removed"], 5);
    let ash_playlist = &json["services"][0];
    assert_eq!(ash_playlist["owner"], "_playlist._tcp.ash.example.net.");
    assert_eq!(
        ash_playlist["lost"],
        serde_json::json!(["playlist04.ash.example.net."])
    );
    assert_eq!(
        ash_playlist["gained"],
        serde_json::json!(["playlist07.ash.example.net."])
    );
    assert_eq!(json["vanished"][0]["name"], "playlist04.ash.example.net.");
    assert_eq!(json["large_changes"], serde_json::json!([]));
    // The zone the change does not touch keeps its serial.
    let untouched: Vec<&str> = json["zones"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|zone| zone["serial_changes"] == false)
        .map(|zone| zone["origin"].as_str().unwrap())
        .collect();
    assert_eq!(untouched, ["2.0.192.in-addr.arpa."]);
}

#[test]
fn the_example_change_for_people() {
    let repo = example_with_change(true);
    let run = zonegate(repo.path(), &["diff", "--base", "main~1", "--head", "main"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn without_head_the_working_tree_is_compared() {
    let repo = example_with_change(false);
    let run = zonegate(repo.path(), &["diff", "--base", "main", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["head"], "working tree");
    assert_eq!(changes(&json), EXPECTED);
}

#[test]
fn a_revision_that_does_not_load_is_named() {
    let repo = example_with_change(true);
    replace_in(
        &repo.path().join("zones/zonegate.yaml"),
        "domain: example.net.",
        "domian: example.net.",
    );
    let run = zonegate(repo.path(), &["diff", "--base", "main"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    insta::assert_snapshot!(run.stderr, @"
    in revision working tree:
    zones/zonegate.yaml:4:1: error[unknown-key]: unknown key `domian`
      hint: did you mean `domain`?
      hint: expected one of: domain, datacenters, zones, nameservers, soa, ttl, serial, generate, cmdb, output, check, policy, deploy
    error: 1 input error(s); nothing was written
    ");
    let run = zonegate(repo.path(), &["diff", "--base", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: unknown revision `no-such-branch`: revspec 'no-such-branch' not found\n"
    );
}

/// The example repository with main committed, and a CODEOWNERS file and a template added in
/// the working tree: two change classes, found from the files of the working tree.
#[test]
fn every_format_names_each_change_class_with_its_reason() {
    const TEMPLATE: &str = "zones/templates/zone.j2 is added: every zone file is rendered from it instead of the built-in template";
    const CODEOWNERS: &str = "CODEOWNERS is added: who must approve a change to which file changes";
    let repo = example_repository();
    let repository = Repository::init(repo.path()).unwrap();
    repository.set_head("refs/heads/main").unwrap();
    commit_all(&repository, "example");
    fs::write(repo.path().join("CODEOWNERS"), "* @example/dns\n").unwrap();
    fs::create_dir_all(repo.path().join("zones/templates")).unwrap();
    fs::write(
        repo.path().join("zones/templates/zone.j2"),
        format!("; ours\n{}", zonegate::render::DEFAULT_TEMPLATE),
    )
    .unwrap();

    let human = zonegate(repo.path(), &["diff", "--base", "main"]);
    assert_eq!(human.code, 0, "{}", human.transcript());
    assert!(
        human.stdout.contains(&format!(
            "large change under the base's policy:\n  template-changed: {TEMPLATE}\n  codeowners-changed: {CODEOWNERS}\n"
        )),
        "{}",
        human.stdout
    );

    let json = zonegate(repo.path(), &["diff", "--base", "main", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.transcript());
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        json["large_changes"],
        serde_json::json!([
            { "cause": "template-changed", "reason": TEMPLATE },
            { "cause": "codeowners-changed", "reason": CODEOWNERS },
        ])
    );

    let markdown = zonegate(
        repo.path(),
        &["diff", "--base", "main", "--format", "markdown"],
    );
    assert_eq!(markdown.code, 0, "{}", markdown.transcript());
    assert!(
        markdown
            .stdout
            .contains("> - `template-changed`: zones/templates/zone.j2 is added"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown
            .stdout
            .contains(&format!("> - `codeowners-changed`: {CODEOWNERS}\n")),
        "{}",
        markdown.stdout
    );
}

#[test]
fn a_change_of_no_record_still_names_its_class() {
    let repo = example_repository();
    let repository = Repository::init(repo.path()).unwrap();
    repository.set_head("refs/heads/main").unwrap();
    commit_all(&repository, "example");
    fs::write(repo.path().join("CODEOWNERS"), "* @example/dns\n").unwrap();
    let run = zonegate(repo.path(), &["diff", "--base", "main"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(run.stdout, @"
    diff main -> working tree
    no record changes; every serial stays
    large change under the base's policy:
      codeowners-changed: CODEOWNERS is added: who must approve a change to which file changes
    ");
}

/// The example repository with every host decommissioned: committed on `main` on top of the
/// example, or left in the work tree.
fn example_decommissioned(commit: bool) -> tempfile::TempDir {
    let repo = example_repository();
    let repository = Repository::init(repo.path()).unwrap();
    repository.set_head("refs/heads/main").unwrap();
    commit_all(&repository, "example");
    let export = repo.path().join("zones/cmdb/servers.csv");
    let decommissioned = support::decommission_every_host(&fs::read_to_string(&export).unwrap());
    fs::write(export, decommissioned).unwrap();
    if commit {
        commit_all(&repository, "decommission every host");
    }
    repo
}

/// Runs the binary in `directory` (no `--repo`) with the arguments of a command line.
fn zonegate_in(directory: &Path, arguments: &[&str]) -> support::Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_zonegate"))
        .args(arguments)
        .current_dir(directory)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    support::Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The record lines of a human report (`+ name ttl IN TYPE data`, indented).
fn human_record_lines(report: &str) -> Vec<&str> {
    report
        .lines()
        .map(str::trim_start)
        .filter(|line| {
            (line.starts_with("+ ") || line.starts_with("- ") || line.starts_with("~ "))
                && line.contains(" IN ")
        })
        .collect()
}

// Issue 16 item 2: the comment of this very change was 76,701 characters, and GitHub refuses a
// comment over 65,536.
#[test]
fn decommissioning_the_example_s_hosts_fits_a_pull_request_comment() {
    let repo = example_decommissioned(true);
    let arguments = [
        "diff", "--base", "HEAD^1", "--head", "HEAD", "--format", "markdown",
    ];
    let run = zonegate_in(repo.path(), &arguments);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let comment = run.stdout;
    assert!(comment.len() <= 60_000, "{} bytes", comment.len());
    assert!(comment.chars().count() <= 65_536);
    // Summary, large-change reasons and blast radius first; long lists end with "and N more".
    assert!(comment.contains("> **Large change**"), "{comment}");
    assert!(comment.contains("**0 added, 1456 removed, 0 changed** in 3 of 4 zone(s)."));
    assert!(comment.contains("| `example.net.` | 914 | 0 | 882 | 0 | 96.5% | changes |"));
    assert!(comment.contains("- and "), "{comment}");
    assert!(comment.contains(" more record(s) not shown."), "{comment}");
    assert!(comment.ends_with(
        "*Shortened to fit 60000 bytes: `zonegate diff --base 'HEAD^1' --head HEAD` prints the whole difference.*\n"
    ));

    // The whole report, for the job summary and the artifact, leaves nothing out.
    let mut whole_arguments = arguments.to_vec();
    whole_arguments.extend(["--max-bytes", "0"]);
    let whole = zonegate_in(repo.path(), &whole_arguments);
    assert_eq!(whole.code, 0, "{}", whole.transcript());
    assert!(!whole.stdout.contains("Shortened"));
    let record_lines = whole
        .stdout
        .lines()
        .filter(|line| line.starts_with("- ") && line.contains(" IN "))
        .count();
    assert_eq!(record_lines, 1456);
    assert!(whole.stdout.len() < 1_048_576, "fits a job summary");
}

// Issue 16 item 7: the note suggested `zonegate diff --base HEAD --head working tree`, which
// fails. The command it names now runs, in the repository, and prints every record.
#[test]
fn the_command_a_shortened_report_names_prints_the_whole_difference() {
    for commit in [false, true] {
        let repo = example_decommissioned(commit);
        let arguments: &[&str] = if commit {
            &[
                "diff",
                "--base",
                "HEAD^1",
                "--head",
                "HEAD",
                "--format",
                "markdown",
                "--max-bytes",
                "4000",
            ]
        } else {
            &[
                "diff",
                "--base",
                "HEAD",
                "--format",
                "markdown",
                "--max-bytes",
                "4000",
            ]
        };
        let run = zonegate_in(repo.path(), arguments);
        assert_eq!(run.code, 0, "{}", run.transcript());
        assert!(run.stdout.len() <= 4000);
        let command = support::note_command(&run.stdout);
        assert!(command.starts_with("zonegate diff "), "{command}");
        // As a user would paste it: one shell command line, in the repository.
        let whole = support::shell(command, repo.path());
        assert_eq!(whole.code, 0, "`{command}`: {}", whole.transcript());
        let stdout = whole.stdout;
        assert_eq!(
            human_record_lines(&stdout).len(),
            1456,
            "`{command}`:\n{stdout}"
        );
    }
}

#[test]
fn max_bytes_is_for_markdown_and_has_a_floor() {
    let repo = example_with_change(true);
    let run = zonegate(
        repo.path(),
        &["diff", "--base", "main~1", "--max-bytes", "5000"],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr, @"error: --max-bytes bounds the Markdown report; use it with --format markdown");
    let run = zonegate(
        repo.path(),
        &[
            "diff",
            "--base",
            "main~1",
            "--format",
            "markdown",
            "--max-bytes",
            "100",
        ],
    );
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(run.stderr, @"error: --max-bytes 100 is too small: a report needs at least 1024 bytes (0 for no limit)");
}
