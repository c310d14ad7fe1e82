//! A stand-in for the GitHub REST API (wiremock) that answers from a table of routes with the
//! documented response shapes, and can echo the API token into its answers the way a proxy or
//! server that reflects the request would: into every value of an answer, or into the text of
//! every answer while keeping the identifiers a pass needs, and into a header. The bot, regen
//! and token tests all use it; a test adds routes as its scenario unfolds ([`StandIn::on`]).
#![allow(clippy::missing_panics_doc)]

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::Run;
use super::forge::{Fixture, NOW};

/// The repository every route is under.
pub(crate) const REPOSITORY: &str = "/repos/example/zones";

/// Keys whose values a pass uses as identifiers (commit ids, branch names, states, status
/// contexts): [`Echo::InText`] leaves them alone so the pass can run to its end.
const IDENTIFIERS: &[&str] = &[
    "sha",
    "ref",
    "default_branch",
    "state",
    "context",
    "commit_id",
];

/// How the stand-in puts the token into what it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Echo {
    /// Faithful answers.
    Never,
    /// From the request with this index on (0 is the first), every value of every answer
    /// (string, number, boolean, null) is the token, and a `Link` header's next page carries it.
    Everywhere {
        /// The first request answered so.
        from: usize,
    },
    /// Every answer is faithful in its identifiers, but every other string has the token
    /// appended, every object carries one more field holding it, and a `Link` header carries
    /// it (as the `last` page, so the pass does not page on).
    InText,
}

/// One answer of the stand-in.
#[derive(Clone, Debug)]
pub(crate) struct Route {
    /// `GET`, `POST`, ...
    pub(crate) method: &'static str,
    /// The path, without the query.
    pub(crate) path: String,
    /// The HTTP status.
    pub(crate) status: u16,
    /// The JSON body.
    pub(crate) body: Value,
}

/// `method path` answers `status` with `body`.
pub(crate) fn route(method: &'static str, path: &str, status: u16, body: Value) -> Route {
    Route {
        method,
        path: path.to_owned(),
        status,
        body,
    }
}

/// A route of the table, and how many more requests it answers (`None`: every one).
#[derive(Debug)]
struct Entry {
    route: Route,
    remaining: Option<usize>,
}

/// The routes, in the order they are tried.
type Table = Arc<Mutex<Vec<Entry>>>;

/// A running stand-in and the runtime that drives it.
pub(crate) struct StandIn {
    runtime: tokio::runtime::Runtime,
    server: MockServer,
    table: Table,
}

impl StandIn {
    /// Answers with `routes` (first match of method and path; 404 otherwise), echoing `token`
    /// as `echo` says.
    pub(crate) fn start(routes: Vec<Route>, echo: Echo, token: &str) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(MockServer::start());
        let table: Table = Arc::new(Mutex::new(
            routes
                .into_iter()
                .map(|route| Entry {
                    route,
                    remaining: None,
                })
                .collect(),
        ));
        let responder = Responder {
            table: Arc::clone(&table),
            echo,
            token: token.to_owned(),
            seen: AtomicUsize::new(0),
        };
        runtime.block_on(Mock::given(any()).respond_with(responder).mount(&server));
        Self {
            runtime,
            server,
            table,
        }
    }

    /// Faithful answers, no route yet: every request is a 404 until [`StandIn::on`] adds one.
    pub(crate) fn faithful() -> Self {
        Self::start(Vec::new(), Echo::Never, "")
    }

    /// From now on, `method path` answers `status` with `body` (after the routes already
    /// there for it).
    pub(crate) fn on(&self, method: &'static str, path: &str, status: u16, body: Value) {
        self.table.lock().unwrap().push(Entry {
            route: route(method, path, status, body),
            remaining: None,
        });
    }

    /// The next `times` requests of `method path` answer 200 with `body`, before any other
    /// route for it.
    pub(crate) fn first(&self, method: &'static str, path: &str, times: usize, body: Value) {
        self.table.lock().unwrap().insert(
            0,
            Entry {
                route: route(method, path, 200, body),
                remaining: Some(times),
            },
        );
    }

    /// The API base URL.
    pub(crate) fn uri(&self) -> String {
        self.server.uri()
    }

    /// Every request received, in order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.runtime
            .block_on(self.server.received_requests())
            .unwrap()
    }

    /// `METHOD /path?query` of every request received, in order.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|request| {
                let query = request
                    .url
                    .query()
                    .map(|query| format!("?{query}"))
                    .unwrap_or_default();
                format!("{} {}{query}", request.method, request.url.path())
            })
            .collect()
    }

    /// The JSON body of the first `method path` request received.
    pub(crate) fn body(&self, method: &str, path: &str) -> Value {
        self.requests()
            .iter()
            .find(|request| request.method.as_str() == method && request.url.path() == path)
            .map_or_else(
                || panic!("no {method} {path}"),
                |request| request.body_json::<Value>().unwrap(),
            )
    }
}

/// `zonegate bot --forge github` on `fixture` against `stand_in`, `token` in the environment.
pub(crate) fn run_bot(fixture: &Fixture, stand_in: &StandIn, token: &str) -> Run {
    run(
        Command::new(env!("CARGO_BIN_EXE_zonegate"))
            .arg("--repo")
            .arg(&fixture.path)
            .args(["bot", "--forge", "github"])
            .args(["--github-repository", "example/zones"])
            .arg("--github-api")
            .arg(stand_in.uri()),
        token,
    )
}

/// `zonegate regen --forge github --cmdb EXPORT` on `fixture` against `stand_in`, `token` in
/// the environment, the export holding `export`.
pub(crate) fn run_regen(fixture: &Fixture, stand_in: &StandIn, token: &str, export: &str) -> Run {
    let exports = tempfile::tempdir().unwrap();
    let file = exports.path().join("servers.csv");
    std::fs::write(&file, export).unwrap();
    run(
        Command::new(env!("CARGO_BIN_EXE_zonegate"))
            .arg("--repo")
            .arg(&fixture.path)
            .args(["regen", "--forge", "github"])
            .args(["--github-repository", "example/zones"])
            .arg("--github-api")
            .arg(stand_in.uri())
            .arg("--cmdb")
            .arg(&file),
        token,
    )
}

fn run(command: &mut Command, token: &str) -> Run {
    let output = command
        .env("ZONEGATE_TOKEN", token)
        .env_remove("GITHUB_TOKEN")
        .env("SOURCE_DATE_EPOCH", NOW.to_string())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

struct Responder {
    table: Table,
    echo: Echo,
    token: String,
    seen: AtomicUsize,
}

impl Responder {
    /// The status and body of the first route for `request` that still answers.
    fn answer(&self, request: &Request) -> (u16, Value) {
        let mut table = self.table.lock().unwrap();
        let entry = table.iter_mut().find(|entry| {
            entry.remaining != Some(0)
                && entry.route.method == request.method.as_str()
                && entry.route.path == request.url.path()
        });
        match entry {
            Some(entry) => {
                if let Some(remaining) = &mut entry.remaining {
                    *remaining -= 1;
                }
                (entry.route.status, entry.route.body.clone())
            }
            None => (
                404,
                json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404" }),
            ),
        }
    }
}

impl wiremock::Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let index = self.seen.fetch_add(1, Ordering::SeqCst);
        let (status, mut body) = if request
            .url
            .query_pairs()
            .any(|(key, value)| key == "page" && value != "1")
        {
            // Every list fits on its first page.
            (200, json!([]))
        } else {
            self.answer(request)
        };
        let mut url = request.url.clone();
        url.set_query(None);
        let template = ResponseTemplate::new(status);
        match self.echo {
            Echo::Never => template.set_body_json(body),
            Echo::Everywhere { from } if index < from => template.set_body_json(body),
            Echo::Everywhere { .. } => {
                everywhere(&mut body, &self.token);
                template
                    .insert_header(
                        "link",
                        format!("<{url}?page=2&echo={}>; rel=\"next\"", self.token),
                    )
                    .insert_header("x-echo", format!("Authorization: Bearer {}", self.token))
                    .set_body_json(body)
            }
            Echo::InText => {
                in_text(&mut body, &self.token);
                template
                    .insert_header(
                        "link",
                        format!("<{url}?page=1&echo={}>; rel=\"last\"", self.token),
                    )
                    .insert_header("x-echo", format!("Authorization: Bearer {}", self.token))
                    .set_body_json(body)
            }
        }
    }
}

/// Every value below `value` becomes the token.
fn everywhere(value: &mut Value, token: &str) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| everywhere(item, token)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|field| everywhere(field, token)),
        leaf => *leaf = Value::String(token.to_owned()),
    }
}

/// The token after every string that is not an identifier, and in one more field per object.
fn in_text(value: &mut Value, token: &str) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| in_text(item, token)),
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match field {
                    Value::String(text) if !IDENTIFIERS.contains(&key.as_str()) => {
                        text.push(' ');
                        text.push_str(token);
                    }
                    _ => in_text(field, token),
                }
            }
            fields.insert("echo".to_owned(), Value::String(token.to_owned()));
        }
        _ => {}
    }
}

/// A user as the API documents it (a subset).
/// Whether `request` carries `token` as GitHub takes it (`Bearer TOKEN` or `token TOKEN`).
pub(crate) fn carries_token(request: &Request, token: &str) -> bool {
    let authorization = request
        .headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    authorization == format!("Bearer {token}") || authorization == format!("token {token}")
}

/// GitHub's error answer: `message`, `documentation_url` and `status`.
pub(crate) fn error_answer(status: u16, message: &str, documentation: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "documentation_url": documentation,
        "status": status.to_string(),
    }))
}

pub(crate) fn user(login: &str) -> Value {
    json!({ "login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false })
}

/// `GET /repos/{owner}/{repo}` (a subset) with `main` as its default branch.
pub(crate) fn repository() -> Value {
    json!({ "id": 1, "name": "zones", "full_name": "example/zones", "private": true, "default_branch": "main" })
}

/// A pull request as `GET /repos/{owner}/{repo}/pulls` documents it (a subset, plus fields the
/// bot ignores), by alice, into `main`.
pub(crate) fn pull(
    number: u64,
    head_ref: &str,
    head_sha: &str,
    base_sha: &str,
    labels: &[&str],
) -> Value {
    json!({
        "url": format!("https://api.github.com/repos/example/zones/pulls/{number}"),
        "id": 1_000 + number,
        "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
        "html_url": format!("https://github.com/example/zones/pull/{number}"),
        "number": number,
        "state": "open",
        "locked": false,
        "title": head_ref,
        "user": user("alice"),
        "body": "Adds a host.",
        "labels": labels.iter().map(|name| json!({ "id": 208_045_946, "name": name, "color": "f29513", "default": false })).collect::<Vec<_>>(),
        "draft": false,
        "head": { "label": format!("example:{head_ref}"), "ref": head_ref, "sha": head_sha, "user": user("alice") },
        "base": { "label": "example:main", "ref": "main", "sha": base_sha, "user": user("example") },
        "author_association": "MEMBER",
        "created_at": "2026-11-24T09:00:00Z",
    })
}

/// The pull request of a regeneration branch (`zonegate/regen`, by the bot's account).
pub(crate) fn regen_pull(number: u64, head_sha: &str, base_sha: &str) -> Value {
    let user = json!({ "login": "zonegate-bot", "id": 2, "node_id": "MDQ6VXNlcjI=", "type": "Bot", "site_admin": false });
    json!({
        "url": format!("https://api.github.com/repos/example/zones/pulls/{number}"),
        "id": 2_000 + number,
        "number": number,
        "state": "open",
        "locked": false,
        "title": "regen: CMDB export servers.csv: +1 records in 1 zone(s)",
        "user": user,
        "body": "old",
        "labels": [],
        "draft": false,
        "head": { "label": "example:zonegate/regen", "ref": "zonegate/regen", "sha": head_sha, "user": user },
        "base": { "label": "example:main", "ref": "main", "sha": base_sha, "user": user },
        "author_association": "NONE",
        "created_at": "2026-11-24T09:00:00Z",
    })
}

/// A review on `commit` (`APPROVED`, `CHANGES_REQUESTED`, ...).
pub(crate) fn review(login: &str, state: &str, commit: &str) -> Value {
    json!({
        "id": 80,
        "node_id": "MDE3OlB1bGxSZXF1ZXN0UmV2aWV3ODA=",
        "user": user(login),
        "body": "",
        "state": state,
        "html_url": "https://github.com/example/zones/pull/1#pullrequestreview-80",
        "author_association": "COLLABORATOR",
        "submitted_at": "2026-11-24T10:00:00Z",
        "commit_id": commit,
    })
}

/// `GET /repos/{owner}/{repo}/git/ref/{ref}` as documented.
pub(crate) fn reference(name: &str, sha: &str) -> Value {
    json!({
        "ref": name,
        "node_id": "MDM6UmVmcmVmcy9oZWFkcy9mZWF0dXJlQQ==",
        "url": format!("https://api.github.com/repos/example/zones/git/{name}"),
        "object": { "type": "commit", "sha": sha, "url": format!("https://api.github.com/repos/example/zones/git/commits/{sha}") },
    })
}

/// A git commit as the Git Data API documents it.
pub(crate) fn commit(sha: &str, tree: &str, parents: &[&str]) -> Value {
    let parents: Vec<Value> = parents
        .iter()
        .map(|parent| json!({ "url": format!("https://api.github.com/repos/example/zones/git/commits/{parent}"), "sha": parent }))
        .collect();
    json!({
        "sha": sha,
        "node_id": "MDY6Q29tbWl0NmRjYjA5YjViNTc4NzVmMzM0ZjYxYWViZWQ2OTVlMmU0MTkzZGI1ZQ==",
        "url": format!("https://api.github.com/repos/example/zones/git/commits/{sha}"),
        "author": { "date": "2026-11-25T00:00:00Z", "name": "zonegate", "email": "zonegate@zonegate.invalid" },
        "committer": { "date": "2026-11-25T00:00:00Z", "name": "zonegate", "email": "zonegate@zonegate.invalid" },
        "message": "a commit",
        "tree": { "url": format!("https://api.github.com/repos/example/zones/git/trees/{tree}"), "sha": tree },
        "parents": parents,
        "verification": { "verified": false, "reason": "unsigned", "signature": null, "payload": null },
    })
}

/// The routes a pass needs for one open pull request #1 (`pull`, with `head` on `base`) that is
/// not merged: the repository, the pull request and its `reviews`, `main`, and the status and
/// comment it gets. A merge (`PUT`) answers 404.
pub(crate) fn one_pull(pull: &Value, head: &str, base: &str, reviews: Value) -> Vec<Route> {
    vec![
        route("GET", REPOSITORY, 200, repository()),
        route("GET", &format!("{REPOSITORY}/pulls"), 200, json!([pull])),
        route("GET", &format!("{REPOSITORY}/pulls/1"), 200, pull.clone()),
        route(
            "GET",
            &format!("{REPOSITORY}/pulls/1/reviews"),
            200,
            reviews,
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/git/ref/heads/main"),
            200,
            reference("refs/heads/main", base),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/commits/{head}/status"),
            200,
            json!({ "state": "pending", "statuses": [], "sha": head, "total_count": 0 }),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/statuses/{head}"),
            201,
            json!({ "id": 1, "state": "pending", "context": "zonegate/bot" }),
        ),
        route(
            "GET",
            &format!("{REPOSITORY}/issues/1/comments"),
            200,
            json!([]),
        ),
        route(
            "POST",
            &format!("{REPOSITORY}/issues/1/comments"),
            201,
            json!({ "id": 1_234, "body": "", "user": user("zonegate[bot]") }),
        ),
    ]
}

impl StandIn {
    /// A GitHub client of this stand-in.
    pub(crate) fn forge(&self, token: &str) -> zonegate::merge::github::GitHub {
        zonegate::merge::github::GitHub::new(
            &self.uri(),
            "example/zones",
            zonegate::merge::github::Token::new(token.into()),
        )
        .unwrap()
    }

    /// The JSON body of the first `verb` request whose path contains `part`.
    pub(crate) fn sent(&self, verb: &str, part: &str) -> Option<Value> {
        self.requests()
            .iter()
            .find(|request| request.method.as_str() == verb && request.url.path().contains(part))
            .map(|request| request.body_json::<Value>().unwrap())
    }
}
