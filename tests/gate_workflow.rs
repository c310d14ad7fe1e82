//! The pull-request gate `zonegate init` writes, run as the GitHub runner runs it
//! (`support::runner`): actions/checkout's merge commit, this repository's action and install
//! scripts, the release downloaded from a stand-in and checked against its SHA256SUMS, and the
//! diff posted to a stand-in of GitHub's issue comments API.
//!
//! Issue 16 item 1: the gate never posted its comment. Its condition,
//! `hashFiles(format('{0}/diff.md', runner.temp)) != ''`, looked for a file outside the
//! workspace, which the runner's hashFiles never sees.
#![allow(clippy::disallowed_methods)] // Tests build repositories and release archives.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Oid, Repository};
use serde_json::json;
use sha2::{Digest, Sha256};
use support::code_scanning::CodeScanning;
use support::issue_comments::{BODY_LIMIT, IssueComments};
use support::runner::expression::{Scope, condition, evaluate, hash_files};
use support::runner::{Job, PullRequest, Runner, TOKEN};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REPOSITORY: &str = "example/zones";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const MARKER: &str = "<!-- zonegate-diff -->";

/// The zones repository on "GitHub": a git repository with `main`, the pull request's branch and
/// GitHub's refs for it (`refs/pull/N/head`, `refs/pull/N/merge`).
struct Remote {
    _directory: tempfile::TempDir,
    path: PathBuf,
    repository: Repository,
}

impl Remote {
    fn new() -> Self {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("zones.git");
        let repository = Repository::init_bare(&path).unwrap();
        Self {
            _directory: directory,
            path,
            repository,
        }
    }

    /// A commit holding exactly `files`, with `parents`, at `reference`.
    fn commit(&self, files: &BTreeMap<String, String>, parents: &[Oid], reference: &str) -> Oid {
        let repository = &self.repository;
        let empty = repository.treebuilder(None).unwrap().write().unwrap();
        let empty = repository.find_tree(empty).unwrap();
        let mut builder = git2::build::TreeUpdateBuilder::new();
        for (path, content) in files {
            let blob = repository.blob(content.as_bytes()).unwrap();
            builder.upsert(path.as_str(), blob, git2::FileMode::Blob);
        }
        let tree = repository
            .find_tree(builder.create_updated(repository, &empty).unwrap())
            .unwrap();
        let signature = git2::Signature::new(
            "Alice",
            "alice@example.com",
            &git2::Time::new(1_700_000_000, 0),
        )
        .unwrap();
        let parents: Vec<git2::Commit<'_>> = parents
            .iter()
            .map(|parent| repository.find_commit(*parent).unwrap())
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let commit = repository
            .commit(None, &signature, &signature, reference, &tree, &parents)
            .unwrap();
        repository
            .reference(reference, commit, true, "test")
            .unwrap();
        commit
    }

    /// `main` holding `base`, and pull request 1 from `change` changing it to `head`: its
    /// commit on top of main and GitHub's merge commit of it onto main.
    fn open_pull(
        &self,
        base: &BTreeMap<String, String>,
        head: &BTreeMap<String, String>,
    ) -> PullRequest {
        let main = self.commit(base, &[], "refs/heads/main");
        self.push(main, &[main], head)
    }

    /// A push to the pull request's branch: a commit on top of `parent` holding `head`, and the
    /// merge commit GitHub makes of it onto `main`.
    fn push(&self, main: Oid, parent: &[Oid], head: &BTreeMap<String, String>) -> PullRequest {
        let head_commit = self.commit(head, parent, "refs/heads/change");
        self.repository
            .reference("refs/pull/1/head", head_commit, true, "test")
            .unwrap();
        // The branch starts at main's tip, so the merge's tree is the head's.
        let merge = self.commit(head, &[main, head_commit], "refs/pull/1/merge");
        PullRequest {
            number: 1,
            base_ref: "main".to_owned(),
            base_sha: main.to_string(),
            head_ref: "change".to_owned(),
            head_sha: head_commit.to_string(),
            merge_sha: merge.to_string(),
        }
    }
}

/// Every file below `root`, by relative path.
fn files_of(root: &Path) -> BTreeMap<String, String> {
    support::list_files(root)
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(root.join(&path)).unwrap();
            (path, text)
        })
        .collect()
}

/// What `zonegate init` writes, workflows included.
fn scaffold() -> BTreeMap<String, String> {
    let directory = tempfile::tempdir().unwrap();
    let run = support::zonegate(
        Path::new("."),
        &["init", &directory.path().display().to_string()],
    );
    assert_eq!(run.code, 0, "{}", run.transcript());
    files_of(directory.path())
}

/// The release target of the runner this test runs on.
fn target() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    }
}

/// The release archive the release workflow publishes, holding the binary under test.
fn release_archive() -> Vec<u8> {
    let directory = tempfile::tempdir().unwrap();
    let name = format!("zonegate-{VERSION}-{}", target());
    fs::create_dir(directory.path().join(&name)).unwrap();
    fs::copy(
        env!("CARGO_BIN_EXE_zonegate"),
        directory.path().join(&name).join("zonegate"),
    )
    .unwrap();
    let archive = directory.path().join(format!("{name}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(directory.path())
        .arg(&name)
        .status()
        .unwrap();
    assert!(status.success());
    fs::read(archive).unwrap()
}

/// The stand-ins: GitHub's API (issue comments, code scanning's SARIF uploads) and its release
/// downloads, which answer an archive with a redirect to the object store as github.com does.
struct GitHub {
    _runtime: tokio::runtime::Runtime,
    api: MockServer,
    comments: IssueComments,
    code_scanning: CodeScanning,
    releases: MockServer,
}

impl GitHub {
    fn new(checksum: Option<String>) -> Self {
        Self::serving(checksum, true)
    }

    /// The stand-ins, with or without the release (without: every download is a 404).
    fn serving(checksum: Option<String>, with_release: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (api, comments, code_scanning, releases) = runtime.block_on(async {
            let api = MockServer::start().await;
            let comments = IssueComments::mount(&api, REPOSITORY, TOKEN).await;
            let code_scanning = CodeScanning::mount(&api, REPOSITORY, TOKEN).await;
            let releases = MockServer::start().await;
            if !with_release {
                return (api, comments, code_scanning, releases);
            }
            let archive = release_archive();
            let name = format!("zonegate-{VERSION}-{}.tar.gz", target());
            let sum = checksum.unwrap_or_else(|| format!("{:x}", Sha256::digest(&archive)));
            let sums = format!("{sum}  {name}\n0000000000000000000000000000000000000000000000000000000000000000  zonegate-{VERSION}-riscv64gc-unknown-linux-gnu.tar.gz\n");
            Mock::given(method("GET"))
                .and(path(format!("/v{VERSION}/SHA256SUMS")))
                .respond_with(ResponseTemplate::new(200).set_body_string(sums))
                .mount(&releases)
                .await;
            Mock::given(method("GET"))
                .and(path(format!("/v{VERSION}/{name}")))
                .respond_with(
                    ResponseTemplate::new(302)
                        .insert_header("location", format!("{}/objects/{name}", releases.uri())),
                )
                .mount(&releases)
                .await;
            Mock::given(method("GET"))
                .and(path(format!("/objects/{name}")))
                .respond_with(ResponseTemplate::new(200).set_body_bytes(archive))
                .mount(&releases)
                .await;
            (api, comments, code_scanning, releases)
        });
        Self {
            _runtime: runtime,
            api,
            comments,
            code_scanning,
            releases,
        }
    }

    /// Runs the gate workflow of `workflow_files` on `pull`, with `cache` as the cache service.
    fn run_gate(
        &self,
        remote: &Remote,
        pull: &PullRequest,
        workflow_files: &BTreeMap<String, String>,
        cache: &Path,
    ) -> (Runner, Job) {
        self.run_gate_with(remote, pull, workflow_files, cache, |_| {})
    }

    /// The same, with `adjust` applied to the runner first.
    fn run_gate_with(
        &self,
        remote: &Remote,
        pull: &PullRequest,
        workflow_files: &BTreeMap<String, String>,
        cache: &Path,
        adjust: impl FnOnce(&mut Runner),
    ) -> (Runner, Job) {
        let mut runner = Runner::pull_request(&remote.path, REPOSITORY, pull, &self.api.uri());
        adjust(&mut runner);
        runner
            .action("zonegate/zonegate", Path::new(env!("CARGO_MANIFEST_DIR")))
            .var("ZONEGATE_DOWNLOAD_URL", &self.releases.uri())
            .cache_service(cache);
        let workflow = runner.temp.join("zones-gate.yml");
        fs::write(
            &workflow,
            &workflow_files[".github/workflows/zones-gate.yml"],
        )
        .unwrap();
        let job = runner.run(&workflow, "gate");
        (runner, job)
    }
}

/// `files` with one more CMDB host line.
fn with_host(files: &BTreeMap<String, String>, line: &str) -> BTreeMap<String, String> {
    let mut changed = files.clone();
    let cmdb = changed.get_mut("zones/cmdb/servers.csv").unwrap();
    cmdb.push_str(line);
    cmdb.push('\n');
    changed
}

const WEB6: &str = "web6,ams,ams-r1,10.1.0.6,2001:db8:1::6,web,in_use,team-web";

/// A scaffolded repository on the stand-in's "GitHub" with pull request 1 adding web6, its head
/// files, and an empty cache service.
struct Scenario {
    remote: Remote,
    pull: PullRequest,
    head: BTreeMap<String, String>,
    cache: tempfile::TempDir,
}

impl Scenario {
    fn new() -> Self {
        let remote = Remote::new();
        let base = scaffold();
        let head = with_host(&base, WEB6);
        let pull = remote.open_pull(&base, &head);
        Self {
            remote,
            pull,
            head,
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, github: &GitHub) -> (Runner, Job) {
        github.run_gate(&self.remote, &self.pull, &self.head, self.cache.path())
    }
}

#[test]
fn the_gate_posts_the_diff_as_one_comment_and_edits_it_on_the_next_push() {
    let github = GitHub::new(None);
    let scenario = Scenario::new();

    let (runner, job) = scenario.run(&github);
    assert_eq!(job.conclusion, "success", "{}", job.log);
    assert_eq!(job.step("post the diff").outcome, "success", "{}", job.log);
    let comments = github.comments.comments();
    assert_eq!(comments.len(), 1, "{:?}", github.comments.requests());
    let body = &comments[0].body;
    assert!(
        body.starts_with(&format!("{MARKER}\n### DNS diff: `HEAD^1` → `HEAD`\n")),
        "{body}"
    );
    assert!(
        body.contains("+ web6.ams.example.com. 3600 IN A 10.1.0.6"),
        "{body}"
    );
    assert!(
        body.contains("](https://github.com/example/zones/actions/runs/4242)"),
        "{body}"
    );
    // The whole report: the job summary, the artifact, and the log.
    assert!(
        job.summary.contains("### DNS diff: `HEAD^1` → `HEAD`"),
        "{}",
        job.summary
    );
    assert!(
        job.summary
            .contains("+ web6.ams.example.com. 3600 IN A 10.1.0.6")
    );
    let artifact = runner.artifacts.join("zonegate-report");
    for report in ["diff.txt", "diff.md", "comment.md"] {
        assert!(artifact.join(report).is_file(), "{report}");
    }
    assert!(
        job.log
            .contains("+ web6.ams.example.com. 3600 IN A 10.1.0.6"),
        "{}",
        job.log
    );
    // The release was downloaded and checked, not built.
    assert!(job.log.contains("as SHA256SUMS says"), "{}", job.log);
    assert!(!job.log.contains("building zonegate"), "{}", job.log);

    // Another push: the same comment is edited, and zonegate comes from the cache.
    let pushed = with_host(
        &scenario.head,
        "web7,nyc,nyc-r1,10.2.0.7,,web,in_use,team-web",
    );
    let main: Oid = scenario.pull.base_sha.parse().unwrap();
    let head: Oid = scenario.pull.head_sha.parse().unwrap();
    let second = scenario.remote.push(main, &[head], &pushed);
    let (_, job) = github.run_gate(&scenario.remote, &second, &pushed, scenario.cache.path());
    assert_eq!(job.conclusion, "success", "{}", job.log);
    assert!(job.log.contains("restored from the cache"), "{}", job.log);
    let comments = github.comments.comments();
    assert_eq!(comments.len(), 1, "edited, not posted again");
    assert_eq!(comments[0].edits, 1);
    assert!(
        comments[0]
            .body
            .contains("+ web7.nyc.example.com. 3600 IN A 10.2.0.7"),
        "{}",
        comments[0].body
    );
}

// Issue 16 item 2, through the runner: the comment of decommissioning the example's hosts was
// 76,701 characters, and GitHub refuses a body over 65,536.
#[test]
fn decommissioning_the_example_s_hosts_is_one_comment_that_fits_and_a_whole_summary() {
    let github = GitHub::new(None);
    let remote = Remote::new();
    let example = support::example_repository();
    let mut base = files_of(example.path());
    let workflow = scaffold()[".github/workflows/zones-gate.yml"].clone();
    base.insert(".github/workflows/zones-gate.yml".to_owned(), workflow);
    let mut head = base.clone();
    let cmdb = head.get_mut("zones/cmdb/servers.csv").unwrap();
    let decommissioned = support::decommission_every_host(cmdb);
    *cmdb = decommissioned;
    let pull = remote.open_pull(&base, &head);
    let cache = tempfile::tempdir().unwrap();
    let (runner, job) = github.run_gate(&remote, &pull, &head, cache.path());

    // The assertions fail (every service loses its hosts): the gate fails, and the reviewer
    // still gets the diff.
    assert_eq!(job.conclusion, "failure", "{}", job.log);
    assert_eq!(job.step("post the diff").outcome, "success", "{}", job.log);
    let comments = github.comments.comments();
    assert_eq!(
        comments.len(),
        1,
        "{:?}\n{}",
        github.comments.requests(),
        job.log
    );
    let body = &comments[0].body;
    assert!(
        body.chars().count() <= BODY_LIMIT,
        "{}",
        body.chars().count()
    );
    assert!(body.contains("> **Large change**"), "{body}");
    assert!(
        body.contains("**0 added, 1456 removed, 0 changed** in 3 of 4 zone(s)."),
        "{body}"
    );
    assert!(body.contains("- and "), "{body}");
    assert!(body.contains("*Shortened to fit 60000 bytes: `zonegate diff --base 'HEAD^1' --head HEAD` prints the whole difference.*"), "{body}");
    // The job summary and the artifact hold every record.
    let removed = |text: &str| {
        text.lines()
            .filter(|line| line.starts_with("- ") && line.contains(" IN "))
            .count()
    };
    assert_eq!(removed(&job.summary), 1456);
    let whole = fs::read_to_string(runner.artifacts.join("zonegate-report/diff.md")).unwrap();
    assert_eq!(removed(&whole), 1456);
    assert!(
        !job.annotations
            .iter()
            .any(|annotation| annotation.message.contains("upload aborted"))
    );
}

/// The scaffold with the zones repository in `dns/` and the workflows at the top, the gate's
/// action told so (`repository: dns`).
fn scaffold_in_a_subfolder() -> BTreeMap<String, String> {
    scaffold()
        .into_iter()
        .map(|(path, text)| {
            if path == ".github/workflows/zones-gate.yml" {
                let pointed = text.replacen(
                    "        with:\n          download-url:",
                    "        with:\n          repository: dns\n          download-url:",
                    1,
                );
                assert_ne!(pointed, text, "the gate's `with:` moved");
                (path, pointed)
            } else if path.starts_with(".github/") {
                (path, text)
            } else {
                (format!("dns/{path}"), text)
            }
        })
        .collect()
}

/// A CNAME beside a TXT record: an error of `check`, at line 3 of the file.
const SHOP: &str = "owner: team-shop\nrecords:\n  - { name: shop, type: CNAME, target: www.example.net. }\n  - { name: shop, type: TXT, text: \"owner=team-shop\" }\n";

// Issue 16 item 3: with the zones repository in a subfolder (`repository: dns`), annotations
// named `zones/...` while the file is `dns/zones/...`, and nothing reached code scanning.
#[test]
fn in_a_subfolder_annotations_and_code_scanning_alerts_name_the_checkout_s_files() {
    let github = GitHub::new(None);
    let remote = Remote::new();
    let base = scaffold_in_a_subfolder();
    let mut head = base.clone();
    head.insert("dns/zones/records/shop.yaml".to_owned(), SHOP.to_owned());
    let pull = remote.open_pull(&base, &head);
    let cache = tempfile::tempdir().unwrap();
    let (runner, job) = github.run_gate(&remote, &pull, &head, cache.path());
    assert_eq!(
        job.conclusion, "failure",
        "check finds the CNAME: {}",
        job.log
    );
    assert_eq!(
        job.step("upload the findings to code scanning").outcome,
        "success",
        "{}",
        job.log
    );

    // Every annotation names a file of the checkout, the CNAME's at its line.
    let files: Vec<&str> = job
        .annotations
        .iter()
        .filter_map(|annotation| annotation.properties.strip_prefix("file="))
        .map(|rest| rest.split(',').next().unwrap())
        .collect();
    assert!(
        files.contains(&"dns/zones/records/shop.yaml"),
        "{:#?}",
        job.annotations
    );
    for file in &files {
        assert!(
            runner.workspace.join(file).is_file(),
            "{file}: {:#?}",
            job.annotations
        );
    }

    // One upload, for the merge commit the job checked, its URIs files of that commit.
    let uploads = github.code_scanning.uploads();
    assert_eq!(uploads.len(), 1, "{}", job.log);
    let upload = &uploads[0];
    assert_eq!(upload.commit_sha, pull.merge_sha);
    assert_eq!(upload.reference, "refs/pull/1/merge");
    let run = &upload.sarif["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "zonegate/");
    let merge = remote
        .repository
        .find_commit(pull.merge_sha.parse().unwrap())
        .unwrap()
        .tree()
        .unwrap();
    let results = run["results"].as_array().unwrap();
    let located: Vec<(&str, u64)> = results
        .iter()
        .flat_map(|result| result["locations"].as_array().unwrap())
        .map(|location| {
            let physical = &location["physicalLocation"];
            (
                physical["artifactLocation"]["uri"].as_str().unwrap(),
                physical["region"]["startLine"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(
        located.contains(&("dns/zones/records/shop.yaml", 3)),
        "{located:?}"
    );
    for (uri, _) in &located {
        assert!(
            merge.get_path(Path::new(uri)).is_ok(),
            "{uri} is not a file of the merge commit"
        );
    }
    // Each alert's rule links to its page.
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(
            rule["helpUri"]
                .as_str()
                .is_some_and(|uri| uri
                    .ends_with(&format!("/docs/rules/{}.md", rule["id"].as_str().unwrap()))),
            "{rule}"
        );
    }
}

#[test]
fn a_repository_without_code_scanning_keeps_the_gate_s_verdict() {
    let github = GitHub::new(None);
    github.code_scanning.disable();
    let scenario = Scenario::new();
    let (_, job) = scenario.run(&github);
    assert_eq!(job.conclusion, "success", "{}", job.log);
    assert_eq!(
        job.step("upload the findings to code scanning").outcome,
        "failure"
    );
    assert!(
        job.log
            .contains("HTTP 403: Advanced Security must be enabled for this repository"),
        "{}",
        job.log
    );
    // The reviewer still gets the diff.
    assert_eq!(github.comments.comments().len(), 1);
}

#[test]
fn a_release_archive_that_does_not_match_its_checksum_is_not_installed() {
    let github = GitHub::new(Some("1".repeat(64)));
    let scenario = Scenario::new();
    let (runner, job) = scenario.run(&github);
    assert_eq!(job.conclusion, "failure");
    assert_eq!(
        job.step("install zonegate").outcome,
        "failure",
        "{}",
        job.log
    );
    assert_eq!(job.step("zonegate check, test and diff").outcome, "skipped");
    let error = job
        .annotations
        .iter()
        .find(|annotation| annotation.level == "error")
        .unwrap_or_else(|| panic!("{:#?}", job.annotations));
    assert!(
        error.message.contains("but SHA256SUMS says 1111"),
        "{error:?}"
    );
    assert!(error.message.ends_with("nothing installed"), "{error:?}");
    assert!(github.comments.comments().is_empty());
    // Nothing was cached for a later run to pick up.
    assert_eq!(fs::read_dir(scenario.cache.path()).unwrap().count(), 0);
    drop(runner);
}

#[test]
fn a_damaged_cached_binary_is_installed_afresh() {
    let github = GitHub::new(None);
    let scenario = Scenario::new();
    let (_, job) = scenario.run(&github);
    assert_eq!(job.conclusion, "success", "{}", job.log);
    let cached = scenario
        .cache
        .path()
        .join(format!("zonegate-{VERSION}-{}/bin/zonegate", target()));
    let mut bytes = fs::read(&cached).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&cached, bytes).unwrap();
    let (_, job) = scenario.run(&github);
    assert_eq!(job.conclusion, "success", "{}", job.log);
    assert!(!job.log.contains("restored from the cache"), "{}", job.log);
    assert!(job.log.contains("as SHA256SUMS says"), "{}", job.log);
}

#[test]
fn without_a_release_the_source_is_built_and_without_cargo_that_is_an_error() {
    let github = GitHub::serving(None, false);
    let scenario = Scenario::new();
    // The build itself is a release build of zonegate: this runner has no cargo, so the test
    // sees the decision and the error, not twelve minutes of compiling.
    let (_, job) = github.run_gate_with(
        &scenario.remote,
        &scenario.pull,
        &scenario.head,
        scenario.cache.path(),
        |runner| {
            runner.without("cargo");
        },
    );
    assert_eq!(job.conclusion, "failure");
    assert_eq!(
        job.step("install zonegate").outcome,
        "failure",
        "{}",
        job.log
    );
    let messages: Vec<(&str, &str)> = job
        .annotations
        .iter()
        .map(|annotation| (annotation.level.as_str(), annotation.message.as_str()))
        .collect();
    assert!(
        messages.iter().any(|(level, message)| *level == "warning"
            && message.starts_with(&format!(
                "no zonegate {VERSION} release archive for {}",
                target()
            ))
            && message.ends_with("building it from source instead")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|(level, message)| *level == "error"
            && message.contains("needs cargo, and this runner has none")),
        "{messages:#?}"
    );
    assert!(github.comments.comments().is_empty());
}

#[test]
fn a_read_only_token_leaves_a_warning_and_the_gate_s_verdict_stands() {
    let github = GitHub::new(None);
    github.comments.read_only();
    let scenario = Scenario::new();
    let (_, job) = scenario.run(&github);
    assert_eq!(job.conclusion, "success", "{}", job.log);
    let warning = job
        .annotations
        .iter()
        .find(|annotation| annotation.level == "warning")
        .unwrap_or_else(|| panic!("{:#?}", job.annotations));
    assert!(
        warning
            .message
            .contains("HTTP 403 (Resource not accessible by integration)"),
        "{warning:?}"
    );
    assert!(
        job.summary.contains("+ web6.ams.example.com."),
        "{}",
        job.summary
    );
}

#[test]
fn a_comment_someone_quoted_the_marker_in_is_left_alone() {
    let github = GitHub::new(None);
    github
        .comments
        .add(1, "mallory", "User", &format!("{MARKER}\nlooks fine to me"));
    let scenario = Scenario::new();
    let (_, job) = scenario.run(&github);
    assert_eq!(job.conclusion, "success", "{}", job.log);
    let comments = github.comments.comments();
    // mallory's comment cannot be edited by the bot: a new one is posted.
    assert_eq!(comments.len(), 2, "{}", job.log);
    assert_eq!(comments[0].body, format!("{MARKER}\nlooks fine to me"));
    assert!(comments[1].body.contains("+ web6.ams.example.com."));
}

/// Contexts of a step of a pull request's job, for the expression tests.
fn scope_for<'a>(contexts: &'a serde_json::Value, workspace: &'a Path) -> Scope<'a> {
    Scope {
        contexts,
        workspace,
        failed: false,
    }
}

// The cause of issue 16 item 1: the runner's hashFiles sees files under GITHUB_WORKSPACE only.
#[test]
fn the_old_condition_never_held_because_hash_files_sees_only_the_workspace() {
    let root = tempfile::tempdir().unwrap();
    let workspace = root.path().join("work/zones/zones");
    let temp = root.path().join("work/_temp");
    fs::create_dir_all(&workspace).unwrap();
    fs::create_dir_all(&temp).unwrap();
    fs::write(temp.join("diff.md"), "### DNS diff\n").unwrap();
    fs::create_dir_all(workspace.join("zonegate-report")).unwrap();
    fs::write(
        workspace.join("zonegate-report/comment.md"),
        "### DNS diff\n",
    )
    .unwrap();
    let contexts = json!({ "runner": { "temp": temp.display().to_string() } });
    let scope = scope_for(&contexts, &workspace);
    let old = "always() && hashFiles(format('{0}/diff.md', runner.temp)) != ''";
    assert!(
        !condition(old, &scope).unwrap(),
        "the file is in RUNNER_TEMP, outside the workspace"
    );
    assert_eq!(
        hash_files(&[format!("{}/diff.md", temp.display())], &workspace),
        ""
    );
    let inside = hash_files(&["zonegate-report/*.md".to_owned()], &workspace);
    assert_eq!(inside.len(), 64, "{inside}");
    assert!(condition("hashFiles('zonegate-report/comment.md') != ''", &scope).unwrap());
    assert!(condition("hashFiles('**/comment.md') != ''", &scope).unwrap());
}

#[test]
fn expressions_follow_github_s_semantics() {
    let workspace = tempfile::tempdir().unwrap();
    let contexts = json!({
        "github": { "event": { "pull_request": { "number": 7 } }, "event_name": "pull_request" },
        "steps": { "diff": { "outputs": { "comment": "/w/comment.md" } } },
        "inputs": { "comment": "true", "empty": "" },
        "env": {},
    });
    let scope = scope_for(&contexts, workspace.path());
    let value = |text: &str| evaluate(text, &scope).unwrap();
    // && and || give an operand, not a boolean.
    assert_eq!(value("inputs.empty || 'default'"), json!("default"));
    assert_eq!(
        value("github.event.pull_request.number && 'yes'"),
        json!("yes")
    );
    // Strings compare ignoring case; other types compare as numbers.
    assert_eq!(value("github.EVENT_NAME == 'PULL_REQUEST'"), json!(true));
    assert_eq!(
        value("'7' == github.event.pull_request.number"),
        json!(true)
    );
    assert_eq!(value("null == 0 && true == 1 && '' == 0"), json!(true));
    // A missing property is null, and null is falsy.
    assert_eq!(value("steps.nothing.outputs.comment"), json!(null));
    assert_eq!(value("format('{0}/{{x}}', 'a')"), json!("a/{x}"));
    assert_eq!(
        value("contains('Hello', 'ELL') && startsWith('abc', 'A')"),
        json!(true)
    );
    // An if without a status function runs only after success.
    let failed = Scope {
        failed: true,
        ..scope_for(&contexts, workspace.path())
    };
    assert!(!condition("inputs.comment == 'true'", &failed).unwrap());
    assert!(condition("always() && inputs.comment == 'true'", &failed).unwrap());
    assert!(condition("${{ steps.diff.outputs.comment != '' }}", &scope).unwrap());
    assert!(evaluate("unknown.context", &scope).is_err());
}
