//! The bad-input corpus: every directory in `tests/fixtures/bad/` is overlaid on the small valid
//! repository in `tests/fixtures/base/` and rendered. The exact output (exit code, stdout,
//! stderr) is a snapshot, and nothing may be written: a rejected run leaves no output behind.
//!
//! A case may hold `_args` (the command line, default `render`) and `_delete` (paths, one per
//! line, to remove from the base first).
#![allow(clippy::disallowed_methods)] // Tests build and read fixtures directly.

mod support;

use std::fs;

use support::{copy_tree, fixtures, list_files, zonegate};

#[test]
fn every_bad_input_is_reported_with_its_location_and_writes_nothing() {
    let mut cases: Vec<_> = fs::read_dir(fixtures().join("bad"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let temp = tempfile::tempdir().unwrap();
        let repo = temp.path().join("repo");
        copy_tree(&fixtures().join("base"), &repo);
        if let Ok(deletions) = fs::read_to_string(case.join("_delete")) {
            for path in deletions.lines().filter(|line| !line.trim().is_empty()) {
                fs::remove_file(repo.join(path.trim())).unwrap();
            }
        }
        copy_tree(&case, &repo);
        let args = fs::read_to_string(case.join("_args")).unwrap_or_else(|_| "render".to_owned());
        let _ = fs::remove_file(repo.join("_args"));
        let _ = fs::remove_file(repo.join("_delete"));
        let before = list_files(&repo);

        let run = zonegate(&repo, &args.split_whitespace().collect::<Vec<_>>());
        let transcript = run
            .transcript()
            .replace(&repo.display().to_string(), "<repo>");
        insta::assert_snapshot!(format!("bad_input__{name}"), transcript);

        assert_ne!(run.code, 101, "{name}: panicked");
        if run.code != 0 {
            assert_eq!(
                list_files(&repo),
                before,
                "{name}: a rejected run wrote files"
            );
            assert!(
                !repo.join("out").exists(),
                "{name}: out/ exists after a rejected run"
            );
        }
    }
}

#[test]
fn the_base_repository_is_clean() {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), temp.path());
    let run = zonegate(temp.path(), &["check"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, ""),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.starts_with("no findings in ") && run.stderr.lines().count() == 1,
        "{}",
        run.transcript()
    );
}
