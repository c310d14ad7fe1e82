//! The merge bot's decision (pure) and the forges it talks to (IO edges).
//!
//! [`decide`] is the whole policy: given what a forge says about a pull request
//! ([`PullRequestFacts`]), the base branch's [`Policy`] and what the bot found out about the
//! change ([`Assessment`]: does it merge cleanly, how large is it, who owns the files, did the
//! merge result pass render + check + test), it returns a [`Decision`]. It reads no clock and
//! does no IO, so every rule is a unit test over literal data.
//!
//! - [`codeowners`] (pure): GitHub's CODEOWNERS syntax; [`assertions`] (pure): which of the
//!   base's assertions a change removes or alters;
//! - [`forge`]: the [`forge::Forge`] trait; [`github`] (REST API) and [`local`] (pull requests
//!   kept in a git repository) implement it; `redact` keeps the token out of everything
//!   `github` hands on;
//! - [`report`] (pure): the status line, the pull-request comment and the merge commit message.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::inventory::policy::Policy;

pub mod assertions;
pub mod codeowners;
pub mod forge;
pub mod github;
pub mod local;
mod redact;
pub mod report;

/// What a forge says about a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestFacts {
    /// Number (GitHub's, or the local forge's).
    pub number: u64,
    /// Title.
    pub title: String,
    /// Login of the author.
    pub author: String,
    /// The commit the pull request currently points at (hex).
    pub head_sha: String,
    /// The head branch's name.
    pub head_ref: String,
    /// The branch it asks to merge into.
    pub base_ref: String,
    /// Marked as a draft.
    pub draft: bool,
    /// Label names.
    pub labels: Vec<String>,
    /// Reviews, oldest first.
    pub reviews: Vec<Review>,
}

/// One submitted review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// Login of the reviewer.
    pub user: String,
    /// Verdict.
    pub state: ReviewState,
    /// The commit the review was given on (hex).
    pub commit_id: String,
}

/// A review's verdict, as GitHub reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewState {
    /// Approved.
    Approved,
    /// Changes requested: blocks until the same reviewer approves or the review is dismissed.
    ChangesRequested,
    /// A comment only: neither approves nor blocks, and does not replace an earlier verdict.
    Commented,
    /// An earlier verdict of this reviewer was dismissed.
    Dismissed,
    /// Not submitted yet.
    Pending,
}

impl ReviewState {
    /// GitHub's spelling (`APPROVED`, ...).
    pub const fn as_github(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::Dismissed => "DISMISSED",
            ReviewState::Pending => "PENDING",
        }
    }

    /// Parses GitHub's spelling, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        [
            ReviewState::Approved,
            ReviewState::ChangesRequested,
            ReviewState::Commented,
            ReviewState::Dismissed,
            ReviewState::Pending,
        ]
        .into_iter()
        .find(|state| state.as_github().eq_ignore_ascii_case(text))
    }
}

/// What the bot found out about a change before deciding.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// How the merge onto the current base went.
    pub merge: MergeCheck,
    /// Why the change is large (blast radius over the thresholds, assertions removed or
    /// changed); empty when it is not.
    pub large_changes: Vec<String>,
    /// CODEOWNERS lines covering changed files, each needing an owner's approval.
    pub owners: Vec<OwnerRequirement>,
    /// The merge result's render + check + test, once run.
    pub gate: Gate,
}

/// How merging the head onto the current base went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeCheck {
    /// A clean merge.
    Clean,
    /// Git cannot combine these paths.
    Conflicts(Vec<String>),
}

/// A CODEOWNERS line that covers changed files: one of its owners must approve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRequirement {
    /// The owners as written (`@org/team`, `@user`).
    pub owners: Vec<String>,
    /// Logins that satisfy it: users named directly and members of the teams that could be
    /// listed, lower-cased.
    pub users: Vec<String>,
    /// Teams whose members could not be listed (then only the other owners can satisfy it).
    pub unresolved_teams: Vec<String>,
    /// The changed paths it covers.
    pub paths: Vec<String>,
}

/// The result of render + check + test on the merge result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Not run yet.
    NotRun,
    /// Everything passed.
    Passed(TestCounts),
    /// Something failed; each entry is one failure, ready to print.
    Failed {
        /// What ran and how it went.
        counts: TestCounts,
        /// The failures (findings, failing assertions), at most a screenful.
        failures: Vec<String>,
    },
}

/// What the gate ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TestCounts {
    /// Zones rendered.
    pub zones: usize,
    /// Records in them.
    pub records: usize,
    /// `check` errors.
    pub check_errors: usize,
    /// `check` warnings.
    pub check_warnings: usize,
    /// Assertions that passed.
    pub assertions_passed: usize,
    /// Assertions that failed (or could not be run).
    pub assertions_failed: usize,
}

/// What the bot does with a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// Why (for `Skip`, `Wait` and `Reject`), one sentence each.
    pub reasons: Vec<String>,
    /// Approvals that count: non-authors, on the current head, latest verdict approving.
    pub approvers: Vec<String>,
    /// Approvals the policy requires for this change.
    pub required_approvals: u32,
    /// The change is large (and `large_changes` in the assessment say why).
    pub large: bool,
}

/// The bot's verdict on a pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not the bot's business: a draft, or labelled do-not-merge. Nothing is reported.
    Skip,
    /// Not yet: approvals missing or stale, changes requested, owners missing.
    Wait,
    /// Cannot merge as it is: a conflict, or the merge result fails the gate.
    Reject,
    /// Everything but the gate is satisfied: test the merge result.
    Test,
    /// The merge result passed: merge it.
    Merge,
}

/// Decides what to do with a pull request. Called once with [`Gate::NotRun`] (to learn whether
/// testing is worth it) and again with the gate's result.
pub fn decide(facts: &PullRequestFacts, policy: &Policy, assessment: &Assessment) -> Decision {
    let mut decision = Decision {
        verdict: Verdict::Skip,
        reasons: Vec::new(),
        approvers: Vec::new(),
        required_approvals: policy.approvals,
        large: !assessment.large_changes.is_empty(),
    };
    if facts.draft {
        decision.reasons.push("draft".to_owned());
        return decision;
    }
    if has_label(facts, &policy.do_not_merge_label) {
        decision
            .reasons
            .push(format!("labelled `{}`", policy.do_not_merge_label));
        return decision;
    }

    let reviews = review_summary(facts);
    decision.approvers.clone_from(&reviews.approvers);
    let overridden = policy
        .override_label
        .as_deref()
        .is_some_and(|label| has_label(facts, label));
    if decision.large && !overridden {
        decision.required_approvals = policy.large_change_approvals;
    }

    let mut waiting = Vec::new();
    for user in &reviews.changes_requested {
        waiting.push(format!("{user} requested changes"));
    }
    let have = reviews.approvers.len() as u32;
    if have < decision.required_approvals {
        let mut reason = format!(
            "{have} of {} required approval(s) from reviewers other than the author on the current head {}",
            decision.required_approvals,
            short(&facts.head_sha)
        );
        if decision.large {
            reason.push_str(if overridden {
                " (a large change, overridden by label)"
            } else {
                " (a large change needs more)"
            });
        }
        if !reviews.stale.is_empty() {
            let _ = write!(
                reason,
                "; approval by {} is for an older commit",
                reviews.stale.join(", ")
            );
        }
        if !reviews.by_author.is_empty() {
            reason.push_str("; the author's own approval does not count");
        }
        waiting.push(reason);
    }
    for requirement in &assessment.owners {
        let satisfied = reviews
            .approvers
            .iter()
            .any(|approver| requirement.users.contains(&approver.to_ascii_lowercase()));
        if !satisfied {
            let mut reason = format!(
                "{} need(s) an approval from an owner: {}",
                list_paths(&requirement.paths),
                requirement.owners.join(" ")
            );
            if !requirement.unresolved_teams.is_empty() {
                let _ = write!(
                    reason,
                    " (members of {} could not be listed; add them under `policy.teams`)",
                    requirement.unresolved_teams.join(", ")
                );
            }
            waiting.push(reason);
        }
    }

    // What cannot merge as it is is rejected whatever the reviews say, so the author learns it
    // before asking for them; the missing approvals are listed after the cause.
    if let MergeCheck::Conflicts(paths) = &assessment.merge {
        decision.verdict = Verdict::Reject;
        decision.reasons.push(format!(
            "does not merge cleanly onto the current base: conflicts in {}",
            list_paths(paths)
        ));
        decision.reasons.extend(waiting);
        return decision;
    }
    if let Gate::Failed { failures, .. } = &assessment.gate {
        decision.verdict = Verdict::Reject;
        decision
            .reasons
            .push("the merge onto the current base fails render, check or test".to_owned());
        decision.reasons.extend(failures.iter().cloned());
        decision.reasons.extend(waiting);
        return decision;
    }
    if !waiting.is_empty() {
        decision.verdict = Verdict::Wait;
        decision.reasons = waiting;
        return decision;
    }
    decision.verdict = match &assessment.gate {
        Gate::NotRun => Verdict::Test,
        Gate::Passed(_) => Verdict::Merge,
        Gate::Failed { .. } => unreachable!("handled above"),
    };
    decision
}

/// The reviews that matter, GitHub's way: per reviewer the latest approving, changes-requesting
/// or dismissing review counts (comments don't replace it); an approval counts only on the
/// current head and only from someone other than the author.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewSummary {
    /// Valid approvals, in order of first review.
    pub approvers: Vec<String>,
    /// Reviewers whose latest approval is on an older commit.
    pub stale: Vec<String>,
    /// Reviewers whose latest verdict requests changes.
    pub changes_requested: Vec<String>,
    /// The author approved their own change (never counts).
    pub by_author: Vec<String>,
}

/// Summarises the reviews of `facts`.
pub fn review_summary(facts: &PullRequestFacts) -> ReviewSummary {
    let mut latest: Vec<(&str, &Review)> = Vec::new();
    for review in &facts.reviews {
        if matches!(review.state, ReviewState::Commented | ReviewState::Pending) {
            continue;
        }
        match latest
            .iter_mut()
            .find(|(user, _)| user.eq_ignore_ascii_case(&review.user))
        {
            Some(entry) => entry.1 = review,
            None => latest.push((&review.user, review)),
        }
    }
    let mut summary = ReviewSummary::default();
    for (user, review) in latest {
        let user = user.to_owned();
        let is_author = user.eq_ignore_ascii_case(&facts.author);
        match review.state {
            ReviewState::Approved if is_author => summary.by_author.push(user),
            ReviewState::Approved if review.commit_id == facts.head_sha => {
                summary.approvers.push(user);
            }
            ReviewState::Approved => summary.stale.push(user),
            ReviewState::ChangesRequested if !is_author => summary.changes_requested.push(user),
            _ => {}
        }
    }
    summary
}

/// Builds the owner requirements for `changed` paths: one per CODEOWNERS line that covers any
/// of them and names owners. `members` lists a team's logins (`None` when unknown).
pub fn owner_requirements(
    codeowners: &codeowners::CodeOwners,
    changed: &[String],
    mut members: impl FnMut(&str) -> Option<Vec<String>>,
) -> Vec<OwnerRequirement> {
    let mut requirements: Vec<(u32, OwnerRequirement)> = Vec::new();
    for path in changed {
        let Some(rule) = codeowners.rule_for(path) else {
            continue;
        };
        if rule.owners.is_empty() {
            continue;
        }
        if let Some((_, existing)) = requirements.iter_mut().find(|(line, _)| *line == rule.line) {
            existing.paths.push(path.clone());
            continue;
        }
        let mut users = BTreeSet::new();
        let mut unresolved = Vec::new();
        for owner in &rule.owners {
            let name = owner.trim_start_matches('@');
            if owner.starts_with('@') && name.contains('/') {
                match members(owner) {
                    Some(list) => users.extend(list.iter().map(|m| m.to_ascii_lowercase())),
                    None => unresolved.push(owner.clone()),
                }
            } else {
                users.insert(name.to_ascii_lowercase());
            }
        }
        requirements.push((
            rule.line,
            OwnerRequirement {
                owners: rule.owners.clone(),
                users: users.into_iter().collect(),
                unresolved_teams: unresolved,
                paths: vec![path.clone()],
            },
        ));
    }
    requirements
        .into_iter()
        .map(|(_, requirement)| requirement)
        .collect()
}

fn has_label(facts: &PullRequestFacts, label: &str) -> bool {
    facts
        .labels
        .iter()
        .any(|candidate| candidate.eq_ignore_ascii_case(label))
}

fn list_paths(paths: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = paths
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        let _ = write!(text, " and {} more", paths.len() - SHOWN);
    }
    text
}

/// The first 7 characters of a commit id.
pub fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

#[cfg(test)]
mod tests;
