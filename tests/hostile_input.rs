//! Hostile and careless input that is not a matter of syntax, one test per case (the syntax
//! cases are fixtures in tests/fixtures/bad/): special files where zonegate reads (a FIFO must
//! not hang a run), entries of the input directories that are not plain files (never skipped
//! in silence, in a checkout or a git revision alike), and a memory budget that is not one.
//! Every run here has a deadline, so a regression fails instead of hanging CI.
#![allow(clippy::disallowed_methods)] // Tests build repositories and run the binary.

mod support;

use std::fs;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Run, commit_all, copy_tree, fixtures};

/// The longest a run may take: the base fixture checks in well under a second.
const DEADLINE: Duration = Duration::from_secs(30);

/// Runs `zonegate --repo REPO ARGS` with `environment`, killing it (by its PID) and failing the
/// test when it has not exited within [`DEADLINE`].
fn zonegate_within_deadline(repo: &Path, args: &[&str], environment: &[(&str, &str)]) -> Run {
    let directory = tempfile::tempdir().unwrap();
    let (stdout, stderr) = (
        directory.path().join("stdout"),
        directory.path().join("stderr"),
    );
    let mut command = support::command(repo, args);
    command
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).unwrap())
        .stderr(fs::File::create(&stderr).unwrap());
    for (name, value) in environment {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "`zonegate {}` did not finish within {DEADLINE:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: fs::read_to_string(stdout).unwrap(),
        stderr: fs::read_to_string(stderr).unwrap(),
    }
}

/// A copy of the base fixture in a temporary directory.
fn base_repository() -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), temp.path());
    temp
}

fn fifo(path: &Path) {
    let _ = fs::remove_file(path);
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo (coreutils)");
    assert!(status.success());
}

/// Replaces `path` in a copy of the base fixture with a FIFO and checks that `check` says so
/// and exits 2 at once.
fn refuses_a_fifo_at(path: &str) {
    let temp = base_repository();
    let file = temp.path().join(path);
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fifo(&file);
    let run = zonegate_within_deadline(temp.path(), &["check"], &[]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot read {}: it is a FIFO (named pipe), not a regular file; zonegate reads regular files only\n",
            file.display()
        )
    );
}

// Security review: a FIFO at any of these made every command wait for a writer, forever.
#[test]
fn a_fifo_as_the_settings_is_refused_without_waiting() {
    refuses_a_fifo_at("zones/zonegate.yaml");
}

#[test]
fn a_fifo_as_the_cmdb_export_is_refused_without_waiting() {
    refuses_a_fifo_at("zones/cmdb/servers.csv");
}

#[test]
fn a_fifo_as_the_template_is_refused_without_waiting() {
    refuses_a_fifo_at("zones/templates/zone.j2");
}

// Security review: a FIFO in zones/records/ was skipped, and its records vanished with exit 0.
#[test]
fn a_fifo_named_like_a_records_file_is_reported_not_read() {
    let temp = base_repository();
    fifo(&temp.path().join("zones/records/pipe.yaml"));
    let run = zonegate_within_deadline(temp.path(), &["check"], &[]);
    insta::assert_snapshot!(run.transcript(), @r"
        exit: 2
        --- stdout
        --- stderr
        zones/records/pipe.yaml: error[unreadable-file]: `pipe.yaml` is a FIFO (named pipe), not a regular file, so zonegate cannot read it
          hint: zonegate reads regular files with UTF-8 names, and follows symbolic links to them inside the repository; make it one, or rename it so it does not end in .yaml
        error: 1 input error(s); nothing was written
    ");
}

/// Adds `shared/extra.yaml` (a record `linked A 10.1.0.200`) and `zones/records/extra.yaml`, a
/// symbolic link to it, to the repository at `root`.
fn link_a_records_file(root: &Path) {
    fs::create_dir_all(root.join("shared")).unwrap();
    fs::write(
        root.join("shared/extra.yaml"),
        "records:\n  - { name: linked, type: A, address: 10.1.0.200 }\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../../shared/extra.yaml",
        root.join("zones/records/extra.yaml"),
    )
    .unwrap();
}

// Security review: a symbolic link to a records file inside the repository was skipped, so its
// records were not published.
#[test]
fn a_records_file_linked_inside_the_repository_is_read() {
    let temp = base_repository();
    link_a_records_file(temp.path());
    let run = zonegate_within_deadline(temp.path(), &["render"], &[]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let zone = fs::read_to_string(temp.path().join("out/example.com.zone")).unwrap();
    assert!(
        zone.lines()
            .any(|line| line.starts_with("linked") && line.ends_with("A\t10.1.0.200")),
        "{zone}"
    );
}

#[test]
fn a_records_file_linked_out_of_the_repository_is_refused() {
    let temp = base_repository();
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.yaml"),
        "records:\n  - { name: TOP-SECRET, type: A, address: 10.1.0.201 }\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        temp.path().join("zones/records/secret.yaml"),
    )
    .unwrap();
    let run = zonegate_within_deadline(temp.path(), &["check"], &[]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(!run.stdout.contains("TOP-SECRET") && !run.stderr.contains("TOP-SECRET"));
    let transcript = run
        .transcript()
        .replace(&outside.path().display().to_string(), "<outside>");
    insta::assert_snapshot!(transcript, @r"
        exit: 2
        --- stdout
        --- stderr
        zones/records/secret.yaml: error[unreadable-file]: `secret.yaml` is a symbolic link to `<outside>/secret.yaml`, outside the repository, so zonegate cannot read it
          hint: zonegate reads regular files with UTF-8 names, and follows symbolic links to them inside the repository; make it one, or rename it so it does not end in .yaml
        error: 1 input error(s); nothing was written
    ");
}

#[test]
fn a_records_file_whose_name_is_not_utf8_is_refused() {
    let temp = base_repository();
    fs::write(
        temp.path()
            .join("zones/records")
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9.yaml")),
        "records:\n  - { name: lost, type: A, address: 10.1.0.202 }\n",
    )
    .unwrap();
    let run = zonegate_within_deadline(temp.path(), &["check"], &[]);
    insta::assert_snapshot!(run.transcript(), @r"
        exit: 2
        --- stdout
        --- stderr
        zones/records/caf�.yaml: error[unreadable-file]: `caf�.yaml` has a name that is not valid UTF-8, so zonegate cannot read it
          hint: zonegate reads regular files with UTF-8 names, and follows symbolic links to them inside the repository; make it one, or rename it so it does not end in .yaml
        error: 1 input error(s); nothing was written
    ");
}

#[test]
fn a_service_linked_to_nothing_is_refused() {
    let temp = base_repository();
    std::os::unix::fs::symlink("gone.yaml", temp.path().join("zones/services/search.yaml"))
        .unwrap();
    let run = zonegate_within_deadline(temp.path(), &["check"], &[]);
    insta::assert_snapshot!(run.transcript(), @r"
        exit: 2
        --- stdout
        --- stderr
        zones/services/search.yaml: error[unreadable-file]: `search.yaml` is a symbolic link to `gone.yaml`, which does not exist, so zonegate cannot read it
          hint: zonegate reads regular files with UTF-8 names, and follows symbolic links to them inside the repository; make it one, or rename it so it does not end in .yaml
        error: 1 input error(s); nothing was written
    ");
}

#[test]
fn an_assertion_file_that_is_a_directory_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("assertions"), temp.path());
    fs::create_dir_all(temp.path().join("assertions/more.yaml")).unwrap();
    let run = zonegate_within_deadline(temp.path(), &["test"], &[]);
    insta::assert_snapshot!(run.transcript(), @r"
        exit: 2
        --- stdout
        --- stderr
        assertions/more.yaml: error[unreadable-file]: `more.yaml` is a directory, not a file, so zonegate cannot read it
          hint: zonegate reads regular files with UTF-8 names, and follows symbolic links to them inside the repository; make it one, or rename it so it does not end in .yaml
        error: 1 input error(s); nothing was written
    ");
}

// Security review: `diff` and the bot read revisions from git objects, where a symbolic link
// was skipped too: a change adding records through a link showed "0 added".
#[test]
fn a_records_file_linked_inside_a_revision_is_read_from_git_objects() {
    let temp = base_repository();
    let repository = git2::Repository::init(temp.path()).unwrap();
    commit_all(&repository, "base");
    link_a_records_file(temp.path());
    commit_all(&repository, "a records file through a link");
    let run = zonegate_within_deadline(
        temp.path(),
        &["diff", "--base", "HEAD~1", "--head", "HEAD"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("+ linked.example.com.") && run.stdout.contains("1 added"),
        "{}",
        run.transcript()
    );
}

// Security review: an invalid ZONEGATE_MEMORY_LIMIT was silently ignored, leaving the default
// budget in place of the one asked for.
#[test]
fn an_invalid_memory_budget_stops_the_run_before_it_starts() {
    let temp = base_repository();
    for value in ["abc", "-1", "1.5", "512MiB", ""] {
        let run =
            zonegate_within_deadline(temp.path(), &["check"], &[("ZONEGATE_MEMORY_LIMIT", value)]);
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr),
            (
                2,
                "",
                format!(
                    "error: ZONEGATE_MEMORY_LIMIT=`{value}` is not a budget; expected a whole number of MiB such as 4096 (the default), or 0 for no limit\n"
                )
            )
        );
    }
    for value in ["0", "512"] {
        let run =
            zonegate_within_deadline(temp.path(), &["check"], &[("ZONEGATE_MEMORY_LIMIT", value)]);
        assert_eq!(run.code, 0, "{value}: {}", run.transcript());
    }
}
