//! Writing outside the repository (issue 12 item 3; RELIABILITY.md, "Security review"): a
//! symbolic link a pull request commits, as a parent of a path zonegate writes or at an entry
//! zonegate creates itself (the lock, staging and retired siblings of `out/`, a deploy target's
//! directories and files, the JUnit report), is refused with an error naming the path and the
//! link (exit 2), and nothing is created where the link points.
#![allow(clippy::disallowed_methods)] // Tests build repositories and read what was written.

mod support;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use support::{Run, copy_tree, fixtures, zonegate};

/// A repository (the base fixture, or the example repository for deploys) and a directory
/// outside it that the planted links point into.
struct Planted {
    repo: tempfile::TempDir,
    outside: tempfile::TempDir,
}

impl Planted {
    fn base() -> Self {
        let repo = tempfile::tempdir().unwrap();
        copy_tree(&fixtures().join("base"), repo.path());
        Self::around(repo)
    }

    fn around(repo: tempfile::TempDir) -> Self {
        Self {
            repo,
            outside: tempfile::tempdir().unwrap(),
        }
    }

    fn repo(&self) -> &Path {
        self.repo.path()
    }

    /// Commits (plants) `<repo>/<at>` as a link to `<outside>/<to>`.
    fn link_out(&self, at: &str, to: &str) {
        let at = self.repo().join(at);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(self.outside.path().join(to), at).unwrap();
    }

    fn append_setting(&self, text: &str) {
        let path = self.repo().join("zones/zonegate.yaml");
        let mut settings = fs::read_to_string(&path).unwrap();
        settings.push_str(text);
        fs::write(path, settings).unwrap();
    }

    /// Everything below the outside directory, relative to it, sorted.
    fn outside_entries(&self) -> Vec<String> {
        let mut found = Vec::new();
        list(self.outside.path(), self.outside.path(), &mut found);
        found.sort();
        found
    }

    fn run(&self, args: &[&str]) -> Run {
        zonegate(self.repo(), args)
    }

    /// `text` with the temporary directories' paths replaced, for exact assertions.
    fn redact(&self, text: &str) -> String {
        text.replace(&self.repo().display().to_string(), "<repo>")
            .replace(&self.outside.path().display().to_string(), "<outside>")
    }
}

fn list(root: &Path, directory: &Path, found: &mut Vec<String>) {
    for entry in fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        found.push(path.strip_prefix(root).unwrap().display().to_string());
        if fs::symlink_metadata(&path).unwrap().is_dir() {
            list(root, &path, found);
        }
    }
}

/// Asserts a refusal (exit 2) whose error, the last line on stderr, is `expected` (paths
/// redacted).
fn assert_refused(planted: &Planted, run: &Run, expected: &str) {
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(
        planted.redact(&run.stderr).lines().last(),
        Some(expected),
        "{}",
        run.transcript()
    );
}

// ---------------------------------------------------------------------------------------------
// The output directory

#[test]
fn a_committed_link_as_a_parent_of_output_is_refused() {
    let planted = Planted::base();
    planted.link_out("escape", "");
    planted.append_setting("output: escape/out\n");
    let run = planted.run(&["render"]);
    assert_refused(
        &planted,
        &run,
        "error: <repo>/escape/out leads outside the repository through the symbolic link <repo>/escape (to <outside>/); zonegate writes only inside the repository there",
    );
    assert_eq!(planted.outside_entries(), Vec::<String>::new());
}

#[test]
fn an_explicit_output_inside_the_repository_is_held_to_the_same_rule() {
    let planted = Planted::base();
    planted.link_out("escape", "");
    let output = planted.repo().join("escape/deeper/out");
    let run = planted.run(&["render", "--output", output.to_str().unwrap()]);
    assert_refused(
        &planted,
        &run,
        "error: <repo>/escape/deeper/out leads outside the repository through the symbolic link <repo>/escape (to <outside>/); zonegate writes only inside the repository there",
    );
    assert_eq!(planted.outside_entries(), Vec::<String>::new());
}

#[test]
fn an_explicit_output_outside_the_repository_is_written_where_the_operator_said() {
    let planted = Planted::base();
    let output = planted.outside.path().join("zones/out");
    let run = planted.run(&["render", "--output", output.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(output.join("manifest.json").is_file());
}

#[test]
fn a_link_as_a_parent_of_output_that_stays_inside_the_repository_is_followed() {
    let planted = Planted::base();
    fs::create_dir(planted.repo().join("generated")).unwrap();
    symlink("generated", planted.repo().join("build")).unwrap();
    planted.append_setting("output: build/out\n");
    let run = planted.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(planted.repo().join("generated/out/manifest.json").is_file());
}

#[test]
fn a_planted_lock_link_creates_no_file_where_it_points() {
    let planted = Planted::base();
    planted.link_out(".out.zonegate-lock", "created-by-the-lock");
    let run = planted.run(&["render"]);
    assert_refused(
        &planted,
        &run,
        "error: refusing to use <repo>/.out.zonegate-lock: it is a symbolic link (to <outside>/created-by-the-lock), and zonegate never follows a link there; remove it",
    );
    assert_eq!(planted.outside_entries(), Vec::<String>::new());
    assert!(!planted.repo().join("out").exists());
}

#[test]
fn a_planted_retired_link_does_not_become_the_output() {
    let planted = Planted::base();
    fs::create_dir(planted.outside.path().join("elsewhere")).unwrap();
    fs::write(planted.outside.path().join("elsewhere/named.conf"), "keep").unwrap();
    planted.link_out(".out.zonegate-old", "elsewhere");
    let run = planted.run(&["render"]);
    assert_refused(
        &planted,
        &run,
        "error: refusing to use <repo>/.out.zonegate-old: it is a symbolic link (to <outside>/elsewhere), and zonegate never follows a link there; remove it",
    );
    assert!(
        fs::symlink_metadata(planted.repo().join("out")).is_err(),
        "the link did not become out/"
    );
    assert_eq!(
        planted.outside_entries(),
        ["elsewhere", "elsewhere/named.conf"]
    );
}

#[test]
fn a_planted_staging_link_is_refused() {
    let planted = Planted::base();
    fs::create_dir(planted.outside.path().join("elsewhere")).unwrap();
    fs::write(planted.outside.path().join("elsewhere/named.conf"), "keep").unwrap();
    planted.link_out(".out.zonegate-new", "elsewhere");
    let run = planted.run(&["render"]);
    assert_refused(
        &planted,
        &run,
        "error: refusing to use <repo>/.out.zonegate-new: it is a symbolic link (to <outside>/elsewhere), and zonegate never follows a link there; remove it",
    );
    assert_eq!(
        planted.outside_entries(),
        ["elsewhere", "elsewhere/named.conf"]
    );
}

#[test]
fn an_output_directory_that_is_a_link_is_refused() {
    let planted = Planted::base();
    fs::create_dir(planted.outside.path().join("elsewhere")).unwrap();
    planted.link_out("out", "elsewhere");
    let run = planted.run(&["render"]);
    assert_refused(
        &planted,
        &run,
        "error: refusing to use <repo>/out: it is a symbolic link (to <outside>/elsewhere), and zonegate never follows a link there; remove it",
    );
    assert_eq!(planted.outside_entries(), ["elsewhere"]);
    assert!(
        fs::symlink_metadata(planted.repo().join("out"))
            .unwrap()
            .is_symlink()
    );
}

// ---------------------------------------------------------------------------------------------
// A deploy target inside the repository

/// The example repository with a `dir` target deploying into `<repo>/installed`.
fn deploy_repository() -> Planted {
    let planted = Planted::around(support::deploy::repository());
    planted.append_setting(
        "deploy:\n  targets:\n    - name: files\n      kind: dir\n      zone_directory: installed\n",
    );
    planted
}

#[test]
fn a_zone_directory_linked_out_of_the_repository_is_refused() {
    let planted = deploy_repository();
    planted.link_out("installed", "");
    let run = planted.run(&["deploy"]);
    assert_refused(
        &planted,
        &run,
        "error: <repo>/installed leads outside the repository through the symbolic link <repo>/installed (to <outside>/); zonegate writes only inside the repository there",
    );
    assert_eq!(planted.outside_entries(), Vec::<String>::new());
}

#[test]
fn a_planted_deploy_lock_link_creates_no_file_where_it_points() {
    let planted = deploy_repository();
    fs::create_dir(planted.repo().join("installed")).unwrap();
    planted.link_out(".installed.zonegate-deploy/lock", "created-by-the-lock");
    let run = planted.run(&["deploy"]);
    assert_refused(
        &planted,
        &run,
        "error: refusing to use <repo>/.installed.zonegate-deploy/lock: it is a symbolic link (to <outside>/created-by-the-lock), and zonegate never follows a link there; remove it",
    );
    assert_eq!(planted.outside_entries(), Vec::<String>::new());
}

#[test]
fn a_planted_link_at_a_deployed_zone_file_is_not_read() {
    let planted = deploy_repository();
    fs::write(planted.outside.path().join("secret"), "TOP-SECRET\n").unwrap();
    planted.link_out("installed/example.net.zone", "secret");
    let run = planted.run(&["deploy"]);
    assert_refused(
        &planted,
        &run,
        "error: refusing to use <repo>/installed/example.net.zone: it is a symbolic link (to <outside>/secret), and zonegate never follows a link there; remove it",
    );
    let previous = planted
        .repo()
        .join(".installed.zonegate-deploy/previous/example.net.zone");
    assert!(!previous.exists(), "the secret was copied into previous/");
    assert_eq!(
        fs::read_to_string(planted.outside.path().join("secret")).unwrap(),
        "TOP-SECRET\n"
    );
}

// ---------------------------------------------------------------------------------------------
// The JUnit report

#[test]
fn a_junit_report_under_a_link_out_of_the_repository_is_refused() {
    let planted = Planted::around({
        let repo = tempfile::tempdir().unwrap();
        copy_tree(&fixtures().join("assertions"), repo.path());
        repo
    });
    planted.link_out("reports", "");
    let report = planted.repo().join("reports/junit.xml");
    let run = planted.run(&["test", "--junit", report.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        planted.redact(&run.stderr).ends_with(
            "error: cannot write the JUnit report <repo>/reports/junit.xml: <repo>/reports/junit.xml leads outside the repository through the symbolic link <repo>/reports (to <outside>/); zonegate writes only inside the repository there\n"
        ),
        "{}",
        run.transcript()
    );
    assert_eq!(planted.outside_entries(), Vec::<String>::new());
}
