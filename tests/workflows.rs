//! The GitHub Actions workflows are valid YAML of the shape GitHub expects, and every
//! `zonegate` command line in them is one the binary accepts.
#![allow(clippy::disallowed_methods)] // Tests read the workflow files.

use std::fs;
use std::path::Path;

use clap::Parser;
use serde_json::Value;
use zonegate::cli::Args;

fn workflows() -> Vec<(String, Value)> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows");
    let mut found = Vec::new();
    for entry in fs::read_dir(&directory).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "yml") {
            let text = fs::read_to_string(&path).unwrap();
            let value: Value = serde_saphyr::from_str(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            found.push((
                path.file_name().unwrap().to_string_lossy().into_owned(),
                value,
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Each `zonegate ...` command in a `run:` script, as arguments: shell variables and
/// redirections dropped, `${{ }}` expressions never used in them.
fn zonegate_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for line in script.lines() {
        for part in line.split("&&") {
            let words: Vec<&str> = part.split_whitespace().collect();
            if words.first() != Some(&"zonegate") {
                continue;
            }
            let arguments = words
                .iter()
                .take_while(|word| !matches!(**word, ">" | ">>" | "|" | "2>&1"))
                .filter(|word| !word.starts_with('$') && !word.starts_with('"'))
                .map(|word| (*word).to_owned())
                .collect();
            commands.push(arguments);
        }
    }
    commands
}

#[test]
fn the_workflows_we_own_exist_and_are_shaped_as_github_expects() {
    let names: Vec<String> = workflows().into_iter().map(|(name, _)| name).collect();
    for wanted in ["bot.yml", "zones-gate.yml"] {
        assert!(names.iter().any(|name| name == wanted), "{names:?}");
    }
    for (name, workflow) in workflows() {
        assert!(workflow["name"].is_string(), "{name}: name");
        assert!(workflow["on"].is_object(), "{name}: on");
        let jobs = workflow["jobs"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: jobs"));
        for (job_name, job) in jobs {
            // A label, or a list of labels (self-hosted runners: `[self-hosted, dns-primary]`).
            let runs_on = &job["runs-on"];
            assert!(
                runs_on.is_string()
                    || runs_on
                        .as_array()
                        .is_some_and(|labels| labels.iter().all(Value::is_string)),
                "{name}/{job_name}: runs-on"
            );
            for step in job["steps"].as_array().unwrap() {
                assert!(
                    step["uses"].is_string() != step["run"].is_string(),
                    "{name}/{job_name}: a step either uses an action or runs a script: {step}"
                );
            }
        }
    }
}

#[test]
fn every_zonegate_command_in_a_workflow_parses() {
    let mut seen = Vec::new();
    for (name, workflow) in workflows() {
        for job in workflow["jobs"].as_object().unwrap().values() {
            for step in job["steps"].as_array().unwrap() {
                let Some(script) = step["run"].as_str() else {
                    continue;
                };
                for arguments in zonegate_commands(script) {
                    if let Err(error) = Args::try_parse_from(&arguments) {
                        panic!("{name}: `{}` does not parse:\n{error}", arguments.join(" "));
                    }
                    seen.push(arguments.get(1).cloned().unwrap_or_default());
                }
            }
        }
    }
    seen.sort();
    seen.dedup();
    // check, test and diff run in the action the gate uses (tests/ecosystem.rs parses them).
    assert_eq!(seen, ["bot", "deploy", "regen"]);
}

#[test]
fn this_repository_s_workflows_build_zonegate_from_their_own_checkout() {
    for (name, workflow) in workflows() {
        for job in workflow["jobs"].as_object().unwrap().values() {
            let steps = job["steps"].as_array().unwrap();
            let local: Vec<&Value> = steps
                .iter()
                .filter(|step| {
                    step["uses"]
                        .as_str()
                        .is_some_and(|uses| uses.starts_with("./"))
                })
                .collect();
            // CI and the release build zonegate with cargo themselves.
            if name == "ci.yml" || name == "release.yml" {
                assert!(local.is_empty(), "{name}");
                continue;
            }
            assert_eq!(local.len(), 1, "{name}: one local action");
            assert_eq!(local[0]["with"]["from-source"], "true", "{name}");
            let expected = if name == "zones-gate.yml" {
                "./"
            } else {
                "./install"
            };
            assert_eq!(local[0]["uses"], expected, "{name}");
        }
    }
}

#[test]
fn the_deploy_runs_on_every_push_to_main_one_at_a_time_next_to_the_server() {
    let workflows = workflows();
    let (_, deploy) = workflows
        .iter()
        .find(|(name, _)| name == "deploy.yml")
        .unwrap();
    assert_eq!(deploy["on"]["push"]["branches"][0], "main");
    assert_eq!(deploy["concurrency"]["cancel-in-progress"], false);
    let job = &deploy["jobs"]["deploy"];
    assert_eq!(job["runs-on"][0], "self-hosted");
    let runs: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect();
    assert!(runs.contains(&"zonegate deploy --dry-run"), "{runs:?}");
    assert!(runs.contains(&"zonegate deploy"), "{runs:?}");
}

#[test]
fn the_bot_runs_on_a_schedule_and_on_reviews_one_pass_at_a_time() {
    let workflows = workflows();
    let (_, bot) = workflows
        .iter()
        .find(|(name, _)| name == "bot.yml")
        .unwrap();
    assert!(bot["on"]["schedule"][0]["cron"].is_string());
    assert_eq!(
        bot["on"]["pull_request_review"]["types"],
        serde_json::json!(["submitted", "dismissed"])
    );
    assert_eq!(bot["concurrency"]["cancel-in-progress"], false);
    assert_eq!(bot["permissions"]["contents"], "write");
    assert_eq!(bot["permissions"]["statuses"], "write");
}

// Issue 16 item 4: a release workflow on tags: static binaries for both architectures with
// SHA256SUMS, and the container image from the Dockerfile.
#[test]
fn a_tag_releases_static_binaries_with_checksums_and_an_image() {
    let workflows = workflows();
    let (_, release) = workflows
        .iter()
        .find(|(name, _)| name == "release.yml")
        .unwrap();
    assert_eq!(release["on"]["push"]["tags"], serde_json::json!(["v*"]));
    assert_eq!(release["permissions"]["contents"], "read");
    let targets: Vec<&str> = release["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
    let steps =
        |job: &str| -> Vec<Value> { release["jobs"][job]["steps"].as_array().unwrap().clone() };
    let build = steps("binaries")
        .into_iter()
        .find(|step| step["name"] == "build the static binary")
        .unwrap();
    assert_eq!(build["env"]["RUSTFLAGS"], "-C target-feature=+crt-static");
    assert!(
        build["run"]
            .as_str()
            .unwrap()
            .contains("--target \"$TARGET\"")
    );
    let scripts: String = steps("release")
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect();
    assert!(
        scripts.contains("sha256sum zonegate-*.tar.gz | tee SHA256SUMS"),
        "{scripts}"
    );
    assert!(scripts.contains("dist/SHA256SUMS"), "{scripts}");
    assert_eq!(
        release["jobs"]["release"]["permissions"]["contents"],
        "write"
    );
    let image = steps("image")
        .into_iter()
        .find(|step| step["uses"] == "docker/build-push-action@v6")
        .unwrap();
    assert_eq!(image["with"]["file"], "Dockerfile");
    assert_eq!(image["with"]["platforms"], "linux/amd64,linux/arm64");
    // The archive names are the ones the install action downloads.
    let archive = steps("binaries")
        .into_iter()
        .find(|step| step["name"] == "archive")
        .unwrap();
    assert!(
        archive["run"]
            .as_str()
            .unwrap()
            .contains("name=\"zonegate-$VERSION-$TARGET\"")
    );
    let install =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("install/install.sh"))
            .unwrap();
    assert!(
        install.contains("archive=\"zonegate-$VERSION-$TARGET.tar.gz\""),
        "{install}"
    );
    let dockerfile =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("FROM scratch\n"));
    assert!(dockerfile.contains("COPY zonegate-linux-${TARGETARCH} "));
}
