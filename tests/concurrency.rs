//! Two runs at once: two `render` into one output directory (the lock holds, the result is one
//! complete set), and two `bot` passes over one local forge (nothing is merged twice).
#![allow(clippy::print_stderr)] // The reliability tests print their figures (RELIABILITY.md).
#![allow(clippy::disallowed_methods)] // Tests write repositories and run the binary.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::SOURCE_DATE_EPOCH;
use support::forge::Fixture;
use support::reliability::{verify_complete, write_repository};
use zonegate::merge::forge::{
    CommentAction, CommitStatus, Error as ForgeError, Forge, MergeOutcome, StatusState, TestedMerge,
};
use zonegate::merge::local::Local;
use zonegate::merge::{PullRequestFacts, Verdict};

fn zonegate(repo: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zonegate"));
    command
        .arg("--repo")
        .arg(repo)
        .args(args)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn both(first: Command, second: Command) -> (Output, Output) {
    let (mut first, mut second) = (first, second);
    let first = first.spawn().unwrap();
    let second = second.spawn().unwrap();
    (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    )
}

fn transcript(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn two_renders_at_once_leave_one_complete_set() {
    let temp = tempfile::tempdir().unwrap();
    let (first, second) = (temp.path().join("a"), temp.path().join("b"));
    // Two repositories with different content, rendered into one directory.
    write_repository(&first, 1500, 0);
    write_repository(&second, 1500, 1);
    let out = temp.path().join("zones-out");
    let out_text = out.to_str().unwrap();
    let mut identities = Vec::new();
    for repository in [&first, &second] {
        let scratch = temp.path().join("scratch");
        let output = zonegate(
            repository,
            &["render", "--output", scratch.to_str().unwrap()],
        )
        .output()
        .unwrap();
        assert!(output.status.success(), "{}", transcript(&output));
        identities.push(verify_complete(&scratch).unwrap().unwrap());
        fs::remove_dir_all(&scratch).unwrap();
    }

    let mut waited = 0;
    for round in 0..12 {
        // Even rounds: the same repository twice; odd rounds: the two repositories.
        let other = if round % 2 == 0 { &first } else { &second };
        let (a, b) = both(
            zonegate(&first, &["render", "--output", out_text]),
            zonegate(other, &["render", "--output", out_text]),
        );
        assert!(a.status.success(), "round {round}: {}", transcript(&a));
        assert!(b.status.success(), "round {round}: {}", transcript(&b));
        let found = verify_complete(&out)
            .unwrap_or_else(|problem| panic!("round {round}: {problem}"))
            .expect("an output directory");
        assert!(
            identities.contains(&found),
            "round {round}: the set is neither repository's"
        );
        for output in [&a, &b] {
            if String::from_utf8_lossy(&output.stderr).contains("waiting for another zonegate run")
            {
                waited += 1;
            }
        }
        let stray: Vec<_> = fs::read_dir(temp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("zonegate-new") || name.contains("zonegate-old"))
            .collect();
        assert!(stray.is_empty(), "round {round}: {stray:?}");
    }
    eprintln!("two renders at once: 12 rounds, a run waited for the lock {waited} time(s)");
}

/// Each pull request's merge commits on `main`, by number (from the `Pull-request:` trailer of
/// every commit in main's history).
fn merges_by_pull(fixture: &Fixture) -> BTreeMap<u64, Vec<String>> {
    let repository = &fixture.repository;
    let mut walk = repository.revwalk().unwrap();
    walk.push(fixture.main()).unwrap();
    let mut merges: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for oid in walk {
        let oid = oid.unwrap();
        let commit = repository.find_commit(oid).unwrap();
        let message = commit.message().unwrap_or_default();
        if let Some(number) = message
            .lines()
            .find_map(|line| line.strip_prefix("Pull-request: #"))
        {
            merges
                .entry(number.parse().unwrap())
                .or_default()
                .push(oid.to_string());
        }
    }
    merges
}

#[test]
fn two_bot_passes_at_once_merge_each_pull_request_once() {
    let fixture = Fixture::new();
    let mut numbers = Vec::new();
    for round in 0..4 {
        // Three approved changes to separate files per round, so none conflicts.
        for index in 0..3 {
            let branch = format!("r{round}-change{index}");
            let file = format!("zones/records/{branch}.yaml");
            let text = format!(
                "records:\n  - {{ name: {branch}, type: A, address: 192.0.2.{} }}\n",
                round * 3 + index + 1
            );
            let number = fixture.pull(&branch, &[(&file, Some(&text))]);
            fixture.approve(number, "bob");
            numbers.push(number);
        }
        let (a, b) = both(
            zonegate(&fixture.path, &["bot"]),
            zonegate(&fixture.path, &["bot"]),
        );
        // A pass may lose a race for a record (exit 1, "changed while it was being updated");
        // it must never fail otherwise, nor corrupt anything.
        for output in [&a, &b] {
            let code = output.status.code().unwrap();
            assert!(code == 0, "round {round}: {}", transcript(output));
        }
        // A third pass finishes whatever the two left.
        let c = zonegate(&fixture.path, &["bot"]).output().unwrap();
        assert!(c.status.success(), "round {round}: {}", transcript(&c));

        let merges = merges_by_pull(&fixture);
        for number in &numbers {
            let commits = merges.get(number).cloned().unwrap_or_default();
            assert_eq!(
                commits.len(),
                1,
                "round {round}: #{number} merged {} time(s): {commits:?}\n{}\n{}",
                commits.len(),
                transcript(&a),
                transcript(&b)
            );
            let record = fixture.forge().record(*number).unwrap();
            assert_eq!(record.state, "merged");
            assert_eq!(record.merged_commit.as_ref(), Some(&commits[0]));
        }
    }
}

/// Delegates to the local forge, but right before this pass's first merge another pass runs to
/// completion over the same forge: the interleaving of two bots that found the same pull
/// request approved and green.
struct RacedByAnotherPass<'a> {
    inner: Local,
    fixture: &'a Fixture,
    raced: std::cell::Cell<bool>,
}

impl Forge for RacedByAnotherPass<'_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn default_branch(&self) -> Result<String, ForgeError> {
        self.inner.default_branch()
    }
    fn open_pull_requests(&self, base: &str) -> Result<Vec<PullRequestFacts>, ForgeError> {
        self.inner.open_pull_requests(base)
    }
    fn pull_request(&self, number: u64) -> Result<PullRequestFacts, ForgeError> {
        self.inner.pull_request(number)
    }
    fn branch_tip(&self, branch: &str) -> Result<String, ForgeError> {
        self.inner.branch_tip(branch)
    }
    fn team_members(&self, team: &str) -> Result<Option<Vec<String>>, ForgeError> {
        self.inner.team_members(team)
    }
    fn label_applier(
        &self,
        pull: &PullRequestFacts,
        label: &str,
    ) -> Result<zonegate::merge::LabelApplier, ForgeError> {
        self.inner.label_applier(pull, label)
    }
    fn signed_records(&self) -> bool {
        self.inner.signed_records()
    }
    fn post_receive_hook(&self) -> Option<zonegate::merge::hook::HookSite> {
        self.inner.post_receive_hook()
    }
    fn status(
        &self,
        pull: &PullRequestFacts,
        sha: &str,
        context: &str,
    ) -> Result<Option<(StatusState, String)>, ForgeError> {
        self.inner.status(pull, sha, context)
    }
    fn set_status(
        &self,
        pull: &PullRequestFacts,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), ForgeError> {
        self.inner.set_status(pull, sha, status)
    }
    fn upsert_comment(
        &self,
        pull: &PullRequestFacts,
        marker: &str,
        body: &str,
    ) -> Result<CommentAction, ForgeError> {
        self.inner.upsert_comment(pull, marker, body)
    }
    fn merge(
        &self,
        pull: &PullRequestFacts,
        tested: &TestedMerge,
    ) -> Result<MergeOutcome, ForgeError> {
        if !self.raced.replace(true) {
            let (outcomes, log) = self.fixture.pass();
            assert!(outcomes[0].merged.is_some(), "the other pass merges: {log}");
        }
        self.inner.merge(pull, tested)
    }
}

// Regression: two bot passes that tested the same pull request both merged it: the loser's
// compare-and-swap failed, it tested again on the moved base (which already held the head) and
// merged the same head a second time.
#[test]
fn a_pass_that_loses_the_race_for_a_merge_does_not_merge_again() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "add-host",
        &[(
            "zones/records/extra.yaml",
            Some("records:\n  - { name: extra, type: A, address: 192.0.2.99 }\n"),
        )],
    );
    fixture.approve(number, "bob");
    let forge = RacedByAnotherPass {
        inner: fixture.forge(),
        fixture: &fixture,
        raced: std::cell::Cell::new(false),
    };
    let (outcomes, log) = fixture.pass_with(&forge, false);
    assert_eq!(outcomes[0].merged, None, "{log}");
    assert_eq!(outcomes[0].verdict, Some(Verdict::Skip), "{log}");
    assert!(log.contains("already merged into main"), "{log}");
    let merges = merges_by_pull(&fixture);
    assert_eq!(merges[&number].len(), 1, "{merges:?}");
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.merged_commit.as_ref(), Some(&merges[&number][0]));
}

#[test]
fn two_deploys_at_once_install_one_complete_set() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let mut waited = 0;
    for round in 0..6 {
        write_repository(root, 400, round % 2);
        let settings = root.join("zones/zonegate.yaml");
        let mut text = fs::read_to_string(&settings).unwrap();
        text.push_str(
            "deploy:\n  targets:\n    - name: files\n      kind: dir\n      zone_directory: installed\n",
        );
        fs::write(&settings, text).unwrap();
        fs::create_dir_all(root.join("installed")).unwrap();
        let (a, b) = both(zonegate(root, &["deploy"]), zonegate(root, &["deploy"]));
        assert!(a.status.success(), "round {round}: {}", transcript(&a));
        assert!(b.status.success(), "round {round}: {}", transcript(&b));
        for output in [&a, &b] {
            if String::from_utf8_lossy(&output.stderr).contains("waiting") {
                waited += 1;
            }
        }
        // One complete set: what a deploy run alone now finds to do is nothing.
        let again = zonegate(root, &["deploy"]).output().unwrap();
        assert!(
            again.status.success(),
            "round {round}: {}",
            transcript(&again)
        );
        assert!(
            String::from_utf8_lossy(&again.stdout).contains("nothing to deploy"),
            "round {round}: {}",
            transcript(&again)
        );
        assert!(
            !root
                .join(".installed.zonegate-deploy/journal.json")
                .exists()
        );
        let state: serde_json::Value = serde_json::from_slice(
            &fs::read(root.join(".installed.zonegate-deploy/deployed.json")).unwrap(),
        )
        .unwrap();
        for zone in state["zones"].as_array().unwrap() {
            let file = root.join("installed").join(zone["file"].as_str().unwrap());
            let digest = zonegate::render::hex(&<sha2::Sha256 as sha2::Digest>::digest(
                fs::read(&file).unwrap(),
            ));
            assert_eq!(
                zone["sha256"],
                digest.as_str(),
                "round {round}: {}",
                file.display()
            );
        }
    }
    eprintln!("two deploys at once: 6 rounds, a run waited for the lock {waited} time(s)");
}
