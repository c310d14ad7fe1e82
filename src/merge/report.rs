//! What the bot says (pure): the commit status, the one pull-request comment, the merge commit's
//! message with its trailers. Nothing here is time-dependent, so an unchanged situation gives
//! byte-identical text and the comment is not edited again.

use std::fmt::Write as _;

use super::forge::{CommitStatus, StatusState};
use super::{Assessment, Decision, Gate, MergeCheck, PullRequestFacts, TestCounts, Verdict, short};

/// The hidden line that identifies the bot's comment.
pub const COMMENT_MARKER: &str = "<!-- zonegate-bot -->";

/// The commit status context.
pub const STATUS_CONTEXT: &str = "zonegate/bot";

/// GitHub truncates nothing but refuses status descriptions over 140 characters.
const STATUS_DESCRIPTION_LIMIT: usize = 140;

/// GitHub refuses comments over 65,536 characters; stay clear of it.
const COMMENT_LIMIT: usize = 60_000;

/// Everything the bot says about one pull request in one pass.
#[derive(Clone, Copy, Debug)]
pub struct Summary<'a> {
    /// The pull request.
    pub facts: &'a PullRequestFacts,
    /// What was decided.
    pub decision: &'a Decision,
    /// What was found out.
    pub assessment: &'a Assessment,
    /// The base branch's name.
    pub base_branch: &'a str,
    /// The base commit the change was evaluated on.
    pub base_sha: &'a str,
    /// The diff of the merge result against the base, as markdown, when it could be computed.
    pub diff_markdown: Option<&'a str>,
    /// The commit the base points at after merging, when merged.
    pub merged: Option<&'a str>,
    /// A dry run: say "would".
    pub dry_run: bool,
}

/// The commit status for the pull request's head.
pub fn status(summary: &Summary<'_>) -> CommitStatus {
    let decision = summary.decision;
    let (state, description) = match (decision.verdict, summary.merged) {
        (_, Some(sha)) => (
            StatusState::Success,
            format!(
                "merged as {} after {}",
                short(sha),
                gate_text(summary.assessment)
            ),
        ),
        (Verdict::Merge, None) => (
            StatusState::Success,
            format!("ready to merge: {}", gate_text(summary.assessment)),
        ),
        (Verdict::Test, None) => (StatusState::Pending, "testing the merge result".to_owned()),
        (Verdict::Wait, None) => (
            StatusState::Pending,
            format!("waiting: {}", first_reason(decision)),
        ),
        (Verdict::Reject, None) => (
            StatusState::Failure,
            format!("not merged: {}", first_reason(decision)),
        ),
        (Verdict::Skip, None) => (
            StatusState::Pending,
            format!("not evaluated: {}", first_reason(decision)),
        ),
    };
    CommitStatus {
        context: STATUS_CONTEXT.to_owned(),
        state,
        description: truncate(&description, STATUS_DESCRIPTION_LIMIT),
    }
}

/// The comment body (with [`COMMENT_MARKER`] on its first line).
pub fn comment(summary: &Summary<'_>) -> String {
    let decision = summary.decision;
    let assessment = summary.assessment;
    let facts = summary.facts;
    let mut out = String::new();
    let _ = writeln!(out, "{COMMENT_MARKER}");
    let would = if summary.dry_run { "would be " } else { "" };
    let headline = match (decision.verdict, summary.merged) {
        (_, Some(sha)) => format!("✅ merged as `{}`", short(sha)),
        (Verdict::Merge, None) => format!("✅ {would}merged"),
        (Verdict::Test, None) => "⏳ testing".to_owned(),
        (Verdict::Wait, None) => "⏳ waiting".to_owned(),
        (Verdict::Reject, None) => format!(
            "❌ {}not merged",
            if summary.dry_run { "would be " } else { "" }
        ),
        (Verdict::Skip, None) => format!("not evaluated: {}", first_reason(decision)),
    };
    let _ = writeln!(out, "## zonegate bot: {headline}\n");
    if decision.verdict == Verdict::Skip && summary.merged.is_none() {
        let _ = writeln!(
            out,
            "Head `{}` is not tested or merged until it is ready for review and not labelled to stay out.",
            short(&facts.head_sha)
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Head `{}` merged onto `{}` at `{}`.\n",
        short(&facts.head_sha),
        summary.base_branch,
        short(summary.base_sha)
    );
    if !decision.reasons.is_empty() {
        out.push_str("**Why**\n\n");
        for reason in &decision.reasons {
            if reason.contains('\n') {
                let _ = writeln!(out, "```\n{}\n```", reason.replace("```", "'''"));
            } else {
                let _ = writeln!(out, "- {}", escape(reason));
            }
        }
        out.push('\n');
    }
    let approvers = if decision.approvers.is_empty() {
        "none".to_owned()
    } else {
        decision.approvers.join(", ")
    };
    let _ = writeln!(
        out,
        "- **Approvals:** {} of {} required ({approvers}){}",
        decision.approvers.len(),
        decision.required_approvals,
        if decision.large { ", large change" } else { "" }
    );
    for requirement in &assessment.owners {
        let _ = writeln!(
            out,
            "- **Owners:** {} for {}",
            requirement.owners.join(" "),
            requirement.paths.join(", ")
        );
    }
    // The diff below repeats the large-change reasons in its warning; without one, list them.
    if !assessment.large_changes.is_empty() && summary.diff_markdown.is_none() {
        out.push_str("- **Large change:**\n");
        for change in &assessment.large_changes {
            let _ = writeln!(out, "  - {}", crate::diff::report::markdown_line(change));
        }
    }
    match &assessment.merge {
        MergeCheck::Clean => {}
        MergeCheck::Conflicts(paths) => {
            let _ = writeln!(
                out,
                "- **Merge:** conflicts in {}; merge `{}` into the branch and resolve them",
                paths.join(", "),
                summary.base_branch
            );
        }
    }
    match &assessment.gate {
        Gate::NotRun => {}
        Gate::Passed(_) | Gate::Failed { .. } | Gate::NotLoaded { .. } => {
            let _ = writeln!(
                out,
                "- **Tests on the merge result:** {}",
                gate_text(assessment)
            );
        }
    }
    if let Some(diff) = summary.diff_markdown {
        out.push('\n');
        out.push_str(diff);
    }
    if out.len() > COMMENT_LIMIT {
        let mut cut = COMMENT_LIMIT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n\n… (truncated; run `zonegate diff` for the rest)\n");
    }
    out
}

/// The merge commit's message: a title, then the why in git trailers (`Approved-by:`,
/// `Override-by:`, `Emergency:`, `Blast-radius:`, `Large-change:`, `Tested:`), readable with `git interpret-trailers --parse`.
pub fn commit_message(
    facts: &PullRequestFacts,
    decision: &Decision,
    assessment: &Assessment,
    blast_radius: &[String],
    base_sha: &str,
) -> (String, String) {
    let title = format!(
        "Merge pull request #{} from {}",
        facts.number, facts.head_ref
    );
    let mut body = String::new();
    let _ = writeln!(body, "{}\n", one_line(&facts.title));
    let _ = writeln!(
        body,
        "Merged by zonegate: this exact tree passed render, check and test on {}.\n",
        short(base_sha)
    );
    for approver in &decision.approvers {
        let _ = writeln!(body, "Approved-by: {approver}");
    }
    if let Some(by) = &decision.override_by {
        let _ = writeln!(body, "Override-by: {by}");
    }
    if let (true, Some(freeze)) = (decision.emergency, &assessment.freeze) {
        let _ = writeln!(
            body,
            "Emergency: merged in the freeze of {} ({}) on the emergency label",
            freeze.source,
            one_line(&freeze.reason)
        );
    }
    if blast_radius.is_empty() {
        let _ = writeln!(body, "Blast-radius: no record changes");
    }
    for line in blast_radius {
        let _ = writeln!(body, "Blast-radius: {}", one_line(line));
    }
    for change in &assessment.large_changes {
        let _ = writeln!(body, "Large-change: {}", one_line(&change.line()));
    }
    let _ = writeln!(body, "Tested: {}", gate_text(assessment));
    let _ = writeln!(body, "Pull-request: #{}", facts.number);
    let _ = writeln!(body, "Head: {}", facts.head_sha);
    (title, body)
}

/// `3 zones, 412 records rendered; check: 0 errors, 1 warning; assertions: 12 passed, 0 failed`.
pub fn gate_text(assessment: &Assessment) -> String {
    let counts = match &assessment.gate {
        Gate::NotRun => return "not tested yet".to_owned(),
        Gate::NotLoaded { .. } => return "not run: the merge result does not load".to_owned(),
        Gate::Passed(counts) | Gate::Failed { counts, .. } => counts,
    };
    counts_text(counts)
}

/// The counts of a gate run, in one line.
pub fn counts_text(counts: &TestCounts) -> String {
    format!(
        "{} zones, {} records rendered; check: {} error(s), {} warning(s); assertions: {} passed, {} failed",
        counts.zones,
        counts.records,
        counts.check_errors,
        counts.check_warnings,
        counts.assertions_passed,
        counts.assertions_failed
    )
}

/// Escapes the characters that would start emphasis or HTML in a markdown line.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '_' | '*' | '<' | '[' | ']') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

fn first_reason(decision: &Decision) -> String {
    decision
        .reasons
        .first()
        .map_or_else(String::new, |reason| one_line(reason))
}

fn one_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_owned()
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{Review, ReviewState};

    fn facts() -> PullRequestFacts {
        PullRequestFacts {
            number: 12,
            title: "drain ams\nlong body".into(),
            author: "alice".into(),
            head_sha: "abcdef0123456789abcdef0123456789abcdef01".into(),
            head_ref: "drain-ams".into(),
            base_ref: "main".into(),
            draft: false,
            labels: Vec::new(),
            reviews: vec![Review {
                user: "bob".into(),
                state: ReviewState::Approved,
                commit_id: "abcdef0123456789abcdef0123456789abcdef01".into(),
                signature: None,
            }],
        }
    }

    fn assessment(gate: Gate) -> Assessment {
        Assessment {
            merge: MergeCheck::Clean,
            large_changes: vec![crate::diff::LargeChange {
                cause: crate::diff::Cause::Class(&crate::change_class::SERVICE_LOSES_EVERY_TARGET),
                reason:
                    "service web in ams (_web._tcp.ams.example.com.) loses all 2 of its SRV targets"
                        .into(),
            }],
            owners: Vec::new(),
            gate,
            override_applier: None,
            freeze: None,
            unverified: Vec::new(),
        }
    }

    fn decision(verdict: Verdict, reasons: &[&str]) -> Decision {
        Decision {
            verdict,
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
            approvers: vec!["bob".into(), "carol".into()],
            required_approvals: 2,
            large: true,
            override_by: None,
            emergency: false,
        }
    }

    const COUNTS: TestCounts = TestCounts {
        zones: 3,
        records: 40,
        check_errors: 0,
        check_warnings: 1,
        assertions_passed: 12,
        assertions_failed: 0,
    };

    #[test]
    fn the_merge_commit_records_why_in_trailers() {
        let (title, body) = commit_message(
            &facts(),
            &decision(Verdict::Merge, &[]),
            &assessment(Gate::Passed(COUNTS)),
            &["example.com.: 1 added, 6 removed, 1 changed of 40 records (17.5% removed or changed), serial changes".into()],
            "0123456789abcdef0123456789abcdef01234567",
        );
        assert_eq!(title, "Merge pull request #12 from drain-ams");
        insta::assert_snapshot!(body, @"
        drain ams

        Merged by zonegate: this exact tree passed render, check and test on 0123456.

        Approved-by: bob
        Approved-by: carol
        Blast-radius: example.com.: 1 added, 6 removed, 1 changed of 40 records (17.5% removed or changed), serial changes
        Large-change: service-loses-every-target: service web in ams (_web._tcp.ams.example.com.) loses all 2 of its SRV targets
        Tested: 3 zones, 40 records rendered; check: 0 error(s), 1 warning(s); assertions: 12 passed, 0 failed
        Pull-request: #12
        Head: abcdef0123456789abcdef0123456789abcdef01
        ");
    }

    #[test]
    fn statuses_are_short_and_say_why() {
        let facts = facts();
        let gate = assessment(Gate::Passed(COUNTS));
        let waiting = decision(
            Verdict::Wait,
            &["1 of 2 required approval(s) ".repeat(10).as_str()],
        );
        let summary = Summary {
            facts: &facts,
            decision: &waiting,
            assessment: &gate,
            base_branch: "main",
            base_sha: "0123456789abcdef0123456789abcdef01234567",
            diff_markdown: None,
            merged: None,
            dry_run: false,
        };
        let status = status(&summary);
        assert_eq!(status.state, StatusState::Pending);
        assert_eq!(status.description.chars().count(), 140);
        assert!(status.description.ends_with('…'));
        let merged = decision(Verdict::Merge, &[]);
        let status = super::status(&Summary {
            decision: &merged,
            merged: Some("fedcba9876543210fedcba9876543210fedcba98"),
            ..summary
        });
        assert_eq!(status.state, StatusState::Success);
        assert_eq!(
            status.description,
            "merged as fedcba9 after 3 zones, 40 records rendered; check: 0 error(s), 1 warning(s); assertions: 12 passed, 0 failed"
        );
    }

    #[test]
    fn the_comment_for_a_failing_merge_result() {
        let facts = facts();
        let failing = assessment(Gate::Failed {
            counts: TestCounts {
                assertions_failed: 1,
                ..COUNTS
            },
            failures: vec![
                "assertions/web.yaml:1:3: error[assertion-failed]: web is discoverable in ams"
                    .into(),
            ],
        });
        let rejected = decision(
            Verdict::Reject,
            &[
                "the merge onto the current base fails render, check or test",
                "assertions/web.yaml:1:3: error[assertion-failed]: web is discoverable in ams",
            ],
        );
        let text = comment(&Summary {
            facts: &facts,
            decision: &rejected,
            assessment: &failing,
            base_branch: "main",
            base_sha: "0123456789abcdef0123456789abcdef01234567",
            diff_markdown: Some("### DNS diff\n"),
            merged: None,
            dry_run: false,
        });
        insta::assert_snapshot!(text, @r"
        <!-- zonegate-bot -->
        ## zonegate bot: ❌ not merged

        Head `abcdef0` merged onto `main` at `0123456`.

        **Why**

        - the merge onto the current base fails render, check or test
        - assertions/web.yaml:1:3: error\[assertion-failed\]: web is discoverable in ams

        - **Approvals:** 2 of 2 required (bob, carol), large change
        - **Tests on the merge result:** 3 zones, 40 records rendered; check: 0 error(s), 1 warning(s); assertions: 12 passed, 1 failed

        ### DNS diff
        ");
    }
}
