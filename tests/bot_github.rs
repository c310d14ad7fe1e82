//! The merge bot against a local stand-in for the GitHub REST API (wiremock), answering with the
//! documented response shapes. The tests assert the exact requests the bot sends, and that the
//! token never appears in any output.
#![allow(clippy::disallowed_methods)] // Tests run the binary and build repositories directly.

mod support;

use serde_json::{Value, json};
use support::forge::Fixture;
use support::github::{REPOSITORY, StandIn, pull, reference, repository, review, run_bot, user};
use zonegate::commands::bot::PullOutcome;
use zonegate::merge::Verdict;
use zonegate::merge::github::{GitHub, Token};

const TOKEN: &str = "ghp_zonegateTestToken0123456789abcdef";
const MERGED: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

/// The client the library's bot pass uses, pointed at `stand_in`.
fn forge(stand_in: &StandIn) -> GitHub {
    GitHub::new(&stand_in.uri(), "example/zones", Token::new(TOKEN.into())).unwrap()
}

/// One pull request (`add-web4`, by alice) on a fixture, and a stand-in that knows it.
struct Scenario {
    fixture: Fixture,
    stand_in: StandIn,
    base: String,
    head: String,
}

impl Scenario {
    fn new() -> Self {
        let fixture = Fixture::new();
        let base = fixture.main().to_string();
        fixture.commit_add_web4();
        let head = fixture.tip("add-web4").to_string();
        let stand_in = StandIn::faithful();
        stand_in.on("GET", REPOSITORY, 200, repository());
        stand_in.on(
            "GET",
            &format!("{REPOSITORY}/pulls"),
            200,
            json!([pull(1, "add-web4", &head, &base, &[])]),
        );
        stand_in.on(
            "GET",
            &format!("{REPOSITORY}/pulls/1"),
            200,
            pull(1, "add-web4", &head, &base, &[]),
        );
        stand_in.on(
            "GET",
            &format!("{REPOSITORY}/git/ref/heads/main"),
            200,
            reference("refs/heads/main", &base),
        );
        stand_in.on(
            "POST",
            &format!("{REPOSITORY}/statuses/{head}"),
            201,
            json!({ "id": 1, "state": "success", "context": "zonegate/bot", "description": "" }),
        );
        stand_in.on(
            "POST",
            &format!("{REPOSITORY}/issues/1/comments"),
            201,
            json!({ "id": 1_234, "body": "", "user": user("zonegate[bot]") }),
        );
        Self {
            fixture,
            stand_in,
            base,
            head,
        }
    }

    /// Reviews as (login, state), given on the current head.
    fn reviews(&self, reviews: &[(&str, &str)]) -> &Self {
        let reviews: Vec<Value> = reviews
            .iter()
            .map(|(login, state)| review(login, state, &self.head))
            .collect();
        self.stand_in.on(
            "GET",
            &format!("{REPOSITORY}/pulls/1/reviews"),
            200,
            Value::Array(reviews),
        );
        self
    }

    /// The bot's status and comment as they already are.
    fn existing(&self, statuses: &Value, comments: Value) -> &Self {
        self.stand_in.on(
            "GET",
            &format!("{REPOSITORY}/commits/{}/status", self.head),
            200,
            json!({ "state": "pending", "statuses": statuses, "sha": self.head, "total_count": 0 }),
        );
        self.stand_in.on(
            "GET",
            &format!("{REPOSITORY}/issues/1/comments"),
            200,
            comments,
        );
        self
    }

    /// `PUT .../pulls/1/merge` answers `status` with `body`; on 200, the merged commit has
    /// `tree` (default: the tree git makes of the merge, as GitHub would).
    fn merge_answers(&self, status: u16, body: Value, tree: Option<&str>) -> &Self {
        self.stand_in
            .on("PUT", &format!("{REPOSITORY}/pulls/1/merge"), status, body);
        let oid = |sha: &str| git2::Oid::from_str(sha).unwrap();
        let merged_tree = self
            .fixture
            .merge_tree(oid(&self.base), oid(&self.head))
            .to_string();
        self.stand_in.on(
            "GET",
            &format!("{REPOSITORY}/git/commits/{MERGED}"),
            200,
            json!({
                "sha": MERGED,
                "node_id": "C_kwDOAAABfdoAKDZkY2IwOWI1YjU3ODc1ZjMzNGY2MWFlYmVkNjk1ZTJlNDE5M2RiNWU",
                "tree": { "sha": tree.unwrap_or(&merged_tree), "url": "" },
                "parents": [{ "sha": self.base, "url": "" }, { "sha": self.head, "url": "" }],
                "message": "Merge pull request #1 from add-web4",
            }),
        );
        self
    }

    fn run(&self) -> (PullOutcome, String) {
        let (mut outcomes, log) = self.fixture.pass_with(&forge(&self.stand_in), false);
        assert_eq!(outcomes.len(), 1, "{log}");
        assert!(!log.contains(TOKEN));
        (outcomes.remove(0), log)
    }

    /// The request lines with the commit ids replaced by placeholders.
    fn lines(&self) -> String {
        self.stand_in
            .lines()
            .join("\n")
            .replace(&self.head, "<head>")
            .replace(&self.base, "<base>")
    }
}

fn merged_body() -> Value {
    json!({ "sha": MERGED, "merged": true, "message": "Pull Request successfully merged" })
}

#[test]
fn an_approved_green_change_is_merged_with_the_sha_guard_and_verified() {
    let scenario = Scenario::new();
    scenario
        .reviews(&[("bob", "APPROVED")])
        .existing(&json!([]), json!([]))
        .merge_answers(200, merged_body(), None);
    let (outcome, log) = scenario.run();
    assert_eq!(outcome.verdict, Some(Verdict::Merge), "{log}");
    assert_eq!(outcome.merged.as_deref(), Some(MERGED));
    insta::assert_snapshot!(scenario.lines(), @"
    GET /repos/example/zones
    GET /repos/example/zones/pulls?state=open&base=main&sort=created&direction=asc&per_page=100
    GET /repos/example/zones/pulls/1/reviews?per_page=100
    GET /repos/example/zones/git/ref/heads/main
    GET /repos/example/zones/pulls/1
    GET /repos/example/zones/pulls/1/reviews?per_page=100
    GET /repos/example/zones/git/ref/heads/main
    PUT /repos/example/zones/pulls/1/merge
    GET /repos/example/zones/git/commits/6dcb09b5b57875f334f61aebed695e2e4193db5e
    GET /repos/example/zones/commits/<head>/status?per_page=100
    POST /repos/example/zones/statuses/<head>
    GET /repos/example/zones/issues/1/comments?per_page=100
    POST /repos/example/zones/issues/1/comments
    ");

    let stand_in = &scenario.stand_in;
    let head = &scenario.head;
    let merge = stand_in.body("PUT", &format!("{REPOSITORY}/pulls/1/merge"));
    assert_eq!(merge["sha"], head.as_str());
    assert_eq!(merge["merge_method"], "merge");
    assert_eq!(merge["commit_title"], "Merge pull request #1 from add-web4");
    let message = merge["commit_message"].as_str().unwrap();
    assert!(message.contains("\nApproved-by: bob\n"), "{message}");
    assert!(message.contains(&format!("\nHead: {head}\n")), "{message}");

    let status = stand_in.body("POST", &format!("{REPOSITORY}/statuses/{head}"));
    assert_eq!(status["state"], "success");
    assert_eq!(status["context"], "zonegate/bot");
    assert!(
        status["description"]
            .as_str()
            .unwrap()
            .starts_with("merged as 6dcb09b after "),
        "{status}"
    );
    let comment = stand_in.body("POST", &format!("{REPOSITORY}/issues/1/comments"));
    assert!(
        comment["body"]
            .as_str()
            .unwrap()
            .starts_with("<!-- zonegate-bot -->\n## zonegate bot: ✅ merged as `6dcb09b`"),
        "{comment}"
    );

    for request in stand_in.requests() {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("authorization"), Some(format!("Bearer {TOKEN}")));
        assert_eq!(
            header("accept").as_deref(),
            Some("application/vnd.github+json")
        );
        assert_eq!(
            header("x-github-api-version").as_deref(),
            Some("2022-11-28")
        );
        assert!(header("user-agent").is_some_and(|agent| agent.starts_with("zonegate/")));
    }
}

#[test]
fn an_unapproved_change_gets_a_pending_status_and_a_comment_and_no_merge() {
    let scenario = Scenario::new();
    scenario
        .reviews(&[("alice", "APPROVED"), ("carol", "COMMENTED")])
        .existing(&json!([]), json!([]));
    let (outcome, log) = scenario.run();
    assert_eq!(outcome.verdict, Some(Verdict::Wait), "{log}");
    insta::assert_snapshot!(scenario.lines(), @"
    GET /repos/example/zones
    GET /repos/example/zones/pulls?state=open&base=main&sort=created&direction=asc&per_page=100
    GET /repos/example/zones/pulls/1/reviews?per_page=100
    GET /repos/example/zones/git/ref/heads/main
    GET /repos/example/zones/commits/<head>/status?per_page=100
    POST /repos/example/zones/statuses/<head>
    GET /repos/example/zones/issues/1/comments?per_page=100
    POST /repos/example/zones/issues/1/comments
    ");
    let status = scenario
        .stand_in
        .body("POST", &format!("{REPOSITORY}/statuses/{}", scenario.head));
    assert_eq!(status["state"], "pending");
}

#[test]
fn a_draft_gets_a_not_evaluated_status_and_comment_and_nothing_is_tested() {
    let scenario = Scenario::new();
    scenario
        .reviews(&[("bob", "APPROVED")])
        .existing(&json!([]), json!([]));
    let mut draft = pull(1, "add-web4", &scenario.head, &scenario.base, &[]);
    draft["draft"] = json!(true);
    scenario
        .stand_in
        .first("GET", &format!("{REPOSITORY}/pulls"), 1, json!([draft]));
    let (outcome, log) = scenario.run();
    assert_eq!(outcome.verdict, Some(Verdict::Skip), "{log}");
    assert_eq!(outcome.tests, 0);
    let status = scenario
        .stand_in
        .body("POST", &format!("{REPOSITORY}/statuses/{}", scenario.head));
    assert_eq!(
        status,
        json!({ "state": "pending", "description": "not evaluated: draft", "context": "zonegate/bot" })
    );
    let comment = scenario
        .stand_in
        .body("POST", &format!("{REPOSITORY}/issues/1/comments"));
    assert!(
        comment["body"]
            .as_str()
            .unwrap()
            .contains("## zonegate bot: not evaluated: draft\n"),
        "{comment}"
    );
    assert!(!scenario.lines().contains("/merge"));
}

#[test]
fn the_comment_is_edited_in_place_and_an_unchanged_status_is_not_posted_again() {
    // First pass: learn the status the bot sets.
    let first = Scenario::new();
    first.reviews(&[]).existing(&json!([]), json!([]));
    first.run();
    let status = first
        .stand_in
        .body("POST", &format!("{REPOSITORY}/statuses/{}", first.head));

    // Same situation, the forge already shows that status and an older comment of the bot's.
    let second = Scenario::new();
    second.reviews(&[]).existing(
        &json!([{ "state": status["state"], "description": status["description"], "context": "zonegate/bot", "target_url": null }]),
        json!([
            { "id": 7, "body": "thanks!", "user": user("bob") },
            { "id": 555, "body": "<!-- zonegate-bot -->\nan older verdict", "user": user("zonegate[bot]") }
        ]),
    );
    second.stand_in.on(
        "PATCH",
        &format!("{REPOSITORY}/issues/comments/555"),
        200,
        json!({ "id": 555, "body": "" }),
    );
    second.run();
    insta::assert_snapshot!(second.lines(), @"
    GET /repos/example/zones
    GET /repos/example/zones/pulls?state=open&base=main&sort=created&direction=asc&per_page=100
    GET /repos/example/zones/pulls/1/reviews?per_page=100
    GET /repos/example/zones/git/ref/heads/main
    GET /repos/example/zones/commits/<head>/status?per_page=100
    GET /repos/example/zones/issues/1/comments?per_page=100
    PATCH /repos/example/zones/issues/comments/555
    ");
}

#[test]
fn a_head_modified_answer_leaves_the_change_for_the_next_pass() {
    let scenario = Scenario::new();
    scenario
        .reviews(&[("bob", "APPROVED")])
        .existing(&json!([]), json!([]))
        .merge_answers(
            409,
            json!({ "message": "Head branch was modified. Review and try the merge again.", "documentation_url": "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" }),
            None,
        );
    let (outcome, log) = scenario.run();
    assert_eq!(outcome.verdict, Some(Verdict::Wait), "{log}");
    assert_eq!(outcome.merged, None);
    assert!(log.contains("the head moved before the merge"), "{log}");
}

#[test]
fn a_not_mergeable_answer_is_reported_as_not_merged() {
    let scenario = Scenario::new();
    scenario
        .reviews(&[("bob", "APPROVED")])
        .existing(&json!([]), json!([]))
        .merge_answers(
            405,
            json!({ "message": "Pull Request is not mergeable", "documentation_url": "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request" }),
            None,
        );
    let (outcome, log) = scenario.run();
    assert_eq!(outcome.verdict, Some(Verdict::Reject), "{log}");
    assert_eq!(
        outcome.reasons,
        ["the forge refused the merge: Pull Request is not mergeable"]
    );
    let status = scenario
        .stand_in
        .body("POST", &format!("{REPOSITORY}/statuses/{}", scenario.head));
    assert_eq!(status["state"], "failure");
}

#[test]
fn a_merge_whose_tree_differs_from_the_tested_one_is_an_error() {
    let scenario = Scenario::new();
    scenario
        .reviews(&[("bob", "APPROVED")])
        .existing(&json!([]), json!([]))
        .merge_answers(
            200,
            merged_body(),
            Some("4b825dc642cb6eb9a060e54bf8d69288fbee4904"),
        );
    let (outcome, log) = scenario.run();
    let error = outcome.error.unwrap_or_default();
    assert!(
        error.starts_with("pull request #1 was merged as 6dcb09b5b57875f334f61aebed695e2e4193db5e, but its tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904 is not the tested tree"),
        "{error}\n{log}"
    );
    let status = scenario
        .stand_in
        .body("POST", &format!("{REPOSITORY}/statuses/{}", scenario.head));
    assert_eq!(status["state"], "error");
}

#[test]
fn the_binary_never_prints_the_token() {
    let scenario = Scenario::new();
    scenario.reviews(&[]).existing(&json!([]), json!([]));
    let run = run_bot(&scenario.fixture, &scenario.stand_in, TOKEN);
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert!(
        run.stdout.contains("#1 \"add-web4\" by alice: waiting"),
        "{}",
        run.stdout
    );
    assert!(!run.transcript().contains(TOKEN));

    // Refused credentials: a clear error, exit 2, still no token.
    let refused = StandIn::faithful();
    refused.on(
        "GET",
        REPOSITORY,
        401,
        json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401" }),
    );
    let run = run_bot(&scenario.fixture, &refused, TOKEN);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(
        run.stderr,
        "error: GET /repos/example/zones: HTTP 401: Bad credentials\n"
    );
    assert!(!run.transcript().contains(TOKEN));
}

#[test]
fn two_approved_changes_merge_in_turn_the_second_tested_on_githubs_merge_of_the_first() {
    const MERGED_SECOND: &str = "7e1d0a6c0c6a3f3c3e7f0b8a4e2f8b1c9d0e1f2a";
    let fixture = Fixture::new();
    let base = fixture.main();
    let first = fixture.commit_add_web4();
    let second = fixture.commit(
        "edge-ttl",
        Some(base),
        &[(
            "zones/records/edge.yaml",
            Some(&support::forge::EDGE.replace("ttl: 5m", "ttl: 1m")),
        )],
        "shorter www ttl",
    );
    // What GitHub's merges hold: the first onto the base, the second onto that.
    let repository = &fixture.repository;
    let first_tree = fixture.merge_tree(base, first);
    let signature = git2::Signature::now("GitHub", "noreply@github.com").unwrap();
    let githubs_first = repository
        .commit(
            None,
            &signature,
            &signature,
            "Merge pull request #1",
            &repository.find_tree(first_tree).unwrap(),
            &[
                &repository.find_commit(base).unwrap(),
                &repository.find_commit(first).unwrap(),
            ],
        )
        .unwrap();
    let second_tree = fixture.merge_tree(githubs_first, second);
    let (base, first, second) = (base.to_string(), first.to_string(), second.to_string());

    let stand_in = StandIn::faithful();
    stand_in.on(
        "GET",
        REPOSITORY,
        200,
        json!({ "id": 1, "name": "zones", "default_branch": "main" }),
    );
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/pulls"),
        200,
        json!([
            pull(1, "add-web4", &first, &base, &[]),
            pull(2, "edge-ttl", &second, &base, &[])
        ]),
    );
    for (number, head_ref, head) in [(1, "add-web4", &first), (2, "edge-ttl", &second)] {
        stand_in.on(
            "GET",
            &format!("{REPOSITORY}/pulls/{number}"),
            200,
            pull(number, head_ref, head, &base, &[]),
        );
        stand_in.on(
            "GET",
            &format!("{REPOSITORY}/pulls/{number}/reviews"),
            200,
            json!([review("bob", "APPROVED", head)]),
        );
        stand_in.on(
            "GET",
            &format!("{REPOSITORY}/commits/{head}/status"),
            200,
            json!({ "state": "pending", "statuses": [] }),
        );
        stand_in.on(
            "POST",
            &format!("{REPOSITORY}/statuses/{head}"),
            201,
            json!({ "id": number }),
        );
        stand_in.on(
            "GET",
            &format!("{REPOSITORY}/issues/{number}/comments"),
            200,
            json!([]),
        );
        stand_in.on(
            "POST",
            &format!("{REPOSITORY}/issues/{number}/comments"),
            201,
            json!({ "id": number }),
        );
    }
    // main is the base for the first pull request's two reads, then GitHub's merge of it.
    let reference =
        |sha: &str| json!({ "ref": "refs/heads/main", "object": { "type": "commit", "sha": sha } });
    stand_in.first(
        "GET",
        &format!("{REPOSITORY}/git/ref/heads/main"),
        2,
        reference(&base),
    );
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/ref/heads/main"),
        200,
        reference(MERGED),
    );
    stand_in.on(
        "PUT",
        &format!("{REPOSITORY}/pulls/1/merge"),
        200,
        merged_body(),
    );
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/commits/{MERGED}"),
        200,
        json!({ "sha": MERGED, "tree": { "sha": first_tree.to_string() }, "parents": [{ "sha": base }, { "sha": first }] }),
    );
    stand_in.on(
        "PUT",
        &format!("{REPOSITORY}/pulls/2/merge"),
        200,
        json!({ "sha": MERGED_SECOND, "merged": true, "message": "Pull Request successfully merged" }),
    );
    stand_in.on(
        "GET",
        &format!("{REPOSITORY}/git/commits/{MERGED_SECOND}"),
        200,
        json!({ "sha": MERGED_SECOND, "tree": { "sha": second_tree.to_string() }, "parents": [{ "sha": MERGED }, { "sha": second }] }),
    );

    let (outcomes, log) = fixture.pass_with(&forge(&stand_in), false);
    let merged: Vec<Option<&str>> = outcomes
        .iter()
        .map(|outcome| outcome.merged.as_deref())
        .collect();
    assert_eq!(merged, [Some(MERGED), Some(MERGED_SECOND)], "{log}");
    let message = stand_in.body("PUT", &format!("{REPOSITORY}/pulls/2/merge"))["commit_message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("this exact tree passed render, check and test on 6dcb09b."),
        "{message}"
    );
}

// Security review: a proxy or server that echoes the request into its error page put the token
// into zonegate's error message (printed, and posted as the pull request's commit status).
#[test]
fn a_server_that_echoes_the_token_does_not_get_it_printed() {
    let scenario = Scenario::new();
    let echoing = StandIn::faithful();
    echoing.on(
        "GET",
        REPOSITORY,
        502,
        json!({ "message": format!("bad gateway; the request was: GET {REPOSITORY} Authorization: Bearer {TOKEN}") }),
    );
    let run = run_bot(&scenario.fixture, &echoing, TOKEN);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(!run.transcript().contains(TOKEN), "{}", run.transcript());
    assert!(
        run.stderr.contains("Authorization: Bearer <redacted>"),
        "{}",
        run.stderr
    );
}
