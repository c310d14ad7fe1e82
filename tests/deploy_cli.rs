//! `zonegate deploy` end to end without a DNS server: a `kind: dir` target (plan, install,
//! unchanged re-run), a checker that rejects a zone, and the usage errors.
#![allow(clippy::disallowed_methods)] // Tests build and read fixtures directly.

mod support;

use std::fs;
use std::path::Path;

use support::deploy::{FIRST, add_host, repository};
use support::zonegate;

/// Appends a `dir` target writing into `<repo>/installed` to the repository's settings.
fn dir_target(repo: &Path, extra: &str) {
    let settings = repo.join("zones/zonegate.yaml");
    let mut text = fs::read_to_string(&settings).unwrap();
    text.push_str("deploy:\n  targets:\n    - name: files\n      kind: dir\n      zone_directory: installed\n");
    text.push_str(extra);
    fs::write(settings, text).unwrap();
}

/// The run's stdout with the temporary repository path replaced.
fn redact(text: &str, repo: &Path) -> String {
    text.replace(&repo.display().to_string(), "<repo>")
}

#[test]
fn a_directory_target_is_planned_installed_and_left_alone_when_unchanged() {
    let repo = repository();
    dir_target(repo.path(), "");
    let plan = zonegate(repo.path(), &["deploy", "--dry-run"]);
    assert_eq!(plan.code, 0, "{}", plan.transcript());
    insta::assert_snapshot!(redact(&plan.stdout, repo.path()), @r"
    target files (dir, zones in <repo>/installed)
      create     10.in-addr.arpa.           served ? -> 2026112500
      create     2.0.192.in-addr.arpa.      served ? -> 2026112500
      create     8.b.d.0.1.0.0.2.ip6.arpa.  served ? -> 2026112500
      create     example.net.               served ? -> 2026112500
    dry run: 4 zone(s) would be written to files
    ");
    assert!(
        !repo.path().join("installed").exists(),
        "a dry run writes nothing"
    );

    fs::create_dir(repo.path().join("installed")).unwrap();
    let first = zonegate(repo.path(), &["deploy"]);
    assert_eq!(first.code, 0, "{}", first.transcript());
    let forward = fs::read_to_string(repo.path().join("installed/example.net.zone")).unwrap();
    assert!(
        forward.contains(&format!("\t{FIRST}\t; serial")),
        "{forward}"
    );

    add_host(repo.path(), "canary01", "10.1.250.7");
    let second = zonegate(repo.path(), &["deploy"]);
    assert_eq!(second.code, 0, "{}", second.transcript());
    insta::assert_snapshot!(redact(&second.stdout, repo.path()), @r"
    target files (dir, zones in <repo>/installed)
      update     10.in-addr.arpa.           served ? -> 2026112501
      unchanged  2.0.192.in-addr.arpa.      served ?
      unchanged  8.b.d.0.1.0.0.2.ip6.arpa.  served ?
      update     example.net.               served ? -> 2026112501
      ok: wrote and synced 2 zone file(s) beside the old ones
      ok: installed 2 zone file(s) in <repo>/installed (previous set in <repo>/.installed.zonegate-deploy/previous)
      ok: 2 zone(s) unchanged
    deploy to files succeeded
    ");
    let again = zonegate(repo.path(), &["deploy"]);
    assert!(
        again
            .stdout
            .contains("nothing to deploy: 4 zone(s) unchanged"),
        "{}",
        again.stdout
    );

    add_host(repo.path(), "canary02", "10.1.250.8");
    let json = zonegate(repo.path(), &["deploy", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.transcript());
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["succeeded"], true);
    let target = &document["targets"][0];
    assert_eq!(target["target"], "files");
    assert_eq!(target["failure"], serde_json::Value::Null);
    let forward = target["plan"]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|zone| zone["origin"] == "example.net.")
        .unwrap();
    assert_eq!(forward["action"], "update");
    assert_eq!(forward["installed_serial"], FIRST + 1);
    assert_eq!(forward["serial"], FIRST + 2);
    assert_eq!(
        target["steps"][0],
        "wrote and synced 2 zone file(s) beside the old ones"
    );
}

#[test]
fn a_zone_the_checker_rejects_is_never_installed() {
    let repo = repository();
    // Rejects the forward zone (the only one with SRV records), accepts the reverse zones.
    dir_target(
        repo.path(),
        "      check: [sh, -c, \"if grep -q SRV \\\"$0\\\"; then echo \\\"$0: SRV not allowed here\\\"; exit 1; fi\", \"{file}\"]\n",
    );
    fs::create_dir(repo.path().join("installed")).unwrap();
    let run = zonegate(repo.path(), &["deploy"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let report = redact(&run.stdout, repo.path());
    assert!(
        report.contains("  FAILED: check example.net.: `sh -c "),
        "{report}"
    );
    assert!(
        report.contains("/installed/.example.net.zone.zonegate-new: SRV not allowed here"),
        "{report}"
    );
    assert!(
        report.contains("rollback: nothing was installed; removed the staged files"),
        "{report}"
    );
    assert_eq!(
        fs::read_dir(repo.path().join("installed")).unwrap().count(),
        0,
        "nothing installed, nothing staged left behind"
    );
}

#[test]
fn usage_errors_name_what_is_missing() {
    let repo = repository();
    let none = zonegate(repo.path(), &["deploy"]);
    assert_eq!(none.code, 2, "{}", none.transcript());
    insta::assert_snapshot!(none.stderr, @"error: no deploy targets: add `deploy: { targets: [...] }` to zones/zonegate.yaml (see docs/formats.md)");

    dir_target(repo.path(), "");
    let unknown = zonegate(repo.path(), &["deploy", "--target", "primary"]);
    assert_eq!(unknown.code, 2, "{}", unknown.transcript());
    assert!(
        unknown.stderr.contains(
            "error: no deploy target named `primary` in zones/zonegate.yaml (configured: files)"
        ),
        "{}",
        unknown.stderr
    );

    let settings = repo.path().join("zones/zonegate.yaml");
    let text = fs::read_to_string(&settings).unwrap();
    fs::write(&settings, text.replace("kind: dir", "kind: powerdns")).unwrap();
    let invalid = zonegate(repo.path(), &["deploy"]);
    assert_eq!(invalid.code, 2, "{}", invalid.transcript());
    assert!(
        invalid
            .stderr
            .contains("error[invalid-value]: target kind `powerdns` is not bind, knot, nsd or dir"),
        "{}",
        invalid.stderr
    );
    assert!(
        invalid.stderr.starts_with("zones/zonegate.yaml:"),
        "{}",
        invalid.stderr
    );
}

#[test]
fn a_failing_assertion_refuses_the_deploy_before_any_file_is_written() {
    let repo = repository();
    dir_target(repo.path(), "");
    fs::create_dir(repo.path().join("installed")).unwrap();
    fs::write(
        repo.path().join("assertions/wishful.yaml"),
        "- it: www answers from the moon\n  query: www.example.net.\n  expect: { resolves_to: [203.0.113.7] }\n",
    )
    .unwrap();
    let run = zonegate(repo.path(), &["deploy"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stderr.contains("assertions/wishful.yaml:1:3: "),
        "the failure names the assertion: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "deploy refused: 1 assertion(s) failed against the rendered zones; nothing was deployed"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    assert_eq!(
        fs::read_dir(repo.path().join("installed")).unwrap().count(),
        0
    );
}
