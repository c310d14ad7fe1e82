//! End-to-end runs of the binary on the example repository: help, a clean check in every format,
//! rendered zones, and the serial and idempotence guarantees of `render`.
#![allow(clippy::disallowed_methods)] // Tests build and read fixtures directly.

mod support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use support::{example_repository, list_files, zonegate};

#[test]
fn help_lists_the_commands_with_examples() {
    let run = zonegate(Path::new("."), &["--help"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
    let run = zonegate(Path::new("."), &["render", "--help"]);
    assert!(run.stdout.contains("Examples:"), "{}", run.stdout);
}

// Issue 16 item 4: `--version` says which commit a binary was built from.
#[test]
fn the_version_names_the_commit_the_binary_was_built_from() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |arguments: &[&str]| {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(arguments)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {arguments:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let commit = git(&["rev-parse", "HEAD"]);
    let date = git(&["log", "-1", "--format=%cs"]);
    let expected = format!(
        "zonegate {} (commit {} {date})\n",
        env!("CARGO_PKG_VERSION"),
        &commit[..12]
    );
    let run = zonegate(Path::new("."), &["--version"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, expected);
    // Every command says the same.
    let run = zonegate(Path::new("."), &["diff", "--version"]);
    assert_eq!(
        run.stdout,
        expected.replacen("zonegate", "zonegate-diff", 1)
    );
}

#[test]
fn usage_errors_exit_2() {
    let run = zonegate(Path::new("."), &["render", "--no-such-flag"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
}

#[test]
fn a_directory_without_zones_is_a_clear_error() {
    let temp = tempfile::tempdir().unwrap();
    let run = zonegate(temp.path(), &["check"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(
        run.transcript()
            .replace(&temp.path().display().to_string(), "<repo>")
    );
}

/// `zonegate ARGS` run in `directory` without `--repo`, with `ZONEGATE_REPO` set to `env_repo`
/// or unset.
fn zonegate_in(directory: &Path, env_repo: Option<&Path>, args: &[&str]) -> support::Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_zonegate"));
    command
        .args(args)
        .current_dir(directory)
        .env("SOURCE_DATE_EPOCH", support::SOURCE_DATE_EPOCH)
        .env("NO_COLOR", "1")
        .env_remove("ZONEGATE_REPO");
    if let Some(repo) = env_repo {
        command.env("ZONEGATE_REPO", repo);
    }
    let output = command.output().unwrap();
    support::Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

// Issue 16 item 8: only the current directory was looked at, so `zonegate check` from
// zones/records/ said there was no repository.
#[test]
fn the_repository_is_found_from_a_subdirectory_as_git_finds_its_own() {
    let repo = example_repository();
    let expected = zonegate(repo.path(), &["check", "--format", "json"]);
    assert_eq!(expected.code, 0, "{}", expected.transcript());
    for directory in ["zones/records", "zones", "assertions", "."] {
        let run = zonegate_in(
            &repo.path().join(directory),
            None,
            &["check", "--format", "json"],
        );
        assert_eq!(run.transcript(), expected.transcript(), "from {directory}");
    }
    // Not past the top of a git work tree: a repository above it is another project's.
    let outer = tempfile::tempdir().unwrap();
    support::copy_tree(&repo.path().join("zones"), &outer.path().join("zones"));
    let project = outer.path().join("project");
    fs::create_dir_all(project.join("src")).unwrap();
    git2::Repository::init(&project).unwrap();
    let run = zonegate_in(&project.join("src"), None, &["check"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    // Outside any repository: the current directory, and the error that names it.
    let empty = tempfile::tempdir().unwrap();
    let run = zonegate_in(empty.path(), None, &["check"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stderr
            .starts_with("error: cannot read ./zones/zonegate.yaml: no zones/zonegate.yaml here"),
        "{}",
        run.stderr
    );
}

#[test]
fn zonegate_repo_names_the_repository_and_repo_overrides_it() {
    let repo = example_repository();
    let elsewhere = tempfile::tempdir().unwrap();
    let run = zonegate_in(
        elsewhere.path(),
        Some(repo.path()),
        &["check", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    let run = zonegate_in(
        repo.path(),
        Some(elsewhere.path()),
        &["check", "--format", "json"],
    );
    assert_eq!(
        run.code,
        2,
        "ZONEGATE_REPO wins over the walk up: {}",
        run.transcript()
    );
    let run = zonegate_in(
        elsewhere.path(),
        Some(elsewhere.path()),
        &[
            "--repo",
            &repo.path().display().to_string(),
            "check",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        run.code,
        0,
        "--repo wins over ZONEGATE_REPO: {}",
        run.transcript()
    );
    // `init` still writes into the current directory, not into a repository found above it.
    let inside = repo.path().join("new");
    fs::create_dir(&inside).unwrap();
    let run = zonegate_in(&inside, None, &["init"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(inside.join("zones/zonegate.yaml").is_file());
}

#[test]
fn the_example_repository_checks_clean_in_every_format() {
    let repo = example_repository();
    for format in ["human", "json", "github", "sarif"] {
        let run = zonegate(repo.path(), &["check", "--format", format]);
        assert_eq!(run.code, 0, "{format}: {}", run.transcript());
        insta::assert_snapshot!(format!("example_check_{format}"), run.transcript());
    }
}

// Issue 16 item 8: a clean `check` printed nothing at all, so a user could not tell it from a
// check of nothing.
#[test]
fn a_clean_check_says_in_one_line_what_it_checked() {
    let repo = example_repository();
    let run = zonegate(repo.path(), &["check"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, "");
    let rendered = zonegate(repo.path(), &["render", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&rendered.stdout).unwrap();
    let zones = report["manifest"]["zones"].as_array().unwrap();
    let records: u64 = zones
        .iter()
        .map(|zone| zone["records"].as_u64().unwrap())
        .sum();
    assert_eq!(
        run.stderr,
        format!(
            "no findings in {} zone(s), {records} record(s)\n",
            zones.len()
        )
    );
    // --quiet and the machine formats add nothing.
    assert_eq!(zonegate(repo.path(), &["--quiet", "check"]).stderr, "");
    assert_eq!(
        zonegate(repo.path(), &["check", "--format", "json"]).stderr,
        ""
    );
}

#[test]
fn a_mistake_in_the_example_repository_is_reported_in_every_format() {
    let repo = example_repository();
    // A CNAME beside other data (error) and an address without a PTR (warning), as a team
    // might add them in a pull request.
    fs::write(
        repo.path().join("zones/records/shop.yaml"),
        "owner: team-shop\nrecords:\n  - { name: shop, type: CNAME, target: www.example.net. }\n  \
         - { name: shop, type: TXT, text: \"owner=team-shop\" }\n  \
         - { name: checkout, type: A, address: 10.200.0.1 }\n",
    )
    .unwrap();
    for format in ["human", "json", "github"] {
        let run = zonegate(repo.path(), &["check", "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.transcript());
        insta::assert_snapshot!(format!("example_mistake_{format}"), run.transcript());
    }
    let run = zonegate(repo.path(), &["check", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), zonegate::rules::RULES.len());
    insta::assert_json_snapshot!("example_mistake_sarif_results", log["runs"][0]["results"]);
}

// Issue 16 item 3: with the zones repository in a subfolder of the checkout (the action's
// `repository: dns`), annotations and SARIF named `zones/...` while the files are `dns/zones/...`,
// so GitHub placed them nowhere.
#[test]
fn annotations_and_sarif_name_files_from_the_git_top_level() {
    let top = tempfile::tempdir().unwrap();
    let example = example_repository();
    let dns = top.path().join("dns");
    support::copy_tree(example.path(), &dns);
    git2::Repository::init(top.path()).unwrap();
    fs::write(
        dns.join("zones/records/shop.yaml"),
        "owner: team-shop\nrecords:\n  - { name: shop, type: CNAME, target: www.example.net. }\n  \
         - { name: shop, type: TXT, text: \"owner=team-shop\" }\n",
    )
    .unwrap();
    fs::write(
        dns.join("assertions/shop.yaml"),
        "- it: shop is an address\n  query: shop.example.com.\n  type: A\n  expect: { address: 10.9.9.9 }\n",
    )
    .unwrap();
    let exists = |path: &str| {
        assert!(
            top.path().join(path).is_file(),
            "{path} is not a file of the checkout"
        );
    };

    let check = zonegate(&dns, &["check", "--format", "github"]);
    assert_eq!(check.code, 1, "{}", check.transcript());
    let files: Vec<&str> = check
        .stdout
        .lines()
        .filter_map(|line| line.split_once("file=")?.1.split(',').next())
        .collect();
    assert!(
        files.contains(&"dns/zones/records/shop.yaml"),
        "{}",
        check.stdout
    );
    for path in &files {
        exists(path);
    }

    let sarif = zonegate(&dns, &["check", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let mut uris = Vec::new();
    for result in log["runs"][0]["results"].as_array().unwrap() {
        for location in result["locations"]
            .as_array()
            .into_iter()
            .chain(result["relatedLocations"].as_array())
            .flatten()
        {
            uris.push(
                location["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert!(
        uris.contains(&"dns/zones/records/shop.yaml".to_owned()),
        "{uris:?}"
    );
    for uri in &uris {
        exists(uri);
    }

    let test = zonegate(&dns, &["test", "--format", "github"]);
    assert_eq!(test.code, 1, "{}", test.transcript());
    assert!(
        test.stdout
            .starts_with("::error file=dns/assertions/shop.yaml,line=1,col=3,"),
        "{}",
        test.stdout
    );

    // Malformed input too.
    fs::write(dns.join("zones/services/web.yaml"), "port: http\n").unwrap();
    let check = zonegate(&dns, &["check", "--format", "github"]);
    assert_eq!(check.code, 2, "{}", check.transcript());
    assert!(
        check
            .stdout
            .starts_with("::error file=dns/zones/services/web.yaml,"),
        "{}",
        check.stdout
    );
    let test = zonegate(&dns, &["test", "--format", "github"]);
    assert_eq!(test.code, 2, "{}", test.transcript());
    assert!(
        test.stdout
            .starts_with("::error file=dns/zones/services/web.yaml,"),
        "{}",
        test.stdout
    );
    // For people and scripts, paths stay relative to the zones repository.
    let human = zonegate(&dns, &["check"]);
    assert!(
        human.stderr.starts_with("zones/services/web.yaml:"),
        "{}",
        human.stderr
    );
}

/// What `zonegate --repo REPO ARGS` shows on a terminal (a pseudo-terminal, through
/// util-linux's `script`), with `TERM=xterm` and the colour variables of `env` only.
fn on_a_terminal(repo: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let directory = tempfile::tempdir().unwrap();
    let command = directory.path().join("run.sh");
    let mut words = vec![
        env!("CARGO_BIN_EXE_zonegate").to_owned(),
        "--repo".to_owned(),
        repo.display().to_string(),
    ];
    words.extend(args.iter().map(|argument| (*argument).to_owned()));
    let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
    let line = format!("exec {}", quoted.join(" "));
    fs::write(&command, line).unwrap();
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &format!("sh '{}'", command.display()), "/dev/null"])
        .env("TERM", "xterm")
        .env("SOURCE_DATE_EPOCH", support::SOURCE_DATE_EPOCH)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CI");
    for (name, value) in env {
        script.env(name, value);
    }
    let output = script.output().expect("util-linux script runs");
    String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n")
}

/// A CNAME beside a TXT record (error) and an address without PTR (warning).
fn with_mistakes() -> tempfile::TempDir {
    let repo = example_repository();
    fs::write(
        repo.path().join("zones/records/shop.yaml"),
        "owner: team-shop\nrecords:\n  - { name: shop, type: CNAME, target: www.example.net. }\n  \
         - { name: shop, type: TXT, text: \"owner=team-shop\" }\n  \
         - { name: checkout, type: A, address: 10.200.0.1 }\n",
    )
    .unwrap();
    repo
}

// Issue 16 item 8: findings were plain on a terminal too. Colour there, as NO_COLOR and CLICOLOR
// (no-color.org, bixense.com/clicolors) say; never in a pipe unless CLICOLOR_FORCE asks.
#[test]
fn findings_are_coloured_on_a_terminal_unless_no_color_or_clicolor_says_not() {
    let repo = with_mistakes();
    // --quiet: the findings alone, without the progress spinner a terminal gets on stderr.
    let check = ["--quiet", "check"];
    let plain = zonegate(repo.path(), &check);
    assert_eq!(plain.code, 1, "{}", plain.transcript());
    assert!(!plain.stdout.contains('\u{1b}') && plain.stderr.is_empty());

    let coloured = on_a_terminal(repo.path(), &check, &[]);
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[31merror[cname-and-other-data]\u{1b}[0m: "),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[33mwarning[missing-reverse]\u{1b}[0m: "),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[36mhint:\u{1b}[0m "),
        "{coloured:?}"
    );
    // The same text once the styles are gone.
    assert_eq!(
        anstream::adapter::strip_str(&coloured).to_string(),
        plain.stdout
    );

    for env in [[("NO_COLOR", "1")], [("CLICOLOR", "0")]] {
        let shown = on_a_terminal(repo.path(), &check, &env);
        assert_eq!(shown, plain.stdout, "{env:?}");
    }
    // NO_COLOR set but empty does not count (no-color.org).
    assert!(on_a_terminal(repo.path(), &check, &[("NO_COLOR", "")]).contains('\u{1b}'));

    let forced = support::command(repo.path(), &check)
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\u{1b}[31merror["));
    // Machine formats are never styled.
    let json = on_a_terminal(repo.path(), &["--quiet", "check", "--format", "json"], &[]);
    assert!(!json.contains('\u{1b}'), "{json:?}");
}

#[test]
fn the_example_repository_renders_to_these_zones() {
    let repo = example_repository();
    let run = zonegate(repo.path(), &["render"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(
        "example_render_summary",
        run.transcript()
            .replace(&repo.path().display().to_string(), "<repo>")
    );
    let out = repo.path().join("out");
    for file in list_files(&out) {
        let text = fs::read_to_string(out.join(&file)).unwrap();
        insta::assert_snapshot!(format!("example_out_{file}"), text);
    }
}

#[test]
fn rendering_unchanged_input_changes_no_byte_and_no_mtime() {
    let repo = example_repository();
    assert_eq!(zonegate(repo.path(), &["render"]).code, 0);
    let out = repo.path().join("out");
    let before: Vec<_> = list_files(&out)
        .into_iter()
        .map(|file| {
            let meta = fs::metadata(out.join(&file)).unwrap();
            (
                file.clone(),
                fs::read(out.join(&file)).unwrap(),
                meta.mtime_nsec(),
                meta.mtime(),
                meta.ino(),
            )
        })
        .collect();
    let run = zonegate(repo.path(), &["render"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.ends_with("up to date, nothing written\n"),
        "{}",
        run.stdout
    );
    let after: Vec<_> = list_files(&out)
        .into_iter()
        .map(|file| {
            let meta = fs::metadata(out.join(&file)).unwrap();
            (
                file.clone(),
                fs::read(out.join(&file)).unwrap(),
                meta.mtime_nsec(),
                meta.mtime(),
                meta.ino(),
            )
        })
        .collect();
    assert_eq!(before, after);
}

#[test]
fn changing_one_host_bumps_the_serial_of_exactly_the_zones_that_changed() {
    let repo = example_repository();
    assert_eq!(zonegate(repo.path(), &["render"]).code, 0);
    let manifest = |repo: &Path| -> serde_json::Value {
        serde_json::from_slice(&fs::read(repo.join("out/manifest.json")).unwrap()).unwrap()
    };
    let serials = |manifest: &serde_json::Value| -> Vec<(String, u64)> {
        manifest["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|zone| {
                (
                    zone["origin"].as_str().unwrap().to_owned(),
                    zone["serial"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let first = serials(&manifest(repo.path()));

    // Give the first in-use host with an IPv4 address in 10/8 a new one: the forward zone and
    // 10.in-addr.arpa change; the edge and IPv6 reverse zones do not.
    let csv_path = repo.path().join("zones/cmdb/servers.csv");
    let csv = fs::read_to_string(&csv_path).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let ipv4_column = header.iter().position(|column| *column == "ipv4").unwrap();
    let status_column = header
        .iter()
        .position(|column| *column == "status")
        .unwrap();
    let mut changed = false;
    let lines: Vec<String> = csv
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
            if !changed
                && fields.get(status_column).is_some_and(|s| s == "in_use")
                && fields[ipv4_column].starts_with("10.")
            {
                fields[ipv4_column] = "10.99.99.99".to_owned();
                changed = true;
            }
            fields.join(",")
        })
        .collect();
    assert!(changed);
    fs::write(&csv_path, lines.join("\n") + "\n").unwrap();

    let run = zonegate(repo.path(), &["render"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let second = serials(&manifest(repo.path()));
    for ((origin, before), (_, after)) in first.iter().zip(&second) {
        let expect_change = origin == "example.net." || origin == "10.in-addr.arpa.";
        if expect_change {
            assert_eq!(
                *after,
                before + 1,
                "{origin} changed, so its serial moves on by one within the day"
            );
        } else {
            assert_eq!(
                after, before,
                "{origin} did not change, so its serial must not"
            );
        }
    }
}
