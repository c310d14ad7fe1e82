//! The actions the runner does not run from source, done as they do it: actions/checkout,
//! actions/cache and actions/upload-artifact (v4).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::{JobState, Runner};

/// actions/checkout@v4 on a `pull_request` event: `git init` in the workspace, fetch GitHub's
/// merge ref from the repository with `fetch-depth` (default 1; 0 for all history) into
/// `refs/remotes/pull/N/merge`, and check it out detached, as the action's log shows it doing.
pub(super) fn checkout(runner: &Runner, with: &BTreeMap<String, String>) -> Result<(), String> {
    let depth: u64 = with
        .get("fetch-depth")
        .filter(|depth| !depth.is_empty())
        .map_or(Ok(1), |depth| depth.parse())
        .map_err(|error| format!("fetch-depth: {error}"))?;
    let number = runner.pull.number;
    let reference = with
        .get("ref")
        .filter(|reference| !reference.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("refs/pull/{number}/merge"));
    let local = format!("refs/remotes/pull/{number}/merge");
    let git = |arguments: &[&str]| -> Result<(), String> {
        let output = Command::new("git")
            .args(arguments)
            .current_dir(&runner.workspace)
            .env("HOME", &runner.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .map_err(|error| error.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "git {arguments:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    };
    let url = format!("file://{}", runner.remote.display());
    git(&["init", "--quiet"])?;
    git(&["remote", "add", "origin", &url])?;
    let refspec = format!("+{reference}:{local}");
    let depth_option = format!("--depth={depth}");
    let mut fetch = vec![
        "-c",
        "protocol.version=2",
        "fetch",
        "--no-tags",
        "--prune",
        "--quiet",
    ];
    if depth > 0 {
        fetch.push(&depth_option);
    }
    fetch.extend(["origin", &refspec]);
    git(&fetch)?;
    git(&["checkout", "--quiet", "--force", &local])
}

/// actions/cache@v4, restore half: the directory saved under exactly `key` is copied back to
/// `path` (`cache-hit: true`); on a miss the save is left for after the job.
pub(super) fn restore_cache(
    store: &Path,
    with: &BTreeMap<String, String>,
    state: &mut JobState,
) -> Result<Map<String, Value>, String> {
    let path = PathBuf::from(with.get("path").ok_or("actions/cache needs a path")?.trim());
    let key = with.get("key").ok_or("actions/cache needs a key")?.clone();
    if key.is_empty() || path.as_os_str().is_empty() {
        return Err("Input required and not supplied: key or path".to_owned());
    }
    let saved = store.join(cache_name(&key));
    let mut outputs = Map::new();
    if saved.is_dir() {
        copy_tree(&saved, &path);
        outputs.insert("cache-hit".to_owned(), Value::String("true".to_owned()));
    } else {
        outputs.insert("cache-hit".to_owned(), Value::String("false".to_owned()));
        state.cache_saves.push((path, key));
    }
    Ok(outputs)
}

/// actions/cache@v4, post half: saves `path` under `key` when it exists (and the key is free,
/// as a cache entry is never overwritten).
pub(super) fn save_cache(store: &Path, path: &Path, key: &str) {
    let saved = store.join(cache_name(key));
    if path.is_dir() && !saved.exists() {
        copy_tree(path, &saved);
    }
}

fn cache_name(key: &str) -> String {
    key.replace('/', "%2F")
}

/// actions/upload-artifact@v4: the files under `path` (relative to the workspace; one directory
/// uploads its contents) are copied to ARTIFACTS/NAME, hidden files left out as v4 does. A name
/// already uploaded in the run is a conflict, and no files is a warning (`if-no-files-found`).
pub(super) fn upload_artifact(
    workspace: &Path,
    artifacts: &Path,
    with: &BTreeMap<String, String>,
    state: &mut JobState,
) -> Result<(), String> {
    let name = with.get("name").map_or("artifact", String::as_str);
    let target = artifacts.join(name);
    if target.exists() {
        return Err(format!(
            "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run ({name})"
        ));
    }
    let path = with
        .get("path")
        .ok_or("upload-artifact needs a path")?
        .trim();
    let source = if path.starts_with('/') {
        PathBuf::from(path)
    } else {
        workspace.join(path)
    };
    let mut files = Vec::new();
    collect_visible(&source, &source, &mut files);
    if files.is_empty() {
        let message = format!(
            "No files were found with the provided path: {path}. No artifacts will be uploaded."
        );
        return match with.get("if-no-files-found").map_or("warn", String::as_str) {
            "error" => Err(message),
            "ignore" => Ok(()),
            _ => {
                state.annotations.push(super::Annotation {
                    level: "warning".to_owned(),
                    properties: String::new(),
                    message,
                });
                Ok(())
            }
        };
    }
    for (relative, file) in files {
        let destination = target.join(relative);
        fs::create_dir_all(destination.parent().unwrap()).unwrap();
        fs::copy(file, destination).unwrap();
    }
    Ok(())
}

/// Files below `root` (or `root` itself), skipping hidden files and directories.
fn collect_visible(root: &Path, path: &Path, found: &mut Vec<(PathBuf, PathBuf)>) {
    let Ok(metadata) = fs::metadata(path) else {
        return;
    };
    if metadata.is_file() {
        let relative = path
            .strip_prefix(root)
            .ok()
            .filter(|relative| !relative.as_os_str().is_empty())
            .map_or_else(
                || PathBuf::from(path.file_name().unwrap()),
                Path::to_path_buf,
            );
        found.push((relative, path.to_path_buf()));
        return;
    }
    for entry in fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        collect_visible(root, &entry.path(), found);
    }
}

fn copy_tree(source: &Path, target: &Path) {
    fs::create_dir_all(target).unwrap();
    for entry in fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let destination = target.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &destination);
        } else {
            fs::copy(entry.path(), &destination).unwrap();
        }
    }
}
