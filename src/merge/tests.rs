//! `decide` over literal data: every rule, one test each.

use super::*;
use crate::diagnostic::{FileId, Span};

const HEAD: &str = "1111111111111111111111111111111111111111";
const OLD: &str = "0000000000000000000000000000000000000000";

fn facts() -> PullRequestFacts {
    PullRequestFacts {
        number: 7,
        title: "add web3".into(),
        author: "alice".into(),
        head_sha: HEAD.into(),
        head_ref: "add-web3".into(),
        base_ref: "main".into(),
        draft: false,
        labels: Vec::new(),
        reviews: Vec::new(),
    }
}

fn review(user: &str, state: ReviewState, commit: &str) -> Review {
    Review {
        user: user.into(),
        state,
        commit_id: commit.into(),
        signature: None,
    }
}

fn policy() -> Policy {
    let mut policy = Policy::defaults(Span::new(FileId(0), 1, 1));
    policy.override_label = Some("large-change-approved".into());
    policy
}

fn clean() -> Assessment {
    Assessment {
        merge: MergeCheck::Clean,
        large_changes: Vec::new(),
        owners: Vec::new(),
        gate: Gate::NotRun,
        override_applier: None,
        freeze: None,
        unverified: Vec::new(),
    }
}

fn large(class: &'static crate::change_class::ChangeClass, reason: &str) -> LargeChange {
    LargeChange {
        cause: crate::diff::Cause::Class(class),
        reason: reason.into(),
    }
}

fn passed() -> Gate {
    Gate::Passed(TestCounts {
        zones: 3,
        records: 40,
        assertions_passed: 5,
        ..TestCounts::default()
    })
}

fn approved_by(users: &[&str]) -> PullRequestFacts {
    let mut facts = facts();
    facts.reviews = users
        .iter()
        .map(|user| review(user, ReviewState::Approved, HEAD))
        .collect();
    facts
}

#[test]
fn an_approved_change_is_tested_then_merged() {
    let facts = approved_by(&["bob"]);
    let decision = decide(&facts, &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Test);
    assert_eq!(decision.approvers, ["bob"]);
    let decision = decide(
        &facts,
        &policy(),
        &Assessment {
            gate: passed(),
            ..clean()
        },
    );
    assert_eq!(decision.verdict, Verdict::Merge);
    assert!(decision.reasons.is_empty());
}

#[test]
fn drafts_and_do_not_merge_are_skipped() {
    let mut draft = approved_by(&["bob"]);
    draft.draft = true;
    let decision = decide(&draft, &policy(), &clean());
    assert_eq!(
        (decision.verdict, decision.reasons),
        (Verdict::Skip, vec!["draft".to_owned()])
    );

    let mut labelled = approved_by(&["bob"]);
    labelled.labels = vec!["Do-Not-Merge".into()];
    let decision = decide(&labelled, &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Skip);
    assert_eq!(decision.reasons, ["labelled `do-not-merge`"]);
}

#[test]
fn no_review_waits() {
    let decision = decide(&facts(), &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert_eq!(
        decision.reasons,
        [
            "0 of 1 required approval(s) from reviewers other than the author on the current head 1111111"
        ]
    );
}

#[test]
fn the_authors_own_approval_does_not_count() {
    let decision = decide(&approved_by(&["alice"]), &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert!(decision.approvers.is_empty());
    assert!(
        decision.reasons[0].ends_with("the author's own approval does not count"),
        "{:?}",
        decision.reasons
    );
    // Case does not hide the author.
    let decision = decide(&approved_by(&["ALICE"]), &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Wait);
}

#[test]
fn an_approval_of_an_older_commit_is_stale() {
    let mut facts = facts();
    facts.reviews = vec![review("bob", ReviewState::Approved, OLD)];
    let decision = decide(&facts, &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert!(
        decision.reasons[0].ends_with("approval by bob is for an older commit"),
        "{:?}",
        decision.reasons
    );
}

#[test]
fn changes_requested_block_until_the_same_reviewer_approves() {
    let mut facts = approved_by(&["bob"]);
    facts
        .reviews
        .push(review("carol", ReviewState::ChangesRequested, OLD));
    let decision = decide(&facts, &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert_eq!(decision.reasons, ["carol requested changes"]);

    // A later comment does not lift it...
    facts
        .reviews
        .push(review("carol", ReviewState::Commented, HEAD));
    assert_eq!(decide(&facts, &policy(), &clean()).verdict, Verdict::Wait);
    // ...an approval by the same reviewer does, and a dismissal does too.
    let mut approved = facts.clone();
    approved
        .reviews
        .push(review("carol", ReviewState::Approved, HEAD));
    let decision = decide(&approved, &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Test);
    assert_eq!(decision.approvers, ["bob", "carol"]);
    let mut dismissed = facts;
    dismissed
        .reviews
        .push(review("carol", ReviewState::Dismissed, HEAD));
    assert_eq!(
        decide(&dismissed, &policy(), &clean()).verdict,
        Verdict::Test
    );
}

#[test]
fn a_later_changes_request_replaces_an_approval() {
    let mut facts = approved_by(&["bob"]);
    facts
        .reviews
        .push(review("bob", ReviewState::ChangesRequested, HEAD));
    let decision = decide(&facts, &policy(), &clean());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert!(decision.approvers.is_empty());
    assert_eq!(decision.reasons.len(), 2, "{:?}", decision.reasons);
}

#[test]
fn pending_reviews_are_ignored() {
    let mut facts = approved_by(&["bob"]);
    facts
        .reviews
        .push(review("bob", ReviewState::Pending, HEAD));
    assert_eq!(decide(&facts, &policy(), &clean()).verdict, Verdict::Test);
}

#[test]
fn a_large_change_needs_the_larger_number_of_approvals() {
    let assessment = Assessment {
        large_changes: vec![
            large(
                &crate::change_class::SERVICE_LOSES_EVERY_TARGET,
                "service web in ams loses all 2 of its SRV targets",
            ),
            large(&crate::change_class::TTL_CUT, "zone example.com.: ..."),
            large(&crate::change_class::TTL_CUT, "zone 10.in-addr.arpa.: ..."),
        ],
        ..clean()
    };
    let decision = decide(&approved_by(&["bob"]), &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Wait);
    assert!(decision.large);
    assert_eq!(decision.required_approvals, 2);
    assert_eq!(
        decision.reasons[0],
        "1 of 2 required approval(s) for a large change (service-loses-every-target, ttl-cut) from reviewers other than the author on the current head 1111111"
    );

    let decision = decide(&approved_by(&["bob", "carol"]), &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Test);
}

fn dropped_zone() -> Vec<LargeChange> {
    vec![large(
        &crate::change_class::ZONE_ADDED_OR_REMOVED,
        "zone example.com. is removed (40 records are no longer served)",
    )]
}

fn applied_by(login: &str, may_approve: bool) -> LabelApplier {
    LabelApplier::By {
        login: login.into(),
        may_approve,
    }
}

#[test]
fn the_override_label_applied_by_a_reviewer_lets_a_large_change_merge_with_the_normal_approvals() {
    let assessment = Assessment {
        large_changes: dropped_zone(),
        override_applier: Some(applied_by("carol", true)),
        ..clean()
    };
    let mut facts = approved_by(&["bob"]);
    facts.labels = vec!["large-change-approved".into()];
    let decision = decide(&facts, &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Test);
    assert_eq!(decision.required_approvals, 1);
    assert_eq!(decision.override_by.as_deref(), Some("carol"));
    // Without an override label in the policy the label means nothing.
    let mut strict = policy();
    strict.override_label = None;
    assert_eq!(decide(&facts, &strict, &assessment).verdict, Verdict::Wait);
    // On a change that is not large it lifts nothing, and the merge commit names no one.
    let small = decide(
        &facts,
        &policy(),
        &Assessment {
            override_applier: Some(applied_by("carol", true)),
            ..clean()
        },
    );
    assert_eq!(small.override_by, None);
}

#[test]
fn the_override_label_counts_only_from_someone_other_than_the_author_who_may_approve() {
    let mut facts = approved_by(&["bob"]);
    facts.labels = vec!["Large-Change-Approved".into()];
    let cases = [
        (
            Some(applied_by("Alice", true)),
            "the label `large-change-approved` does not count: applied by the author Alice",
        ),
        (
            Some(applied_by("mallory", false)),
            "the label `large-change-approved` does not count: applied by mallory, who may not approve",
        ),
        (
            Some(LabelApplier::Unknown),
            "the label `large-change-approved` does not count: the forge has no record of who applied it",
        ),
        (
            None,
            "the label `large-change-approved` does not count: the forge has no record of who applied it",
        ),
        (
            Some(LabelApplier::Untrusted {
                login: "carol".into(),
                reason: "is not signed".into(),
            }),
            "the label `large-change-approved` does not count: the event applying it as carol is not signed",
        ),
    ];
    for (applier, why) in cases {
        let assessment = Assessment {
            large_changes: dropped_zone(),
            override_applier: applier.clone(),
            ..clean()
        };
        let decision = decide(&facts, &policy(), &assessment);
        assert_eq!(decision.verdict, Verdict::Wait, "{applier:?}");
        assert_eq!(decision.required_approvals, 2);
        assert_eq!(decision.override_by, None);
        assert!(
            decision.reasons[0].ends_with(&format!("; {why}")),
            "{:?}",
            decision.reasons
        );
    }
}

#[test]
fn the_latest_labeled_event_says_who_applied_a_label() {
    let event = |label: &str, actor: &str, added: bool| LabelEvent {
        label: label.into(),
        actor: actor.into(),
        added,
    };
    let events = [
        event("large-change-approved", "carol", true),
        event("large-change-approved", "carol", false),
        event("Large-Change-Approved", "alice", true),
        event("dns", "bob", true),
    ];
    assert_eq!(
        last_labeled(&events, "large-change-approved").map(|e| e.actor.as_str()),
        Some("alice")
    );
    assert_eq!(last_labeled(&events, "emergency"), None);
}

#[test]
fn owners_must_approve_their_files() {
    let requirement = OwnerRequirement {
        owners: vec!["@example/web".into()],
        users: vec!["dave".into()],
        unresolved_teams: Vec::new(),
        paths: vec!["zones/services/web.yaml".into()],
    };
    let assessment = Assessment {
        owners: vec![requirement],
        ..clean()
    };
    let decision = decide(&approved_by(&["bob"]), &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Wait);
    assert_eq!(
        decision.reasons,
        ["zones/services/web.yaml need(s) an approval from an owner: @example/web"]
    );
    assert_eq!(
        decide(&approved_by(&["Dave"]), &policy(), &assessment).verdict,
        Verdict::Test
    );
}

#[test]
fn an_unlistable_team_is_explained() {
    let assessment = Assessment {
        owners: vec![OwnerRequirement {
            owners: vec!["@example/web".into()],
            users: Vec::new(),
            unresolved_teams: vec!["@example/web".into()],
            paths: vec!["zones/services/web.yaml".into()],
        }],
        ..clean()
    };
    let decision = decide(&approved_by(&["bob"]), &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Wait);
    assert!(decision.reasons[0].contains("add them under `policy.teams`"));
}

#[test]
fn a_conflict_is_rejected_even_when_approved() {
    let assessment = Assessment {
        merge: MergeCheck::Conflicts(vec!["zones/records/edge.yaml".into()]),
        ..clean()
    };
    let decision = decide(&approved_by(&["bob"]), &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Reject);
    assert_eq!(
        decision.reasons,
        ["does not merge cleanly onto the current base: conflicts in zones/records/edge.yaml"]
    );
}

#[test]
fn a_failing_gate_is_rejected_with_its_failures() {
    let assessment = Assessment {
        gate: Gate::Failed {
            counts: TestCounts::default(),
            failures: vec!["assertions/web.yaml:1:3: web is discoverable in ams: expected at least 2 targets, got 0".into()],
        },
        ..clean()
    };
    let decision = decide(&approved_by(&["bob"]), &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Reject);
    assert_eq!(decision.reasons.len(), 2);
    assert!(decision.reasons[1].contains("expected at least 2 targets"));
}

#[test]
fn a_passing_gate_does_not_replace_approvals() {
    let assessment = Assessment {
        gate: passed(),
        ..clean()
    };
    assert_eq!(
        decide(&facts(), &policy(), &assessment).verdict,
        Verdict::Wait
    );
}

#[test]
fn a_known_failure_is_rejected_before_approvals_and_lists_them() {
    let assessment = Assessment {
        gate: Gate::Failed {
            counts: TestCounts::default(),
            failures: vec![
                "zones/zonegate.yaml:3:1: error[unknown-key]: unknown key `zonez`".into(),
            ],
        },
        ..clean()
    };
    let decision = decide(&facts(), &policy(), &assessment);
    assert_eq!(decision.verdict, Verdict::Reject);
    assert_eq!(decision.reasons.len(), 3, "{:?}", decision.reasons);
    assert!(decision.reasons[2].starts_with("0 of 1 required approval(s)"));
}

#[test]
fn more_required_approvals_count_distinct_reviewers() {
    let mut strict = policy();
    strict.approvals = 2;
    strict.large_change_approvals = 3;
    let mut facts = approved_by(&["bob"]);
    facts
        .reviews
        .push(review("bob", ReviewState::Approved, HEAD));
    assert_eq!(decide(&facts, &strict, &clean()).verdict, Verdict::Wait);
    facts
        .reviews
        .push(review("carol", ReviewState::Approved, HEAD));
    assert_eq!(decide(&facts, &strict, &clean()).verdict, Verdict::Test);
}

#[test]
fn owner_requirements_follow_the_last_matching_line() {
    let (codeowners, _) = codeowners::parse(
        "* @example/dns\nzones/services/ @example/services @carol\nzones/services/legacy.yaml\n",
        FileId(0),
    );
    let changed = vec![
        "zones/services/web.yaml".to_owned(),
        "zones/services/api.yaml".to_owned(),
        "zones/services/legacy.yaml".to_owned(),
        "zones/zonegate.yaml".to_owned(),
    ];
    let requirements = owner_requirements(&codeowners, &changed, |team| {
        (team == "@example/services").then(|| vec!["Erin".to_owned()])
    });
    assert_eq!(
        requirements,
        [
            OwnerRequirement {
                owners: vec!["@example/services".into(), "@carol".into()],
                users: vec!["carol".into(), "erin".into()],
                unresolved_teams: Vec::new(),
                paths: vec![
                    "zones/services/web.yaml".into(),
                    "zones/services/api.yaml".into()
                ],
            },
            OwnerRequirement {
                owners: vec!["@example/dns".into()],
                users: Vec::new(),
                unresolved_teams: vec!["@example/dns".into()],
                paths: vec!["zones/zonegate.yaml".into()],
            },
        ]
    );
}

fn frozen() -> Assessment {
    Assessment {
        freeze: freeze(&policy(), Some(b"release week:\n  no DNS changes\n")),
        gate: passed(),
        ..clean()
    }
}

#[test]
fn a_freeze_holds_every_merge_and_says_why_first() {
    let mut facts = approved_by(&["bob"]);
    facts
        .reviews
        .push(review("erin", ReviewState::ChangesRequested, HEAD));
    let mut admins = policy();
    admins.admins = vec!["erin".into()];
    let decision = decide(&facts, &admins, &frozen());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert_eq!(
        decision.reasons[0],
        "frozen (.zonegate/freeze): release week: no DNS changes; only an emergency merge goes in (label `emergency`, approved by `policy.admins`)"
    );
    // The policy's reason wins over the file's, and an empty file freezes too.
    let mut declared = policy();
    declared.freeze = Some("quarter end".into());
    assert_eq!(
        freeze(&declared, Some(b"x")).map(|f| (f.source, f.reason)),
        Some(("policy.freeze", "quarter end".to_owned()))
    );
    assert_eq!(
        freeze(&policy(), Some(b" \n")).map(|f| f.reason),
        Some("no reason given".to_owned())
    );
    assert_eq!(freeze(&policy(), None), None);
}

#[test]
fn an_emergency_merge_in_a_freeze_counts_only_admins_approvals() {
    let mut facts = approved_by(&["bob"]);
    facts.labels = vec!["Emergency".into()];
    let mut admins = policy();
    admins.admins = vec!["Erin".into()];
    let decision = decide(&facts, &admins, &frozen());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert!(decision.emergency);
    assert_eq!(
        decision.reasons,
        [
            "0 of 1 required approval(s) from `policy.admins` other than the author for an emergency merge in the freeze on the current head 1111111; approval by bob does not count in a freeze (not in `policy.admins`)"
        ]
    );
    let mut facts = approved_by(&["bob", "erin"]);
    facts.labels = vec!["emergency".into()];
    let decision = decide(&facts, &admins, &frozen());
    assert_eq!(decision.verdict, Verdict::Merge);
    assert_eq!(decision.approvers, ["erin"]);
    // Nobody can break the glass when no admin is named.
    let decision = decide(&facts, &policy(), &frozen());
    assert_eq!(decision.verdict, Verdict::Wait);
    assert!(
        decision.reasons[0].contains("`policy.admins` names no one"),
        "{:?}",
        decision.reasons
    );
    // Without a freeze the emergency label changes nothing.
    let calm = Assessment {
        gate: passed(),
        ..clean()
    };
    let decision = decide(&approved_by(&["bob"]), &admins, &calm);
    assert_eq!(decision.verdict, Verdict::Merge);
    assert!(!decision.emergency);
}

#[test]
fn reviews_that_do_not_count_are_named_where_approvals_or_owners_are_missing() {
    let unverified = vec!["bob's review is unsigned".to_owned()];
    let assessment = Assessment {
        unverified: unverified.clone(),
        ..clean()
    };
    let decision = decide(&facts(), &policy(), &assessment);
    assert!(
        decision.reasons[0].ends_with("; bob's review is unsigned"),
        "{:?}",
        decision.reasons
    );
    // Enough valid approvals but an owner missing: said there.
    let requirement = OwnerRequirement {
        owners: vec!["@bob".into()],
        users: vec!["bob".into()],
        unresolved_teams: Vec::new(),
        paths: vec!["zones/services/web.yaml".into()],
    };
    let owned = Assessment {
        owners: vec![requirement],
        unverified,
        ..clean()
    };
    let decision = decide(&approved_by(&["carol"]), &policy(), &owned);
    assert_eq!(decision.reasons.len(), 1);
    assert!(
        decision.reasons[0].ends_with("; bob's review is unsigned"),
        "{:?}",
        decision.reasons
    );
    // When nothing is missing, a review that does not count holds nothing up.
    let calm = Assessment {
        unverified: vec!["mallory's review is unsigned".to_owned()],
        gate: passed(),
        ..clean()
    };
    assert_eq!(
        decide(&approved_by(&["carol"]), &policy(), &calm).verdict,
        Verdict::Merge
    );
}
