//! The GitHub REST API's issue comments, stood in for with wiremock as GitHub documents them
//! (docs.github.com/rest/issues/comments): list a pull request's comments (paginated, 30 by
//! default, at most 100 a page, with a `Link` header), create one (201) and update one (200),
//! each answering the comment object. A body over 65,536 characters is refused with GitHub's
//! 422, a request without the job's token with 401, and a token without write access (a fork's
//! pull request) with 403.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::github::{carries_token, error_answer as error};

/// GitHub's limit on a comment's body, in characters.
pub(crate) const BODY_LIMIT: usize = 65_536;

/// One comment as the stand-in keeps it.
#[derive(Clone, Debug)]
pub(crate) struct Comment {
    pub(crate) id: u64,
    pub(crate) issue: u64,
    pub(crate) body: String,
    pub(crate) login: String,
    pub(crate) kind: String,
    /// How many times it was edited.
    pub(crate) edits: usize,
}

#[derive(Default)]
struct State {
    comments: Vec<Comment>,
    read_only: bool,
    /// Every request: method and path.
    requests: Vec<String>,
}

/// The stand-in: its comments and the requests it saw.
#[derive(Clone)]
pub(crate) struct IssueComments {
    state: Arc<Mutex<State>>,
    repository: String,
    token: String,
}

impl IssueComments {
    /// Serves the comments of `repository` (`owner/name`) on `server` for `token`.
    pub(crate) async fn mount(server: &MockServer, repository: &str, token: &str) -> Self {
        let api = Self {
            state: Arc::default(),
            repository: repository.to_owned(),
            token: token.to_owned(),
        };
        Mock::given(path_regex(format!("^/repos/{repository}/issues/")))
            .respond_with(api.clone())
            .mount(server)
            .await;
        api
    }

    /// Answers writes with 403, as GitHub does for the read-only token of a fork's pull request.
    pub(crate) fn read_only(&self) {
        self.state.lock().unwrap().read_only = true;
    }

    /// A comment someone else wrote.
    pub(crate) fn add(&self, issue: u64, login: &str, kind: &str, body: &str) {
        let mut state = self.state.lock().unwrap();
        let id = 1000 + state.comments.len() as u64;
        state.comments.push(Comment {
            id,
            issue,
            body: body.to_owned(),
            login: login.to_owned(),
            kind: kind.to_owned(),
            edits: 0,
        });
    }

    pub(crate) fn comments(&self) -> Vec<Comment> {
        self.state.lock().unwrap().comments.clone()
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    fn object(&self, comment: &Comment) -> Value {
        let repository = &self.repository;
        json!({
            "id": comment.id,
            "node_id": format!("IC_kwDO{:08}", comment.id),
            "url": format!("https://api.github.com/repos/{repository}/issues/comments/{}", comment.id),
            "html_url": format!("https://github.com/{repository}/pull/{}#issuecomment-{}", comment.issue, comment.id),
            "body": comment.body,
            "user": {
                "login": comment.login,
                "id": 41_898_282,
                "type": comment.kind,
                "site_admin": false,
            },
            "created_at": "2026-12-04T10:00:00Z",
            "updated_at": "2026-12-04T10:00:00Z",
            "issue_url": format!("https://api.github.com/repos/{repository}/issues/{}", comment.issue),
            "author_association": if comment.kind == "Bot" { "NONE" } else { "MEMBER" },
        })
    }
}

const DOCUMENTATION: &str = "https://docs.github.com/rest/issues/comments";

impl Respond for IssueComments {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_owned();
        let method = request.method.to_string();
        let mut state = self.state.lock().unwrap();
        state.requests.push(format!("{method} {path}"));
        if !carries_token(request, &self.token) {
            return error(401, "Bad credentials", "https://docs.github.com/rest");
        }
        let rest = path
            .strip_prefix(&format!("/repos/{}/issues/", self.repository))
            .unwrap_or_default()
            .to_owned();
        // The body of a create or update, when the request has one.
        let body = || -> Option<String> {
            let value: Value = serde_json::from_slice(&request.body).ok()?;
            value["body"].as_str().map(str::to_owned)
        };
        let no_body = || {
            error(
                422,
                "Invalid request.\n\n\"body\" wasn't supplied.",
                DOCUMENTATION,
            )
        };
        let too_long = |text: &str| {
            ResponseTemplate::new(422).set_body_json(json!({
                "message": "Validation Failed",
                "errors": [{
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": format!("body is too long (maximum is {BODY_LIMIT} characters)"),
                }],
                "documentation_url": format!("{DOCUMENTATION}#create-an-issue-comment"),
                "status": "422",
                "length": text.chars().count(),
            }))
        };
        let forbidden = || error(403, "Resource not accessible by integration", DOCUMENTATION);
        // The body of a create or an update, or GitHub's answer refusing it.
        let accepted = |read_only: bool| -> Result<String, Box<ResponseTemplate>> {
            let text = body().ok_or_else(|| Box::new(no_body()))?;
            if read_only {
                return Err(Box::new(forbidden()));
            }
            if text.chars().count() > BODY_LIMIT {
                return Err(Box::new(too_long(&text)));
            }
            Ok(text)
        };
        // /repos/O/R/issues/N/comments
        if let Some(issue) = rest
            .strip_suffix("/comments")
            .and_then(|number| number.parse::<u64>().ok())
        {
            match method.as_str() {
                "GET" => {
                    let query: Vec<(String, String)> =
                        request.url.query_pairs().into_owned().collect();
                    let parameter = |name: &str, default: usize| {
                        query
                            .iter()
                            .find(|(key, _)| key == name)
                            .and_then(|(_, value)| value.parse().ok())
                            .unwrap_or(default)
                    };
                    let per_page = parameter("per_page", 30).clamp(1, 100);
                    let page = parameter("page", 1).max(1);
                    let all: Vec<&Comment> = state
                        .comments
                        .iter()
                        .filter(|comment| comment.issue == issue)
                        .collect();
                    let items: Vec<Value> = all
                        .iter()
                        .skip((page - 1) * per_page)
                        .take(per_page)
                        .map(|comment| self.object(comment))
                        .collect();
                    let mut response =
                        ResponseTemplate::new(200).set_body_json(Value::Array(items));
                    if page * per_page < all.len() {
                        response = response.insert_header(
                            "link",
                            format!(
                                "<https://api.github.com/repositories/1/issues/{issue}/comments?per_page={per_page}&page={}>; rel=\"next\"",
                                page + 1
                            ),
                        );
                    }
                    response
                }
                "POST" => {
                    let text = match accepted(state.read_only) {
                        Ok(text) => text,
                        Err(refusal) => return *refusal,
                    };
                    let id = 1000 + state.comments.len() as u64;
                    let comment = Comment {
                        id,
                        issue,
                        body: text,
                        login: "github-actions[bot]".to_owned(),
                        kind: "Bot".to_owned(),
                        edits: 0,
                    };
                    let object = self.object(&comment);
                    state.comments.push(comment);
                    ResponseTemplate::new(201).set_body_json(object)
                }
                _ => error(404, "Not Found", DOCUMENTATION),
            }
        } else if let Some(id) = rest
            .strip_prefix("comments/")
            .and_then(|id| id.parse::<u64>().ok())
        {
            if method != "PATCH" {
                return error(404, "Not Found", DOCUMENTATION);
            }
            let text = match accepted(state.read_only) {
                Ok(text) => text,
                Err(refusal) => return *refusal,
            };
            let Some(comment) = state.comments.iter_mut().find(|comment| comment.id == id) else {
                return error(404, "Not Found", DOCUMENTATION);
            };
            if comment.login != "github-actions[bot]" {
                return forbidden();
            }
            comment.body = text;
            comment.edits += 1;
            let comment = comment.clone();
            ResponseTemplate::new(200).set_body_json(self.object(&comment))
        } else {
            error(404, "Not Found", DOCUMENTATION)
        }
    }
}
