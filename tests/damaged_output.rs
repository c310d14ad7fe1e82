//! Damaged output carried over (issue 12 item 7; RELIABILITY.md, "Security review"): a zone file
//! in `out/` that is no longer what `manifest.json` records (other bytes of the same size, a
//! link in its place, gone) is rendered again by the next `render`, which says so, instead of
//! being carried over because its size still matched.
#![allow(clippy::disallowed_methods)] // Tests build repositories and damage their output.

mod support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use support::{copy_tree, fixtures, zonegate};

const ZONE: &str = "example.com.zone";

/// The base fixture, rendered once; returns the repository and the zone file's bytes.
fn rendered() -> (tempfile::TempDir, Vec<u8>) {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), repo.path());
    let run = zonegate(repo.path(), &["render"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let bytes = fs::read(repo.path().join("out").join(ZONE)).unwrap();
    (repo, bytes)
}

/// Renders again and asserts the damaged zone was repaired: said on stderr, reported as
/// `repaired`, and its file holds the original bytes as a regular file.
fn assert_repaired(repo: &Path, original: &[u8], damage: &str) {
    let manifest_before = fs::read(repo.join("out/manifest.json")).unwrap();
    let run = zonegate(repo, &["render"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(
        run.stderr.replace(&repo.display().to_string(), "<repo>"),
        format!("repaired <repo>/out/{ZONE}: {damage}; rendered it again\n")
    );
    assert!(
        run.stdout
            .lines()
            .any(|line| line.starts_with("example.com.")
                && line.ends_with("serial          1  repaired")),
        "{}",
        run.stdout
    );
    let file = repo.join("out").join(ZONE);
    assert!(fs::symlink_metadata(&file).unwrap().is_file());
    assert_eq!(
        fs::read(&file).unwrap(),
        original,
        "the repair is the same zone"
    );
    assert_eq!(
        fs::read(repo.join("out/manifest.json")).unwrap(),
        manifest_before,
        "the zone is unchanged: same serial, same manifest"
    );
    let again = zonegate(repo, &["render"]);
    assert!(
        again.stdout.ends_with("up to date, nothing written\n") && again.stderr.is_empty(),
        "{}",
        again.transcript()
    );
}

#[test]
fn a_zone_file_damaged_without_changing_its_size_is_rendered_again() {
    let (repo, original) = rendered();
    let file = repo.path().join("out").join(ZONE);
    let modified = fs::metadata(&file).unwrap().modified().unwrap();
    // One octet of an address changed, the size and the modification time kept.
    let mut damaged = original.clone();
    let at = damaged
        .windows(4)
        .position(|window| window == b"10.1")
        .expect("an address in the zone");
    damaged[at + 3] = b'9';
    fs::write(&file, &damaged).unwrap();
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert_repaired(
        repo.path(),
        &original,
        "its content differs from the sha256 manifest.json records",
    );
}

#[test]
fn a_zone_file_replaced_by_a_link_of_the_same_size_is_rendered_again() {
    let (repo, original) = rendered();
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = outside.path().join("elsewhere.zone");
    fs::write(&elsewhere, &original).unwrap();
    let file = repo.path().join("out").join(ZONE);
    fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    assert_repaired(
        repo.path(),
        &original,
        &format!("it is a symbolic link (to {})", elsewhere.display()),
    );
    assert_eq!(fs::read(&elsewhere).unwrap(), original);
}

#[test]
fn a_missing_zone_file_is_rendered_again() {
    let (repo, original) = rendered();
    fs::remove_file(repo.path().join("out").join(ZONE)).unwrap();
    assert_repaired(repo.path(), &original, "missing");
}

#[test]
fn an_intact_set_is_left_alone_inode_and_mtime_included() {
    let (repo, _) = rendered();
    let file = repo.path().join("out").join(ZONE);
    let before = fs::metadata(&file).unwrap();
    let run = zonegate(repo.path(), &["render"]);
    assert!(
        run.stdout.ends_with("up to date, nothing written\n"),
        "{}",
        run.transcript()
    );
    let after = fs::metadata(&file).unwrap();
    assert_eq!(before.ino(), after.ino());
    assert_eq!(before.modified().unwrap(), after.modified().unwrap());
}
