//! The security review, one test per claim (RELIABILITY.md lists them): names from a pull
//! request cannot reach outside their directories, templates are sandboxed and bounded, hostile
//! YAML and CMDB exports are refused within bounded memory, the bot refuses to act without a
//! policy from the base branch, and the workflows never run a fork's code with secrets.
//! (The token's absence from output is in tests/bot_github.rs.)
#![allow(clippy::print_stderr)] // The reliability tests print their figures (RELIABILITY.md).
#![allow(clippy::disallowed_methods)] // Tests write repositories and run the binary.

mod support;

use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use support::forge::{Fixture, servers_with_web4};
use support::{SOURCE_DATE_EPOCH, copy_tree, fixtures};
use zonegate::model::name::Name;
use zonegate::output::ManifestZone;
use zonegate::render::{self, RenderOptions, TemplateLimits};

/// What a run of the binary did, with its peak resident memory.
struct Measured {
    code: i32,
    stdout: String,
    stderr: String,
    /// Peak resident set size in KiB (`ru_maxrss` of the child alone, from `wait4`).
    peak_kib: i64,
}

/// Runs `zonegate --repo REPO ARGS` and measures the child's peak memory.
///
/// The child is started from a fresh, small process (this test binary running only
/// [`measure_in_a_small_process`]): Linux carries a process's peak RSS across `exec`, and a
/// child spawned from this busy test process would report this process's peak as its own.
fn measured(repo: &Path, args: &[&str], environment: &[(&str, &str)]) -> Measured {
    let directory = tempfile::tempdir().unwrap();
    let spec = serde_json::json!({
        "repo": repo,
        "args": args,
        "env": environment,
        "stdout": directory.path().join("stdout"),
        "stderr": directory.path().join("stderr"),
        "result": directory.path().join("result"),
    });
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "measure_in_a_small_process",
            "--ignored",
            "--quiet",
        ])
        .env("ZONEGATE_MEASURE", spec.to_string())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the measuring process failed");
    let result: serde_json::Value =
        serde_json::from_slice(&fs::read(directory.path().join("result")).unwrap()).unwrap();
    Measured {
        code: i32::try_from(result["code"].as_i64().unwrap()).unwrap(),
        stdout: fs::read_to_string(directory.path().join("stdout")).unwrap(),
        stderr: fs::read_to_string(directory.path().join("stderr")).unwrap(),
        peak_kib: result["peak_kib"].as_i64().unwrap(),
    }
}

/// The other half of [`measured`]: runs one command described by `ZONEGATE_MEASURE` and writes
/// its exit code and peak RSS (`ru_maxrss` from `wait4`, of that child alone).
#[test]
#[ignore = "a helper that `measured` runs in a process of its own"]
fn measure_in_a_small_process() {
    let spec: serde_json::Value =
        serde_json::from_str(&std::env::var("ZONEGATE_MEASURE").expect("run by `measured`"))
            .unwrap();
    let text = |key: &str| spec[key].as_str().unwrap().to_owned();
    let mut command = Command::new(env!("CARGO_BIN_EXE_zonegate"));
    command
        .arg("--repo")
        .arg(text("repo"))
        .args(
            spec["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap()),
        )
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(fs::File::create(text("stdout")).unwrap())
        .stderr(fs::File::create(text("stderr")).unwrap());
    for pair in spec["env"].as_array().unwrap() {
        command.env(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    #[allow(clippy::zombie_processes)] // Reaped by `wait4` below, which also gives its usage.
    let child = command.spawn().unwrap();
    let mut status = 0;
    // SAFETY: `rusage` is plain data for which zero is valid; the pid is this process's own
    // child, which nothing else waits for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = i32::try_from(child.id()).unwrap();
    let waited = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let status = std::process::ExitStatus::from_raw(status);
    let code = status.code().unwrap_or_else(|| panic!("killed: {status}"));
    fs::write(
        text("result"),
        serde_json::json!({ "code": code, "peak_kib": usage.ru_maxrss }).to_string(),
    )
    .unwrap();
}

/// A copy of the base fixture (zones/ only) in a temporary directory.
fn base_repository() -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), temp.path());
    temp
}

fn append_setting(repo: &Path, line: &str) {
    let path = repo.join("zones/zonegate.yaml");
    let mut settings = fs::read_to_string(&path).unwrap();
    settings.push_str(line);
    settings.push('\n');
    fs::write(path, settings).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Names cannot escape their directories

#[test]
fn the_cmdb_and_output_paths_cannot_leave_the_repository() {
    let cases = [
        (
            r#"cmdb: { path: "..\\..\\..\\..\\..\\..\\..\\etc\\passwd", format: csv }"#,
            "CMDB path",
        ),
        (
            "cmdb: { path: ../../../../../../../etc/passwd, format: csv }",
            "CMDB path",
        ),
        ("cmdb: { path: /etc/passwd, format: csv }", "CMDB path"),
        ("output: ../escaped", "output directory"),
        ("output: /tmp/zonegate-escaped", "output directory"),
        (r"output: ..\escaped", "output directory"),
        ("output: .", "output directory"),
    ];
    for (setting, what) in cases {
        let temp = base_repository();
        let repo = temp.path().join("repo");
        fs::create_dir(&repo).unwrap();
        copy_tree(&temp.path().join("zones"), &repo.join("zones"));
        append_setting(&repo, setting);
        let run = measured(&repo, &["render"], &[]);
        assert_eq!(run.code, 2, "{setting}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("zones/zonegate.yaml:10:")
                && run.stderr.contains(what)
                && run.stderr.contains("error[invalid-value]"),
            "{setting}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("root:"),
            "{setting}: /etc/passwd was read"
        );
        let siblings: Vec<_> = fs::read_dir(temp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(
            siblings.len(),
            2,
            "{setting}: wrote beside the repository: {siblings:?}"
        );
        assert!(!Path::new("/tmp/zonegate-escaped").exists());
        assert!(!repo.join("out").exists(), "{setting}: nothing is written");
    }
}

#[test]
fn a_symbolic_link_out_of_the_repository_is_not_followed() {
    let temp = base_repository();
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.csv"),
        "hostname,datacenter,status\nTOP-SECRET-HOST,ams,in_use\n",
    )
    .unwrap();
    let servers = temp.path().join("zones/cmdb/servers.csv");
    fs::remove_file(&servers).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.csv"), &servers).unwrap();
    let run = measured(temp.path(), &["check"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "`zones/cmdb/servers.csv` leads outside the repository (through a symbolic link)"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("TOP-SECRET") && !run.stderr.contains("TOP-SECRET"));

    // A records directory linked elsewhere is refused too; a link inside the repository is fine.
    fs::remove_file(&servers).unwrap();
    fs::write(
        temp.path().join("zones/cmdb/export.csv"),
        support::forge::SERVERS,
    )
    .unwrap();
    std::os::unix::fs::symlink("export.csv", &servers).unwrap();
    assert_eq!(measured(temp.path(), &["check"], &[]).code, 0);
    let records = temp.path().join("zones/records");
    fs::rename(&records, outside.path().join("records")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("records"), &records).unwrap();
    let run = measured(temp.path(), &["check"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`zones/records` leads outside"),
        "{}",
        run.stderr
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every name zonegate accepts as a zone origin gives a plain file name: no separator, no
    /// `..`, no leading dot, nothing a shell or a zone file would need escaped.
    #[test]
    fn a_zone_origin_always_gives_a_plain_file_name(
        text in prop_oneof![
            "[a-z0-9./\\\\_*-]{0,40}",
            "\\PC{0,40}",
            prop::collection::vec(prop_oneof![Just(".."), Just("."), Just("/"), Just("a"), Just("\\"), Just("xn--"), Just("*")], 0..12)
                .prop_map(|parts| parts.concat()),
        ]
    ) {
        if let Ok(name) = Name::parse_absolute(&text) {
            let file = ManifestZone::file_name(&name.to_string());
            prop_assert!(
                !file.contains(['/', '\\', '\0']) && !file.starts_with('.') && Path::new(&file).extension() == Some("zone".as_ref()),
                "{text:?} gives {file:?}"
            );
            prop_assert!(file.bytes().all(|byte| byte.is_ascii_graphic()), "{file:?}");
        }
    }
}

#[test]
fn a_junit_report_does_not_follow_a_planted_link() {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("assertions"), temp.path());
    let victim = tempfile::NamedTempFile::new().unwrap();
    fs::write(victim.path(), "precious").unwrap();
    // What a pull request could commit at the report path CI uses and at the temporary file
    // beside it.
    for planted in ["report.xml", ".report.xml.zonegate-new"] {
        std::os::unix::fs::symlink(victim.path(), temp.path().join(planted)).unwrap();
    }
    let report = temp.path().join("report.xml");
    let run = measured(
        temp.path(),
        &["test", "--junit", report.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        run.code, 1,
        "the fixture has failing assertions: {}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(victim.path()).unwrap(), "precious");
    assert!(!fs::symlink_metadata(&report).unwrap().is_symlink());
    assert!(fs::read_to_string(&report).unwrap().starts_with("<?xml"));
    assert!(
        fs::symlink_metadata(temp.path().join(".report.xml.zonegate-new")).is_err(),
        "the temporary file is gone, and the planted link with it"
    );
}

// ---------------------------------------------------------------------------------------------
// Templates

fn sample_zone() -> zonegate::model::zone::Zone {
    let repository = fixtures().join("base");
    let inventory =
        zonegate::inventory::config::load(&zonegate::inventory::files::Directory::new(&repository))
            .unwrap();
    let (zones, _) = zonegate::model::build(&inventory);
    zones.zones.into_iter().next().unwrap()
}

fn render_with(template: &str, fuel: u64) -> Result<String, String> {
    let options = RenderOptions {
        default_ttl: 3600,
        template,
        template_name: "zones/templates/zone.j2",
        limits: TemplateLimits {
            fuel,
            ..TemplateLimits::DEFAULT
        },
        abandon: None,
    };
    render::to_string(&sample_zone(), 1, &options).map_err(|error| {
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        format!("{error}: {}", cause.unwrap_or_default())
    })
}

#[test]
fn templates_cannot_read_files_or_the_environment() {
    // No loader: nothing outside the template itself can be included, imported or extended.
    for template in [
        r#"{% include "/etc/passwd" %}"#,
        r#"{% include "../../../../etc/passwd" %}"#,
        r#"{% import "/etc/passwd" as p %}"#,
        r#"{% extends "zones/zonegate.yaml" %}"#,
        r#"{% from "/proc/self/environ" import x %}"#,
    ] {
        let error = render_with(template, TemplateLimits::DEFAULT.fuel).unwrap_err();
        assert!(error.contains("template not found"), "{template}: {error}");
    }
    // No global reaches the process: undefined names are errors (strict mode).
    for name in [
        "env",
        "environ",
        "os",
        "config",
        "self",
        "request",
        "settings",
        "ZONEGATE_TOKEN",
    ] {
        let error =
            render_with(&format!("{{{{ {name} }}}}"), TemplateLimits::DEFAULT.fuel).unwrap_err();
        assert!(error.contains("undefined value"), "{name}: {error}");
    }
    let error = render_with(
        "{{ range(10) | map('attr', '__class__') | list }}",
        TemplateLimits::DEFAULT.fuel,
    );
    assert!(error.is_err() || !error.unwrap().contains("class"));
}

#[test]
fn an_endless_template_runs_out_of_fuel() {
    for template in [
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{% set ns = namespace(n=0) %}{% for i in range(100000) %}{% for j in range(100000) %}{% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}",
    ] {
        let error = render_with(template, 1_000_000).unwrap_err();
        assert!(
            error.contains("ran out of fuel")
                || error.contains("recursion limit")
                || error.contains("writes more than its budget"),
            "{template}: {error}"
        );
    }
}

/// The runaway templates a pull request could write, each on the example repository through
/// the binary (so with the wall clock): every one ends with an error that names the template
/// line, and nothing is written. How long each took is printed for RELIABILITY.md; it is not
/// asserted (a loaded machine is slower), the bounds are: fuel of 2 M instructions plus 60 per
/// record for a template that iterates `records`, output four times the built-in template's
/// plus 1 MiB, 2 s plus 10 us per record, and the memory budget for what none of them reaches.
#[test]
fn a_runaway_template_ends_at_a_budget_with_its_line() {
    // Which budget ends a loop first depends on the machine (a debug build is slower than the
    // fuel is long): any of them, with the template line.
    let fuel_or_time: &[&str] = &["engine ran out of fuel", "it ran for more than"];
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "nested range loops",
            "{% set ns = namespace(n=0) %}{% for i in range(100000) %}{% for j in range(100000) %}{% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}{{ body }}",
            fuel_or_time,
        ),
        (
            "records inside records",
            "{% set ns = namespace(n=0) %}{% for a in records %}{% for b in records %}{% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}{{ body }}",
            fuel_or_time,
        ),
        (
            "output flooding",
            "{% for i in range(100000) %}{% for j in range(100000) %}{{ body }}{% endfor %}{% endfor %}",
            &["it writes more than its budget of"],
        ),
        (
            "quadratic string building",
            "{% set ns = namespace(s='') %}{% for i in range(100000) %}{% for j in range(100000) %}{% set ns.s = ns.s ~ 'x' %}{% endfor %}{% endfor %}{{ body }}",
            fuel_or_time,
        ),
    ];
    for (what, template, expected) in cases {
        let repo = support::example_repository();
        fs::create_dir_all(repo.path().join("zones/templates")).unwrap();
        fs::write(repo.path().join("zones/templates/zone.j2"), template).unwrap();
        let started = std::time::Instant::now();
        let run = support::zonegate(repo.path(), &["render"]);
        let elapsed = started.elapsed();
        assert_eq!(run.code, 2, "{what}: {}", run.transcript());
        assert!(
            expected.iter().any(|text| run.stderr.contains(text))
                && run.stderr.contains("(in zones/templates/zone.j2:1"),
            "{what}: {}",
            run.stderr
        );
        assert!(!repo.path().join("out").exists(), "{what}: nothing written");
        eprintln!("{what}: refused after {:.2} s", elapsed.as_secs_f64());
    }
}

#[test]
fn a_template_that_grows_a_value_exponentially_stops_at_the_memory_budget() {
    let temp = base_repository();
    fs::create_dir_all(temp.path().join("zones/templates")).unwrap();
    // Thirty doublings: 2^30 copies of the zone body, a few fuel units each.
    fs::write(
        temp.path().join("zones/templates/zone.j2"),
        format!(
            "{{% set s = body %}}{}{{{{ s }}}}",
            "{% set s = s ~ s %}".repeat(30)
        ),
    )
    .unwrap();
    let run = measured(
        temp.path(),
        &["render"],
        &[("ZONEGATE_MEMORY_LIMIT", "256")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("zonegate stopped before using more memory than its budget"),
        "{}",
        run.stderr
    );
    eprintln!(
        "exponential template: refused at {} MiB peak",
        run.peak_kib / 1024
    );
    assert!(run.peak_kib < 400 * 1024, "peak {} KiB", run.peak_kib);
    assert!(!temp.path().join("out").exists());
    // The next run of a sane repository recovers with no help.
    fs::remove_file(temp.path().join("zones/templates/zone.j2")).unwrap();
    assert_eq!(measured(temp.path(), &["render"], &[]).code, 0);
}

// ---------------------------------------------------------------------------------------------
// Hostile YAML and CMDB exports: refused, clearly, within bounded memory

/// Writes `content` as `path` into a copy of the base fixture and checks it: exit 2, one of
/// `expected` in the error, and a peak memory under `max_mib`.
fn refused(path: &str, content: &[u8], expected: &str, max_mib: i64) {
    let temp = base_repository();
    let file = temp.path().join(path);
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, content).unwrap();
    let run = measured(temp.path(), &["check"], &[]);
    assert_eq!(
        run.code,
        2,
        "{path}: {}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    assert!(
        run.stderr.contains(expected),
        "{path}: expected `{expected}` in:\n{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    assert!(
        run.stderr.len() < 4096,
        "the error is short: {} bytes",
        run.stderr.len()
    );
    eprintln!(
        "{path} ({} bytes): refused, peak {} MiB: {}",
        content.len(),
        run.peak_kib / 1024,
        run.stderr.lines().next().unwrap_or_default()
    );
    assert!(
        run.peak_kib < max_mib * 1024,
        "{path}: peak {} KiB over {max_mib} MiB",
        run.peak_kib
    );
}

#[test]
fn a_yaml_alias_bomb_is_refused_within_bounded_memory() {
    // Billion laughs where the types allow it: one anchor, many aliases.
    let mut bomb = String::from("owner: &o team\nrecords:\n  - { name: a, type: TXT, text: [");
    bomb.push_str(&vec!["*o"; 300].join(", "));
    bomb.push_str("] }\n");
    refused(
        "zones/records/bomb.yaml",
        bomb.as_bytes(),
        "repeats its anchors",
        64,
    );
    // The classic nested form, in an assertion file.
    let mut laughs = String::from("- it: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (level, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let _ = writeln!(
            laughs,
            "- it: &{level} [{}]",
            vec![format!("*{previous}"); 9].join(", ")
        );
    }
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("assertions"), temp.path());
    fs::write(temp.path().join("assertions/bomb.yaml"), &laughs).unwrap();
    let run = measured(temp.path(), &["test"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("assertions/bomb.yaml:"),
        "{}",
        run.stderr
    );
    eprintln!(
        "nested alias bomb: refused, peak {} MiB",
        run.peak_kib / 1024
    );
    assert!(run.peak_kib < 64 * 1024, "peak {} KiB", run.peak_kib);
}

#[test]
fn deeply_nested_yaml_is_refused() {
    let flow = format!(
        "records:\n  - {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    refused(
        "zones/records/deep.yaml",
        flow.as_bytes(),
        "nested more than 64 levels",
        64,
    );
    let mut block = String::new();
    for depth in 0..200 {
        let _ = writeln!(block, "{}- ", "  ".repeat(depth));
    }
    refused(
        "zones/records/block.yaml",
        format!("records:\n{block}").as_bytes(),
        "zones/records/block.yaml:",
        64,
    );
}

#[test]
fn huge_yaml_files_and_lines_are_refused_within_bounded_memory() {
    // 40 MiB of records: over the file limit, refused having read no more than it.
    let mut huge = String::from("records:\n");
    let mut index = 0;
    while huge.len() < 40 << 20 {
        let _ = writeln!(huge, "  - {{ name: h{index}, type: A, address: 10.9.0.1 }}");
        index += 1;
    }
    refused(
        "zones/records/huge.yaml",
        huge.as_bytes(),
        "larger than 16 MiB",
        80,
    );
    // Under the file limit but over the node budget.
    huge.truncate(12 << 20);
    let cut = huge.rfind('\n').unwrap() + 1;
    huge.truncate(cut);
    refused(
        "zones/records/many.yaml",
        huge.as_bytes(),
        "more than 250000 values",
        200,
    );
    // One 12 MiB line: a TXT record no DNS message could carry.
    let line = format!(
        "records:\n  - {{ name: x, type: TXT, text: \"{}\" }}\n",
        "a".repeat(12 << 20)
    );
    refused(
        "zones/records/line.yaml",
        line.as_bytes(),
        "fit in a DNS message",
        200,
    );
}

// Found by the test above: a TXT record of 70000 octets passed `check` with a warning and was
// rendered into a zone BIND refuses to load ("ran out of space").
#[test]
fn a_record_too_long_for_a_dns_message_is_refused_and_the_longest_one_loads() {
    // 64997 characters are 255 strings of 255 plus their length octets: 65252 octets of data,
    // the most that fits in a message with an owner name of any length.
    for (characters, code) in [(64_997, 0), (64_998, 2), (70_000, 2)] {
        let temp = base_repository();
        let owner = "a".repeat(60);
        fs::write(
            temp.path().join("zones/records/long.yaml"),
            format!(
                "records:\n  - {{ name: {owner}, type: TXT, text: \"{}\" }}\n",
                "x".repeat(characters)
            ),
        )
        .unwrap();
        let run = measured(temp.path(), &["render"], &[]);
        assert_eq!(run.code, code, "{characters}: {}", run.stderr);
        if code == 0 {
            let checked = Command::new("named-checkzone")
                .arg("example.com")
                .arg(temp.path().join("out/example.com.zone"))
                .output()
                .expect("named-checkzone (bind9-utils, installed by scripts/test.sh)");
            assert!(
                checked.status.success(),
                "{}",
                String::from_utf8_lossy(&checked.stdout)
            );
        } else {
            assert!(
                run.stderr.contains("error[invalid-value]")
                    && run.stderr.contains("at most 65252 fit in a DNS message"),
                "{}",
                run.stderr
            );
        }
    }
}

#[test]
fn a_csv_line_without_end_is_refused_within_bounded_memory() {
    let mut export = support::forge::SERVERS.as_bytes().to_vec();
    export.extend_from_slice(b"web9,ams,r1,10.1.0.9,,web,");
    export.resize(export.len() + (64 << 20), b'x');
    refused(
        "zones/cmdb/servers.csv",
        &export,
        "line 8 is longer than 1 MiB",
        64,
    );
}

// Security review: an export whose roles cells held half a million one-letter roles per row
// reached 1 GiB of resident memory under a 512 MiB budget. The budget counted the bytes each
// allocation asked for, and malloc holds at least 32 for every one of those roles.
#[test]
fn an_export_of_huge_roles_cells_stays_within_the_memory_budget() {
    let temp = base_repository();
    let mut export = support::forge::SERVERS.to_owned();
    // Each row just under the 1 MiB line limit.
    let roles = vec!["r"; 500_000].join(";");
    for host in 1..=40 {
        let _ = writeln!(export, "huge{host},ams,r1,10.1.1.{host},,{roles},in_use");
    }
    fs::write(temp.path().join("zones/cmdb/servers.csv"), &export).unwrap();
    let budget_mib = 128;
    let run = measured(
        temp.path(),
        &["check"],
        &[("ZONEGATE_MEMORY_LIMIT", &budget_mib.to_string())],
    );
    eprintln!(
        "{} MiB export of huge roles cells under a {budget_mib} MiB budget: exit {}, peak {} MiB",
        export.len() >> 20,
        run.code,
        run.peak_kib / 1024
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("zonegate stopped before using more memory than its budget"),
        "{}",
        run.stderr
    );
    // The budget, plus what is not heap: the binary, the stacks, a thread's unsettled MiB.
    assert!(
        run.peak_kib < (budget_mib + 32) * 1024,
        "peak {} KiB over a {budget_mib} MiB budget",
        run.peak_kib
    );
}

// ---------------------------------------------------------------------------------------------
// The bot

#[test]
fn the_bot_refuses_to_act_when_the_base_has_no_readable_policy() {
    for broken in [
        "policy:\n  approvals: many\n",
        "policy:\n  approvals: 0\n  no_such_key: 1\n",
        "policy: [\n",
    ] {
        let fixture = Fixture::new();
        let settings = fixture.file(fixture.main(), "zones/zonegate.yaml");
        let base_settings = settings.split("policy:").next().unwrap().to_owned();
        fixture.commit(
            "main",
            Some(fixture.main()),
            &[(
                "zones/zonegate.yaml",
                Some(&format!("{base_settings}{broken}")),
            )],
            "a broken policy on main",
        );
        // The pull request even repairs the policy: the bot must still not trust it.
        let number = fixture.pull(
            "fix-and-add",
            &[
                ("zones/zonegate.yaml", Some(&settings)),
                ("zones/cmdb/servers.csv", Some(&servers_with_web4())),
            ],
        );
        fixture.approve(number, "bob");
        let main = fixture.main();
        let (outcomes, log) = fixture.pass();
        assert_eq!(outcomes[0].verdict, None, "{broken}: {log}");
        let error = outcomes[0].error.as_deref().unwrap_or_default();
        assert!(
            error.contains("does not load, so there is no policy to apply"),
            "{broken}: {error}"
        );
        assert_eq!(fixture.main(), main, "{broken}: nothing merged");
        let record = fixture.forge().record(number).unwrap();
        assert_eq!(record.state, "open");
        assert_eq!(
            record.statuses.last().map(|s| s.state.as_str()),
            Some("error")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Workflows: a fork's code never runs with secrets

fn workflows() -> Vec<(String, serde_json::Value, String)> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows");
    let mut found: Vec<_> = fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            let value: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                value,
                text,
            )
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The events a workflow runs on.
fn triggers(workflow: &serde_json::Value) -> Vec<String> {
    match &workflow["on"] {
        serde_json::Value::String(event) => vec![event.clone()],
        serde_json::Value::Array(events) => events
            .iter()
            .filter_map(|event| event.as_str().map(str::to_owned))
            .collect(),
        serde_json::Value::Object(events) => events.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

#[test]
fn pull_requests_from_forks_are_tested_without_secrets() {
    let all = workflows();
    assert!(
        all.len() >= 3,
        "{:?}",
        all.iter().map(|w| &w.0).collect::<Vec<_>>()
    );
    for (name, workflow, text) in &all {
        let events = triggers(workflow);
        // pull_request_target and workflow_run run with the base's secrets and a write token
        // on behalf of a fork: no workflow of ours uses them.
        for dangerous in ["pull_request_target", "workflow_run"] {
            assert!(
                !events.iter().any(|e| e == dangerous),
                "{name} runs on {dangerous}"
            );
        }
        // Least privilege, stated: every workflow sets its token's permissions.
        assert!(
            workflow["permissions"].is_object(),
            "{name}: no top-level permissions"
        );
        let runs_pull_request_code = events.iter().any(|e| e == "pull_request");
        if runs_pull_request_code {
            assert!(
                !text.contains("secrets."),
                "{name} runs a pull request's code and names a secret"
            );
        }
        for (job_name, job) in workflow["jobs"].as_object().unwrap() {
            for step in job["steps"].as_array().unwrap() {
                // Values an outsider controls (titles, branch names, bodies) reach scripts only
                // through `env:`, never spliced into the script (script injection).
                if let Some(script) = step["run"].as_str() {
                    for expression in script.split("${{").skip(1) {
                        let expression = expression.split("}}").next().unwrap().trim();
                        assert!(
                            expression.starts_with("runner.") || expression == "github.action_path",
                            "{name}/{job_name}: `${{{{ {expression} }}}}` spliced into a script"
                        );
                    }
                }
                // A workflow that holds secrets or a write token on a pull request event checks
                // out trusted code only (the default branch), never the pull request's head.
                if step["uses"]
                    .as_str()
                    .is_some_and(|uses| uses.starts_with("actions/checkout"))
                    && (text.contains("secrets.") || workflow["permissions"]["contents"] == "write")
                {
                    let reference = step["with"]["ref"].as_str().unwrap_or_default();
                    assert!(
                        !events.iter().any(|e| e == "pull_request"),
                        "{name} holds secrets and runs on pull_request"
                    );
                    assert!(
                        reference.contains("default_branch")
                            || reference.is_empty()
                                && !events.iter().any(|e| e.starts_with("pull_request")),
                        "{name}/{job_name}: a privileged job checks out `{reference}`"
                    );
                }
            }
        }
    }
    // The gate itself: on pull_request, read-only contents, no secret.
    let (_, gate, text) = all
        .iter()
        .find(|(name, ..)| name == "zones-gate.yml")
        .unwrap();
    assert_eq!(triggers(gate), ["pull_request"]);
    assert_eq!(gate["permissions"]["contents"], "read");
    assert!(!text.contains("secrets."));
}
