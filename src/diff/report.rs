//! Printing a [`Diff`]: for people (`human`), for programs (`json`, streamed so a million changed
//! records never sit in memory twice), and the pieces the Markdown report (`super::markdown`,
//! bounded to what GitHub accepts) shares with them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{
    Change, ChangeKind, Diff, Group, LargeChange, Presence, ServiceDiff, VanishReason, ZoneDiff,
    percent, service_label,
};
use crate::model::presentation::write_rdata;

/// What to print besides the difference itself.
#[derive(Clone, Copy, Debug)]
pub struct Labels<'a> {
    /// The base revision as the user named it.
    pub base: &'a str,
    /// The head revision as the user named it (or `working tree`).
    pub head: &'a str,
    /// Why the change is large under the base's policy (empty when it is not).
    pub large_changes: &'a [LargeChange],
    /// The command line that prints the whole difference, named when a Markdown report had to
    /// leave something out; `None` when no one command reproduces it (the bot's in-memory merge).
    pub rerun: Option<&'a str>,
}

/// Writes the difference for people.
pub fn human(out: &mut dyn Write, diff: &Diff, labels: &Labels<'_>) -> io::Result<()> {
    writeln!(out, "diff {} -> {}", labels.base, labels.head)?;
    if diff.is_empty() {
        writeln!(out, "no record changes; every serial stays")?;
        // A change of CODEOWNERS or the policy changes no record and is large all the same.
        return large_changes_text(out, labels);
    }
    let width = diff
        .zones
        .iter()
        .map(|zone| zone.origin.to_string().len())
        .max()
        .unwrap_or(0);
    writeln!(out, "zones:")?;
    for zone in &diff.zones {
        writeln!(
            out,
            "  {:<width$}  {}",
            zone.origin.to_string(),
            zone_summary(zone)
        )?;
    }
    let datacenters: Vec<_> = diff
        .datacenters
        .iter()
        .filter(|dc| !dc.counts.is_empty())
        .collect();
    if !datacenters.is_empty() {
        writeln!(out, "datacenters:")?;
        for dc in datacenters {
            writeln!(
                out,
                "  {}: {} of {} records ({} removed or changed)",
                dc.name,
                counts_text(dc.counts),
                dc.base_records,
                percent(dc.counts.share_of(dc.base_records))
            )?;
        }
    }
    if !diff.services.is_empty() {
        writeln!(out, "services whose SRV targets change:")?;
        for service in &diff.services {
            writeln!(
                out,
                "  {}: {}",
                service_label(service),
                targets_text(service)
            )?;
        }
    }
    if !diff.vanished.is_empty() {
        writeln!(out, "names that lose every address:")?;
        for vanished in &diff.vanished {
            writeln!(
                out,
                "  {}{}: {}",
                vanished.name,
                vanished
                    .datacenter
                    .as_deref()
                    .map(|dc| format!(" ({dc})"))
                    .unwrap_or_default(),
                reason_text(&vanished.reason)
            )?;
        }
    }
    large_changes_text(out, labels)?;
    writeln!(out, "records:")?;
    let mut line = String::new();
    for zone in &diff.zones {
        if zone.changes.is_empty() {
            continue;
        }
        writeln!(out, "  {}", zone.origin)?;
        for (group, changes) in grouped(zone) {
            writeln!(out, "    {}", group_text(group))?;
            for change in changes {
                line.clear();
                change_line(change, &mut line);
                writeln!(out, "      {line}")?;
            }
        }
    }
    Ok(())
}

fn large_changes_text(out: &mut dyn Write, labels: &Labels<'_>) -> io::Result<()> {
    if !labels.large_changes.is_empty() {
        writeln!(out, "large change under the base's policy:")?;
        for change in labels.large_changes {
            writeln!(out, "  {}", change.line())?;
        }
    }
    Ok(())
}

/// Writes the difference as one JSON object (see `docs/formats.md`), streaming the records.
pub fn json(out: &mut dyn Write, diff: &Diff, labels: &Labels<'_>) -> io::Result<()> {
    let totals = diff.totals();
    let large_changes: Vec<serde_json::Value> = labels
        .large_changes
        .iter()
        .map(|change| serde_json::json!({ "cause": change.cause.id(), "reason": change.reason }))
        .collect();
    write!(
        out,
        "{{\"base\":{},\"head\":{},\"totals\":{},\"large_changes\":{},\"zones\":[",
        serde_json::to_string(labels.base)?,
        serde_json::to_string(labels.head)?,
        serde_json::to_string(&totals)?,
        serde_json::to_string(&large_changes)?,
    )?;
    let mut line = String::new();
    for (index, zone) in diff.zones.iter().enumerate() {
        if index > 0 {
            out.write_all(b",")?;
        }
        write!(
            out,
            "{{\"origin\":{},\"presence\":{},\"base_records\":{},\"head_records\":{},\"added\":{},\"removed\":{},\"changed\":{},\"share_percent\":{},\"serial_changes\":{},\"changes\":[",
            serde_json::to_string(&zone.origin.to_string())?,
            serde_json::to_string(&zone.presence)?,
            zone.base_records,
            zone.head_records,
            zone.counts.added,
            zone.counts.removed,
            zone.counts.changed,
            round(zone.counts.share_of(zone.base_records)),
            zone.serial_changes,
        )?;
        for (position, change) in zone.changes.iter().enumerate() {
            if position > 0 {
                out.write_all(b",")?;
            }
            line.clear();
            write_rdata(&change.record.data, &mut line);
            let (operation, from_ttl) = match change.kind {
                ChangeKind::Added => ("added", None),
                ChangeKind::Removed => ("removed", None),
                ChangeKind::Ttl { from } => ("ttl", Some(from)),
            };
            let value = serde_json::json!({
                "change": operation,
                "name": change.record.name.to_string(),
                "type": change.record.record_type().as_str(),
                "ttl": change.record.ttl,
                "from_ttl": from_ttl,
                "data": line,
                "datacenter": change.group.datacenter.as_deref(),
                "service": change.group.service.as_deref(),
            });
            serde_json::to_writer(&mut *out, &value)?;
        }
        out.write_all(b"]}")?;
    }
    let datacenters: Vec<serde_json::Value> = diff
        .datacenters
        .iter()
        .map(|dc| {
            serde_json::json!({
                "name": &*dc.name,
                "base_records": dc.base_records,
                "head_records": dc.head_records,
                "added": dc.counts.added,
                "removed": dc.counts.removed,
                "changed": dc.counts.changed,
                "share_percent": round(dc.counts.share_of(dc.base_records)),
            })
        })
        .collect();
    let services: Vec<serde_json::Value> = diff
        .services
        .iter()
        .map(|service| {
            serde_json::json!({
                "owner": service.owner.to_string(),
                "service": service.group.service.as_deref(),
                "datacenter": service.group.datacenter.as_deref(),
                "base_targets": service.base_targets,
                "head_targets": service.head_targets,
                "lost": service.lost.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "gained": service.gained.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "loses_all": service.loses_all(),
            })
        })
        .collect();
    let vanished: Vec<serde_json::Value> = diff
        .vanished
        .iter()
        .map(|vanished| {
            serde_json::json!({
                "name": vanished.name.to_string(),
                "datacenter": vanished.datacenter.as_deref(),
                "reason": reason_text(&vanished.reason),
            })
        })
        .collect();
    writeln!(
        out,
        "],\"datacenters\":{},\"services\":{},\"vanished\":{}}}",
        serde_json::to_string(&datacenters)?,
        serde_json::to_string(&services)?,
        serde_json::to_string(&vanished)?,
    )
}

/// `+3 -2 ~1` style counts, spelled out.
pub fn counts_text(counts: super::Counts) -> String {
    format!(
        "{} added, {} removed, {} changed",
        counts.added, counts.removed, counts.changed
    )
}

/// One line per zone for summaries and commit trailers.
pub fn zone_summary(zone: &ZoneDiff) -> String {
    match zone.presence {
        Presence::Added => format!("new zone, {} records", zone.head_records),
        Presence::Removed => format!("deleted, {} records", zone.base_records),
        Presence::Both if zone.counts.is_empty() && !zone.serial_changes => "unchanged".to_owned(),
        Presence::Both => format!(
            "{} of {} records ({} removed or changed){}",
            counts_text(zone.counts),
            zone.base_records,
            percent(zone.counts.share_of(zone.base_records)),
            if zone.serial_changes {
                ", serial changes"
            } else {
                ""
            }
        ),
    }
}

fn targets_text(service: &ServiceDiff) -> String {
    let mut text = format!(
        "{} -> {} targets",
        service.base_targets, service.head_targets
    );
    push_target_changes(&mut text, service, names);
    text
}

/// `; loses 2 (all): a, b; gains 1: c`, the names listed by `list`.
pub(super) fn push_target_changes(
    text: &mut String,
    service: &ServiceDiff,
    list: fn(&[crate::dns::name::Name]) -> String,
) {
    if !service.lost.is_empty() {
        let _ = write!(
            text,
            "; loses {}{}: {}",
            service.lost.len(),
            if service.loses_all() { " (all)" } else { "" },
            list(&service.lost)
        );
    }
    if !service.gained.is_empty() {
        let _ = write!(
            text,
            "; gains {}: {}",
            service.gained.len(),
            list(&service.gained)
        );
    }
}

fn names(names: &[crate::dns::name::Name]) -> String {
    const SHOWN: usize = 8;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        let _ = write!(text, " and {} more", names.len() - SHOWN);
    }
    text
}

pub(super) fn code_names(names: &[crate::dns::name::Name]) -> String {
    const SHOWN: usize = 8;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        let _ = write!(text, " and {} more", names.len() - SHOWN);
    }
    text
}

pub(super) fn reason_text(reason: &VanishReason) -> String {
    match reason {
        VanishReason::Status(status) => format!("CMDB status is now `{status}`"),
        VanishReason::NotExported => "the host is no longer in the CMDB export".to_owned(),
        VanishReason::Unexplained => {
            "the host is exported with an address status but gets no records (see `zonegate check`)"
                .to_owned()
        }
        VanishReason::RecordRemoved => "hand-edited address record removed".to_owned(),
    }
}

pub(super) fn group_text(group: &Group) -> String {
    match (&group.datacenter, &group.service) {
        (Some(dc), Some(service)) => format!("datacenter {dc}, service {service}"),
        (Some(dc), None) => format!("datacenter {dc}"),
        (None, Some(service)) => format!("service {service} (all datacenters)"),
        (None, None) => "no datacenter".to_owned(),
    }
}

/// The changes of a zone grouped by datacenter and service; each group keeps canonical order.
pub(super) fn grouped(zone: &ZoneDiff) -> BTreeMap<&Group, Vec<&Change>> {
    let mut groups: BTreeMap<&Group, Vec<&Change>> = BTreeMap::new();
    for change in &zone.changes {
        groups.entry(&change.group).or_default().push(change);
    }
    groups
}

/// `+ name TTL IN TYPE data`, `- ...`, or `~ name OLD->NEW IN TYPE data`.
pub fn change_line(change: &Change, out: &mut String) {
    let record = &change.record;
    match change.kind {
        ChangeKind::Added => out.push_str("+ "),
        ChangeKind::Removed => out.push_str("- "),
        ChangeKind::Ttl { .. } => out.push_str("~ "),
    }
    record.name.write_absolute(out);
    match change.kind {
        ChangeKind::Ttl { from } => {
            let _ = write!(out, " {from}->{}", record.ttl);
        }
        ChangeKind::Added | ChangeKind::Removed => {
            let _ = write!(out, " {}", record.ttl);
        }
    }
    let _ = write!(out, " IN {} ", record.record_type());
    write_rdata(&record.data, out);
}

/// `` `cause`: reason `` with the reason escaped, for lists of large changes.
pub fn markdown_line(change: &LargeChange) -> String {
    format!("`{}`: {}", change.cause.id(), escape(&change.reason))
}

/// Markdown-escapes text that may hold `_` or `*` (SRV owners do).
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '_' | '*' | '<' | '|' | '`' | '[' | ']') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
