//! Who may lift the bar (issue 14, item 2): the override label lets a large change through with
//! the ordinary number of approvals only when someone other than the author, who may approve,
//! applied it; the merge commit names them in an `Override-by:` trailer. On the local forge and
//! the GitHub stand-in.
#![allow(clippy::disallowed_methods)] // Tests build repositories directly.

mod support;

use serde_json::{Value, json};
use support::forge::{Fixture, commit_message, settings_without_ipv6_reverse};
use support::github::{REPOSITORY, commit, pull, reference, repository, review, user};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zonegate::commands::bot::PullOutcome;
use zonegate::merge::Verdict;
use zonegate::merge::github::{GitHub, Token};

const OVERRIDE: &str = "large-change-approved";

/// A large change (the IPv6 reverse zone is dropped) by alice, approved once by bob.
fn large_change(fixture: &Fixture) -> u64 {
    let number = fixture.pull(
        "drop-ipv6",
        &[(
            "zones/zonegate.yaml",
            Some(&settings_without_ipv6_reverse()),
        )],
    );
    fixture.approve(number, "bob");
    number
}

#[test]
fn the_author_applying_the_override_label_to_their_own_large_change_does_not_lift_the_bar() {
    let fixture = Fixture::new();
    let main = fixture.main();
    let number = large_change(&fixture);
    fixture.label(number, "alice", &[OVERRIDE]);
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcomes[0]
            .reasons
            .iter()
            .any(|reason| reason.contains("applied by the author alice")),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main);
}

#[test]
fn the_override_label_applied_by_a_reviewer_lifts_the_bar_and_is_named_in_the_merge_commit() {
    let fixture = Fixture::new();
    let number = large_change(&fixture);
    fixture.label(number, "carol", &[OVERRIDE]);
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
    let message = commit_message(&fixture, fixture.main());
    assert!(message.contains("\nOverride-by: carol\n"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// The same rule on the GitHub stand-in: who applied the label comes from the issue's `labeled`
// events (every page), whether they may approve from their repository permission.

const MERGED: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

/// A labeled (or unlabeled) issue event as `GET /repos/{owner}/{repo}/issues/{n}/events`
/// documents it.
fn label_event(id: u64, event: &str, login: &str, label: &str) -> Value {
    json!({
        "id": id,
        "node_id": "MDEyOkxhYmVsZWRFdmVudDE=",
        "url": format!("https://api.github.com/repos/example/zones/issues/events/{id}"),
        "actor": user(login),
        "event": event,
        "commit_id": null,
        "commit_url": null,
        "created_at": "2026-11-24T10:00:00Z",
        "label": { "name": label, "color": "f29513" },
        "performed_via_github_app": null,
    })
}

/// `GET /repos/{owner}/{repo}/collaborators/{username}/permission` as documented.
fn permission(login: &str, permission: &str) -> Value {
    json!({ "permission": permission, "role_name": permission, "user": user(login) })
}

/// The large change as pull request #1 on a GitHub stand-in, labelled with the override label
/// and approved by bob; its events come in two pages, the second holding `last_events`.
struct OnGitHub {
    fixture: Fixture,
    runtime: tokio::runtime::Runtime,
    server: MockServer,
    head: String,
}

impl OnGitHub {
    fn new(last_events: &[Value], permissions: &[(&str, &str)]) -> Self {
        let fixture = Fixture::new();
        let base = fixture.main().to_string();
        large_change(&fixture);
        let head = fixture.tip("drop-ipv6").to_string();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(MockServer::start());
        let stand_in = Self {
            fixture,
            runtime,
            server,
            head,
        };
        let pull = pull(1, "drop-ipv6", &stand_in.head, &base, &[OVERRIDE]);
        let merged_tree = stand_in
            .fixture
            .merge_tree(
                git2::Oid::from_str(&base).unwrap(),
                git2::Oid::from_str(&stand_in.head).unwrap(),
            )
            .to_string();
        let head = stand_in.head.clone();
        let events = format!("{REPOSITORY}/issues/1/events");
        for (verb, route, status, body) in [
            ("GET", REPOSITORY.to_owned(), 200, repository()),
            ("GET", format!("{REPOSITORY}/pulls"), 200, json!([pull])),
            ("GET", format!("{REPOSITORY}/pulls/1"), 200, pull),
            (
                "GET",
                format!("{REPOSITORY}/pulls/1/reviews"),
                200,
                json!([review("bob", "APPROVED", &head)]),
            ),
            (
                "GET",
                format!("{REPOSITORY}/git/ref/heads/main"),
                200,
                reference("refs/heads/main", &base),
            ),
            (
                "GET",
                format!("{REPOSITORY}/commits/{head}/status"),
                200,
                json!({ "state": "pending", "statuses": [], "sha": head, "total_count": 0 }),
            ),
            (
                "POST",
                format!("{REPOSITORY}/statuses/{head}"),
                201,
                json!({ "id": 1, "state": "pending", "context": "zonegate/bot" }),
            ),
            (
                "GET",
                format!("{REPOSITORY}/issues/1/comments"),
                200,
                json!([]),
            ),
            (
                "POST",
                format!("{REPOSITORY}/issues/1/comments"),
                201,
                json!({ "id": 1_234, "body": "", "user": user("zonegate[bot]") }),
            ),
            (
                "PUT",
                format!("{REPOSITORY}/pulls/1/merge"),
                200,
                json!({ "sha": MERGED, "merged": true, "message": "Pull Request successfully merged" }),
            ),
            (
                "GET",
                format!("{REPOSITORY}/git/commits/{MERGED}"),
                200,
                commit(MERGED, &merged_tree, &[&base, &head]),
            ),
        ] {
            stand_in.mount(
                Mock::given(method(verb)).and(path(route)),
                ResponseTemplate::new(status).set_body_json(body),
            );
        }
        for (login, level) in permissions {
            stand_in.mount(
                Mock::given(method("GET")).and(path(format!(
                    "{REPOSITORY}/collaborators/{login}/permission"
                ))),
                ResponseTemplate::new(200).set_body_json(permission(login, level)),
            );
        }
        // Page 1: the label applied and removed again by carol; page 2: what the test says.
        let next = format!("{}{events}?per_page=100&page=2", stand_in.server.uri());
        stand_in.mount(
            Mock::given(method("GET"))
                .and(path(events.clone()))
                .and(query_param("page", "2")),
            ResponseTemplate::new(200).set_body_json(Value::Array(last_events.to_vec())),
        );
        stand_in.mount(
            Mock::given(method("GET"))
                .and(path(events))
                .and(query_param_is_missing("page")),
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\""),
                )
                .set_body_json(json!([
                    label_event(1, "labeled", "carol", OVERRIDE),
                    label_event(2, "unlabeled", "carol", OVERRIDE),
                    label_event(3, "labeled", "carol", "dns"),
                ])),
        );
        stand_in
    }

    fn mount(&self, mock: wiremock::MockBuilder, answer: ResponseTemplate) {
        self.runtime
            .block_on(mock.respond_with(answer).mount(&self.server));
    }

    fn run(&self) -> (PullOutcome, String) {
        let forge = GitHub::new(
            &self.server.uri(),
            "example/zones",
            Token::new("t0ken".into()),
        )
        .unwrap();
        let (mut outcomes, log) = self.fixture.pass_with(&forge, false);
        assert_eq!(outcomes.len(), 1, "{log}");
        (outcomes.remove(0), log)
    }

    fn body(&self, verb: &str, route: &str) -> Option<Value> {
        self.runtime
            .block_on(self.server.received_requests())
            .unwrap()
            .iter()
            .find(|request| request.method.as_str() == verb && request.url.path() == route)
            .map(|request| request.body_json::<Value>().unwrap())
    }
}

#[test]
fn on_github_the_author_applying_the_override_label_does_not_lift_the_bar() {
    let github = OnGitHub::new(
        &[label_event(4, "labeled", "alice", OVERRIDE)],
        &[("alice", "admin"), ("carol", "write")],
    );
    let (outcome, log) = github.run();
    assert_eq!(outcome.verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcome.reasons[0].ends_with(&format!(
            "the label `{OVERRIDE}` does not count: applied by the author alice"
        )),
        "{:?}",
        outcome.reasons
    );
    assert_eq!(
        github.body("PUT", &format!("{REPOSITORY}/pulls/1/merge")),
        None
    );
    let status = github
        .body("POST", &format!("{REPOSITORY}/statuses/{}", github.head))
        .unwrap();
    assert_eq!(status["state"], "pending", "{status}");
}

#[test]
fn on_github_the_override_label_from_someone_who_may_not_approve_does_not_lift_the_bar() {
    let github = OnGitHub::new(
        &[label_event(4, "labeled", "mallory", OVERRIDE)],
        &[("mallory", "read")],
    );
    let (outcome, log) = github.run();
    assert_eq!(outcome.verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcome.reasons[0].ends_with("applied by mallory, who may not approve"),
        "{:?}",
        outcome.reasons
    );
    assert_eq!(
        github.body("PUT", &format!("{REPOSITORY}/pulls/1/merge")),
        None
    );
}

#[test]
fn on_github_the_override_label_applied_by_a_reviewer_on_the_second_page_lifts_the_bar() {
    let github = OnGitHub::new(
        &[label_event(4, "labeled", "carol", OVERRIDE)],
        &[("carol", "write")],
    );
    let (outcome, log) = github.run();
    assert_eq!(outcome.verdict, Some(Verdict::Merge), "{log}");
    let merge = github
        .body("PUT", &format!("{REPOSITORY}/pulls/1/merge"))
        .unwrap();
    let message = merge["commit_message"].as_str().unwrap();
    assert!(message.contains("\nOverride-by: carol\n"), "{message}");
}
