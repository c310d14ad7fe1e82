//! README.md's "Your first hour" walkthrough, run verbatim: the ```` ```sh first-hour ```` blocks
//! in order, as one bash script in an empty directory with the zonegate under test first on the
//! PATH (the install step before them is the one line not run); then every line of the
//! ```` ```text first-hour-output ```` blocks must appear in what the script printed (on stdout
//! or stderr, as a terminal shows both).
#![allow(clippy::disallowed_methods)] // Tests read the README.

use std::fs;
use std::path::Path;
use std::process::Command;

/// The bodies of the fenced blocks of `markdown` whose info string is exactly `info`, in order.
fn blocks<'a>(markdown: &'a str, info: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = markdown;
    let opening = format!("```{info}\n");
    while let Some(start) = rest.find(&opening) {
        let body = &rest[start + opening.len()..];
        let end = body.find("\n```").expect("the block is closed");
        found.push(&body[..=end]);
        rest = &body[end..];
    }
    found
}

#[test]
fn the_readme_walkthrough_runs_verbatim() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let steps = blocks(&readme, "sh first-hour");
    let expected = blocks(&readme, "text first-hour-output");
    assert!(steps.len() >= 3, "the walkthrough is missing: {steps:?}");
    assert!(!expected.is_empty(), "the expected output is missing");
    let script = steps.concat();
    for command in ["zonegate init", "zonegate diff", "zonegate test"] {
        assert!(script.contains(command), "the walkthrough lost `{command}`");
    }

    let home = tempfile::tempdir().unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_zonegate"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(home.path())
        .env_clear()
        .env("PATH", path)
        // A newcomer's machine: a home directory and a git identity, nothing else.
        .env("HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "New Comer")
        .env("GIT_AUTHOR_EMAIL", "newcomer@example.com")
        .env("GIT_COMMITTER_NAME", "New Comer")
        .env("GIT_COMMITTER_EMAIL", "newcomer@example.com")
        .env("SOURCE_DATE_EPOCH", "1795564800")
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the walkthrough failed ({}):\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    for line in expected
        .concat()
        .lines()
        .filter(|line| !line.trim().is_empty())
    {
        // What the terminal shows: summaries are on stderr, data on stdout.
        assert!(
            stdout
                .lines()
                .chain(stderr.lines())
                .any(|printed| printed == line),
            "README promises `{line}`, but the walkthrough printed:\n{stdout}\n--- stderr\n{stderr}"
        );
    }
    assert!(home.path().join("dns/zones/services/search.yaml").is_file());
}
