//! Shared helpers for the integration tests: fixture repositories in temporary directories and
//! runs of the real binary.
#![allow(dead_code, clippy::missing_panics_doc)] // Each test binary uses a different subset.

pub(crate) mod code_scanning;
pub(crate) mod deploy;
pub(crate) mod forge;
pub(crate) mod github;
pub(crate) mod hostile;
pub(crate) mod issue_comments;
pub(crate) mod reliability;
pub(crate) mod runner;
pub(crate) mod servers;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A fixed clock (2026-11-25T00:00:00Z) so date serials are reproducible.
pub(crate) const SOURCE_DATE_EPOCH: &str = "1795564800";

/// The directory of fixtures.
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Copies `source` recursively into `target`.
pub(crate) fn copy_tree(source: &Path, target: &Path) {
    fs::create_dir_all(target).unwrap();
    for entry in fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let destination = target.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &destination);
        } else {
            fs::copy(entry.path(), &destination).unwrap();
        }
    }
}

/// A temporary copy of this project's example repository (`zones/`, `assertions/`).
pub(crate) fn example_repository() -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&root.join("zones"), &temp.path().join("zones"));
    if root.join("assertions").exists() {
        copy_tree(&root.join("assertions"), &temp.path().join("assertions"));
    }
    temp
}

/// The base fixture repository with `assertions/checks.yaml` holding `yaml`.
pub(crate) fn repository_with_assertions(yaml: &str) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base/zones"), &temp.path().join("zones"));
    fs::create_dir_all(temp.path().join("assertions")).unwrap();
    fs::write(temp.path().join("assertions/checks.yaml"), yaml).unwrap();
    temp
}

/// What a run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    /// Exit code.
    pub(crate) code: i32,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error.
    pub(crate) stderr: String,
}

impl Run {
    /// `exit: N`, then stdout and stderr, for snapshots.
    pub(crate) fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The command `zonegate --repo <repo> <args>` with a fixed clock and no colour.
pub(crate) fn command(repo: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zonegate"));
    command
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .env("NO_COLOR", "1");
    command
}

/// Runs `zonegate --repo <repo> <args>` with a fixed clock.
pub(crate) fn zonegate(repo: &Path, args: &[&str]) -> Run {
    let output = command(repo, args)
        .output()
        .expect("the zonegate binary runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `export` (a CMDB CSV with a `status` column) with every host's status `decommissioned`: the
/// change whose Markdown diff of the example was too long for a GitHub comment (issue 16).
pub(crate) fn decommission_every_host(export: &str) -> String {
    let mut lines = export.lines();
    let header = lines.next().expect("a header row");
    let status = header
        .split(',')
        .position(|name| name == "status")
        .expect("a status column");
    let mut decommissioned = format!("{header}\n");
    for line in lines {
        let mut fields: Vec<&str> = line.split(',').collect();
        fields[status] = "decommissioned";
        decommissioned.push_str(&fields.join(","));
        decommissioned.push('\n');
    }
    decommissioned
}

/// The command a shortened Markdown report's last note names as printing the whole difference.
pub(crate) fn note_command(report: &str) -> &str {
    let note = report
        .lines()
        .find(|line| line.starts_with("*Shortened to fit "))
        .unwrap_or_else(|| panic!("no note in:\n{report}"));
    note.split_once(": `")
        .and_then(|(_, rest)| rest.split_once("` prints the whole difference"))
        .map_or_else(|| panic!("no command in {note:?}"), |(command, _)| command)
}

/// Runs `command` as one `sh -c` command line in `directory`, with the binary under test first
/// on `PATH` as `zonegate`.
pub(crate) fn shell(command: &str, directory: &Path) -> Run {
    let binary = Path::new(env!("CARGO_BIN_EXE_zonegate")).parent().unwrap();
    let path = format!("{}:{}", binary.display(), std::env::var("PATH").unwrap());
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(directory)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every file below `root`, relative, sorted.
pub(crate) fn list_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(directory) = stack.pop() {
        let Ok(entries) = fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}

/// Commits everything in the work tree of `repository` on its current branch (the first commit
/// when it has none), as Alice at a fixed time.
pub(crate) fn commit_all(repository: &git2::Repository, message: &str) {
    let mut index = repository.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repository.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::new(
        "Alice",
        "alice@example.net",
        &git2::Time::new(1_700_000_000, 0),
    )
    .unwrap();
    let parent = repository
        .head()
        .ok()
        .and_then(|head| head.target())
        .map(|oid| repository.find_commit(oid).unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repository
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )
        .unwrap();
}

/// `input` through the shell pipeline `pipeline` (`gzip -c | base64 -w0`): its output, or `None`
/// when a command of it fails.
pub(crate) fn pipe_through(pipeline: &str, input: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut child = Command::new("sh")
        .args(["-c", pipeline])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    // A pipeline that exits early closes its input: its status says what went wrong.
    let _ = child.stdin.take()?.write_all(input);
    let output = child.wait_with_output().ok()?;
    output.status.success().then_some(output.stdout)
}
