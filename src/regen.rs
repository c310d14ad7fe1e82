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
    /// The rest of the commit message: counts per zone and per datacenter.
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
    for zone in diff.zones.iter().filter(|zone| !zone.counts.is_empty()) {
        let _ = writeln!(
            body,
            "  {}  {} ({} -> {} records)",
            zone.origin,
            describe(zone.counts),
            zone.base_records,
            zone.head_records
        );
    }
    let datacenters: Vec<_> = diff
        .datacenters
        .iter()
        .filter(|datacenter| !datacenter.counts.is_empty())
        .collect();
    if !datacenters.is_empty() {
        body.push_str("\nRecords per datacenter:\n");
        for datacenter in datacenters {
            let _ = writeln!(
                body,
                "  {}  {} ({} -> {} records)",
                datacenter.name,
                describe(datacenter.counts),
                datacenter.base_records,
                datacenter.head_records
            );
        }
    }
    let losing: Vec<_> = diff
        .services
        .iter()
        .filter(|service| !service.lost.is_empty())
        .collect();
    if !losing.is_empty() {
        body.push_str("\nServices losing targets:\n");
        for service in losing {
            let _ = writeln!(
                body,
                "  {}  {} -> {} target(s)",
                crate::diff::service_label(service),
                service.base_targets,
                service.head_targets
            );
        }
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
