//! The first hour with zonegate, end to end through the binary: `init` scaffolds a repository
//! that renders, checks and tests green and never overwrites a file; every command's help has
//! examples; `explain` knows every code a run prints; completions and man pages cover every
//! command; the GitHub Action and the pre-commit hooks run commands the CLI has.
#![allow(clippy::disallowed_methods)] // Tests read and write fixture files directly.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use clap::{CommandFactory, Parser};
use serde_json::Value;
use support::zonegate;
use zonegate::cli::Args;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `directory` with its bytes, mode, mtime and inode: what "untouched" means.
fn fingerprint(directory: &Path) -> Vec<(String, Vec<u8>, u32, i64, i64, u64)> {
    let mut found = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let entry = entry.unwrap();
            let metadata = entry.metadata().unwrap();
            let relative = entry
                .path()
                .strip_prefix(directory)
                .unwrap()
                .display()
                .to_string();
            if metadata.is_dir() {
                pending.push(entry.path());
                found.push((relative, Vec::new(), metadata.mode(), 0, 0, metadata.ino()));
            } else {
                found.push((
                    relative,
                    fs::read(entry.path()).unwrap(),
                    metadata.mode(),
                    metadata.mtime(),
                    metadata.mtime_nsec(),
                    metadata.ino(),
                ));
            }
        }
    }
    found.sort();
    found
}

/// Every command path below the top level: `["render"]`, `["pr", "open"]`, ...
fn command_paths() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, prefix: &[String], found: &mut Vec<Vec<String>>) {
        for subcommand in command.get_subcommands() {
            let mut path = prefix.to_vec();
            path.push(subcommand.get_name().to_owned());
            found.push(path.clone());
            walk(subcommand, &path, found);
        }
    }
    let mut found = Vec::new();
    walk(&Args::command(), &[], &mut found);
    found
}

#[test]
fn init_into_an_empty_directory_renders_checks_and_tests_green() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("dns");
    let run = zonegate(&repo, &["init"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    insta::assert_snapshot!(
        run.transcript()
            .replace(&repo.display().to_string(), "<repo>")
    );

    // Clean: no error and no warning either.
    let check = zonegate(&repo, &["check"]);
    assert_eq!(check.code, 0, "{}", check.transcript());
    assert_eq!(check.stdout, "", "{}", check.transcript());
    let render = zonegate(&repo, &["render"]);
    assert_eq!(render.code, 0, "{}", render.transcript());
    for zone in [
        "example.com.zone",
        "10.in-addr.arpa.zone",
        "8.b.d.0.1.0.0.2.ip6.arpa.zone",
    ] {
        assert!(repo.join("out").join(zone).is_file(), "{zone}");
    }
    let test = zonegate(&repo, &["test"]);
    assert_eq!(test.code, 0, "{}", test.transcript());
    assert!(test.stdout.contains(" 0 failed"), "{}", test.transcript());
    // The scaffold's assertions ran: the SRV records of web in both datacenters among them.
    let json = zonegate(&repo, &["test", "--format", "json"]);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    let names: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|result| result["it"].as_str())
        .collect();
    assert!(names.contains(&"web is discoverable in ams"), "{names:?}");
    assert!(names.contains(&"web is discoverable in nyc"), "{names:?}");
    assert!(names.len() >= 8, "{names:?}");
}

#[test]
fn the_scaffolded_workflows_install_zonegate_and_run_commands_it_has() {
    let temp = tempfile::tempdir().unwrap();
    assert_eq!(zonegate(temp.path(), &["init"]).code, 0);
    for name in ["zones-gate.yml", "bot.yml"] {
        let text = fs::read_to_string(temp.path().join(".github/workflows").join(name)).unwrap();
        let workflow: Value = serde_saphyr::from_str(&text).unwrap();
        let mut installs = 0;
        for job in workflow["jobs"].as_object().unwrap().values() {
            for step in job["steps"].as_array().unwrap() {
                assert!(
                    step["uses"].is_string() != step["run"].is_string(),
                    "{step}"
                );
                let script = step["run"].as_str().unwrap_or_default();
                // Nothing is built on the runner: zonegate is the release the workflow pins.
                assert!(!script.contains("cargo"), "{name}: {script}");
                let version = env!("CARGO_PKG_VERSION");
                let uses = step["uses"].as_str().unwrap_or_default();
                if uses == format!("zonegate/zonegate@v{version}")
                    || uses == format!("zonegate/zonegate/install@v{version}")
                {
                    installs += 1;
                }
                for line in script.lines() {
                    let words: Vec<&str> = line
                        .split_whitespace()
                        .take_while(|word| !matches!(*word, ">" | ">>" | "|"))
                        .filter(|word| !word.starts_with('$') && !word.starts_with('"'))
                        .collect();
                    if words.first() == Some(&"zonegate") {
                        Args::try_parse_from(&words)
                            .unwrap_or_else(|error| panic!("{name}: {line}: {error}"));
                    }
                }
            }
        }
        assert_eq!(installs, 1, "{name}");
    }
}

#[test]
fn init_refuses_to_overwrite_and_touches_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path();
    fs::create_dir_all(repo.join("zones")).unwrap();
    fs::create_dir_all(repo.join("assertions")).unwrap();
    fs::write(repo.join("zones/zonegate.yaml"), "domain: mine.example.\n").unwrap();
    fs::write(repo.join("assertions/web.yaml"), "- it: mine\n").unwrap();
    fs::write(repo.join("README.md"), "my zones\n").unwrap();
    // A file where the scaffold needs a directory is a conflict too.
    fs::write(repo.join("schemas"), "not a directory\n").unwrap();
    let before = fingerprint(repo);

    let run = zonegate(repo, &["init"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    insta::assert_snapshot!(run.transcript().replace(&repo.display().to_string(), "<repo>"), @r"
    exit: 2
    --- stdout
    --- stderr
    error: <repo> already has 3 of the files init writes; nothing was written:
      zones/zonegate.yaml
      assertions/web.yaml
      schemas
    hint: run `zonegate init NEW-DIRECTORY`, or move these files away first
    ");
    assert_eq!(fingerprint(repo), before);
}

#[test]
fn init_beside_unrelated_files_keeps_them() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path();
    fs::write(repo.join("README.md"), "my zones\n").unwrap();
    fs::create_dir_all(repo.join(".github/workflows")).unwrap();
    fs::write(repo.join(".github/workflows/other.yml"), "name: other\n").unwrap();
    let run = zonegate(repo, &["init", "--domain", "corp.example.org."]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(fs::read(repo.join("README.md")).unwrap(), b"my zones\n");
    assert_eq!(
        fs::read(repo.join(".github/workflows/other.yml")).unwrap(),
        b"name: other\n"
    );
    let settings = fs::read_to_string(repo.join("zones/zonegate.yaml")).unwrap();
    assert!(
        settings.contains("domain: corp.example.org.\n"),
        "{settings}"
    );
    assert_eq!(zonegate(repo, &["check"]).code, 0);
    assert_eq!(zonegate(repo, &["test"]).code, 0);
}

#[test]
fn every_command_has_help_with_examples() {
    let paths = command_paths();
    assert!(paths.len() > 15, "{paths:?}");
    for path in paths {
        if path.last().is_some_and(|name| name == "help") {
            continue;
        }
        let mut arguments: Vec<&str> = path.iter().map(String::as_str).collect();
        arguments.push("--help");
        let run = zonegate(root(), &arguments);
        assert_eq!(run.code, 0, "{}", run.transcript());
        let examples = run
            .stdout
            .split_once("Examples:\n")
            .unwrap_or_else(|| panic!("`zonegate {}` has no Examples section", path.join(" ")))
            .1;
        assert!(
            examples.trim_start().starts_with("zonegate "),
            "`zonegate {}`: the first example is not a command line:\n{examples}",
            path.join(" ")
        );
    }
}

/// Every rule id a real run printed: the `error[ID]` and `warning[ID]` markers in the snapshots
/// and the inline snapshots of the tests and the library (runs of `check`, `render`, `test`, the
/// bot, deploy). No list of codes is kept by hand here: a code is found because zonegate printed it.
fn printed_rule_ids() -> BTreeSet<String> {
    fn walk(directory: &Path, found: &mut BTreeSet<String>) {
        for entry in fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
                continue;
            }
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            // Markdown in inline snapshots escapes the brackets: `error\[assertion-failed\]`.
            let text = text.replace("\\[", "[").replace("\\]", "]");
            for marker in ["error[", "warning["] {
                for (start, _) in text.match_indices(marker) {
                    let rest = &text[start + marker.len()..];
                    let Some(end) = rest.find(']') else { continue };
                    let id = &rest[..end];
                    if !id.is_empty()
                        && id
                            .bytes()
                            .all(|byte| byte.is_ascii_lowercase() || byte == b'-')
                    {
                        found.insert(id.to_owned());
                    }
                }
            }
        }
    }
    let mut ids = BTreeSet::new();
    walk(&root().join("tests"), &mut ids);
    walk(&root().join("src"), &mut ids);
    assert!(ids.len() > 30, "only {} codes found: {ids:?}", ids.len());
    ids
}

fn assert_explained(id: &str) {
    let run = zonegate(root(), &["explain", id]);
    assert_eq!(run.code, 0, "{id}: {}", run.transcript());
    assert!(
        run.stdout.starts_with(&format!("# {id}\n")),
        "{}",
        run.stdout
    );
    for section in ["## What it does", "## Why it matters", "## How to fix"] {
        assert!(run.stdout.contains(section), "{id}: {section}");
    }
}

#[test]
fn explain_has_text_for_every_code_a_run_printed() {
    let all = zonegate(root(), &["explain", "--all"]);
    assert_eq!(all.code, 0, "{}", all.transcript());
    // The rules, then (after a blank line) the change classes.
    let listed: BTreeSet<String> = all
        .stdout
        .lines()
        .take_while(|line| !line.is_empty())
        .map(|line| line.split_whitespace().next().unwrap().to_owned())
        .collect();
    let printed = printed_rule_ids();
    let unlisted: Vec<&String> = printed.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "printed but not in `explain --all`: {unlisted:?}"
    );
    for id in &printed {
        assert_explained(id);
    }
}

#[test]
fn explain_suggests_the_id_meant_and_exits_2() {
    let run = zonegate(root(), &["explain", "dangling-targt"]);
    insta::assert_snapshot!(run.transcript(), @r"
    exit: 2
    --- stdout
    --- stderr
    error: unknown rule `dangling-targt`; did you mean `dangling-target`? (`zonegate explain --all` lists every rule)
    ");
    assert_eq!(zonegate(root(), &["explain"]).code, 2);
}

#[test]
fn completions_cover_every_command_in_every_shell() {
    let top_level: Vec<String> = Args::command()
        .get_subcommands()
        .map(|command| command.get_name().to_owned())
        .collect();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = zonegate(root(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.transcript());
        for command in &top_level {
            assert!(
                run.stdout.contains(command.as_str()),
                "{shell}: no `{command}`"
            );
        }
        // Flags are completed too (fish writes `-l format`), and values where the shell's
        // generator supports them (clap_complete's elvish and powershell complete flags only).
        assert!(run.stdout.contains("format"), "{shell}");
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(run.stdout.contains("sarif"), "{shell}");
        }
    }
    assert_eq!(zonegate(root(), &["completions", "tcsh"]).code, 2);
}

#[test]
fn completions_load_in_bash() {
    let temp = tempfile::tempdir().unwrap();
    let script = temp.path().join("zonegate.bash");
    fs::write(&script, zonegate(root(), &["completions", "bash"]).stdout).unwrap();
    // Complete `zonegate ex` the way bash does when the user presses tab.
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(zonegate ex); COMP_CWORD=1; COMP_LINE='zonegate ex'; \
             COMP_POINT=11; _zonegate zonegate ex zonegate; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "explain\n");
}

// Issue 16 item 8: `zonegate explain <TAB>` offered nothing, though the ids are a fixed list.
#[test]
fn bash_completes_rule_ids_after_explain() {
    let temp = tempfile::tempdir().unwrap();
    let script = temp.path().join("zonegate.bash");
    fs::write(&script, zonegate(root(), &["completions", "bash"]).stdout).unwrap();
    let complete = |word: &str| {
        let line = format!("zonegate explain {word}");
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=(zonegate explain '{word}'); COMP_CWORD=2; \
                 COMP_LINE='{line}'; COMP_POINT={}; _zonegate zonegate '{word}' explain; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display(),
                line.len()
            ))
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let cname: Vec<String> = zonegate::rules::RULES
        .iter()
        .filter(|rule| rule.id().starts_with("cname-"))
        .map(|rule| rule.id().to_owned())
        .collect();
    assert!(cname.len() >= 2);
    let offered: Vec<String> = complete("cname-").lines().map(str::to_owned).collect();
    assert_eq!(offered, cname);
    let every = complete("");
    for rule in zonegate::rules::RULES {
        assert!(
            every.lines().any(|line| line == rule.id()),
            "{}: {every}",
            rule.id()
        );
    }
    // zsh shows each id with its summary (clap_complete's fish script completes options only).
    let zsh = zonegate(root(), &["completions", "zsh"]).stdout;
    assert!(
        zsh.contains("cname-loop\\:\"CNAME records that alias each other in a circle\""),
        "{zsh}"
    );
}

#[test]
fn the_man_page_documents_every_command() {
    let run = zonegate(root(), &["man"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(".TH zonegate 1"), "{}", run.stdout);
    for command in Args::command().get_subcommands() {
        assert!(
            run.stdout
                .contains(&format!("zonegate\\-{}(1)", command.get_name())),
            "{}",
            command.get_name()
        );
    }

    let temp = tempfile::tempdir().unwrap();
    let run = zonegate(root(), &["man", "--out", temp.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let mut written: Vec<String> = fs::read_dir(temp.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected: Vec<String> = command_paths()
        .into_iter()
        .filter(|path| path.last().is_some_and(|name| name != "help"))
        .map(|path| format!("zonegate-{}.1", path.join("-")))
        .collect();
    expected.push("zonegate.1".to_owned());
    expected.sort();
    assert_eq!(written, expected);
    let render = fs::read_to_string(temp.path().join("zonegate-render.1")).unwrap();
    assert!(render.contains(".TH zonegate-render 1"), "{render}");
    assert!(render.contains("\\-\\-output"), "{render}");
    assert!(render.contains("Examples:"), "{render}");
}

// Issue 16 item 8: the pages had neither ENVIRONMENT nor EXIT STATUS.
#[test]
fn every_man_page_says_the_environment_and_the_exit_status() {
    fn walk(command: &clap::Command, found: &mut BTreeSet<String>) {
        for argument in command.get_arguments() {
            if let Some(variable) = argument.get_env() {
                found.insert(variable.to_string_lossy().into_owned());
            }
        }
        for subcommand in command.get_subcommands() {
            walk(subcommand, found);
        }
    }
    // Every variable a flag reads, and those the program reads itself.
    let mut variables: BTreeSet<String> = BTreeSet::from(
        [
            "ZONEGATE_TOKEN",
            "GITHUB_TOKEN",
            "ZONEGATE_MEMORY_LIMIT",
            "SOURCE_DATE_EPOCH",
            "NO_COLOR",
            "CLICOLOR",
            "CLICOLOR_FORCE",
        ]
        .map(str::to_owned),
    );
    walk(&Args::command(), &mut variables);
    assert!(variables.contains("ZONEGATE_REPO"), "{variables:?}");
    let temp = tempfile::tempdir().unwrap();
    let run = zonegate(root(), &["man", "--out", temp.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    for entry in fs::read_dir(temp.path()).unwrap() {
        let path = entry.unwrap().path();
        let page = fs::read_to_string(&path).unwrap();
        let section = |heading: &str| {
            let start = page
                .find(&format!(".SH {heading}\n"))
                .unwrap_or_else(|| panic!("{}: no {heading}", path.display()));
            let rest = &page[start + 4..];
            rest[..rest.find("\n.SH ").unwrap_or(rest.len())].to_owned()
        };
        let environment = section("ENVIRONMENT");
        for variable in &variables {
            assert!(
                environment.contains(&format!("\\fB{variable}\\fR")),
                "{}: {variable} missing:\n{environment}",
                path.display()
            );
        }
        let status = section("\"EXIT STATUS\"");
        for code in ["0", "1", "2"] {
            assert!(
                status.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                "{}: {code}:\n{status}",
                path.display()
            );
        }
    }
}

/// The `zonegate ...` command lines of a shell script (not its comments or `echo`ed messages):
/// the words after the binary, quoted shell
/// expansions as `VALUE` (arrays and `"$@"`, which may be empty, dropped), up to a redirection,
/// `||`, `;` or the end of a function body.
fn command_lines(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for line in script.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        // Comments and messages mention zonegate without running it.
        if matches!(words.first(), Some(&"#" | &"echo")) {
            continue;
        }
        let Some(start) = words.iter().position(|word| *word == "zonegate") else {
            continue;
        };
        let mut arguments = vec!["zonegate".to_owned()];
        for word in &words[start + 1..] {
            let word = word.trim_end_matches(';');
            if matches!(word, ">" | ">>" | "|" | "||" | ";;" | "}") {
                break;
            }
            if word == "\"$@\"" || word.ends_with("[@]}\"") {
                continue;
            }
            arguments.push(if word.starts_with('"') {
                "VALUE".to_owned()
            } else {
                word.to_owned()
            });
        }
        commands.push(arguments);
    }
    commands
}

#[test]
fn the_github_action_runs_commands_the_cli_has() {
    let text = fs::read_to_string(root().join("action.yml")).unwrap();
    let action: Value = serde_saphyr::from_str(&text).unwrap();
    assert!(action["name"].is_string() && action["description"].is_string());
    assert_eq!(action["runs"]["using"], "composite");
    let mut scripts = Vec::new();
    for step in action["runs"]["steps"].as_array().unwrap() {
        assert!(
            step["uses"].is_string() != step["run"].is_string(),
            "{step}"
        );
        if let Some(script) = step["run"].as_str() {
            // Composite actions require a shell on every run step.
            assert!(step["shell"].is_string(), "{step}");
            // Inputs reach scripts through the environment, never spliced into the script.
            assert!(!script.contains("${{"), "{script}");
            // Each run step is one of the action's scripts, named by a path in the environment
            // and run by bash (no executable bit needed).
            let path = script
                .strip_prefix("bash ")
                .unwrap_or_else(|| panic!("{script}: not `bash SCRIPT`"))
                .trim_matches(|character| character == '"')
                .split_once('/')
                .map(|(_, path)| path.to_owned())
                .unwrap();
            scripts.push(path);
        }
    }
    assert_eq!(
        scripts,
        [
            "install/plan.sh",
            "install/install.sh",
            "action/gate.sh",
            "action/comment.sh"
        ]
    );
    let gate = fs::read_to_string(root().join("action/gate.sh")).unwrap();
    let mut seen = Vec::new();
    for arguments in command_lines(&gate) {
        let parsed = Args::try_parse_from(&arguments)
            .unwrap_or_else(|error| panic!("`{}` does not parse:\n{error}", arguments.join(" ")));
        seen.push(
            format!("{:?}", parsed.command)
                .split('(')
                .next()
                .unwrap()
                .to_owned(),
        );
    }
    // check twice: SARIF for code scanning, then the annotations.
    assert_eq!(seen, ["Diff", "Check", "Check", "Test"]);
    // Each command the `commands` input may name is one the script handles.
    let default = action["inputs"]["commands"]["default"].as_str().unwrap();
    for command in default.split_whitespace() {
        assert!(gate.contains(&format!("    {command})")), "{command}");
    }
}

#[test]
fn the_pre_commit_hooks_run_commands_the_cli_has() {
    let text = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Value = serde_saphyr::from_str(&text).unwrap();
    let image = format!("ghcr.io/zonegate/zonegate:{}", env!("CARGO_PKG_VERSION"));
    let mut ids = Vec::new();
    for hook in hooks.as_array().unwrap() {
        for key in ["id", "name", "entry", "language"] {
            assert!(hook[key].is_string(), "{hook}: {key}");
        }
        // The commands look at the whole repository, not at the files pre-commit passes.
        assert_eq!(hook["pass_filenames"], false);
        let mut entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
        // Nothing is built: the zonegate on PATH, or the release's image of this version.
        match hook["language"].as_str().unwrap() {
            "system" => assert_eq!(entry[0], "zonegate", "{hook}"),
            "docker_image" => {
                assert_eq!(entry[0], image, "{hook}");
                entry[0] = "zonegate";
            }
            other => panic!("{hook}: language {other} builds or needs more than zonegate"),
        }
        Args::try_parse_from(&entry).unwrap_or_else(|error| panic!("{entry:?}: {error}"));
        let files = hook["files"].as_str().unwrap();
        assert_eq!(files, "^(zones|assertions)/");
        ids.push(hook["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        ids,
        [
            "zonegate-check",
            "zonegate-test",
            "zonegate-check-docker",
            "zonegate-test-docker"
        ]
    );
    // The documented rev is this version's tag.
    assert!(
        text.contains(&format!("rev: v{}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}
