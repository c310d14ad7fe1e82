//! Batch regeneration (pure): the commit message and pull-request title that summarise what a
//! new CMDB export changes, from the record-level [`Diff`] of the current branch and the branch
//! with the new export.
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

/// True when the new export changes at least one record.
pub fn changes_records(diff: &Diff) -> bool {
    diff.zones.iter().any(|zone| !zone.counts.is_empty())
}

/// Summarises `diff` (base = the current branch, head = with the new export). `source` names
/// the export (`servers.csv`) for the title.
pub fn summarise(diff: &Diff, source: &str) -> Summary {
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
    let title = format!(
        "regen: CMDB export {source}: {} in {zones} zone(s)",
        describe(total)
    );
    let mut body = String::from("Records per zone:\n");
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
    push_lines(&mut body, &zone_lines, "zone(s)");
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
        let summary = summarise(&diff, "servers.csv");
        assert_eq!(
            summary.title,
            "regen: CMDB export servers.csv: no change in 0 zone(s)"
        );
    }
}
