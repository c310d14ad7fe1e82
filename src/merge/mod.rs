//! The merge bot's decision (pure) and the forges it talks to (IO edges).
//!
//! [`decide`] is the whole policy: given what a forge says about a pull request
//! ([`PullRequestFacts`]), the base branch's [`Policy`] and what the bot found out about the
//! change ([`Assessment`]: does it merge cleanly, how large is it, who owns the files, did the
//! merge result pass render + check + test), it returns a [`Decision`]. It reads no clock and
//! does no IO, so every rule is a unit test over literal data.
//!
//! - [`codeowners`] (pure): GitHub's CODEOWNERS syntax;
//! - [`forge`]: the [`forge::Forge`] trait; [`github`] (REST API) and [`local`] (pull requests
//!   kept in a git repository) implement it; `redact` keeps the token out of everything
//!   `github` hands on;
//! - [`report`] (pure): the status line, the pull-request comment and the merge commit message;
//! - [`hook`]: the repository's `post-receive` hook, run after a merge on the local forge;
//! - [`signing`]: the SSH signatures of the local forge's reviews and label events.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::diff::LargeChange;
use crate::inventory::policy::Policy;

pub mod codeowners;
pub mod forge;
pub mod github;
pub mod hook;
pub mod local;
mod redact;
pub mod report;
pub mod signing;

/// Where the local forge finds the keys whose signatures it trusts, on the base branch (from the
/// git root, as CODEOWNERS): the `ssh-keygen` ALLOWED SIGNERS format.
pub const ALLOWED_SIGNERS: &str = ".zonegate/allowed_signers";

/// A file on the base branch (from the git root) that stops every merge but an emergency one; its
/// text is the reason.
pub const FREEZE_FILE: &str = ".zonegate/freeze";

/// A freeze in force on the base branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freeze {
    /// Why, as written.
    pub reason: String,
    /// Where it was declared (`policy.freeze`, `.zonegate/freeze`).
    pub source: &'static str,
}

/// The freeze in force on a base with `policy` and the freeze file's bytes (`file`), if any:
/// `policy.freeze` first, then the file (its text on one line; an empty file freezes too).
pub fn freeze(policy: &Policy, file: Option<&[u8]>) -> Option<Freeze> {
    /// Longest reason kept (the status line has 140 characters).
    const REASON_CHARACTERS: usize = 200;
    if let Some(reason) = &policy.freeze {
        return Some(Freeze {
            reason: reason.clone(),
            source: "policy.freeze",
        });
    }
    let text = String::from_utf8_lossy(file?);
    let mut reason = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.is_empty() {
        "no reason given".clone_into(&mut reason);
    }
    if let Some((cut, _)) = reason.char_indices().nth(REASON_CHARACTERS) {
        reason.truncate(cut);
        reason.push('…');
    }
    Some(Freeze {
        reason,
        source: FREEZE_FILE,
    })
}

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
    /// The SSH signature of the record that holds it (the local forge's); `None` when unsigned
    /// or when the forge vouches for its users itself (GitHub).
    pub signature: Option<Signature>,
}

/// An SSH signature over a local-forge record, as git makes one with `gpg.format ssh`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The armored `SSH SIGNATURE` (the commit's `gpgsig` header).
    pub armored: String,
    /// What it signs: the commit without that header.
    pub payload: Vec<u8>,
}

/// Who applied a label the policy gives power to (the override label), as the forge recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelApplier {
    /// The forge has no record of anyone applying it (a label set when the pull request was
    /// opened through an API that records no event, or an event history that was rewritten).
    Unknown,
    /// The latest `labeled` event for it.
    By {
        /// Their login.
        login: String,
        /// Whether they may approve pull requests (write access on GitHub).
        may_approve: bool,
    },
    /// The latest event for it names this login, with the signature of its record, still to be
    /// checked against the base's allowed signers (the local forge).
    Claimed {
        /// The login the event claims.
        login: String,
        /// Its record's signature, if signed.
        signature: Option<Signature>,
    },
    /// The latest event for it cannot be trusted (the local forge's signatures); why.
    Untrusted {
        /// The login the event claims.
        login: String,
        /// Why it does not count.
        reason: String,
    },
}

/// One label added to or removed from a pull request, as the forge records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelEvent {
    /// The label's name.
    pub label: String,
    /// Who did it.
    pub actor: String,
    /// Added (`labeled`) or removed (`unlabeled`).
    pub added: bool,
}

/// The latest `labeled` event for `label` (case-insensitive) among `events`, oldest first.
pub fn last_labeled<'a>(events: &'a [LabelEvent], label: &str) -> Option<&'a LabelEvent> {
    events
        .iter()
        .rev()
        .find(|event| event.added && event.label.eq_ignore_ascii_case(label))
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
    /// Why the change is large (its change classes, the thresholds it exceeds); empty when it
    /// is not.
    pub large_changes: Vec<LargeChange>,
    /// CODEOWNERS lines covering changed files, each needing an owner's approval.
    pub owners: Vec<OwnerRequirement>,
    /// The merge result's render + check + test, once run.
    pub gate: Gate,
    /// Who applied the policy's override label, when the pull request carries it.
    pub override_applier: Option<LabelApplier>,
    /// The freeze in force on the base, if any.
    pub freeze: Option<Freeze>,
    /// Reviews left out because their signature does not hold (the local forge with allowed
    /// signers on the base), one sentence each: said where approvals or owners are missing.
    pub unverified: Vec<String>,
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
    /// The merge result's files are malformed, so nothing could be rendered or tested; each
    /// entry is one input error, ready to print.
    NotLoaded {
        /// The input errors (at most a screenful).
        failures: Vec<String>,
        /// How many there are in all.
        count: usize,
    },
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
    /// Who applied the override label that lifted the large-change bar, when one did.
    pub override_by: Option<String>,
    /// Merging in a freeze, on the emergency label and approvals of `policy.admins`.
    pub emergency: bool,
}

/// The bot's verdict on a pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not the bot's business: a draft, or labelled do-not-merge. Reported as not evaluated.
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
        override_by: None,
        emergency: false,
    };
    if let Some(reason) = not_evaluated(facts, policy) {
        decision.reasons.push(reason);
        return decision;
    }

    let mut reviews = review_summary(facts);
    let mut waiting = Vec::new();
    // In a freeze only an emergency merge goes in, and only admins' approvals count for it. The
    // freeze comes first, so the status line names it.
    if let Some(freeze) = &assessment.freeze {
        if has_label(facts, &policy.emergency_label) {
            decision.emergency = true;
            let (admins, others): (Vec<String>, Vec<String>) = reviews
                .approvers
                .drain(..)
                .partition(|approver| policy.is_admin(approver));
            reviews.approvers = admins;
            reviews.not_admins = others;
        } else {
            waiting.push(format!(
                "frozen ({}): {}; only an emergency merge goes in (label `{}`, approved by `policy.admins`)",
                freeze.source, freeze.reason, policy.emergency_label
            ));
        }
    }
    decision.approvers.clone_from(&reviews.approvers);
    let (override_by, override_refused) = override_applied(facts, policy, assessment);
    if decision.large {
        if override_by.is_some() {
            decision.override_by = override_by;
        } else {
            decision.required_approvals = policy.large_change_approvals;
        }
    }
    for user in &reviews.changes_requested {
        waiting.push(format!("{user} requested changes"));
    }
    if decision.emergency {
        decision.required_approvals = decision.required_approvals.max(1);
    }
    let have = reviews.approvers.len() as u32;
    if have < decision.required_approvals {
        // The causes come first, so the status line (140 characters) names them.
        let mut reason = format!(
            "{have} of {} required approval(s){} from {} on the current head {}",
            decision.required_approvals,
            match (decision.large, &decision.override_by) {
                (true, None) => format!(
                    " for a large change ({})",
                    crate::diff::large::causes(&assessment.large_changes)
                ),
                (true, Some(by)) => format!(
                    " for a large change ({}) overridden by {by}'s label",
                    crate::diff::large::causes(&assessment.large_changes)
                ),
                (false, _) => String::new(),
            },
            if decision.emergency {
                "`policy.admins` other than the author for an emergency merge in the freeze"
            } else {
                "reviewers other than the author"
            },
            short(&facts.head_sha)
        );
        if decision.emergency && policy.admins.is_empty() {
            reason.push_str("; `policy.admins` names no one, so nothing merges in this freeze");
        }
        if !reviews.not_admins.is_empty() {
            let _ = write!(
                reason,
                "; approval by {} does not count in a freeze (not in `policy.admins`)",
                reviews.not_admins.join(", ")
            );
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
        if decision.large
            && let Some(refused) = &override_refused
        {
            let _ = write!(reason, "; {refused}");
        }
        for unverified in &assessment.unverified {
            let _ = write!(reason, "; {unverified}");
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
            if have >= decision.required_approvals {
                for unverified in &assessment.unverified {
                    let _ = write!(reason, "; {unverified}");
                }
            }
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
    if let Gate::NotLoaded { failures, count } = &assessment.gate {
        decision.verdict = Verdict::Reject;
        decision.reasons.push(format!(
            "the merge onto the current base does not load: {count} input error(s)"
        ));
        decision.reasons.extend(failures.iter().cloned());
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
        Gate::Failed { .. } | Gate::NotLoaded { .. } => unreachable!("handled above"),
    };
    decision
}

/// Who lifted the large-change bar with the override label, or why the label does not count:
/// only someone other than the author, who may approve, can apply it for the author.
fn override_applied(
    facts: &PullRequestFacts,
    policy: &Policy,
    assessment: &Assessment,
) -> (Option<String>, Option<String>) {
    let Some(label) = policy.override_label.as_deref() else {
        return (None, None);
    };
    if !has_label(facts, label) {
        return (None, None);
    }
    let refused = |why: String| {
        (
            None,
            Some(format!("the label `{label}` does not count: {why}")),
        )
    };
    match &assessment.override_applier {
        None | Some(LabelApplier::Unknown) => {
            refused("the forge has no record of who applied it".to_owned())
        }
        Some(LabelApplier::Untrusted { login, reason }) => {
            refused(format!("the event applying it as {login} {reason}"))
        }
        Some(LabelApplier::Claimed { login, .. }) => {
            refused(format!("the event applying it as {login} was not checked"))
        }
        Some(LabelApplier::By { login, .. }) if login.eq_ignore_ascii_case(&facts.author) => {
            refused(format!("applied by the author {login}"))
        }
        Some(LabelApplier::By {
            login,
            may_approve: false,
        }) => refused(format!("applied by {login}, who may not approve")),
        Some(LabelApplier::By { login, .. }) => (Some(login.clone()), None),
    }
}

/// Why the bot leaves a pull request unevaluated (a draft, or labelled `do-not-merge`), if it
/// does: it reports that and tests nothing.
pub fn not_evaluated(facts: &PullRequestFacts, policy: &Policy) -> Option<String> {
    if facts.draft {
        return Some("draft".to_owned());
    }
    has_label(facts, &policy.do_not_merge_label)
        .then(|| format!("labelled `{}`", policy.do_not_merge_label))
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
    /// Valid approvals that do not count for an emergency merge: not from `policy.admins`.
    pub not_admins: Vec<String>,
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
