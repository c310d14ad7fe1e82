//! The actions the runner does not run from source, done as they do it: actions/checkout,
//! actions/cache and actions/upload-artifact (v4), github/codeql-action/upload-sarif (v4).

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

/// github/codeql-action/upload-sarif@v4: `sarif_file` (a file, or the `.sarif` files of a
/// directory; relative to the workspace) must be SARIF 2.1.0; each run gets
/// `automationDetails.id` `CATEGORY/` when `category` is given; `file://` URIs under
/// `checkout_path` (default: the workspace) are made relative to it; and the log is uploaded as
/// the REST API documents: gzipped then base64, for the event's `GITHUB_SHA` and `GITHUB_REF`
/// (on a pull request, its merge commit and `refs/pull/N/merge`), with the `token` input
/// (default: the job's). The job's token holds the permissions the workflow declares and no
/// others: without `security-events: write` GitHub refuses the upload, and so does this.
pub(super) fn upload_sarif(runner: &Runner, with: &BTreeMap<String, String>) -> Result<(), String> {
    let workspace = &runner.workspace;
    let given = with
        .get("sarif_file")
        .filter(|file| !file.is_empty())
        .map_or("../results", String::as_str);
    let source = if given.starts_with('/') {
        PathBuf::from(given)
    } else {
        workspace.join(given)
    };
    let mut files = Vec::new();
    if source.is_dir() {
        for entry in fs::read_dir(&source).map_err(|error| error.to_string())? {
            let path = entry.map_err(|error| error.to_string())?.path();
            if path
                .extension()
                .is_some_and(|extension| extension == "sarif")
            {
                files.push(path);
            }
        }
        files.sort();
    } else {
        files.push(source.clone());
    }
    let checkout = with
        .get("checkout_path")
        .filter(|path| !path.is_empty())
        .map_or_else(|| workspace.display().to_string(), Clone::clone);
    let mut runs = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file)
            .map_err(|error| format!("Path does not exist: {} ({error})", file.display()))?;
        let log: Value = serde_json::from_str(&text)
            .map_err(|error| format!("Invalid SARIF. JSON syntax error: {error}"))?;
        if log["version"] != "2.1.0" || !log["runs"].is_array() {
            return Err(format!(
                "Invalid SARIF. Unable to process {}: version 2.1.0 with runs expected",
                file.display()
            ));
        }
        runs.extend(log["runs"].as_array().cloned().unwrap_or_default());
    }
    if runs.is_empty() {
        return Err(format!("No SARIF files found to upload in \"{given}\"."));
    }
    let prefix = format!("file://{}/", checkout.trim_end_matches('/'));
    for run in &mut runs {
        if let Some(category) = with.get("category").filter(|category| !category.is_empty()) {
            run["automationDetails"] = serde_json::json!({ "id": format!("{category}/") });
        }
        relativize(run, &prefix);
    }
    let permissions = &runner.permissions;
    if permissions["security-events"] != "write" && permissions != "write-all" {
        return Err(
            "Resource not accessible by integration - https://docs.github.com/rest (the job's token has no `security-events: write`)"
                .to_owned(),
        );
    }
    let log = serde_json::json!({ "version": "2.1.0", "runs": runs });
    // As GitHub's documentation of the upload says to encode it.
    let encoded = super::super::pipe_through("gzip -c | base64 -w0", log.to_string().as_bytes())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or("gzip | base64 failed")?;
    let github = |key: &str| runner.github[key].as_str().unwrap_or_default().to_owned();
    let token = with
        .get("token")
        .filter(|token| !token.is_empty())
        .cloned()
        .unwrap_or_else(|| github("token"));
    let url = format!(
        "{}/repos/{}/code-scanning/sarifs",
        github("api_url"),
        github("repository")
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .into();
    let mut response = agent
        .post(&url)
        .header("authorization", &format!("token {token}"))
        .header("accept", "application/vnd.github+json")
        .send_json(serde_json::json!({
            "commit_sha": github("sha"),
            "ref": github("ref"),
            "sarif": encoded,
            "checkout_uri": format!("file://{checkout}"),
            "tool_name": "zonegate",
        }))
        .map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|error| error.to_string())?;
    if status == 202 {
        Ok(())
    } else {
        let message: Value = serde_json::from_str(&body).unwrap_or_default();
        Err(format!(
            "Upload of the SARIF failed: HTTP {status}: {}",
            message["message"].as_str().unwrap_or(&body)
        ))
    }
}

/// Every `artifactLocation.uri` below `value` that starts with `prefix`, without it.
fn relativize(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(uri)) = object.get_mut("uri")
                && let Some(relative) = uri.strip_prefix(prefix)
            {
                *uri = relative.to_owned();
            }
            for child in object.values_mut() {
                relativize(child, prefix);
            }
        }
        Value::Array(items) => {
            for item in items {
                relativize(item, prefix);
            }
        }
        _ => {}
    }
}
