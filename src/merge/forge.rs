//! The forge: where pull requests, reviews, statuses and comments live, and who merges.
//!
//! The bot talks to a forge only through [`Forge`], so a pass runs the same against GitHub
//! ([`super::github`]) and against pull requests kept in a git repository ([`super::local`]).
//! Every string a GitHub answer puts into a [`PullRequestFacts`], a [`MergeOutcome`] or an
//! [`Error`] has been through [`super::redact`] first.

use super::PullRequestFacts;
use crate::inventory::policy::MergeMethod;

/// The forge could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The forge answered with an unexpected HTTP status.
    #[error("{method} {path}: HTTP {status}: {message}")]
    Status {
        /// HTTP method.
        method: &'static str,
        /// The API path (never the token).
        path: String,
        /// The status code.
        status: u16,
        /// GitHub's `message`, or the start of the body.
        message: String,
    },
    /// The request did not get an answer.
    #[error("{method} {path}: no answer from the forge: {reason}")]
    Transport {
        /// HTTP method.
        method: &'static str,
        /// The API path.
        path: String,
        /// Why, in words (redacted: the transport's error may quote what the server sent).
        reason: String,
    },
    /// A request would have carried the API token in its path or body (a CMDB export holding
    /// it, say), so it was not sent: the token travels in the `Authorization` header only.
    #[error(
        "{method} {path}: the request would carry the API token outside its Authorization header; nothing was sent"
    )]
    TokenInRequest {
        /// HTTP method.
        method: &'static str,
        /// The API path (redacted).
        path: String,
    },
    /// The answer was not the JSON GitHub documents.
    #[error("{method} {path}: unexpected answer: {message}")]
    Decode {
        /// HTTP method.
        method: &'static str,
        /// The API path.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A local forge's records are damaged or missing.
    #[error("local forge: {0}")]
    Local(String),
    /// Reading or writing the repository failed.
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    /// The forge is not configured (repository or token missing).
    #[error("{0}")]
    Configuration(String),
    /// After a merge, the base does not point at what was tested: reported loudly, as it means
    /// an untested commit is on the base branch.
    #[error(
        "pull request #{number} was merged as {merged}, but its tree {merged_tree} is not the tested tree {tested_tree} on base {tested_base}"
    )]
    Unverified {
        /// The pull request.
        number: u64,
        /// The commit the forge made.
        merged: String,
        /// Its tree.
        merged_tree: String,
        /// What the bot tested.
        tested_tree: String,
        /// The base it tested on.
        tested_base: String,
    },
}

/// A commit status (GitHub's `state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusState {
    /// Waiting (for approvals, or for the test).
    Pending,
    /// Merged, or would be.
    Success,
    /// Blocked: a conflict or a failing gate.
    Failure,
    /// The bot could not evaluate the pull request.
    Error,
}

impl StatusState {
    /// GitHub's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusState::Pending => "pending",
            StatusState::Success => "success",
            StatusState::Failure => "failure",
            StatusState::Error => "error",
        }
    }

    /// Parses GitHub's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        [
            StatusState::Pending,
            StatusState::Success,
            StatusState::Failure,
            StatusState::Error,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }
}

/// A commit status to set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitStatus {
    /// The status context (`zonegate/bot`).
    pub context: String,
    /// The state.
    pub state: StatusState,
    /// One line, at most 140 characters (GitHub's limit).
    pub description: String,
}

/// What the bot tested and now asks the forge to merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestedMerge {
    /// The base commit the merge was built on.
    pub base_sha: String,
    /// The pull request's head commit.
    pub head_sha: String,
    /// The tested tree.
    pub tree: String,
    /// The commit the bot made of it (parents: base and head, or base alone for a squash), with
    /// the trailers in its message.
    pub commit: String,
    /// The first line of the commit message.
    pub title: String,
    /// The rest of the commit message (trailers included).
    pub body: String,
    /// Merge or squash.
    pub method: MergeMethod,
}

/// How a merge request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// The base now points at `sha`, whose tree is the tested one.
    Merged {
        /// The commit the base points at.
        sha: String,
    },
    /// The base moved since the test: test again.
    BaseMoved,
    /// The head moved since the decision: approvals may be stale, decide again next pass.
    HeadMoved,
    /// The forge refused (for example branch protection); its reason.
    Refused(String),
}

/// What happened to the bot's comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentAction {
    /// A new comment was posted.
    Created,
    /// The existing comment was edited.
    Updated,
    /// The existing comment already said this.
    Unchanged,
}

/// A place where pull requests live.
pub trait Forge {
    /// Names the forge for messages (`github example/zones`, `local /srv/zones.git`).
    fn describe(&self) -> String;

    /// The branch pull requests merge into.
    fn default_branch(&self) -> Result<String, Error>;

    /// Open pull requests into `base`, lowest number first, with their reviews.
    fn open_pull_requests(&self, base: &str) -> Result<Vec<PullRequestFacts>, Error>;

    /// One pull request, fresh (to see whether its head moved).
    fn pull_request(&self, number: u64) -> Result<PullRequestFacts, Error>;

    /// The commit `branch` points at (hex).
    fn branch_tip(&self, branch: &str) -> Result<String, Error>;

    /// The logins of a team named in CODEOWNERS (`@org/team`), or `None` when the forge cannot
    /// tell (the policy's `teams` then decides).
    fn team_members(&self, team: &str) -> Result<Option<Vec<String>>, Error>;

    /// The description and state of the status `context` on `sha`, if set.
    fn status(
        &self,
        pull: &PullRequestFacts,
        sha: &str,
        context: &str,
    ) -> Result<Option<(StatusState, String)>, Error>;

    /// Sets a commit status on `sha`.
    fn set_status(
        &self,
        pull: &PullRequestFacts,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), Error>;

    /// Creates or updates the one comment on the pull request that contains `marker`.
    fn upsert_comment(
        &self,
        pull: &PullRequestFacts,
        marker: &str,
        body: &str,
    ) -> Result<CommentAction, Error>;

    /// Merges `pull` as tested, only if its head is still `tested.head_sha` and the base is
    /// still `tested.base_sha`; afterwards the base's tree is the tested tree.
    fn merge(&self, pull: &PullRequestFacts, tested: &TestedMerge) -> Result<MergeOutcome, Error>;
}
