//! `zonegate pr`: pull requests on the local forge (see `merge::local` and docs/formats.md), so
//! a repository without GitHub can run the whole review-and-merge flow.

use std::io::Write;

use super::{Context, Error, Outcome};
use crate::git::Repo;
use crate::merge::forge::Forge;
use crate::merge::local::{Local, NewPull};
use crate::merge::{ReviewState, review_summary, short};

/// What to do.
#[derive(Clone, Debug)]
pub enum Action {
    /// List the open pull requests.
    List,
    /// Open one.
    Open {
        /// Head branch.
        head: String,
        /// Base branch; `None` for the repository's HEAD branch.
        base: Option<String>,
        /// Title.
        title: String,
        /// Author.
        user: String,
        /// Draft.
        draft: bool,
        /// Labels.
        labels: Vec<String>,
    },
    /// Review the current head.
    Review {
        /// Pull request.
        number: u64,
        /// Reviewer.
        user: String,
        /// Verdict.
        state: ReviewState,
    },
    /// Replace labels.
    Label {
        /// Pull request.
        number: u64,
        /// Who.
        user: String,
        /// Labels.
        labels: Vec<String>,
    },
    /// Set or clear the draft flag.
    Draft {
        /// Pull request.
        number: u64,
        /// Who.
        user: String,
        /// Draft or ready.
        draft: bool,
    },
}

/// Runs `pr`; every record it writes is signed with `signing_key`, when given.
pub fn run(
    context: &Context,
    action: &Action,
    signing_key: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> Result<Outcome, Error> {
    let repo = Repo::discover(&context.root)?;
    let unix_seconds = i64::try_from(context.clock.unix_seconds).unwrap_or(i64::MAX);
    let mut forge = Local::new(repo, unix_seconds);
    if let Some(key) = signing_key {
        forge = forge.signing_with(key.to_path_buf());
    }
    match action {
        Action::List => {
            let base = forge.default_branch()?;
            for pull in forge.open_pull_requests(&base)? {
                let reviews = review_summary(&pull);
                writeln!(
                    out,
                    "#{} {} ({} -> {}, {}) by {}{}{}: approved by [{}]{}{}",
                    pull.number,
                    pull.title,
                    pull.head_ref,
                    pull.base_ref,
                    short(&pull.head_sha),
                    pull.author,
                    if pull.draft { ", draft" } else { "" },
                    if pull.labels.is_empty() {
                        String::new()
                    } else {
                        format!(", labels [{}]", pull.labels.join(", "))
                    },
                    reviews.approvers.join(", "),
                    if reviews.stale.is_empty() {
                        String::new()
                    } else {
                        format!(", stale [{}]", reviews.stale.join(", "))
                    },
                    if reviews.changes_requested.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", changes requested by [{}]",
                            reviews.changes_requested.join(", ")
                        )
                    },
                )?;
            }
        }
        Action::Open {
            head,
            base,
            title,
            user,
            draft,
            labels,
        } => {
            let base = match base {
                Some(base) => base.clone(),
                None => forge.default_branch()?,
            };
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            let number = forge.create_pull(&NewPull {
                title,
                author: user,
                head,
                base: &base,
                draft: *draft,
                labels: &labels,
            })?;
            writeln!(out, "opened #{number}: {head} -> {base}")?;
        }
        Action::Review {
            number,
            user,
            state,
        } => {
            forge.review(*number, user, *state, None)?;
            let head = forge.pull_request(*number)?.head_sha;
            writeln!(
                out,
                "#{number}: {} by {user} on {}",
                state.as_github().to_ascii_lowercase(),
                short(&head)
            )?;
        }
        Action::Label {
            number,
            user,
            labels,
        } => {
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            forge.set_labels(*number, user, &labels)?;
            writeln!(out, "#{number}: labels [{}]", labels.join(", "))?;
        }
        Action::Draft {
            number,
            user,
            draft,
        } => {
            forge.set_draft(*number, user, *draft)?;
            writeln!(
                out,
                "#{number}: {}",
                if *draft { "draft" } else { "ready for review" }
            )?;
        }
    }
    Ok(Outcome::Clean)
}
