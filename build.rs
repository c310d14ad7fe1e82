//! Build script: records which commit zonegate is built from, for `zonegate --version`.
//!
//! The commit comes from, in this order: `ZONEGATE_BUILD_COMMIT` (a build without the git
//! history, such as a container build from a source archive, says it), `.cargo_vcs_info.json`
//! (written by `cargo package`, so a build from crates.io names the commit it was published
//! from), or `git` run in a checkout of this repository. Without any of them the version says
//! `commit unknown`. Nothing here fails the build.
#![allow(clippy::disallowed_methods)] // A build script runs git and reads files of the package.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=ZONEGATE_BUILD_COMMIT");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = from_environment()
        .or_else(|| from_package(&manifest))
        .or_else(|| from_git(&manifest))
        .unwrap_or_else(|| "commit unknown".to_owned());
    println!("cargo::rustc-env=ZONEGATE_BUILD_COMMIT={commit}");
}

fn from_environment() -> Option<String> {
    let commit = std::env::var("ZONEGATE_BUILD_COMMIT").ok()?;
    let commit = commit.trim();
    (!commit.is_empty()).then(|| format!("commit {}", short(commit)))
}

/// `{"git": {"sha1": "..."}, "path_in_vcs": ""}`, as `cargo package` writes it.
fn from_package(manifest: &Path) -> Option<String> {
    let path = manifest.join(".cargo_vcs_info.json");
    let text = std::fs::read_to_string(&path).ok()?;
    println!("cargo::rerun-if-changed={}", path.display());
    let sha1 = text.split("\"sha1\"").nth(1)?.split('"').nth(1)?;
    sha1.bytes()
        .all(|byte| byte.is_ascii_hexdigit())
        .then(|| format!("commit {}", short(sha1)))
}

/// The commit checked out, with its date, when the package is this repository's checkout (not
/// a copy of the sources inside some other repository).
fn from_git(manifest: &Path) -> Option<String> {
    let top = git(manifest, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(top).canonicalize().ok()?;
    if manifest.canonicalize().ok()? != top {
        return None;
    }
    watch_head(manifest);
    let line = git(manifest, &["log", "-1", "--format=%H %cs"])?;
    let (hash, date) = line.split_once(' ')?;
    Some(format!("commit {} {date}", short(hash)))
}

/// Reruns this script when the checked-out commit changes: `HEAD` moves (a checkout, a detached
/// commit), the branch it names moves (a commit: a loose ref file, or `packed-refs`).
fn watch_head(manifest: &Path) {
    let mut paths = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(reference) = git(manifest, &["symbolic-ref", "-q", "HEAD"]) {
        paths.push(reference);
    }
    for path in paths {
        let Some(file) = git(manifest, &["rev-parse", "--git-path", &path]) else {
            continue;
        };
        let file = manifest.join(file);
        // A path that does not exist would rerun the script on every build. A branch whose ref
        // is only in packed-refs gets a loose file on its next commit: watch its directory.
        let watched = if file.exists() {
            Some(file)
        } else {
            file.parent()
                .filter(|parent| parent.exists())
                .map(Path::to_path_buf)
        };
        if let Some(watched) = watched {
            println!("cargo::rerun-if-changed={}", watched.display());
        }
    }
}

fn git(directory: &Path, arguments: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(directory)
        .args(arguments)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The first twelve characters of a commit hash: unique in any repository of this size, and what
/// `git log --abbrev=12` prints.
fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
