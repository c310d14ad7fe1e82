//! A soak of the merge bot: many passes over a local forge where random pull requests are
//! opened (clean, conflicting, failing check, failing or removing assertions, broken YAML,
//! large deletions), reviewed at random (by the author or not, approvals made stale by a push,
//! changes requested, override and do-not-merge labels, drafts) while main moves under them.
//! After every pass main's history is audited independently of the bot: every merge commit has
//! a non-author approval on the merged head (two for a large change without the override
//! label), no outstanding request for changes, exactly the tree of merging its parents, and
//! that tree loads, checks clean, renders and passes every assertion of its base and its own;
//! no pull request is merged twice.
//!
//! `ZONEGATE_SOAK_PASSES` sets the number of passes (default 60; RELIABILITY.md reports a run
//! of 500), `ZONEGATE_SOAK_SEED` the seed. The counts are printed at the end.
#![allow(clippy::print_stderr)] // The reliability tests print their figures (RELIABILITY.md).
#![allow(clippy::disallowed_methods)] // Tests build repositories directly.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use git2::Oid;
use support::forge::{EDGE, Fixture, WEB};
use support::reliability::{Random, environment_number};
use zonegate::diagnostic::Severity;
use zonegate::inventory::files::Files;
use zonegate::merge::local::NewPull;
use zonegate::merge::{ReviewState, Verdict};
use zonegate::render::{self, DEFAULT_TEMPLATE, RenderOptions, TemplateLimits};

const ASSERTIONS: &str = "\
- it: web is discoverable in ams
  query: _web._tcp.ams.example.com.
  type: SRV
  expect: { at_least: 2, port: 443 }
- it: www is an alias of web1
  query: www.example.com.
  type: CNAME
  expect: { target: web1.ams.example.com. }
";

const REVIEWERS: [&str; 4] = ["alice", "bob", "carol", "dave"];

/// The kinds of change the soak opens, with what each should lead to.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A host added at the top of the CMDB: merges, but conflicts with every other such change.
    AddHost,
    /// A new records file: always merges cleanly.
    AddRecord,
    /// The web port: conflicts with other port changes, breaks the port assertion.
    PortChange,
    /// A CNAME beside an A record: fails check.
    CnameConflict,
    /// A records file that is not YAML: fails to load.
    BrokenYaml,
    /// www pointed elsewhere: fails an assertion of the base.
    BreakAssertion,
    /// Two nyc hosts removed: a large change (api loses every target).
    LargeDeletion,
    /// A new assertion that fails.
    FailingAssertion,
}

/// Weighted: clean changes are the common case.
const KINDS: [Kind; 12] = [
    Kind::AddHost,
    Kind::AddHost,
    Kind::AddRecord,
    Kind::AddRecord,
    Kind::AddRecord,
    Kind::AddRecord,
    Kind::PortChange,
    Kind::CnameConflict,
    Kind::BrokenYaml,
    Kind::BreakAssertion,
    Kind::LargeDeletion,
    Kind::FailingAssertion,
];

struct Soak {
    fixture: Fixture,
    random: Random,
    serial: u64,
    /// Open pull requests: number, branch, author.
    open: Vec<(u64, String, String)>,
    /// Main's tip when it was last audited.
    audited: Oid,
    merged_pulls: BTreeSet<u64>,
    merged_heads: BTreeSet<Oid>,
    counts: BTreeMap<String, usize>,
    audited_merges: usize,
}

impl Soak {
    fn new(seed: u64) -> Self {
        let fixture = Fixture::with(&[("assertions/soak.yaml", ASSERTIONS)]);
        let audited = fixture.main();
        Self {
            fixture,
            random: Random::new(seed),
            serial: 0,
            open: Vec::new(),
            audited,
            merged_pulls: BTreeSet::new(),
            merged_heads: BTreeSet::new(),
            counts: BTreeMap::new(),
            audited_merges: 0,
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.random.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.random.below(items.len() as u64) as usize]
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// The files a change of `kind` writes, based on main's current content.
    fn change(&mut self, kind: Kind) -> Vec<(String, Option<String>)> {
        let serial = self.next_serial();
        let main = self.fixture.main();
        let servers = self.fixture.file(main, "zones/cmdb/servers.csv");
        let octet = serial % 250 + 2;
        match kind {
            Kind::AddHost => vec![(
                "zones/cmdb/servers.csv".into(),
                Some(servers.replacen(
                    "web1,",
                    &format!("soak{serial},nyc,r9,10.2.9.{octet},,web,in_use\nweb1,"),
                    1,
                )),
            )],
            Kind::AddRecord => vec![(
                format!("zones/records/soak-{serial}.yaml"),
                Some(format!(
                    "records:\n  - {{ name: soak{serial}, type: A, address: 192.0.2.{octet} }}\n"
                )),
            )],
            Kind::PortChange => vec![(
                "zones/services/web.yaml".into(),
                Some(WEB.replace("port: 443", &format!("port: {}", 8000 + serial))),
            )],
            Kind::CnameConflict => vec![(
                format!("zones/records/soak-{serial}.yaml"),
                Some(
                    "records:\n  - { name: ns1, type: CNAME, target: web1.ams.example.com. }\n"
                        .into(),
                ),
            )],
            Kind::BrokenYaml => vec![(
                format!("zones/records/soak-{serial}.yaml"),
                Some("records: [ { name: x, type: A\n".into()),
            )],
            Kind::BreakAssertion => vec![(
                "zones/records/edge.yaml".into(),
                Some(EDGE.replace(
                    "target: web1.ams.example.com.",
                    "target: web2.ams.example.com.",
                )),
            )],
            Kind::LargeDeletion => vec![(
                "zones/cmdb/servers.csv".into(),
                Some(
                    servers
                        .split_inclusive('\n')
                        .filter(|line| !line.starts_with("web3,") && !line.starts_with("api1,"))
                        .collect(),
                ),
            )],
            Kind::FailingAssertion => vec![(
                format!("assertions/soak-{serial}.yaml"),
                Some("- it: www is gone\n  query: www.example.com.\n  expect: nxdomain\n".into()),
            )],
        }
    }

    fn open_pull(&mut self) {
        let kind = *self.pick(&KINDS);
        let files = self.change(kind);
        let branch = format!("soak-{}-{kind:?}", self.serial).to_lowercase();
        let author = (*self.pick(&REVIEWERS)).to_owned();
        let files: Vec<(&str, Option<&str>)> = files
            .iter()
            .map(|(path, text)| (path.as_str(), text.as_deref()))
            .collect();
        self.fixture
            .commit(&branch, Some(self.fixture.main()), &files, &branch);
        let number = self
            .fixture
            .forge()
            .create_pull(&NewPull {
                title: &branch,
                author: &author,
                head: &branch,
                base: "main",
                draft: false,
                labels: &[],
            })
            .unwrap();
        self.open.push((number, branch, author));
    }

    /// One random thing people do to an open pull request.
    fn act_on(&mut self, number: u64, branch: &str) {
        let forge = self.fixture.forge();
        let roll = self.random.below(100);
        let reviewer = *self.pick(&REVIEWERS);
        match roll {
            0..=39 => forge
                .review(number, reviewer, ReviewState::Approved, None)
                .unwrap(),
            40..=47 => forge
                .review(number, "carol", ReviewState::ChangesRequested, None)
                .unwrap(),
            48..=55 => {
                // A new push: every approval so far is for an older commit.
                let tip = self.fixture.tip(branch);
                let serial = self.next_serial();
                self.fixture.commit(
                    branch,
                    Some(tip),
                    &[(
                        &format!("zones/records/push-{serial}.yaml"),
                        Some(&format!(
                            "records:\n  - {{ name: push{serial}, type: TXT, text: \"{serial}\" }}\n"
                        )),
                    )],
                    "another push",
                );
            }
            56..=61 => forge
                .set_labels(number, "bob", &["large-change-approved"])
                .unwrap(),
            62..=65 => forge.set_labels(number, "bob", &["do-not-merge"]).unwrap(),
            66..=69 => forge.set_labels(number, "bob", &[]).unwrap(),
            70..=72 => forge.set_draft(number, "alice", true).unwrap(),
            73..=77 => forge.set_draft(number, "alice", false).unwrap(),
            _ => {}
        }
    }

    /// Someone pushes straight to main: a clean change, or one that conflicts with open pulls.
    fn push_to_main(&mut self) {
        let serial = self.next_serial();
        let main = self.fixture.main();
        let (path, text) = match self.random.below(3) {
            0 => (
                format!("zones/records/main-{serial}.yaml"),
                format!(
                    "records:\n  - {{ name: main{serial}, type: A, address: 198.51.100.{} }}\n",
                    serial % 250 + 1
                ),
            ),
            1 => (
                "zones/cmdb/servers.csv".to_owned(),
                self.fixture.file(main, "zones/cmdb/servers.csv").replacen(
                    "web1,",
                    &format!(
                        "direct{serial},nyc,r9,10.2.8.{},,,in_use\nweb1,",
                        serial % 250 + 2
                    ),
                    1,
                ),
            ),
            _ => (
                "zones/services/web.yaml".to_owned(),
                self.fixture
                    .file(main, "zones/services/web.yaml")
                    .replace("owner: team-web", &format!("owner: team-web # {serial}")),
            ),
        };
        self.fixture.commit(
            "main",
            Some(main),
            &[(&path, Some(&text))],
            "soak: a direct push",
        );
    }

    fn pass(&mut self) {
        let (outcomes, log) = self.fixture.pass();
        for outcome in &outcomes {
            let category = category(outcome);
            *self.counts.entry(category).or_default() += 1;
            assert!(outcome.error.is_none(), "the bot failed: {log}");
        }
        self.audit();
        // Merged pull requests leave; old ones are closed (their branch deleted) to keep the
        // number open bounded.
        let merged = self.merged_pulls.clone();
        self.open.retain(|(number, _, _)| !merged.contains(number));
        while self.open.len() > 6 {
            let (_, branch, _) = self.open.remove(0);
            let mut reference = self
                .fixture
                .repository
                .find_branch(&branch, git2::BranchType::Local)
                .unwrap();
            reference.delete().unwrap();
            *self
                .counts
                .entry("closed unmerged by the soak".into())
                .or_default() += 1;
        }
    }

    /// Checks every commit main gained since the last audit.
    fn audit(&mut self) {
        let repository = &self.fixture.repository;
        let tip = self.fixture.main();
        let mut walk = repository.revwalk().unwrap();
        walk.push(tip).unwrap();
        walk.hide(self.audited).unwrap();
        walk.simplify_first_parent().unwrap();
        let fresh: Vec<(Oid, String)> = walk
            .map(Result::unwrap)
            .map(|id| {
                let message = repository
                    .find_commit(id)
                    .unwrap()
                    .message()
                    .unwrap()
                    .to_owned();
                (id, message)
            })
            .collect();
        for (commit_id, message) in fresh {
            if !message.starts_with("Merge pull request #") {
                assert!(
                    message.starts_with("soak: "),
                    "an unknown commit on main: {message}"
                );
                continue;
            }
            self.audit_merge(commit_id, &message);
        }
        self.audited = tip;
    }

    fn audit_merge(&mut self, commit_id: Oid, message: &str) {
        self.audited_merges += 1;
        let repository = &self.fixture.repository;
        let commit = repository.find_commit(commit_id).unwrap();
        let trailer = |key: &str| -> Vec<String> {
            message
                .lines()
                .filter_map(|line| line.strip_prefix(key))
                .map(str::to_owned)
                .collect()
        };
        let number: u64 = trailer("Pull-request: #")[0].parse().unwrap();
        let head = Oid::from_str(&trailer("Head: ")[0]).unwrap();
        let parents: Vec<Oid> = commit.parent_ids().collect();
        assert_eq!(
            parents.len(),
            2,
            "#{number}: a merge has the base and the head as parents"
        );
        assert_eq!(
            parents[1], head,
            "#{number}: the second parent is the tested head"
        );
        assert!(self.merged_pulls.insert(number), "#{number} merged twice");
        assert!(self.merged_heads.insert(head), "head {head} merged twice");

        // The record: merged as this commit, reviewed as the policy asks, on this head.
        let record = self.fixture.forge().record(number).unwrap();
        assert_eq!(record.state, "merged", "#{number}");
        assert_eq!(
            record.merged_commit,
            Some(commit_id.to_string()),
            "#{number}"
        );
        assert!(!record.draft, "#{number}: a draft was merged");
        assert!(
            !record.labels.iter().any(|label| label == "do-not-merge"),
            "#{number}: labelled do-not-merge"
        );
        let mut latest: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        for review in &record.reviews {
            if review.state != "commented" {
                latest.insert(&review.user, (&review.state, &review.commit));
            }
        }
        let approvers: Vec<&str> = latest
            .iter()
            .filter(|(user, (state, on))| {
                **user != record.author && *state == "approved" && *on == head.to_string()
            })
            .map(|(user, _)| *user)
            .collect();
        // An author cannot request changes on their own pull request (GitHub refuses it).
        let outstanding: Vec<&str> = latest
            .iter()
            .filter(|(user, (state, _))| **user != record.author && *state == "changes_requested")
            .map(|(user, _)| *user)
            .collect();
        assert!(
            outstanding.is_empty(),
            "#{number}: merged over changes requested by {outstanding:?}"
        );
        let large = !trailer("Large-change: ").is_empty();
        let overridden = record
            .labels
            .iter()
            .any(|label| label == "large-change-approved");
        let required = if large && !overridden { 2 } else { 1 };
        assert!(
            approvers.len() >= required,
            "#{number}: merged with approvals {approvers:?} on {head}; {required} needed (large: {large})\n{message}"
        );
        let approved_by: BTreeSet<String> = trailer("Approved-by: ").into_iter().collect();
        for approver in &approvers {
            assert!(
                approved_by.contains(*approver),
                "#{number}: {approver} not in the trailers"
            );
        }

        // Tested on the merge result: the tree is exactly the merge of base and head...
        let base = repository.find_commit(parents[0]).unwrap();
        let head_commit = repository.find_commit(head).unwrap();
        let mut index = repository.merge_commits(&base, &head_commit, None).unwrap();
        assert!(!index.has_conflicts(), "#{number}: merged with conflicts");
        let merged_tree = index.write_tree_to(repository).unwrap();
        assert_eq!(
            commit.tree_id(),
            merged_tree,
            "#{number}: the tree is not the merge result"
        );
        // ... and that tree passes the gate, checked again here.
        self.gate(commit.tree_id(), base.tree_id(), number);
    }

    /// Loads, builds, checks, renders and tests `tree` (with the assertions of `base` too).
    fn gate(&self, tree: Oid, base: Oid, number: u64) {
        let repo = self.fixture.repo();
        let files = repo.files(tree, "merged").unwrap();
        let inventory = zonegate::inventory::config::load(&files)
            .unwrap_or_else(|error| panic!("#{number}: the merged tree does not load: {error}"));
        let (zones, mut diagnostics) = zonegate::model::build(&inventory);
        diagnostics.extend(zonegate::check::run(&zones, &inventory.settings));
        let diagnostics = zonegate::check::apply_severities(diagnostics, &inventory.settings);
        let errors: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.display(&inventory.sources).to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "#{number}: merged with check errors: {errors:?}"
        );
        let options = RenderOptions {
            default_ttl: inventory.settings.ttl.default,
            template: DEFAULT_TEMPLATE,
            limits: TemplateLimits::DEFAULT,
            template_name: "built-in",
            abandon: None,
        };
        for zone in &zones.zones {
            render::to_string(zone, 1, &options).unwrap();
        }
        let resolver = zonegate::assertions::resolver::Resolver::new(&zones);
        let base_files = repo.files(base, "base").unwrap();
        for source in [&files as &dyn Files, &base_files] {
            let mut sources = inventory.sources.clone();
            let (assertions, problems) = zonegate::assertions::load(
                source,
                &inventory,
                &mut sources,
                zonegate::assertions::DEFAULT_MAX_ASSERTIONS,
            )
            .unwrap();
            assert!(problems.is_empty(), "#{number}: {problems:?}");
            for (assertion, outcome) in assertions
                .iter()
                .zip(zonegate::assertions::run(&assertions, &resolver))
            {
                assert_ne!(
                    outcome.verdict,
                    zonegate::assertions::Verdict::Fail,
                    "#{number}: merged with a failing assertion: {}",
                    assertion.title()
                );
            }
        }
    }
}

/// What happened to a pull request in a pass, in a few words.
fn category(outcome: &zonegate::commands::bot::PullOutcome) -> String {
    let first = outcome
        .reasons
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let all = outcome.reasons.join("; ");
    match outcome.verdict {
        _ if outcome.merged.is_some() => "merged".into(),
        None => "error".into(),
        Some(Verdict::Skip) if first == "draft" => "skipped: draft".into(),
        Some(Verdict::Skip) if first.starts_with("labelled") => "skipped: do-not-merge".into(),
        Some(Verdict::Skip) if first.starts_with("already merged") => {
            "skipped: already merged".into()
        }
        Some(Verdict::Reject) if first.contains("conflicts") => {
            "refused: conflict with the base".into()
        }
        Some(Verdict::Reject) if first.contains("fails render, check or test") => {
            "refused: the merge result fails render, check or test".into()
        }
        Some(Verdict::Reject) => format!("refused: {first}"),
        Some(Verdict::Wait) if all.contains("requested changes") => {
            "waiting: changes requested".into()
        }
        Some(Verdict::Wait) if all.contains("large change needs more") => {
            "waiting: a large change without its second approval".into()
        }
        Some(Verdict::Wait) if all.contains("older commit") => {
            "waiting: approval stale after a push".into()
        }
        Some(Verdict::Wait) if all.contains("author's own approval") => {
            "waiting: approved by its author only".into()
        }
        Some(Verdict::Wait) if all.contains("required approval") => "waiting: no approval".into(),
        Some(verdict) => format!("{verdict:?}: {first}"),
    }
}

#[test]
fn the_bot_never_merges_anything_unapproved_untested_or_failing() {
    let passes = environment_number("ZONEGATE_SOAK_PASSES", 60);
    let seed = environment_number("ZONEGATE_SOAK_SEED", 0x50a4_2026);
    eprintln!("bot soak: {passes} passes, seed {seed}");
    let mut soak = Soak::new(seed);
    for _ in 0..passes {
        for _ in 0..soak.random.below(3) {
            soak.open_pull();
        }
        let open: Vec<(u64, String)> = soak
            .open
            .iter()
            .map(|(number, branch, _)| (*number, branch.clone()))
            .collect();
        for (number, branch) in open {
            if soak.chance(60) {
                soak.act_on(number, &branch);
            }
        }
        if soak.chance(15) {
            soak.push_to_main();
        }
        soak.pass();
    }
    let opened = soak.serial;
    eprintln!(
        "bot soak: {} merges audited, {} pull requests merged",
        soak.audited_merges,
        soak.merged_pulls.len()
    );
    for (category, count) in &soak.counts {
        eprintln!("  {count:>6}  {category}");
    }
    // The soak proves something only if both sides happened.
    assert!(soak.audited_merges > 0, "nothing merged in {passes} passes");
    assert!(
        soak.counts.keys().any(|key| key.starts_with("refused")),
        "nothing refused in {passes} passes"
    );
    assert!(opened > 0);
}
