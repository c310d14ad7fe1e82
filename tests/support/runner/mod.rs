//! A GitHub Actions runner for the tests: runs a workflow's job on this machine as the hosted
//! runner would, so a workflow that works here works there.
//!
//! What is faithful: the workspace (`GITHUB_WORKSPACE`) and the runner's temporary directory
//! (`RUNNER_TEMP`) are different directories; `${{ }}` expressions and `if:` conditions are
//! evaluated with GitHub's semantics (`expression.rs`, `hashFiles` over the workspace only, the
//! implicit `success() &&`); `run:` steps are bash scripts with the runner's shell options;
//! `GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` are fresh files per
//! step, read back afterwards (a summary over 1 MiB is dropped with the runner's error);
//! `continue-on-error`, step outcomes and conclusions, `timeout-minutes`; composite actions
//! (this repository's own, run from their files) with inputs, defaults and outputs; workflow
//! commands (`::error`, `::warning`, `::group::`) in the log.
//!
//! Stood in for by what they do (`standins.rs`): `actions/checkout` (git fetches the pull
//! request's merge ref from the test's repository with the requested depth and checks it out
//! detached), `actions/cache` (restore by exact key, save after a successful job) and
//! `actions/upload-artifact` (files copied under the artifact's name) and
//! `github/codeql-action/upload-sarif` (the SARIF checked and sent to the code-scanning API, with
//! the token's declared permissions). Any other action is an error, never skipped.
#![allow(clippy::disallowed_methods)] // The runner writes scripts and runs processes.

pub(crate) mod expression;
mod standins;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use expression::{Scope, condition, interpolate, to_text};

/// GitHub drops a step summary over 1024k: "$GITHUB_STEP_SUMMARY upload aborted, supports
/// content up to a size of 1024k".
pub(crate) const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// No step of a test may run longer than this, whatever its `timeout-minutes` says.
const STEP_DEADLINE: Duration = Duration::from_secs(300);

/// The pull request a `pull_request` event is about.
#[derive(Clone, Debug)]
pub(crate) struct PullRequest {
    pub(crate) number: u64,
    pub(crate) base_ref: String,
    pub(crate) base_sha: String,
    pub(crate) head_ref: String,
    pub(crate) head_sha: String,
    /// GitHub's merge of the head onto the base tip, at `refs/pull/N/merge` in the repository.
    pub(crate) merge_sha: String,
}

/// A workflow command a step printed (`::error title=T::message`).
#[derive(Clone, Debug)]
pub(crate) struct Annotation {
    pub(crate) level: String,
    pub(crate) properties: String,
    pub(crate) message: String,
}

/// How a step ended.
#[derive(Clone, Debug)]
pub(crate) struct StepResult {
    pub(crate) name: String,
    /// `success`, `failure` or `skipped`, before `continue-on-error`.
    pub(crate) outcome: &'static str,
}

/// What a job did.
#[derive(Debug)]
pub(crate) struct Job {
    /// `success` or `failure`.
    pub(crate) conclusion: &'static str,
    /// Every step, composite actions' steps included (named `action / step`).
    pub(crate) steps: Vec<StepResult>,
    /// The log: each step's output after a `##[group]Run NAME` line.
    pub(crate) log: String,
    /// The job summary: every step's summary, in order.
    pub(crate) summary: String,
    pub(crate) annotations: Vec<Annotation>,
}

impl Job {
    /// The steps whose name contains `name`.
    pub(crate) fn step(&self, name: &str) -> &StepResult {
        self.steps
            .iter()
            .find(|step| step.name.contains(name))
            .unwrap_or_else(|| panic!("no step {name:?} in {:#?}", self.steps))
    }
}

/// One runner, one job run: its own workspace, temporary directory, tool cache and home.
pub(crate) struct Runner {
    _root: tempfile::TempDir,
    pub(crate) workspace: PathBuf,
    pub(crate) temp: PathBuf,
    pub(crate) artifacts: PathBuf,
    tool_cache: PathBuf,
    home: PathBuf,
    cache_store: PathBuf,
    remote: PathBuf,
    pull: PullRequest,
    github: Value,
    vars: Value,
    secrets: Value,
    actions: Vec<(String, PathBuf)>,
    hidden: Vec<String>,
    steps_run: usize,
    /// The job token's permissions: the job's `permissions:`, else the workflow's, else none
    /// beyond reading (a repository's restricted default).
    permissions: Value,
}

/// The state of a job while it runs.
#[derive(Default)]
struct JobState {
    env: BTreeMap<String, String>,
    path: Vec<String>,
    failed: bool,
    log: String,
    summary: String,
    annotations: Vec<Annotation>,
    steps: Vec<StepResult>,
    /// Cache saves to do after the job (path, key), as actions/cache's post step does.
    cache_saves: Vec<(PathBuf, String)>,
}

/// A list of steps being run: the job's, or a composite action's.
struct Frame {
    /// The `steps` context: id -> { outputs, outcome, conclusion }.
    steps: Map<String, Value>,
    inputs: Value,
    action_path: Option<PathBuf>,
    /// Environment the caller's `uses:` step passes down (composite actions).
    env: BTreeMap<String, String>,
    /// A step of this list failed (its `success()` is false from then on).
    failed: bool,
    /// Prefix of step names in the results (`action / `).
    prefix: String,
}

impl Runner {
    /// A runner for a `pull_request` event of `repository` (`owner/name`) whose git repository
    /// (the one actions/checkout fetches from) is `remote`. `api` is the REST API's URL.
    pub(crate) fn pull_request(
        remote: &Path,
        repository: &str,
        pull: &PullRequest,
        api: &str,
    ) -> Self {
        let root = tempfile::tempdir().unwrap();
        let name = repository.split('/').nth(1).unwrap();
        // The hosted layout: /home/runner/work/NAME/NAME beside /home/runner/work/_temp.
        let workspace = root.path().join("work").join(name).join(name);
        let temp = root.path().join("work/_temp");
        let tool_cache = root.path().join("hostedtoolcache");
        let home = root.path().join("home");
        let artifacts = root.path().join("artifacts");
        let cache_store = root.path().join("cache-service");
        for directory in [
            &workspace,
            &temp,
            &tool_cache,
            &home,
            &artifacts,
            &cache_store,
        ] {
            fs::create_dir_all(directory).unwrap();
        }
        let event = json!({
            "action": "synchronize",
            "number": pull.number,
            "pull_request": {
                "number": pull.number,
                "head": { "ref": pull.head_ref, "sha": pull.head_sha },
                "base": { "ref": pull.base_ref, "sha": pull.base_sha },
            },
            "repository": { "full_name": repository, "default_branch": pull.base_ref },
        });
        let github = json!({
            "event_name": "pull_request",
            "event": event,
            "repository": repository,
            "repository_owner": repository.split('/').next().unwrap(),
            "ref": format!("refs/pull/{}/merge", pull.number),
            "sha": pull.merge_sha,
            "base_ref": pull.base_ref,
            "head_ref": pull.head_ref,
            "server_url": "https://github.com",
            "api_url": api.trim_end_matches('/'),
            "run_id": "4242",
            "run_number": "7",
            "run_attempt": "1",
            "actor": "alice",
            "workspace": workspace.display().to_string(),
            "token": TOKEN,
            "job": "gate",
        });
        Self {
            _root: root,
            workspace,
            temp,
            artifacts,
            tool_cache,
            home,
            cache_store,
            remote: remote.to_path_buf(),
            pull: pull.clone(),
            github,
            vars: json!({}),
            secrets: json!({ "GITHUB_TOKEN": TOKEN }),
            actions: Vec::new(),
            hidden: Vec::new(),
            steps_run: 0,
            permissions: json!({ "contents": "read" }),
        }
    }

    /// Serves `uses: REPOSITORY[/PATH]@REF` from `directory` (any ref): the action's own files.
    pub(crate) fn action(&mut self, repository: &str, directory: &Path) -> &mut Self {
        self.actions
            .push((repository.to_owned(), directory.to_path_buf()));
        self
    }

    /// Sets a repository variable (`vars.NAME`).
    pub(crate) fn var(&mut self, name: &str, value: &str) -> &mut Self {
        self.vars[name] = Value::String(value.to_owned());
        self
    }

    /// A runner image without `command`: the directories holding it are left out of `PATH`.
    pub(crate) fn without(&mut self, command: &str) -> &mut Self {
        self.hidden.push(command.to_owned());
        self
    }

    /// Uses `directory` as the cache service, so a later run can restore what this one saved.
    pub(crate) fn cache_service(&mut self, directory: &Path) -> &mut Self {
        self.cache_store = directory.to_path_buf();
        self
    }

    /// Runs job `job` of the workflow file `workflow`.
    pub(crate) fn run(&mut self, workflow: &Path, job: &str) -> Job {
        let text = fs::read_to_string(workflow).unwrap();
        let workflow: Value = serde_saphyr::from_str(&text).unwrap();
        let job_value = workflow["jobs"][job].clone();
        assert!(job_value.is_object(), "no job {job}");
        if let Some(permissions) = [&job_value["permissions"], &workflow["permissions"]]
            .into_iter()
            .find(|permissions| !permissions.is_null())
        {
            self.permissions = permissions.clone();
        }
        let mut state = JobState::default();
        let mut frame = Frame {
            steps: Map::new(),
            inputs: Value::Null,
            action_path: None,
            env: BTreeMap::new(),
            failed: false,
            prefix: String::new(),
        };
        for source in [&workflow["env"], &job_value["env"]] {
            for (name, value) in source.as_object().into_iter().flatten() {
                let value = self.text(value, &frame, &state);
                frame.env.insert(name.clone(), value);
            }
        }
        let shell = job_value["defaults"]["run"]["shell"]
            .as_str()
            .map(str::to_owned);
        let steps = job_value["steps"].as_array().cloned().unwrap_or_default();
        self.run_steps(&steps, &mut frame, &mut state, shell.as_deref());
        state.failed |= frame.failed;
        // actions/cache's post step: save what was not restored, when the job succeeded.
        if !state.failed {
            for (path, key) in std::mem::take(&mut state.cache_saves) {
                standins::save_cache(&self.cache_store, &path, &key);
            }
        }
        Job {
            conclusion: if state.failed { "failure" } else { "success" },
            steps: state.steps,
            log: state.log,
            summary: state.summary,
            annotations: state.annotations,
        }
    }

    fn run_steps(
        &mut self,
        steps: &[Value],
        frame: &mut Frame,
        state: &mut JobState,
        shell: Option<&str>,
    ) {
        for (index, step) in steps.iter().enumerate() {
            let name = step_name(step, index);
            let id = step["id"]
                .as_str()
                .map_or_else(|| format!("__{index}"), str::to_owned);
            let condition_text = step["if"].as_str().unwrap_or("success()");
            let run = condition(
                condition_text,
                &self.scope(frame, &merged_env(frame, state)).as_scope(),
            )
            .unwrap_or_else(|error| panic!("{name}: if: {error}"));
            let (outcome, outputs) = if run {
                let _ = writeln!(state.log, "##[group]Run {}{name}", frame.prefix);
                // A failed step keeps the outputs it set, as the runner's do.
                let (outputs, result) = self.run_step(step, &name, frame, state, shell);
                match result {
                    Ok(()) => ("success", outputs),
                    Err(message) => {
                        let _ = writeln!(state.log, "##[error]{message}");
                        ("failure", outputs)
                    }
                }
            } else {
                ("skipped", Map::new())
            };
            let continue_on_error = step["continue-on-error"] == true
                || step["continue-on-error"].as_str() == Some("true");
            let conclusion = if outcome == "failure" && continue_on_error {
                "success"
            } else {
                outcome
            };
            if conclusion == "failure" {
                frame.failed = true;
            }
            state.steps.push(StepResult {
                name: format!("{}{name}", frame.prefix),
                outcome,
            });
            frame.steps.insert(
                id,
                json!({ "outputs": outputs, "outcome": outcome, "conclusion": conclusion }),
            );
        }
    }

    /// Runs one step: the outputs it set, and why it failed if it did.
    fn run_step(
        &mut self,
        step: &Value,
        name: &str,
        frame: &mut Frame,
        state: &mut JobState,
        shell: Option<&str>,
    ) -> StepRun {
        match self.run_step_inner(step, name, frame, state, shell) {
            Ok(done) => done,
            Err(message) => (Map::new(), Err(message)),
        }
    }

    fn run_step_inner(
        &mut self,
        step: &Value,
        name: &str,
        frame: &mut Frame,
        state: &mut JobState,
        shell: Option<&str>,
    ) -> Result<StepRun, String> {
        let mut env = merged_env(frame, state);
        for (key, value) in step["env"].as_object().into_iter().flatten() {
            let value = self.text(value, frame, state);
            env.insert(key.clone(), value);
        }
        if let Some(script) = step["run"].as_str() {
            let shell = step["shell"].as_str().or(shell);
            if frame.action_path.is_some() && step["shell"].is_null() {
                return Err(format!(
                    "{name}: a composite action's run step needs `shell`"
                ));
            }
            let script = interpolate(script, &self.scope(frame, &env).as_scope())
                .map_err(|error| format!("{name}: {error}"))?;
            let deadline = step["timeout-minutes"]
                .as_u64()
                .map_or(STEP_DEADLINE, |minutes| {
                    Duration::from_secs(minutes * 60).min(STEP_DEADLINE)
                });
            return Ok(self.run_script(&script, shell, &env, frame, state, deadline));
        }
        let uses = step["uses"]
            .as_str()
            .ok_or_else(|| format!("{name}: neither run nor uses"))?;
        let mut with = BTreeMap::new();
        for (key, value) in step["with"].as_object().into_iter().flatten() {
            with.insert(key.clone(), self.text(value, frame, state));
        }
        Ok(match uses {
            "actions/checkout@v4" => (Map::new(), standins::checkout(self, &with)),
            "actions/cache@v4" => match standins::restore_cache(&self.cache_store, &with, state) {
                Ok(outputs) => (outputs, Ok(())),
                Err(message) => (Map::new(), Err(message)),
            },
            "actions/upload-artifact@v4" => (
                Map::new(),
                standins::upload_artifact(&self.workspace, &self.artifacts, &with, state),
            ),
            "github/codeql-action/upload-sarif@v4" => {
                (Map::new(), standins::upload_sarif(self, &with))
            }
            _ => {
                let directory = self.resolve(uses).unwrap_or_else(|| {
                    panic!("no stand-in for `uses: {uses}`: the harness must not skip a step")
                });
                self.run_composite(&directory, name, &with, env, frame.failed, state)?
            }
        })
    }

    /// The directory of a composite action: `./PATH` in the workspace, or a served repository.
    fn resolve(&self, uses: &str) -> Option<PathBuf> {
        if let Some(relative) = uses.strip_prefix("./") {
            return Some(self.workspace.join(relative));
        }
        let (target, _reference) = uses.split_once('@')?;
        self.actions.iter().find_map(|(repository, directory)| {
            let rest = target.strip_prefix(repository.as_str())?;
            match rest.strip_prefix('/') {
                Some(path) => Some(directory.join(path)),
                None if rest.is_empty() => Some(directory.clone()),
                None => None,
            }
        })
    }

    fn run_composite(
        &mut self,
        directory: &Path,
        name: &str,
        with: &BTreeMap<String, String>,
        env: BTreeMap<String, String>,
        failed: bool,
        state: &mut JobState,
    ) -> Result<StepRun, String> {
        let text = fs::read_to_string(directory.join("action.yml"))
            .map_err(|error| format!("{}: {error}", directory.display()))?;
        let action: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(
            action["runs"]["using"],
            "composite",
            "{}",
            directory.display()
        );
        let mut frame = Frame {
            steps: Map::new(),
            inputs: json!({}),
            action_path: Some(directory.to_path_buf()),
            env,
            failed,
            prefix: format!("{name} / "),
        };
        let declared = action["inputs"].as_object().cloned().unwrap_or_default();
        for key in with.keys() {
            if !declared.contains_key(key) {
                state.annotations.push(Annotation {
                    level: "warning".to_owned(),
                    properties: String::new(),
                    message: format!(
                        "Unexpected input(s) '{key}', valid inputs are {:?}",
                        declared.keys().collect::<Vec<_>>()
                    ),
                });
            }
        }
        for (key, input) in &declared {
            let value = match with.get(key) {
                Some(value) if !value.is_empty() || input["default"].is_null() => value.clone(),
                // An input given as empty gets the default, as the runner does.
                _ => self.text(&input["default"], &frame, state),
            };
            frame.inputs[key] = Value::String(value);
        }
        let steps = action["runs"]["steps"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        self.run_steps(&steps, &mut frame, state, None);
        let mut outputs = Map::new();
        for (key, output) in action["outputs"].as_object().into_iter().flatten() {
            outputs.insert(
                key.clone(),
                Value::String(self.text(&output["value"], &frame, state)),
            );
        }
        let result = if frame.failed {
            Err(format!("{name}: a step of {} failed", directory.display()))
        } else {
            Ok(())
        };
        Ok((outputs, result))
    }

    fn run_script(
        &mut self,
        script: &str,
        shell: Option<&str>,
        env: &BTreeMap<String, String>,
        frame: &Frame,
        state: &mut JobState,
        deadline: Duration,
    ) -> StepRun {
        self.steps_run += 1;
        let files = self.temp.join("_runner_file_commands");
        fs::create_dir_all(&files).unwrap();
        let step = self.steps_run;
        let file = |kind: &str| {
            let path = files.join(format!("{kind}_{step}"));
            fs::write(&path, "").unwrap();
            path
        };
        let (output_file, env_file, path_file, summary_file) = (
            file("set_output"),
            file("set_env"),
            file("add_path"),
            file("step_summary"),
        );
        let script_file = self.temp.join(format!("step-{step}.sh"));
        fs::write(&script_file, script).unwrap();
        let log_file = self.temp.join(format!("step-{step}.log"));
        let arguments: Vec<String> = match shell {
            None => vec!["-e".into()],
            Some("bash") => vec![
                "--noprofile".into(),
                "--norc".into(),
                "-eo".into(),
                "pipefail".into(),
            ],
            Some(other) => panic!("the harness runs bash steps only, not `shell: {other}`"),
        };
        let mut command = Command::new("bash");
        command
            .args(&arguments)
            .arg(&script_file)
            .current_dir(&self.workspace)
            .env_clear()
            .envs(self.runner_env(frame, state))
            .envs(env)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_ENV", &env_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log_file).unwrap())
            .stderr(fs::File::options().append(true).open(&log_file).unwrap())
            .process_group(0);
        let mut child = command.spawn().unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > deadline {
                // SAFETY: kill(2) on the step's own process group.
                unsafe {
                    libc::kill(-i32::try_from(child.id()).unwrap(), libc::SIGKILL);
                }
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let log = fs::read_to_string(&log_file).unwrap_or_default();
        state.log.push_str(&log);
        state.annotations.extend(log.lines().filter_map(annotation));
        // The runner reads the file commands after every step, failed or not.
        for (name, value) in parse_file_commands(&fs::read_to_string(&env_file).unwrap()) {
            state.env.insert(name, value);
        }
        for line in fs::read_to_string(&path_file)
            .unwrap()
            .lines()
            .filter(|line| !line.is_empty())
        {
            state.path.insert(0, line.to_owned());
        }
        let summary = fs::read_to_string(&summary_file).unwrap();
        if summary.len() > STEP_SUMMARY_LIMIT {
            state.annotations.push(Annotation {
                level: "error".to_owned(),
                properties: String::new(),
                message: format!(
                    "$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got {}k.",
                    summary.len() / 1024
                ),
            });
        } else {
            state.summary.push_str(&summary);
        }
        let outputs: Map<String, Value> =
            parse_file_commands(&fs::read_to_string(&output_file).unwrap())
                .into_iter()
                .map(|(name, value)| (name, Value::String(value)))
                .collect();
        let result = match status {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(format!(
                "Process completed with exit code {}.",
                status.code().unwrap_or(-1)
            )),
            None => Err(format!(
                "The step has timed out after {} seconds.",
                deadline.as_secs()
            )),
        };
        (outputs, result)
    }

    /// The variables the runner sets for every step.
    fn runner_env(&self, frame: &Frame, state: &JobState) -> BTreeMap<String, String> {
        let mut path: Vec<String> = state.path.clone();
        path.extend(
            std::env::var("PATH")
                .unwrap()
                .split(':')
                .filter(|directory| {
                    !self
                        .hidden
                        .iter()
                        .any(|command| Path::new(directory).join(command).exists())
                })
                .map(str::to_owned),
        );
        let github = |key: &str| to_text(&self.github[key]);
        let mut env: BTreeMap<String, String> = [
            ("CI", "true".to_owned()),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("HOME", self.home.display().to_string()),
            ("PATH", path.join(":")),
            ("GITHUB_WORKSPACE", self.workspace.display().to_string()),
            ("GITHUB_EVENT_NAME", github("event_name")),
            ("GITHUB_EVENT_PATH", self.event_path().display().to_string()),
            ("GITHUB_REPOSITORY", github("repository")),
            ("GITHUB_REPOSITORY_OWNER", github("repository_owner")),
            ("GITHUB_REF", github("ref")),
            ("GITHUB_SHA", github("sha")),
            ("GITHUB_BASE_REF", github("base_ref")),
            ("GITHUB_HEAD_REF", github("head_ref")),
            ("GITHUB_SERVER_URL", github("server_url")),
            ("GITHUB_API_URL", github("api_url")),
            ("GITHUB_RUN_ID", github("run_id")),
            ("GITHUB_ACTOR", github("actor")),
            ("GITHUB_JOB", github("job")),
            ("RUNNER_OS", "Linux".to_owned()),
            ("RUNNER_ARCH", runner_arch().to_owned()),
            ("RUNNER_TEMP", self.temp.display().to_string()),
            ("RUNNER_TOOL_CACHE", self.tool_cache.display().to_string()),
            ("GIT_CONFIG_NOSYSTEM", "1".to_owned()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        if let Some(path) = &frame.action_path {
            env.insert("GITHUB_ACTION_PATH".to_owned(), path.display().to_string());
        }
        env
    }

    fn event_path(&self) -> PathBuf {
        let path = self.temp.join("_github_workflow/event.json");
        if !path.exists() {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, self.github["event"].to_string()).unwrap();
        }
        path
    }

    /// What an expression in `frame` sees, with `env` as its `env` context.
    fn scope(&self, frame: &Frame, env: &BTreeMap<String, String>) -> ScopeValue<'_> {
        ScopeValue {
            contexts: self.contexts(frame, env),
            workspace: &self.workspace,
            failed: frame.failed,
        }
    }

    fn contexts(&self, frame: &Frame, env: &BTreeMap<String, String>) -> Value {
        let mut github = self.github.clone();
        if let Some(path) = &frame.action_path {
            github["action_path"] = Value::String(path.display().to_string());
        }
        json!({
            "github": github,
            "env": env,
            "steps": frame.steps,
            "inputs": frame.inputs,
            "runner": {
                "os": "Linux",
                "arch": runner_arch(),
                "temp": self.temp.display().to_string(),
                "tool_cache": self.tool_cache.display().to_string(),
                "name": "GitHub Actions 1",
                "environment": "github-hosted",
            },
            "vars": self.vars,
            "secrets": self.secrets,
            "job": { "status": if frame.failed { "failure" } else { "success" } },
            "matrix": {},
            "strategy": {},
        })
    }

    /// A `with:`/`env:` value or a default, with its expressions evaluated.
    fn text(&self, value: &Value, frame: &Frame, state: &JobState) -> String {
        let raw = match value {
            Value::String(text) => text.clone(),
            Value::Null => return String::new(),
            other => to_text(other),
        };
        interpolate(
            &raw,
            &self.scope(frame, &merged_env(frame, state)).as_scope(),
        )
        .unwrap_or_else(|error| panic!("{raw}: {error}"))
    }
}

/// Contexts owned for the time of an evaluation.
struct ScopeValue<'a> {
    contexts: Value,
    workspace: &'a Path,
    failed: bool,
}

impl ScopeValue<'_> {
    fn as_scope(&self) -> Scope<'_> {
        Scope {
            contexts: &self.contexts,
            workspace: self.workspace,
            failed: self.failed,
        }
    }
}

/// What a step left: the outputs it set, and why it failed if it did.
type StepRun = (Map<String, Value>, Result<(), String>);

/// The token the runner hands the job (`github.token`).
pub(crate) const TOKEN: &str = "ghs_jobtoken0123456789";

fn runner_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "ARM64",
        _ => "X64",
    }
}

fn step_name(step: &Value, index: usize) -> String {
    if let Some(name) = step["name"].as_str() {
        return name.to_owned();
    }
    if let Some(uses) = step["uses"].as_str() {
        return format!("uses {uses}");
    }
    step["run"]
        .as_str()
        .and_then(|run| run.lines().next())
        .map_or_else(|| format!("step {index}"), str::to_owned)
}

/// `NAME=value` lines and `NAME<<DELIMITER` blocks, as GITHUB_ENV and GITHUB_OUTPUT hold them.
fn parse_file_commands(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for inner in lines.by_ref() {
                if inner == delimiter {
                    break;
                }
                value.push(inner);
            }
            found.push((name.to_owned(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            found.push((name.to_owned(), value.to_owned()));
        } else {
            panic!("a file command the runner refuses: {line:?}");
        }
    }
    found
}

/// `::error title=T,file=F::message` and its siblings.
fn annotation(line: &str) -> Option<Annotation> {
    let rest = line.strip_prefix("::")?;
    let (head, message) = rest.split_once("::")?;
    let (level, properties) = head.split_once(' ').unwrap_or((head, ""));
    matches!(level, "error" | "warning" | "notice").then(|| Annotation {
        level: level.to_owned(),
        properties: properties.to_owned(),
        message: message.to_owned(),
    })
}

/// The environment of a step before its own `env:`: the frame's, then what GITHUB_ENV set.
fn merged_env(frame: &Frame, state: &JobState) -> BTreeMap<String, String> {
    let mut env = frame.env.clone();
    env.extend(state.env.clone());
    env
}
