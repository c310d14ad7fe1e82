//! Freeze and break-glass (issue 14, item 5): a freeze declared on the base branch (the file
//! `.zonegate/freeze`, or `policy.freeze`) holds every merge with its reason in the status; a
//! label on the pull request cannot declare or lift one. Only an emergency merge goes in: the
//! emergency label, with approvals from `policy.admins`. Local forge.
#![allow(clippy::disallowed_methods)] // Tests build repositories directly.

mod support;

use support::forge::{Fixture, POLICY, SETTINGS, commit_message, servers_with_web4};
use zonegate::merge::Verdict;

const FREEZE: &str = "Black Friday: no DNS changes until Monday\n";
const ADMINS: &str = "  admins: [erin]\n";

/// `main` with the admins in the policy and, when `frozen`, the freeze file.
fn fixture(frozen: bool) -> Fixture {
    let settings = format!("{SETTINGS}{POLICY}{ADMINS}");
    let mut extra = vec![("zones/zonegate.yaml", settings.as_str())];
    if frozen {
        extra.push((".zonegate/freeze", FREEZE));
    }
    Fixture::with(&extra)
}

/// web4 added, by alice, approved by `approvers`.
fn add_web4(fixture: &Fixture, approvers: &[&str]) -> u64 {
    let number = fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    );
    for approver in approvers {
        fixture.approve(number, approver);
    }
    number
}

/// The status description of pull request `number`.
fn status(fixture: &Fixture, number: u64) -> (String, String) {
    let record = fixture.forge().record(number).unwrap();
    let status = record.statuses.last().unwrap();
    (status.state.clone(), status.description.clone())
}

#[test]
fn a_freeze_file_on_the_base_holds_an_approved_green_change_with_its_reason() {
    let fixture = fixture(true);
    let main = fixture.main();
    let number = add_web4(&fixture, &["bob"]);
    for _ in 0..2 {
        let (outcomes, log) = fixture.pass();
        assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
        assert_eq!(outcomes[0].tests, 0, "nothing is tested in a freeze");
        assert_eq!(fixture.main(), main);
    }
    let (state, description) = status(&fixture, number);
    assert_eq!(state, "pending");
    assert!(
        description.starts_with(
            "waiting: frozen (.zonegate/freeze): Black Friday: no DNS changes until Monday;"
        ),
        "{description}"
    );
    let comment = &fixture.forge().record(number).unwrap().comments[0].body;
    assert!(
        comment.contains("Black Friday: no DNS changes until Monday"),
        "{comment}"
    );
}

#[test]
fn a_freeze_in_the_policy_holds_every_merge() {
    let settings = format!("{SETTINGS}{POLICY}{ADMINS}  freeze: quarter-end close\n");
    let fixture = Fixture::with(&[("zones/zonegate.yaml", &settings)]);
    let main = fixture.main();
    let number = add_web4(&fixture, &["bob", "carol"]);
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert_eq!(fixture.main(), main);
    let (_, description) = status(&fixture, number);
    assert!(
        description.starts_with("waiting: frozen (policy.freeze): quarter-end close;"),
        "{description}"
    );
}

#[test]
fn a_pull_request_cannot_lift_the_freeze_it_is_held_by() {
    let fixture = fixture(true);
    let main = fixture.main();
    let number = fixture.pull("thaw", &[(".zonegate/freeze", None)]);
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcomes[0].reasons[0].starts_with("frozen"),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main);
}

#[test]
fn the_emergency_label_with_a_non_admin_approval_does_not_break_the_glass() {
    let fixture = fixture(true);
    let main = fixture.main();
    let number = add_web4(&fixture, &["bob"]);
    fixture.label(number, "bob", &["emergency"]);
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcomes[0].reasons[0].contains("approval by bob does not count in a freeze"),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main);
}

#[test]
fn the_emergency_label_with_an_admins_approval_merges_in_a_freeze_and_says_so() {
    let fixture = fixture(true);
    let number = add_web4(&fixture, &["erin"]);
    fixture.label(number, "alice", &["emergency"]);
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
    let message = commit_message(&fixture, fixture.main());
    assert!(message.contains("\nApproved-by: erin\n"), "{message}");
    assert!(
        message.contains(
            "\nEmergency: merged in the freeze of .zonegate/freeze (Black Friday: no DNS changes until Monday) on the emergency label\n"
        ),
        "{message}"
    );
}

#[test]
fn without_a_freeze_the_bot_merges_as_usual() {
    let fixture = fixture(false);
    add_web4(&fixture, &["bob"]);
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
}

#[test]
fn on_github_a_freeze_file_on_the_base_holds_an_approved_change_with_its_reason() {
    use support::github::{Echo, StandIn, one_pull, pull, review};

    let fixture = fixture(true);
    let base = fixture.main().to_string();
    fixture.commit_add_web4();
    let head = fixture.tip("add-web4").to_string();
    let reviews = serde_json::json!([review("bob", "APPROVED", &head)]);
    let routes = one_pull(
        &pull(1, "add-web4", &head, &base, &[]),
        &head,
        &base,
        reviews,
    );
    let stand_in = StandIn::start(routes, Echo::Never, "t0ken");
    let (outcomes, log) = fixture.pass_with(&stand_in.forge("t0ken"), false);
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert_eq!(
        stand_in.sent("PUT", "/merge"),
        None,
        "nothing is merged in a freeze"
    );
    let status = stand_in.sent("POST", "/statuses/").unwrap();
    assert_eq!(status["state"], "pending");
    assert!(
        status["description"].as_str().unwrap().starts_with(
            "waiting: frozen (.zonegate/freeze): Black Friday: no DNS changes until Monday;"
        ),
        "{status}"
    );
}
