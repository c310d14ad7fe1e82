//! Batch regeneration (pure): the commit message and pull-request title that summarise what a
//! new CMDB export changes, from the record-level [`Diff`] of the current branch and the branch
//! with the new export, and what `check` finds in the result.
//!
//! No IO and no clock: `zonegate regen` (in `commands::regen`) reads the export, builds both
//! sides, and writes the commit and pull request.

use std::fmt::Write as _;

use crate::diff::{Counts, Diff};

/// What a regeneration proposes, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// One line: the commit subject and the pull request's title.
    pub title: String,
    /// The rest of the commit message: counts per zone and per datacenter (each list at most
    /// [`SUMMARY_LINES`] long).
    pub body: String,
}

/// What `check` finds in the zones built with the new export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckFindings {
    /// The errors, each printed as `check` prints it (`path:line:column: error[ID]: ...`, ID the rule id).
    pub errors: Vec<String>,
    /// How many warnings there are.
    pub warnings: usize,
}

/// Most check errors listed in a summary; the rest are counted.
pub const ERRORS_SHOWN: usize = 20;

/// True when the new export changes at least one record.
pub fn changes_records(diff: &Diff) -> bool {
    diff.zones.iter().any(|zone| !zone.counts.is_empty())
}

/// Summarises `diff` (base = the current branch, head = with the new export). `source` names
/// the export (`servers.csv`) for the title. When `check` found errors the title says so first
/// and the body lists them: the bot will not merge the proposal as it is.
pub fn summarise(diff: &Diff, source: &str, check: &CheckFindings) -> Summary {
    let mut total = Counts::default();
    for zone in &diff.zones {
        total.added += zone.counts.added;
        total.removed += zone.counts.removed;
        total.changed += zone.counts.changed;
    }
    let zones = diff
        .zones
        .iter()
        .filter(|zone| !zone.counts.is_empty())
        .count();
    let failing = if check.errors.is_empty() {
        String::new()
    } else {
        format!(" fails check ({} error(s))", check.errors.len())
    };
    let title = if zones == 0 {
        format!("regen: CMDB export {source}{failing}: no record changes")
    } else {
        format!(
            "regen: CMDB export {source}{failing}: {} in {zones} zone(s)",
            describe(total)
        )
    };
    let mut body = String::new();
    if !check.errors.is_empty() {
        let _ = writeln!(
            body,
            "The new export fails check: {} error(s), {} warning(s). Rows with errors make no \
             records (the counts below are of the records that would be served), and the bot \
             will not merge this until the export is fixed.",
            check.errors.len(),
            check.warnings
        );
        for error in check.errors.iter().take(ERRORS_SHOWN) {
            for line in error.lines() {
                let _ = writeln!(body, "  {line}");
            }
        }
        if check.errors.len() > ERRORS_SHOWN {
            let _ = writeln!(body, "  and {} more", check.errors.len() - ERRORS_SHOWN);
        }
        body.push('\n');
    }
    let zone_lines: Vec<String> = diff
        .zones
        .iter()
        .filter(|zone| !zone.counts.is_empty())
        .map(|zone| {
            format!(
                "  {}  {} ({} -> {} records)\n",
                zone.origin,
                describe(zone.counts),
                zone.base_records,
                zone.head_records
            )
        })
        .collect();
    if !zone_lines.is_empty() {
        body.push_str("Records per zone:\n");
        push_lines(&mut body, &zone_lines, "zone(s)");
    }
    let datacenter_lines: Vec<String> = diff
        .datacenters
        .iter()
        .filter(|datacenter| !datacenter.counts.is_empty())
        .map(|datacenter| {
            format!(
                "  {}  {} ({} -> {} records)\n",
                datacenter.name,
                describe(datacenter.counts),
                datacenter.base_records,
                datacenter.head_records
            )
        })
        .collect();
    if !datacenter_lines.is_empty() {
        body.push_str("\nRecords per datacenter:\n");
        push_lines(&mut body, &datacenter_lines, "datacenter(s)");
    }
    let losing: Vec<String> = diff
        .services
        .iter()
        .filter(|service| !service.lost.is_empty())
        .map(|service| {
            format!(
                "  {}  {} -> {} target(s)\n",
                crate::diff::service_label(service),
                service.base_targets,
                service.head_targets
            )
        })
        .collect();
    if !losing.is_empty() {
        body.push_str("\nServices losing targets:\n");
        push_lines(&mut body, &losing, "service(s)");
    }
    if !diff.vanished.is_empty() {
        let _ = writeln!(
            body,
            "\nNames losing every address: {}",
            diff.vanished.len()
        );
    }
    Summary { title, body }
}

/// Most lines of one list in the summary; the rest are counted. The summary is a commit message
/// and part of the pull request's body, which GitHub limits to 65,536 characters.
pub const SUMMARY_LINES: usize = 20;

/// Appends the first [`SUMMARY_LINES`] of `lines`, then `  and N more <what>`.
fn push_lines(body: &mut String, lines: &[String], what: &str) {
    for line in lines.iter().take(SUMMARY_LINES) {
        body.push_str(line);
    }
    if lines.len() > SUMMARY_LINES {
        let _ = writeln!(body, "  and {} more {what}", lines.len() - SUMMARY_LINES);
    }
}

/// `+3 -1 ~2 records`, leaving out zero parts.
fn describe(counts: Counts) -> String {
    let mut parts = Vec::new();
    if counts.added > 0 {
        parts.push(format!("+{}", counts.added));
    }
    if counts.removed > 0 {
        parts.push(format!("-{}", counts.removed));
    }
    if counts.changed > 0 {
        parts.push(format!("~{}", counts.changed));
    }
    if parts.is_empty() {
        "no change".to_owned()
    } else {
        format!("{} records", parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_described_without_zero_parts() {
        let counts = |added, removed, changed| Counts {
            added,
            removed,
            changed,
        };
        assert_eq!(describe(counts(3, 0, 0)), "+3 records");
        assert_eq!(describe(counts(0, 2, 1)), "-2 ~1 records");
        assert_eq!(describe(counts(1, 1, 1)), "+1 -1 ~1 records");
        assert_eq!(describe(counts(0, 0, 0)), "no change");
    }

    #[test]
    fn an_empty_diff_changes_no_record() {
        let diff = Diff::default();
        assert!(!changes_records(&diff));
        let summary = summarise(&diff, "servers.csv", &CheckFindings::default());
        assert_eq!(
            summary.title,
            "regen: CMDB export servers.csv: no record changes"
        );
        assert_eq!(summary.body, "");
    }

    #[test]
    fn check_errors_come_first_in_the_title_and_the_body() {
        let errors: Vec<String> = (1..=ERRORS_SHOWN + 2)
            .map(|row| format!("zones/cmdb/servers.csv:{row}:1: error[duplicate-address]: ..."))
            .collect();
        let check = CheckFindings {
            errors,
            warnings: 1,
        };
        let summary = summarise(&Diff::default(), "servers.csv", &check);
        assert_eq!(
            summary.title,
            "regen: CMDB export servers.csv fails check (22 error(s)): no record changes"
        );
        assert!(
            summary
                .body
                .starts_with("The new export fails check: 22 error(s), 1 warning(s)."),
            "{}",
            summary.body
        );
        assert!(
            summary.body.contains(
                "\n  zones/cmdb/servers.csv:20:1: error[duplicate-address]: ...\n  and 2 more\n"
            ),
            "{}",
            summary.body
        );
        assert!(
            !summary.body.contains("servers.csv:21:"),
            "{}",
            summary.body
        );
    }
}
