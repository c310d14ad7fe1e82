//! The GitHub REST API as a [`Forge`] (IO edge): a thin client over the documented endpoints.
//!
//! - `GET /repos/{owner}/{repo}` (default branch), `GET .../git/ref/heads/{branch}`;
//! - `GET .../pulls?state=open&base=...` and `GET .../pulls/{n}`, `GET .../pulls/{n}/reviews`;
//! - `GET /orgs/{org}/teams/{slug}/members` (CODEOWNERS teams; needs `read:org`, else the
//!   policy's `teams` decide);
//! - `GET .../commits/{sha}/status`, `POST .../statuses/{sha}`;
//! - `GET .../issues/{n}/comments`, `POST .../issues/{n}/comments`,
//!   `PATCH .../issues/comments/{id}`;
//! - `PUT .../pulls/{n}/merge` with `sha` (409 when the head moved, 405 when not mergeable),
//!   then `GET .../git/commits/{sha}` to verify the merged tree is the tested one.
//!
//! The base URL is configurable for GitHub Enterprise Server (`https://HOST/api/v3`). The token
//! comes from the environment (`ZONEGATE_TOKEN`, else `GITHUB_TOKEN`), travels only in the
//! `Authorization` header to the configured host, and is never printed: not by `Debug`, not in
//! any error (errors name the API path, never the URL's host or headers). Whatever the server
//! answers reaches the rest of zonegate only through [`super::redact`]: every answer is redacted
//! before anything is decoded from it, and a request that would carry the token in its path or
//! body is not sent.

use std::fmt::{self, Write as _};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::forge::{
    CommentAction, CommitStatus, Error, Forge, MergeOutcome, StatusState, TestedMerge,
};
use super::redact::{Answer, Redactor};
use super::{PullRequestFacts, Review, ReviewState};

/// The public GitHub API.
pub const DEFAULT_API: &str = "https://api.github.com";

/// An API token. Its `Debug` says nothing; it has no `Display`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: String) -> Self {
        Self(token)
    }

    /// The token from `ZONEGATE_TOKEN` or `GITHUB_TOKEN`, if set.
    pub fn from_environment(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        ["ZONEGATE_TOKEN", "GITHUB_TOKEN"]
            .into_iter()
            .filter_map(lookup)
            .map(|token| token.trim().to_owned())
            .find(|token| !token.is_empty())
            .map(Self)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// A repository on GitHub.
pub struct GitHub {
    api: String,
    owner: String,
    repository: String,
    token: Token,
    /// Blanks the token out of every answer and error.
    redactor: Redactor,
    agent: ureq::Agent,
}

impl fmt::Debug for GitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHub")
            .field("api", &self.api)
            .field(
                "repository",
                &format_args!("{}/{}", self.owner, self.repository),
            )
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl GitHub {
    /// A client for `owner/name` at `api` (no trailing slash needed).
    pub fn new(api: &str, repository: &str, token: Token) -> Result<Self, Error> {
        let Some((owner, name)) = repository.split_once('/') else {
            return Err(Error::Configuration(format!(
                "GitHub repository `{repository}` is not `owner/name`"
            )));
        };
        if owner.is_empty() || name.is_empty() || name.contains('/') {
            return Err(Error::Configuration(format!(
                "GitHub repository `{repository}` is not `owner/name`"
            )));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Never carry the Authorization header anywhere else.
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent(concat!("zonegate/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Self {
            api: api.trim_end_matches('/').to_owned(),
            owner: owner.to_owned(),
            repository: name.to_owned(),
            redactor: Redactor::new(&token.0),
            token,
            agent,
        })
    }

    fn repo_path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", self.owner, self.repository)
    }

    fn request(
        &self,
        method: &'static str,
        path: &str,
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let url = format!("{}{path}", self.api);
        let builder = match method {
            "GET" => self.agent.get(&url),
            _ => self.agent.delete(&url),
        };
        builder
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("Authorization", format!("Bearer {}", self.token.0))
    }

    fn request_with_body(
        &self,
        method: &'static str,
        path: &str,
    ) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let url = format!("{}{path}", self.api);
        let builder = match method {
            "POST" => self.agent.post(&url),
            "PATCH" => self.agent.patch(&url),
            _ => self.agent.put(&url),
        };
        builder
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header("Authorization", format!("Bearer {}", self.token.0))
    }

    /// `GET path` expecting 200 and JSON.
    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let answer = self.exchange("GET", path, None)?;
        if answer.status != 200 {
            return Err(status_error("GET", path, &answer));
        }
        decode("GET", path, &answer)
    }

    /// Every page of a list endpoint (`Link: <...>; rel="next"`), as long as the next page is on
    /// the configured API.
    fn get_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut next = Some(path.to_owned());
        let mut pages = 0;
        while let Some(path) = next.take() {
            let answer = self.exchange("GET", &path, None)?;
            if answer.status != 200 {
                return Err(status_error("GET", &path, &answer));
            }
            let page: Vec<T> = decode("GET", &path, &answer)?;
            items.extend(page);
            pages += 1;
            // A hundred pages of a hundred is far beyond any repository's open pull requests.
            if pages < 100 {
                next = answer
                    .link
                    .as_deref()
                    .and_then(|link| next_page(link, &self.api));
            }
        }
        Ok(items)
    }

    /// Sends one request and returns the answer, redacted: the only place zonegate reads what
    /// the forge sent. A request whose path or body would carry the token is not sent.
    fn exchange(
        &self,
        method: &'static str,
        path: &str,
        json: Option<&serde_json::Value>,
    ) -> Result<Answer, Error> {
        if self.redactor.is_in(path) || json.is_some_and(|json| self.redactor.is_in_json(json)) {
            return Err(Error::TokenInRequest {
                method,
                path: self.redactor.text(path),
            });
        }
        let transport = |error: ureq::Error| Error::Transport {
            method,
            path: path.to_owned(),
            reason: self.redactor.text(&error.to_string()),
        };
        let response = match json {
            None => self.request(method, path).call(),
            Some(json) => self.request_with_body(method, path).send_json(json),
        };
        let mut response = response.map_err(transport)?;
        let status = response.status().as_u16();
        let link = response
            .headers()
            .get("link")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(transport)?;
        Ok(self.redactor.answer(status, &body, link.as_deref()))
    }

    fn facts(&self, pull: GitHubPull) -> Result<PullRequestFacts, Error> {
        let reviews: Vec<GitHubReview> =
            self.get_all(&self.repo_path(&format!("/pulls/{}/reviews?per_page=100", pull.number)))?;
        let reviews = reviews
            .into_iter()
            .filter_map(|review| {
                Some(Review {
                    user: review.user?.login,
                    state: ReviewState::parse(&review.state)?,
                    commit_id: review.commit_id.unwrap_or_default(),
                })
            })
            .collect();
        Ok(PullRequestFacts {
            number: pull.number,
            title: pull.title,
            author: pull.user.map(|user| user.login).unwrap_or_default(),
            head_sha: pull.head.sha,
            head_ref: pull.head.reference,
            base_ref: pull.base.reference,
            draft: pull.draft.unwrap_or(false),
            labels: pull.labels.into_iter().map(|label| label.name).collect(),
            reviews,
        })
    }
}

/// A change `regen` asks GitHub to propose: one file replaced on top of the base branch, as one
/// commit on `branch`, with one pull request from it.
#[derive(Clone, Copy, Debug)]
pub struct Proposal<'a> {
    /// The branch the pull request merges into.
    pub base: &'a str,
    /// The base commit the proposal is built on (it must exist on GitHub).
    pub base_sha: &'a str,
    /// The branch the commit goes on (created, or moved with `force`).
    pub branch: &'a str,
    /// The file to replace, relative to the git root.
    pub path: &'a str,
    /// Its new content (UTF-8 text: a CMDB export).
    pub content: &'a str,
    /// The git blob id of `content` (to tell whether the branch already holds it).
    pub blob_sha: &'a str,
    /// The commit message.
    pub message: &'a str,
    /// The pull request's title.
    pub title: &'a str,
    /// The pull request's body.
    pub body: &'a str,
}

/// What [`GitHub::propose`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proposed {
    /// A new pull request with this number.
    Opened(u64),
    /// The branch moved to a new commit and this pull request was updated.
    Updated(u64),
    /// The branch already held this content on this base; the pull request is this one.
    Unchanged(u64),
}

impl GitHub {
    /// Publishes `proposal` through the Git Data API (blob, tree, commit, reference: nothing is
    /// pushed with git) and opens or updates the one pull request from its branch.
    pub fn propose(&self, proposal: &Proposal<'_>) -> Result<Proposed, Error> {
        let reference_path =
            self.repo_path(&format!("/git/ref/heads/{}", encode_path(proposal.branch)));
        let answer = self.exchange("GET", &reference_path, None)?;
        let existing: Option<String> = match answer.status {
            200 => Some(
                decode::<GitHubRef>("GET", &reference_path, &answer)?
                    .object
                    .sha,
            ),
            404 => None,
            _ => return Err(status_error("GET", &reference_path, &answer)),
        };
        let already = match &existing {
            Some(tip) => self.holds(tip, proposal)?,
            None => false,
        };
        if !already {
            let commit = self.commit_file(proposal)?;
            let (method, path, json) = match &existing {
                Some(_) => (
                    "PATCH",
                    self.repo_path(&format!("/git/refs/heads/{}", encode_path(proposal.branch))),
                    serde_json::json!({ "sha": commit, "force": true }),
                ),
                None => (
                    "POST",
                    self.repo_path("/git/refs"),
                    serde_json::json!({ "ref": format!("refs/heads/{}", proposal.branch), "sha": commit }),
                ),
            };
            let answer = self.exchange(method, &path, Some(&json))?;
            if answer.status != 200 && answer.status != 201 {
                return Err(status_error(method, &path, &answer));
            }
        }

        let pulls_path = self.repo_path(&format!(
            "/pulls?state=open&head={}:{}&base={}",
            encode(&self.owner),
            encode(proposal.branch),
            encode(proposal.base)
        ));
        let pulls: Vec<GitHubPull> = self.get_all(&pulls_path)?;
        if let Some(pull) = pulls.first() {
            let path = self.repo_path(&format!("/pulls/{}", pull.number));
            let json = serde_json::json!({ "title": proposal.title, "body": proposal.body });
            let answer = self.exchange("PATCH", &path, Some(&json))?;
            if answer.status != 200 {
                return Err(status_error("PATCH", &path, &answer));
            }
            return Ok(if already {
                Proposed::Unchanged(pull.number)
            } else {
                Proposed::Updated(pull.number)
            });
        }
        let path = self.repo_path("/pulls");
        let json = serde_json::json!({
            "title": proposal.title,
            "head": proposal.branch,
            "base": proposal.base,
            "body": proposal.body,
        });
        let answer = self.exchange("POST", &path, Some(&json))?;
        if answer.status != 201 {
            return Err(status_error("POST", &path, &answer));
        }
        let created: GitHubNumber = decode("POST", &path, &answer)?;
        Ok(Proposed::Opened(created.number))
    }

    /// The branch tip `tip` is one commit on `proposal.base_sha` whose file is already the
    /// proposed content.
    fn holds(&self, tip: &str, proposal: &Proposal<'_>) -> Result<bool, Error> {
        let commit: GitHubCommit = self.get(&self.repo_path(&format!("/git/commits/{tip}")))?;
        if commit.parents.len() != 1 || commit.parents[0].sha != proposal.base_sha {
            return Ok(false);
        }
        let path = self.repo_path(&format!(
            "/contents/{}?ref={}",
            encode_path(proposal.path),
            encode(tip)
        ));
        let answer = self.exchange("GET", &path, None)?;
        match answer.status {
            200 => Ok(decode::<GitHubContent>("GET", &path, &answer)?.sha == proposal.blob_sha),
            404 => Ok(false),
            _ => Err(status_error("GET", &path, &answer)),
        }
    }

    /// Blob, tree on the base's tree, commit on the base: returns the commit's sha.
    fn commit_file(&self, proposal: &Proposal<'_>) -> Result<String, Error> {
        let post = |path: String, json: serde_json::Value| -> Result<String, Error> {
            let answer = self.exchange("POST", &path, Some(&json))?;
            if answer.status != 201 {
                return Err(status_error("POST", &path, &answer));
            }
            Ok(decode::<GitHubSha>("POST", &path, &answer)?.sha)
        };
        let blob = post(
            self.repo_path("/git/blobs"),
            serde_json::json!({ "content": proposal.content, "encoding": "utf-8" }),
        )?;
        let base: GitHubCommit =
            self.get(&self.repo_path(&format!("/git/commits/{}", proposal.base_sha)))?;
        let tree = post(
            self.repo_path("/git/trees"),
            serde_json::json!({
                "base_tree": base.tree.sha,
                "tree": [{ "path": proposal.path, "mode": "100644", "type": "blob", "sha": blob }],
            }),
        )?;
        post(
            self.repo_path("/git/commits"),
            serde_json::json!({
                "message": proposal.message,
                "tree": tree,
                "parents": [proposal.base_sha],
            }),
        )
    }
}

#[derive(Deserialize)]
struct GitHubNumber {
    number: u64,
}

#[derive(Deserialize)]
struct GitHubContent {
    sha: String,
}

impl Forge for GitHub {
    fn describe(&self) -> String {
        format!("GitHub {}/{}", self.owner, self.repository)
    }

    fn default_branch(&self) -> Result<String, Error> {
        let repository: GitHubRepository = self.get(&self.repo_path(""))?;
        Ok(repository.default_branch)
    }

    fn open_pull_requests(&self, base: &str) -> Result<Vec<PullRequestFacts>, Error> {
        let pulls: Vec<GitHubPull> = self.get_all(&self.repo_path(&format!(
            "/pulls?state=open&base={}&sort=created&direction=asc&per_page=100",
            encode(base)
        )))?;
        let mut facts = pulls
            .into_iter()
            .filter(|pull| pull.base.reference == base)
            .map(|pull| self.facts(pull))
            .collect::<Result<Vec<_>, _>>()?;
        facts.sort_by_key(|pull| pull.number);
        Ok(facts)
    }

    fn pull_request(&self, number: u64) -> Result<PullRequestFacts, Error> {
        let pull: GitHubPull = self.get(&self.repo_path(&format!("/pulls/{number}")))?;
        self.facts(pull)
    }

    fn branch_tip(&self, branch: &str) -> Result<String, Error> {
        let reference: GitHubRef =
            self.get(&self.repo_path(&format!("/git/ref/heads/{}", encode_path(branch))))?;
        Ok(reference.object.sha)
    }

    fn team_members(&self, team: &str) -> Result<Option<Vec<String>>, Error> {
        let Some((org, slug)) = team.trim_start_matches('@').split_once('/') else {
            return Ok(None);
        };
        let path = format!(
            "/orgs/{}/teams/{}/members?per_page=100",
            encode(org),
            encode(slug)
        );
        let answer = self.exchange("GET", &path, None)?;
        match answer.status {
            200 => {
                let members: Vec<GitHubUser> = decode("GET", &path, &answer)?;
                Ok(Some(members.into_iter().map(|user| user.login).collect()))
            }
            // The token may not read the organisation's teams; the policy decides then.
            403 | 404 => Ok(None),
            _ => Err(status_error("GET", &path, &answer)),
        }
    }

    fn status(
        &self,
        _pull: &PullRequestFacts,
        sha: &str,
        context: &str,
    ) -> Result<Option<(StatusState, String)>, Error> {
        let combined: GitHubCombinedStatus =
            self.get(&self.repo_path(&format!("/commits/{sha}/status?per_page=100")))?;
        // The combined status lists the latest status of each context.
        Ok(combined
            .statuses
            .into_iter()
            .find(|status| status.context == context)
            .and_then(|status| {
                Some((
                    StatusState::parse(&status.state)?,
                    status.description.unwrap_or_default(),
                ))
            }))
    }

    fn set_status(
        &self,
        _pull: &PullRequestFacts,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), Error> {
        let path = self.repo_path(&format!("/statuses/{sha}"));
        let body = serde_json::json!({
            "state": status.state.as_str(),
            "description": status.description,
            "context": status.context,
        });
        let answer = self.exchange("POST", &path, Some(&body))?;
        if answer.status != 201 {
            return Err(status_error("POST", &path, &answer));
        }
        Ok(())
    }

    fn upsert_comment(
        &self,
        pull: &PullRequestFacts,
        marker: &str,
        body: &str,
    ) -> Result<CommentAction, Error> {
        let comments: Vec<GitHubComment> = self
            .get_all(&self.repo_path(&format!("/issues/{}/comments?per_page=100", pull.number)))?;
        let existing = comments.into_iter().find(|comment| {
            comment
                .body
                .as_deref()
                .is_some_and(|text| text.contains(marker))
        });
        let payload = serde_json::json!({ "body": body });
        match existing {
            Some(comment) if comment.body.as_deref() == Some(body) => Ok(CommentAction::Unchanged),
            Some(comment) => {
                let path = self.repo_path(&format!("/issues/comments/{}", comment.id));
                let answer = self.exchange("PATCH", &path, Some(&payload))?;
                if answer.status != 200 {
                    return Err(status_error("PATCH", &path, &answer));
                }
                Ok(CommentAction::Updated)
            }
            None => {
                let path = self.repo_path(&format!("/issues/{}/comments", pull.number));
                let answer = self.exchange("POST", &path, Some(&payload))?;
                if answer.status != 201 {
                    return Err(status_error("POST", &path, &answer));
                }
                Ok(CommentAction::Created)
            }
        }
    }

    fn merge(&self, pull: &PullRequestFacts, tested: &TestedMerge) -> Result<MergeOutcome, Error> {
        // The merge endpoint guards the head (`sha`), not the base: check the base first, and
        // verify afterwards that what landed is what was tested.
        if self.branch_tip(&pull.base_ref)? != tested.base_sha {
            return Ok(MergeOutcome::BaseMoved);
        }
        let path = self.repo_path(&format!("/pulls/{}/merge", pull.number));
        let body = serde_json::json!({
            "commit_title": tested.title,
            "commit_message": tested.body,
            "sha": tested.head_sha,
            "merge_method": tested.method.as_str(),
        });
        let answer = self.exchange("PUT", &path, Some(&body))?;
        match answer.status {
            200 => {}
            409 => return Ok(MergeOutcome::HeadMoved),
            code @ (405 | 403 | 422) => {
                let message = answer
                    .decode::<GitHubMessage>()
                    .map_or_else(|_| format!("HTTP {code}"), |message| message.message);
                return Ok(MergeOutcome::Refused(message));
            }
            _ => return Err(status_error("PUT", &path, &answer)),
        }
        let merged: GitHubMerge = decode("PUT", &path, &answer)?;
        let commit: GitHubCommit =
            self.get(&self.repo_path(&format!("/git/commits/{}", merged.sha)))?;
        let first_parent = commit.parents.first().map(|parent| parent.sha.as_str());
        if commit.tree.sha != tested.tree || first_parent != Some(tested.base_sha.as_str()) {
            return Err(Error::Unverified {
                number: pull.number,
                merged: merged.sha,
                merged_tree: commit.tree.sha,
                tested_tree: tested.tree.clone(),
                tested_base: tested.base_sha.clone(),
            });
        }
        Ok(MergeOutcome::Merged { sha: merged.sha })
    }
}

// ---------------------------------------------------------------------------------------------
// The documented response shapes (only the fields the bot reads; unknown fields are ignored).

#[derive(Deserialize)]
struct GitHubRepository {
    default_branch: String,
}

#[derive(Deserialize)]
struct GitHubUser {
    login: String,
}

#[derive(Deserialize)]
struct GitHubLabel {
    name: String,
}

#[derive(Deserialize)]
struct GitHubBranchPointer {
    #[serde(rename = "ref")]
    reference: String,
    sha: String,
}

#[derive(Deserialize)]
struct GitHubPull {
    number: u64,
    #[serde(default)]
    title: String,
    user: Option<GitHubUser>,
    draft: Option<bool>,
    #[serde(default)]
    labels: Vec<GitHubLabel>,
    head: GitHubBranchPointer,
    base: GitHubBranchPointer,
}

#[derive(Deserialize)]
struct GitHubReview {
    user: Option<GitHubUser>,
    state: String,
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct GitHubRefObject {
    sha: String,
}

#[derive(Deserialize)]
struct GitHubRef {
    object: GitHubRefObject,
}

#[derive(Deserialize)]
struct GitHubStatus {
    state: String,
    description: Option<String>,
    context: String,
}

#[derive(Deserialize)]
struct GitHubCombinedStatus {
    #[serde(default)]
    statuses: Vec<GitHubStatus>,
}

#[derive(Deserialize)]
struct GitHubComment {
    id: u64,
    body: Option<String>,
}

#[derive(Deserialize)]
struct GitHubMessage {
    message: String,
}

#[derive(Deserialize)]
struct GitHubMerge {
    sha: String,
}

#[derive(Deserialize)]
struct GitHubSha {
    sha: String,
}

#[derive(Deserialize)]
struct GitHubCommit {
    tree: GitHubSha,
    #[serde(default)]
    parents: Vec<GitHubSha>,
}

/// The answer's body as `T`.
fn decode<T: DeserializeOwned>(
    method: &'static str,
    path: &str,
    answer: &Answer,
) -> Result<T, Error> {
    answer.decode().map_err(|message| Error::Decode {
        method,
        path: path.to_owned(),
        message,
    })
}

/// An answer with a status the call does not expect.
fn status_error(method: &'static str, path: &str, answer: &Answer) -> Error {
    Error::Status {
        method,
        path: path.to_owned(),
        status: answer.status,
        message: answer.message(),
    }
}

/// The `rel="next"` target of a `Link` header, as a path, if it is on `api`.
fn next_page(link: &str, api: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, parameters) = part.split_once(';')?;
        if !parameters.contains("rel=\"next\"") {
            return None;
        }
        let url = target.trim().trim_start_matches('<').trim_end_matches('>');
        url.strip_prefix(api)
            .filter(|rest| rest.starts_with('/'))
            .map(str::to_owned)
    })
}

/// Percent-encodes a query value or path segment (branch names may hold `/`, `#`, `%`).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// Like [`encode`], but keeps `/` (a branch name as a path, `git/ref/heads/feature/x`).
fn encode_path(text: &str) -> String {
    text.split('/').map(encode).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_never_in_debug_output() {
        let client = GitHub::new(
            DEFAULT_API,
            "example/zones",
            Token::new("ghp_secret123".into()),
        )
        .unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("ghp_secret123"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn the_token_comes_from_the_environment_zonegate_first() {
        let lookup = |name: &str| match name {
            "ZONEGATE_TOKEN" => Some("  ".to_owned()),
            "GITHUB_TOKEN" => Some("from-github".to_owned()),
            _ => None,
        };
        let token = Token::from_environment(lookup).unwrap();
        assert_eq!(token.0, "from-github");
        assert!(Token::from_environment(|_| None).is_none());
    }

    #[test]
    fn repositories_must_be_owner_slash_name() {
        for bad in ["zones", "/zones", "a/b/c", "a/"] {
            let error = GitHub::new(DEFAULT_API, bad, Token::new("t".into())).unwrap_err();
            assert!(error.to_string().contains("is not `owner/name`"), "{bad}");
        }
    }

    #[test]
    fn next_pages_stay_on_the_configured_api() {
        let api = "https://ghe.example.net/api/v3";
        let link = "<https://ghe.example.net/api/v3/repos/a/b/pulls?page=2>; rel=\"next\", \
<https://ghe.example.net/api/v3/repos/a/b/pulls?page=5>; rel=\"last\"";
        assert_eq!(
            next_page(link, api).as_deref(),
            Some("/repos/a/b/pulls?page=2")
        );
        let elsewhere = "<https://evil.example/api/v3/repos/a/b/pulls?page=2>; rel=\"next\"";
        assert_eq!(next_page(elsewhere, api), None);
    }

    #[test]
    fn names_are_encoded() {
        assert_eq!(encode("feature/x y"), "feature%2Fx%20y");
        assert_eq!(encode_path("feature/x#1"), "feature/x%231");
    }
}
