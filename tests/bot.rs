//! The merge bot end to end against the local forge: real git repositories built with git2 in
//! temporary directories, pull requests and reviews recorded in them, one pass per test.
#![allow(clippy::disallowed_methods)] // Tests build repositories directly.

mod support;

use support::forge::{
    EDGE, Fixture, POLICY, SERVERS, SETTINGS, WEB, commit_message, servers_with_web4,
    settings_without_ipv6_reverse,
};
use zonegate::merge::forge::{Forge, MergeOutcome, StatusState, TestedMerge};
use zonegate::merge::local::Local;
use zonegate::merge::{ReviewState, Verdict};

#[test]
fn an_approved_green_change_is_merged_as_tested() {
    let fixture = Fixture::new();
    let base = fixture.main();
    let servers = servers_with_web4();
    let number = fixture.pull("add-web4", &[("zones/cmdb/servers.csv", Some(&servers))]);
    let head = fixture.tip("add-web4");
    fixture.approve(number, "bob");

    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes.len(), 1, "{log}");
    let outcome = &outcomes[0];
    assert_eq!(outcome.verdict, Some(Verdict::Merge), "{log}");
    assert_eq!(outcome.tests, 1);

    // main is exactly the tested merge: base and head as parents, the merged content.
    let merged = fixture.main();
    assert_eq!(outcome.merged.as_deref(), Some(merged.to_string().as_str()));
    let commit = fixture.repository.find_commit(merged).unwrap();
    assert_eq!(commit.parent_ids().collect::<Vec<_>>(), [base, head]);
    assert_eq!(fixture.file(merged, "zones/cmdb/servers.csv"), servers);
    let message = commit_message(&fixture, merged);
    assert!(
        message.starts_with("Merge pull request #1 from add-web4\n\nadd-web4\n"),
        "{message}"
    );
    assert!(message.contains("\nApproved-by: bob\n"), "{message}");
    assert!(
        message
            .contains("\nBlast-radius: example.com.: 2 added, 0 removed, 0 changed of 23 records"),
        "{message}"
    );
    assert!(message.contains("\nTested: 3 zones, "), "{message}");
    assert!(message.contains(&format!("\nHead: {head}\n")), "{message}");

    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.state, "merged");
    assert_eq!(record.merged_commit, Some(merged.to_string()));
    assert_eq!(record.statuses.len(), 1);
    assert_eq!(record.statuses[0].state, "success");
    assert_eq!(record.statuses[0].sha, head.to_string());
    assert_eq!(record.comments.len(), 1);
    assert!(
        record.comments[0].body.contains("✅ merged as"),
        "{}",
        record.comments[0].body
    );

    // The next pass has nothing left to do.
    let (outcomes, _) = fixture.pass();
    assert!(outcomes.is_empty());
}

#[test]
fn an_approval_by_the_author_only_is_not_enough() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "self",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(number, "alice");
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(outcomes[0].reasons[0].contains("the author's own approval does not count"));
    assert_eq!(fixture.main(), main);
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.statuses[0].state, "pending");
}

#[test]
fn an_approval_given_before_a_new_push_is_stale() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "stale",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(number, "bob");
    let first = fixture.tip("stale");
    fixture.commit(
        "stale",
        Some(first),
        &[(
            "zones/services/web.yaml",
            Some("port: 8443\nrequired_in: all\n"),
        )],
        "sneak in a port change",
    );
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcomes[0].reasons[0].ends_with("approval by bob is for an older commit"),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main);
}

#[test]
fn outstanding_changes_requested_block() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "contested",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(number, "bob");
    fixture
        .forge()
        .review(number, "carol", ReviewState::ChangesRequested, None)
        .unwrap();
    let (outcomes, _) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait));
    assert_eq!(outcomes[0].reasons, ["carol requested changes"]);
    // carol approves later: it merges.
    fixture.approve(number, "carol");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
}

#[test]
fn drafts_and_do_not_merge_are_not_evaluated_and_say_so() {
    let fixture = Fixture::new();
    let draft = fixture.pull(
        "draft",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(draft, "bob");
    fixture.forge().set_draft(draft, "alice", true).unwrap();
    let held = fixture.pull(
        "held",
        &[(
            "zones/services/api.yaml",
            Some("port: 9443\nglobal: true\n"),
        )],
    );
    fixture.approve(held, "bob");
    fixture
        .forge()
        .set_labels(held, "bob", &["do-not-merge"])
        .unwrap();
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    let verdicts: Vec<_> = outcomes.iter().map(|outcome| outcome.verdict).collect();
    assert_eq!(
        verdicts,
        [Some(Verdict::Skip), Some(Verdict::Skip)],
        "{log}"
    );
    assert_eq!(fixture.main(), main);
    for (number, why) in [(draft, "draft"), (held, "labelled `do-not-merge`")] {
        let record = fixture.forge().record(number).unwrap();
        assert_eq!(record.statuses.len(), 1, "#{number}");
        assert_eq!(record.statuses[0].state, "pending");
        assert_eq!(
            record.statuses[0].description,
            format!("not evaluated: {why}")
        );
        assert_eq!(record.comments.len(), 1, "#{number}");
        let comment = &record.comments[0].body;
        assert!(
            comment.contains(&format!("## zonegate bot: not evaluated: {why}\n")),
            "{comment}"
        );
    }
    assert!(
        log.contains("#1 \"draft\" by alice: not evaluated\n  draft\n"),
        "{log}"
    );
    assert!(
        log.contains("#2 \"held\" by alice: not evaluated\n  labelled `do-not-merge`\n"),
        "{log}"
    );
    // Nothing new: the next pass writes nothing.
    let commits = |number: u64| {
        let mut walk = fixture.repository.revwalk().unwrap();
        walk.push_ref(&format!("refs/zonegate/pulls/{number}"))
            .unwrap();
        walk.count()
    };
    let before = (commits(draft), commits(held));
    fixture.pass();
    assert_eq!((commits(draft), commits(held)), before);
}

#[test]
fn a_merge_result_whose_settings_do_not_load_says_so_without_counts() {
    let fixture = Fixture::new();
    let settings =
        format!("{SETTINGS}{POLICY}").replace("domain: example.com.", "domian: example.com.");
    let number = fixture.pull("typo", &[("zones/zonegate.yaml", Some(&settings))]);
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Reject), "{log}");
    assert_eq!(
        outcomes[0].reasons[0],
        "the merge onto the current base does not load: 1 input error(s)"
    );
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(
        record.statuses[0].description,
        "not merged: the merge onto the current base does not load: 1 input error(s)"
    );
    let comment = &record.comments[0].body;
    assert!(
        !comment.contains("0 zones, 0 records rendered"),
        "{comment}"
    );
    assert!(
        comment
            .contains("- **Tests on the merge result:** not run: the merge result does not load"),
        "{comment}"
    );
    assert!(comment.contains("unknown key `domian`"), "{comment}");
}

#[test]
fn a_merge_conflict_is_explained_and_not_merged() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "edge",
        &[(
            "zones/records/edge.yaml",
            Some(&EDGE.replace("ttl: 5m", "ttl: 1m")),
        )],
    );
    fixture.approve(number, "bob");
    // main changes the same line meanwhile.
    fixture.commit(
        "main",
        Some(fixture.main()),
        &[(
            "zones/records/edge.yaml",
            Some(&EDGE.replace("ttl: 5m", "ttl: 10m")),
        )],
        "longer www ttl",
    );
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Reject), "{log}");
    assert_eq!(
        outcomes[0].reasons,
        ["does not merge cleanly onto the current base: conflicts in zones/records/edge.yaml"]
    );
    assert_eq!(fixture.main(), main);
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.statuses[0].state, "failure");
    assert!(
        record.comments[0]
            .body
            .contains("conflicts in zones/records/edge.yaml; merge `main` into the branch")
    );
}

#[test]
fn a_branch_that_passes_alone_but_fails_merged_onto_the_base_is_not_merged() {
    let fixture = Fixture::new();
    // The branch gives a new host 10.2.0.50: fine on its own base.
    let number = fixture.pull(
        "add-db1",
        &[(
            "zones/cmdb/servers.csv",
            Some(&SERVERS.replacen("web1,", "db1,nyc,r9,10.2.0.50,,,in_use\nweb1,", 1)),
        )],
    );
    // Two approvals: taking db2's address is itself a large change in nyc.
    fixture.approve(number, "bob");
    fixture.approve(number, "carol");
    // Meanwhile main gave the same address to another host (at the end of the file, so git
    // merges both lines cleanly).
    fixture.commit(
        "main",
        Some(fixture.main()),
        &[(
            "zones/cmdb/servers.csv",
            Some(&format!("{SERVERS}db2,nyc,r9,10.2.0.50,,,in_use\n")),
        )],
        "add db2",
    );
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Reject), "{log}");
    assert_eq!(outcomes[0].tests, 1);
    assert!(
        outcomes[0]
            .reasons
            .iter()
            .any(|reason| reason.contains("error[duplicate-address]")),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main);
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.statuses[0].state, "failure");
    assert!(
        record.comments[0].body.contains("duplicate-address"),
        "{}",
        record.comments[0].body
    );
}

/// Delegates to the local forge, but moves `main` right before the first merge, as a
/// concurrent push would.
struct MovingBase<'a> {
    inner: Local,
    fixture: &'a Fixture,
    moved: std::cell::Cell<bool>,
}

impl Forge for MovingBase<'_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn default_branch(&self) -> Result<String, zonegate::merge::forge::Error> {
        self.inner.default_branch()
    }
    fn open_pull_requests(
        &self,
        base: &str,
    ) -> Result<Vec<zonegate::merge::PullRequestFacts>, zonegate::merge::forge::Error> {
        self.inner.open_pull_requests(base)
    }
    fn pull_request(
        &self,
        number: u64,
    ) -> Result<zonegate::merge::PullRequestFacts, zonegate::merge::forge::Error> {
        self.inner.pull_request(number)
    }
    fn branch_tip(&self, branch: &str) -> Result<String, zonegate::merge::forge::Error> {
        self.inner.branch_tip(branch)
    }
    fn team_members(
        &self,
        team: &str,
    ) -> Result<Option<Vec<String>>, zonegate::merge::forge::Error> {
        self.inner.team_members(team)
    }
    fn label_applier(
        &self,
        pull: &zonegate::merge::PullRequestFacts,
        label: &str,
    ) -> Result<zonegate::merge::LabelApplier, zonegate::merge::forge::Error> {
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
        pull: &zonegate::merge::PullRequestFacts,
        sha: &str,
        context: &str,
    ) -> Result<Option<(StatusState, String)>, zonegate::merge::forge::Error> {
        self.inner.status(pull, sha, context)
    }
    fn set_status(
        &self,
        pull: &zonegate::merge::PullRequestFacts,
        sha: &str,
        status: &zonegate::merge::forge::CommitStatus,
    ) -> Result<(), zonegate::merge::forge::Error> {
        self.inner.set_status(pull, sha, status)
    }
    fn upsert_comment(
        &self,
        pull: &zonegate::merge::PullRequestFacts,
        marker: &str,
        body: &str,
    ) -> Result<zonegate::merge::forge::CommentAction, zonegate::merge::forge::Error> {
        self.inner.upsert_comment(pull, marker, body)
    }
    fn merge(
        &self,
        pull: &zonegate::merge::PullRequestFacts,
        tested: &TestedMerge,
    ) -> Result<MergeOutcome, zonegate::merge::forge::Error> {
        if !self.moved.replace(true) {
            let records = EDGE.replace("ttl: 5m", "ttl: 10m");
            self.fixture.commit(
                "main",
                Some(self.fixture.main()),
                &[("zones/records/edge.yaml", Some(&records))],
                "concurrent push",
            );
        }
        self.inner.merge(pull, tested)
    }
}

#[test]
fn when_the_base_moves_between_test_and_merge_the_merge_is_tested_again() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(number, "bob");
    let forge = MovingBase {
        inner: fixture.forge(),
        fixture: &fixture,
        moved: std::cell::Cell::new(false),
    };
    let (outcomes, log) = fixture.pass_with(&forge, false);
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
    assert_eq!(outcomes[0].tests, 2, "{log}");
    assert!(
        log.contains("main moved during the test; testing again on its new tip"),
        "{log}"
    );
    // The merge sits on the moved base and holds both changes.
    let merged = fixture.main();
    let commit = fixture.repository.find_commit(merged).unwrap();
    let first_parent = commit.parent_id(0).unwrap();
    assert_eq!(commit_message(&fixture, first_parent), "concurrent push");
    assert!(
        fixture
            .file(merged, "zones/records/edge.yaml")
            .contains("ttl: 10m")
    );
    assert_eq!(
        fixture.file(merged, "zones/cmdb/servers.csv"),
        servers_with_web4()
    );
}

#[test]
fn a_large_deletion_needs_the_larger_number_of_approvals() {
    let fixture = Fixture::new();
    // Decommission both web hosts in ams: the web service loses every target there.
    let servers = SERVERS
        .replace(
            "web1,ams,r1,10.1.0.1,2001:db8:1::1,web,in_use",
            "web1,ams,r1,10.1.0.1,2001:db8:1::1,web,decommissioned",
        )
        .replace(
            "web2,ams,r1,10.1.0.2,2001:db8:1::2,web,in_use",
            "web2,ams,r1,10.1.0.2,2001:db8:1::2,web,decommissioned",
        );
    // Keep `required_in` satisfiable so only the blast radius is at stake.
    let web = "port: 443\nprotocol: tcp\nrequired_in: [nyc]\nowner: team-web\n";
    // www pointed at web1 in ams: it moves to nyc, or check finds it dangling.
    let edge = EDGE.replace(
        "target: web1.ams.example.com.",
        "target: web3.nyc.example.com.",
    );
    let number = fixture.pull(
        "drain-ams",
        &[
            ("zones/cmdb/servers.csv", Some(&servers)),
            ("zones/services/web.yaml", Some(web)),
            ("zones/records/edge.yaml", Some(&edge)),
        ],
    );
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcomes[0].reasons[0].starts_with(
            "1 of 2 required approval(s) for a large change (service-loses-every-target, "
        ),
        "{:?}",
        outcomes[0].reasons
    );
    let comment = &fixture.forge().record(number).unwrap().comments[0].body;
    assert!(
        comment.contains("loses all 2 of its SRV targets"),
        "{comment}"
    );

    fixture.approve(number, "carol");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
    let message = commit_message(&fixture, fixture.main());
    assert!(
        message.contains("\nApproved-by: bob\nApproved-by: carol\n"),
        "{message}"
    );
    assert!(message.contains("\nLarge-change: service-loses-every-target: service web in ams (_web._tcp.ams.example.com.) loses all 2 of its SRV targets\n"), "{message}");
}

#[test]
fn the_override_label_lets_a_large_change_through_with_one_approval() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "drop-ipv6",
        &[(
            "zones/zonegate.yaml",
            Some(&settings_without_ipv6_reverse()),
        )],
    );
    fixture.approve(number, "bob");
    let (outcomes, _) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait));
    fixture
        .forge()
        .set_labels(number, "carol", &["large-change-approved"])
        .unwrap();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
}

#[test]
fn two_approved_changes_merge_one_after_the_other_each_tested_on_the_latest_base() {
    let fixture = Fixture::new();
    let base = fixture.main();
    let first = fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    let second = fixture.pull(
        "edge-ttl",
        &[(
            "zones/records/edge.yaml",
            Some(&EDGE.replace("ttl: 5m", "ttl: 1m")),
        )],
    );
    fixture.approve(first, "bob");
    fixture.approve(second, "bob");
    let (outcomes, log) = fixture.pass();
    assert!(
        outcomes
            .iter()
            .all(|outcome| outcome.verdict == Some(Verdict::Merge)),
        "{log}"
    );
    let second_merge = fixture.main();
    let second_commit = fixture.repository.find_commit(second_merge).unwrap();
    let first_merge = second_commit.parent_id(0).unwrap();
    assert_eq!(outcomes[0].merged, Some(first_merge.to_string()));
    assert_eq!(outcomes[1].merged, Some(second_merge.to_string()));
    assert_eq!(
        fixture
            .repository
            .find_commit(first_merge)
            .unwrap()
            .parent_id(0)
            .unwrap(),
        base
    );
    // The second was tested on top of the first: its trailers name the first merge as base.
    let message = commit_message(&fixture, second_merge);
    let short = &first_merge.to_string()[..7];
    assert!(
        message.contains(&format!("passed render, check and test on {short}")),
        "{message}"
    );
    assert_eq!(
        fixture.file(second_merge, "zones/cmdb/servers.csv"),
        servers_with_web4()
    );
}

#[test]
fn the_policy_comes_from_the_base_so_a_change_cannot_lower_its_own_bar() {
    let fixture = Fixture::with(&[(
        "zones/zonegate.yaml",
        &format!(
            "{SETTINGS}{}",
            POLICY.replace("approvals: 1\n", "approvals: 2\n")
        ),
    )]);
    let relaxed = format!("{SETTINGS}{POLICY}");
    let number = fixture.pull(
        "relax",
        &[
            ("zones/zonegate.yaml", Some(&relaxed)),
            ("zones/cmdb/servers.csv", Some(&servers_with_web4())),
        ],
    );
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(outcomes[0].reasons[0].starts_with("1 of 2 required approval(s)"));
}

#[test]
fn codeowners_from_the_base_require_an_owner_approval() {
    let fixture = Fixture::with(&[(
        "CODEOWNERS",
        "* @bob @dave\n/zones/services/ @example/web-team\n",
    )]);
    let number = fixture.pull(
        "web-owner",
        &[(
            "zones/services/web.yaml",
            Some(&WEB.replace("team-web", "team-www")),
        )],
    );
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert_eq!(
        outcomes[0].reasons,
        ["zones/services/web.yaml need(s) an approval from an owner: @example/web-team"]
    );
    fixture.approve(number, "dave");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
}

#[test]
fn editing_an_assertion_of_the_base_is_a_large_change() {
    let assertion = "- it: web is discoverable in ams\n  query: _web._tcp.ams.example.com.\n  type: SRV\n  expect: { at_least: 2 }\n";
    let fixture = Fixture::with(&[("assertions/web.yaml", assertion)]);
    let number = fixture.pull(
        "weaken",
        &[(
            "assertions/web.yaml",
            Some(&assertion.replace("at_least: 2", "at_least: 1")),
        )],
    );
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    let comment = &fixture.forge().record(number).unwrap().comments[0].body;
    assert!(
        comment.contains(
            "assertion \"web is discoverable in ams\" (assertions/web.yaml:1) is removed or changed"
        ),
        "{comment}"
    );
}

#[test]
fn the_status_and_comment_are_updated_not_repeated() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.pass();
    fixture.pass();
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.comments.len(), 1);
    assert_eq!(record.statuses.len(), 1);
    // Two passes with nothing new: the second wrote nothing at all.
    let log = |fixture: &Fixture| {
        let mut walk = fixture.repository.revwalk().unwrap();
        walk.push_ref(&format!("refs/zonegate/pulls/{number}"))
            .unwrap();
        walk.count()
    };
    let before = log(&fixture);
    fixture.pass();
    assert_eq!(log(&fixture), before);
    // A review changes what the comment says: the one comment is edited.
    fixture.approve(number, "bob");
    fixture.pass();
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.comments.len(), 1);
    assert!(record.comments[0].body.contains("✅ merged"));
}

#[test]
fn a_dry_run_changes_nothing_and_says_what_it_would_do() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(number, "bob");
    let main = fixture.main();
    let pull_ref = |fixture: &Fixture| {
        fixture
            .repository
            .find_reference(&format!("refs/zonegate/pulls/{number}"))
            .unwrap()
            .target()
    };
    let before = pull_ref(&fixture);
    let (outcomes, log) = fixture.pass_with(&fixture.forge(), true);
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge));
    assert_eq!(outcomes[0].merged, None);
    assert_eq!(fixture.main(), main);
    assert_eq!(pull_ref(&fixture), before);
    assert!(
        log.contains("#1 \"add-web4\" by alice: would merge\n"),
        "{log}"
    );
    assert!(log.contains("  would set status success on "), "{log}");
    assert!(
        log.contains("  | ## zonegate bot: ✅ would be merged"),
        "{log}"
    );
}

#[test]
fn the_binary_runs_a_dry_pass_on_a_local_forge() {
    let fixture = Fixture::new();
    let number = fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(number, "bob");
    let run = support::zonegate(&fixture.path, &["bot", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(run.stdout.contains("(dry run)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("#1 \"add-web4\" by alice: would merge"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_local_forge_refuses_to_move_a_checked_out_base() {
    let fixture = Fixture::with_work_tree();
    let number = fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    fixture.approve(number, "bob");
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    let error = outcomes[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("`main` is checked out in the work tree of")
            && error.contains("git clone --bare"),
        "{error}\n{log}"
    );
    assert_eq!(fixture.main(), main);
}

#[test]
fn the_whole_flow_through_the_binary_on_a_local_forge() {
    let fixture = Fixture::new();
    fixture.commit(
        "add-web4",
        Some(fixture.main()),
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
        "add web4",
    );
    let run = |args: &[&str]| {
        let run = support::zonegate(&fixture.path, args);
        assert_eq!(run.code, 0, "{}", run.transcript());
        run.stdout
    };
    assert_eq!(
        run(&[
            "pr", "open", "--head", "add-web4", "--title", "add web4", "--user", "alice"
        ]),
        "opened #1: add-web4 -> main\n"
    );
    let head = fixture.tip("add-web4").to_string();
    assert_eq!(
        run(&["pr", "review", "1", "--user", "bob", "--state", "approved"]),
        format!("#1: approved by bob on {}\n", &head[..7])
    );
    assert_eq!(
        run(&["pr", "list"]),
        format!(
            "#1 add web4 (add-web4 -> main, {}) by alice: approved by [bob]\n",
            &head[..7]
        )
    );
    let output = run(&["bot"]);
    assert!(
        output.contains("#1 \"add web4\" by alice: merged as "),
        "{output}"
    );
    assert_eq!(run(&["pr", "list"]), "");
    let record = fixture.forge().record(1).unwrap();
    assert_eq!(record.state, "merged");
    assert_eq!(record.merged_commit, Some(fixture.main().to_string()));
}

#[test]
fn a_branch_that_passes_alone_but_fails_an_assertion_merged_onto_the_base_is_not_merged() {
    // ams has two web hosts (not adjacent in the export, so their edits merge cleanly); the
    // base asserts that at least one of them serves.
    let servers = "hostname,datacenter,rack,ipv4,ipv6,roles,status\n\
web1,ams,r1,10.1.0.1,2001:db8:1::1,web,in_use\n\
web3,nyc,r7,10.2.0.1,2001:db8:2::1,web;api,in_use\n\
api1,nyc,r7,10.2.0.2,,api,in_use\n\
web2,ams,r1,10.1.0.2,2001:db8:1::2,web,in_use\n";
    let assertion = "- it: web is discoverable in ams\n  query: _web._tcp.ams.example.com.\n  type: SRV\n  expect:\n    at_least: 1\n";
    let edge = EDGE.replace(
        "target: web1.ams.example.com.",
        "target: web3.nyc.example.com.",
    );
    let fixture = Fixture::with(&[
        ("zones/cmdb/servers.csv", servers),
        ("zones/services/web.yaml", "port: 443\nrequired_in: [nyc]\n"),
        ("zones/records/edge.yaml", &edge),
        ("assertions/web.yaml", assertion),
    ]);
    // The branch drains web2: web1 still serves ams, so it passes on its own base.
    let number = fixture.pull(
        "drain-web2",
        &[(
            "zones/cmdb/servers.csv",
            Some(&servers.replace(
                "web2,ams,r1,10.1.0.2,2001:db8:1::2,web,in_use",
                "web2,ams,r1,10.1.0.2,2001:db8:1::2,web,decommissioned",
            )),
        )],
    );
    fixture.approve(number, "bob");
    fixture.approve(number, "carol");
    // Meanwhile main drains web1: web2 still serves ams there too.
    fixture.commit(
        "main",
        Some(fixture.main()),
        &[(
            "zones/cmdb/servers.csv",
            Some(&servers.replace(
                "web1,ams,r1,10.1.0.1,2001:db8:1::1,web,in_use",
                "web1,ams,r1,10.1.0.1,2001:db8:1::1,web,decommissioned",
            )),
        )],
        "drain web1",
    );
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Reject), "{log}");
    assert_eq!(outcomes[0].tests, 1);
    assert_eq!(fixture.main(), main);
    let comment = &fixture.forge().record(number).unwrap().comments[0].body;
    assert!(
        comment.contains(
            "- assertions/web.yaml:1:3: assertion failed: web is discoverable in ams; rcode: expected NOERROR, got NXDOMAIN\n"
        ),
        "{comment}"
    );
    assert!(
        comment.contains("assertions: 0 passed, 1 failed"),
        "{comment}"
    );
}

#[test]
fn deleting_an_assertion_does_not_stop_it_from_running() {
    let assertion = "- it: web is discoverable in ams\n  query: _web._tcp.ams.example.com.\n  type: SRV\n  expect:\n    at_least: 1\n";
    let edge = EDGE.replace(
        "target: web1.ams.example.com.",
        "target: web3.nyc.example.com.",
    );
    let fixture = Fixture::with(&[
        ("zones/services/web.yaml", "port: 443\nrequired_in: [nyc]\n"),
        ("zones/records/edge.yaml", &edge),
        ("assertions/web.yaml", assertion),
    ]);
    let drained = SERVERS
        .replace(
            "web1,ams,r1,10.1.0.1,2001:db8:1::1,web,in_use",
            "web1,ams,r1,10.1.0.1,2001:db8:1::1,web,decommissioned",
        )
        .replace(
            "web2,ams,r1,10.1.0.2,2001:db8:1::2,web,in_use",
            "web2,ams,r1,10.1.0.2,2001:db8:1::2,web,decommissioned",
        );
    let number = fixture.pull(
        "drain-ams-quietly",
        &[
            ("zones/cmdb/servers.csv", Some(&drained)),
            ("assertions/web.yaml", None),
        ],
    );
    fixture.approve(number, "bob");
    fixture.approve(number, "carol");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Reject), "{log}");
    let comment = &fixture.forge().record(number).unwrap().comments[0].body;
    assert!(
        comment.contains(
            "assertion failed: web is discoverable in ams (an assertion of the base branch)"
        ),
        "{comment}"
    );
    assert!(
        comment.contains(
            "assertion \"web is discoverable in ams\" (assertions/web.yaml:1) is removed or changed"
        ),
        "{comment}"
    );
}

#[test]
fn the_example_repository_merges_a_routine_change_once_its_assertions_pass_and_refuses_a_breaking_one()
 {
    let example = support::example_repository();
    let fixture = Fixture::from_directory(example.path());
    let servers = std::fs::read_to_string(example.path().join("zones/cmdb/servers.csv")).unwrap();
    // playlist07 in ash goes into service: routine.
    let routine = fixture.pull(
        "playlist07-in-service",
        &[(
            "zones/cmdb/servers.csv",
            Some(&servers.replace(
                "playlist07,ash,ash-r00,10.1.0.7,2001:db8:1::7,playlist,provisioning,",
                "playlist07,ash,ash-r00,10.1.0.7,2001:db8:1::7,playlist,in_use,",
            )),
        )],
    );
    fixture.approve(routine, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
    let message = commit_message(&fixture, fixture.main());
    let tested = message
        .lines()
        .find(|line| line.starts_with("Tested: "))
        .unwrap_or_default();
    assert!(
        tested.contains("check: 0 error(s)")
            && !tested.contains("assertions: 0 passed")
            && tested.ends_with(" 0 failed"),
        "{message}"
    );
}
