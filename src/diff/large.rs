//! Large changes (pure): what makes a difference large under the base's policy, each with its
//! cause and the reason in words.
//!
//! Two kinds of cause. A *threshold* (`policy.thresholds`) measures the share of records a
//! change removes or alters; a *change class* ([`crate::change_class`]) is large whatever its
//! size: a template, the policy, `check.rules`, CODEOWNERS, the local forge's signers or an
//! assertion of the base edited; a zone added or removed; the apex NS or SOA changed; a
//! delegation added, removed or re-pointed (its NS, glue or DS); MX or CAA records; wildcards; a
//! TTL cut more than tenfold; a service losing every SRV target in a datacenter. The classes
//! come from the two built revisions (the [`Diff`] and both inventories) and from file facts
//! the caller reads from both trees ([`RevisionFiles`]); `policy.large_change_classes` says
//! which apply.
//!
//! No IO, no clock.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::assertions::{self, AssertionFile};
use super::{
    Change, ChangeKind, Diff, Presence, ServiceDiff, Side, ZoneDiff, percent, service_label,
};
use crate::change_class::{self, CLASSES, ChangeClass};
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::inventory::Inventory;
use crate::inventory::config::{SETTINGS_PATH, TEMPLATE_PATH};
use crate::inventory::policy::Policy;
use crate::model::record::{RData, Soa};
use crate::model::zone::Zone;

/// A file of a revision: its path (from the git root, or the zones repository's root for
/// assertions) and its content.
pub type TreeFile = (String, Vec<u8>);

/// What the caller read from one revision's tree besides what `inventory` loads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevisionFiles {
    /// The CODEOWNERS files that exist, in GitHub's order of locations.
    pub codeowners: Vec<TreeFile>,
    /// The local forge's allowed signers (`.zonegate/allowed_signers`), when present.
    pub allowed_signers: Option<TreeFile>,
    /// The freeze file (`.zonegate/freeze`), when present: on the base, no merge but an
    /// emergency one.
    pub freeze: Option<TreeFile>,
    /// `assertions/*.yaml`.
    pub assertions: Vec<AssertionFile>,
}

/// One way in which a change is large.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LargeChange {
    /// What makes it large.
    pub cause: Cause,
    /// Why, in one line (no trailing period).
    pub reason: String,
}

/// What makes a change large.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A change class (large whatever its size).
    Class(&'static ChangeClass),
    /// A share over one of `policy.thresholds`.
    Threshold(Threshold),
}

/// The thresholds of `policy.thresholds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// `zone_percent`.
    Zone,
    /// `datacenter_percent`.
    Datacenter,
    /// `service_percent`.
    Service,
}

impl Cause {
    /// The class id (`apex-ns-changed`) or the policy key of the threshold
    /// (`thresholds.zone_percent`), as every report names it.
    pub const fn id(self) -> &'static str {
        match self {
            Cause::Class(class) => class.id,
            Cause::Threshold(Threshold::Zone) => "thresholds.zone_percent",
            Cause::Threshold(Threshold::Datacenter) => "thresholds.datacenter_percent",
            Cause::Threshold(Threshold::Service) => "thresholds.service_percent",
        }
    }
}

impl LargeChange {
    /// `cause: reason`, for text reports and commit trailers.
    pub fn line(&self) -> String {
        format!("{}: {}", self.cause.id(), self.reason)
    }
}

/// The distinct causes of `changes`, in order of first appearance: `template-changed,
/// thresholds.zone_percent`.
pub fn causes(changes: &[LargeChange]) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for change in changes {
        if !ids.contains(&change.cause.id()) {
            ids.push(change.cause.id());
        }
    }
    ids.join(", ")
}

/// Both revisions' file facts.
#[derive(Clone, Copy, Debug)]
pub struct FilePair<'a> {
    /// The base's.
    pub base: &'a RevisionFiles,
    /// The head's.
    pub head: &'a RevisionFiles,
}

/// Every way the change from `base` to `head` (whose difference is `diff`) is large under
/// `policy` (the base's): the classes it enables, in the registry's order, then the thresholds.
pub fn large_changes(
    diff: &Diff,
    base: Side<'_>,
    head: Side<'_>,
    files: FilePair<'_>,
    policy: &Policy,
) -> Vec<LargeChange> {
    let mut found = Found::new(policy);
    settings_changes(base.inventory, head.inventory, &mut found);
    file_facts(files, &mut found);
    record_changes(diff, base, head, &mut found);
    let mut changes = found.into_sorted();
    changes.extend(thresholds(diff, policy));
    changes
}

/// The classes that file facts alone show (CODEOWNERS, signers, the base's assertions): what
/// can be said of a head that does not load.
pub fn file_changes(files: FilePair<'_>, policy: &Policy) -> Vec<LargeChange> {
    let mut found = Found::new(policy);
    file_facts(files, &mut found);
    found.into_sorted()
}

/// The ways `diff` exceeds `policy.thresholds`, each with its reason.
pub fn thresholds(diff: &Diff, policy: &Policy) -> Vec<LargeChange> {
    let thresholds = &policy.thresholds;
    let mut changes = Vec::new();
    for zone in diff
        .zones
        .iter()
        .filter(|zone| zone.presence == Presence::Both)
    {
        let share = zone.counts.share_of(zone.base_records);
        if share > thresholds.zone_percent {
            changes.push(LargeChange {
                cause: Cause::Threshold(Threshold::Zone),
                reason: format!(
                    "zone {}: {} of {} records removed or changed ({}, above {}%)",
                    zone.origin,
                    zone.counts.removed + zone.counts.changed,
                    zone.base_records,
                    percent(share),
                    thresholds.zone_percent
                ),
            });
        }
    }
    for datacenter in &diff.datacenters {
        let share = datacenter.counts.share_of(datacenter.base_records);
        if share > thresholds.datacenter_percent {
            changes.push(LargeChange {
                cause: Cause::Threshold(Threshold::Datacenter),
                reason: format!(
                    "datacenter {}: {} of {} records removed or changed ({}, above {}%)",
                    datacenter.name,
                    datacenter.counts.removed + datacenter.counts.changed,
                    datacenter.base_records,
                    percent(share),
                    thresholds.datacenter_percent
                ),
            });
        }
    }
    for service in &diff.services {
        // Losing every target is a class of its own, enabled or not.
        if !service.loses_all() && service.lost_share() > thresholds.service_percent {
            changes.push(LargeChange {
                cause: Cause::Threshold(Threshold::Service),
                reason: format!(
                    "{} loses {} of {} SRV targets ({}, above {}%)",
                    service_label(service),
                    service.lost.len(),
                    service.base_targets,
                    percent(service.lost_share()),
                    thresholds.service_percent
                ),
            });
        }
    }
    changes
}

// ---------------------------------------------------------------------------------------------

/// How many names, records or files one reason lists before it counts the rest.
const SHOWN: usize = 5;

/// The class findings so far, kept only for the classes the policy enables.
struct Found<'p> {
    policy: &'p Policy,
    changes: Vec<LargeChange>,
}

impl<'p> Found<'p> {
    fn new(policy: &'p Policy) -> Self {
        Self {
            policy,
            changes: Vec::new(),
        }
    }

    fn wants(&self, class: &ChangeClass) -> bool {
        self.policy.counts_as_large(class)
    }

    fn add(&mut self, class: &'static ChangeClass, reason: String) {
        if self.wants(class) {
            self.changes.push(LargeChange {
                cause: Cause::Class(class),
                reason,
            });
        }
    }

    /// In the registry's order of classes; within a class, in the order found (zones in
    /// canonical order, names within them too).
    fn into_sorted(mut self) -> Vec<LargeChange> {
        let rank = |change: &LargeChange| match change.cause {
            Cause::Class(class) => CLASSES
                .iter()
                .position(|candidate| candidate.id == class.id)
                .unwrap_or(CLASSES.len()),
            Cause::Threshold(_) => CLASSES.len(),
        };
        self.changes.sort_by_key(rank);
        self.changes
    }
}

/// `template-changed`, `policy-changed`, `check-rules-changed`: from the two inventories.
fn settings_changes(base: &Inventory, head: &Inventory, found: &mut Found<'_>) {
    fn text(inventory: &Inventory) -> Option<&str> {
        inventory.template.as_ref().map(|(_, text)| text.as_str())
    }
    let template = match (text(base), text(head)) {
        (None, Some(_)) => {
            Some("is added: every zone file is rendered from it instead of the built-in template")
        }
        (Some(_), None) => Some("is removed: every zone file goes back to the built-in template"),
        (Some(old), Some(new)) if old != new => {
            Some("is changed: every zone file is rendered from it")
        }
        _ => None,
    };
    if let Some(what) = template {
        found.add(
            &change_class::TEMPLATE_CHANGED,
            format!("{TEMPLATE_PATH} {what}"),
        );
    }

    let differences = base.settings.policy.differences(&head.settings.policy);
    if !differences.is_empty() {
        found.add(
            &change_class::POLICY_CHANGED,
            format!(
                "policy in {SETTINGS_PATH} is edited: {}",
                differences.join("; ")
            ),
        );
    }

    let severities = |inventory: &Inventory| -> BTreeMap<String, &'static str> {
        inventory
            .settings
            .rules
            .iter()
            .map(|(id, severity, _)| (id.clone(), severity.as_str()))
            .collect()
    };
    let (old, new) = (severities(base), severities(head));
    let mut edits = Vec::new();
    for (id, severity) in &old {
        match new.get(id) {
            None => edits.push(format!("{id} {severity} removed")),
            Some(now) if now != severity => edits.push(format!("{id} {severity} -> {now}")),
            Some(_) => {}
        }
    }
    for (id, severity) in &new {
        if !old.contains_key(id) {
            edits.push(format!("{id} set to {severity}"));
        }
    }
    if !edits.is_empty() {
        found.add(
            &change_class::CHECK_RULES_CHANGED,
            format!(
                "check.rules in {SETTINGS_PATH} is edited: {}",
                edits.join("; ")
            ),
        );
    }
}

/// `codeowners-changed`, `allowed-signers-changed`, `base-assertions-changed`: from the files.
fn file_facts(files: FilePair<'_>, found: &mut Found<'_>) {
    let codeowners = file_edits(&files.base.codeowners, &files.head.codeowners);
    if !codeowners.is_empty() {
        found.add(
            &change_class::CODEOWNERS_CHANGED,
            format!(
                "{}: who must approve a change to which file changes",
                codeowners.join(", ")
            ),
        );
    }
    let signers = file_edits(
        files.base.allowed_signers.as_slice(),
        files.head.allowed_signers.as_slice(),
    );
    if !signers.is_empty() {
        found.add(
            &change_class::ALLOWED_SIGNERS_CHANGED,
            format!(
                "{}: whose signed reviews count on the local forge changes",
                signers.join(", ")
            ),
        );
    }
    if found.wants(&change_class::BASE_ASSERTIONS_CHANGED) {
        for reason in assertions::removed_or_changed(&files.base.assertions, &files.head.assertions)
        {
            found.add(&change_class::BASE_ASSERTIONS_CHANGED, reason);
        }
    }
}

/// `PATH is added`, `... edited`, `... removed` for each path whose content differs.
fn file_edits(base: &[TreeFile], head: &[TreeFile]) -> Vec<String> {
    let find = |files: &'_ [TreeFile], path: &str| {
        files
            .iter()
            .find(|(candidate, _)| candidate == path)
            .map(|(_, bytes)| bytes.clone())
    };
    let mut paths: Vec<&str> = base
        .iter()
        .chain(head)
        .map(|(path, _)| path.as_str())
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| match (find(base, path), find(head, path)) {
            (None, Some(_)) => Some(format!("{path} is added")),
            (Some(_), None) => Some(format!("{path} is removed")),
            (Some(old), Some(new)) if old != new => Some(format!("{path} is edited")),
            _ => None,
        })
        .collect()
}

/// The classes that show in the records: zones, apex, delegations, MX, CAA, wildcards, TTL
/// cuts, services losing every target.
fn record_changes(diff: &Diff, base: Side<'_>, head: Side<'_>, found: &mut Found<'_>) {
    for zone in &diff.zones {
        match zone.presence {
            Presence::Added => found.add(
                &change_class::ZONE_ADDED_OR_REMOVED,
                format!(
                    "zone {} is added ({} records)",
                    zone.origin, zone.head_records
                ),
            ),
            Presence::Removed => found.add(
                &change_class::ZONE_ADDED_OR_REMOVED,
                format!(
                    "zone {} is removed ({} records are no longer served)",
                    zone.origin, zone.base_records
                ),
            ),
            Presence::Both if !zone.changes.is_empty() => {
                let (Some(base_zone), Some(head_zone)) = (
                    base.zones.zone_for(&zone.origin),
                    head.zones.zone_for(&zone.origin),
                ) else {
                    continue;
                };
                zone_changes(zone, base_zone, head_zone, found);
            }
            Presence::Both => {}
        }
    }
    for service in diff.services.iter().filter(|service| service.loses_all()) {
        found.add(
            &change_class::SERVICE_LOSES_EVERY_TARGET,
            loses_every_target(service),
        );
    }
}

fn loses_every_target(service: &ServiceDiff) -> String {
    format!(
        "{} loses all {} of its SRV targets",
        service_label(service),
        service.base_targets
    )
}

/// The record classes of one zone present in both revisions.
fn zone_changes(zone: &ZoneDiff, base: &Zone, head: &Zone, found: &mut Found<'_>) {
    let origin = &zone.origin;
    let mut apex_ns = (Vec::new(), Vec::new());
    let mut soa = (None, None);
    let mut mx = Vec::new();
    let mut caa = Vec::new();
    let mut wildcards = Vec::new();
    let mut ttl_cuts = Vec::new();
    let mut below_apex = Vec::new();
    for change in &zone.changes {
        let record = &change.record;
        if let ChangeKind::Ttl { from } = change.kind {
            if u64::from(from) > 10 * u64::from(record.ttl) {
                ttl_cuts.push(format!(
                    "{} {} {from} -> {}",
                    record.name,
                    record.record_type(),
                    record.ttl
                ));
            }
            continue;
        }
        let added = change.kind == ChangeKind::Added;
        match &record.data {
            RData::Ns(target) if record.name == *origin => {
                let side = if added {
                    &mut apex_ns.1
                } else {
                    &mut apex_ns.0
                };
                side.push(target.to_string());
            }
            RData::Soa(data) => {
                if added {
                    soa.1 = Some(data.as_ref());
                } else {
                    soa.0 = Some(data.as_ref());
                }
            }
            RData::Mx { .. } => mx.push(change_text(change)),
            RData::Caa(_) => caa.push(change_text(change)),
            _ => {}
        }
        if record.name.is_wildcard() {
            wildcards.push(change_text(change));
        }
        if record.name != *origin
            && matches!(
                record.record_type(),
                RecordType::Ns | RecordType::A | RecordType::Aaaa
            )
        {
            below_apex.push(change);
        }
    }

    if !apex_ns.0.is_empty() || !apex_ns.1.is_empty() {
        found.add(
            &change_class::APEX_NS_CHANGED,
            format!(
                "zone {origin}: the apex NS records change: {}",
                removed_and_added(&apex_ns.0, &apex_ns.1)
            ),
        );
    }
    if let (Some(old), Some(new)) = soa {
        found.add(
            &change_class::APEX_SOA_CHANGED,
            format!(
                "zone {origin}: the SOA record changes: {}",
                soa_edits(old, new)
            ),
        );
    }
    if !below_apex.is_empty() && found.wants(&change_class::DELEGATION_CHANGED) {
        for reason in delegation_changes(origin, &below_apex, base, head) {
            found.add(&change_class::DELEGATION_CHANGED, reason);
        }
    }
    for (class, items, what) in [
        (&change_class::MX_CHANGED, mx, "MX records change"),
        (&change_class::CAA_CHANGED, caa, "CAA records change"),
        (
            &change_class::WILDCARD_CHANGED,
            wildcards,
            "wildcard records change",
        ),
        (
            &change_class::TTL_CUT,
            ttl_cuts,
            "TTLs are cut more than tenfold",
        ),
    ] {
        if !items.is_empty() {
            found.add(class, format!("zone {origin}: {what}: {}", listed(&items)));
        }
    }
}

/// One sentence per delegation point of the zone whose NS records or glue change: added,
/// removed, re-pointed, or only its glue changed.
fn delegation_changes(origin: &Name, changes: &[&Change], base: &Zone, head: &Zone) -> Vec<String> {
    let mut cuts: Vec<&Name> = delegation_points(base, origin);
    cuts.extend(delegation_points(head, origin));
    cuts.sort();
    cuts.dedup();
    // Per delegation point, in canonical order: its glue changes.
    let mut glue: BTreeMap<&Name, Vec<String>> = BTreeMap::new();
    let mut pointed: Vec<&Name> = Vec::new();
    for change in changes {
        let name = &change.record.name;
        if change.record.record_type() == RecordType::Ns {
            pointed.push(name);
            continue;
        }
        // Glue: an address at or below a delegation point (the deepest one holds it).
        if let Some(cut) = cuts
            .iter()
            .rev()
            .find(|cut| name == **cut || name.is_subdomain_of(cut))
        {
            glue.entry(cut).or_default().push(change_text(change));
        }
    }
    let mut points: Vec<&Name> = pointed;
    points.extend(glue.keys().copied());
    points.sort();
    points.dedup();
    points
        .into_iter()
        .map(|point| {
            let targets = |zone: &Zone| -> Vec<String> {
                zone.rrset(point, RecordType::Ns)
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::Ns(target) => Some(target.to_string()),
                        _ => None,
                    })
                    .collect()
            };
            let (old, new) = (targets(base), targets(head));
            let mut reason = match (old.is_empty(), new.is_empty()) {
                (true, false) => {
                    format!("{point} (zone {origin}) is delegated to {}", listed(&new))
                }
                (false, true) => format!(
                    "{point} (zone {origin}) is no longer delegated to {}",
                    listed(&old)
                ),
                _ if old != new => format!(
                    "{point} (zone {origin}) is re-pointed from {} to {}",
                    listed(&old),
                    listed(&new)
                ),
                _ => format!("{point} (zone {origin}) keeps its name servers"),
            };
            if let Some(lines) = glue.get(point) {
                let _ = write!(reason, "; its glue changes: {}", listed(lines));
            }
            reason
        })
        .collect()
}

/// The owners of NS records below the apex (delegation points), in canonical order.
fn delegation_points<'z>(zone: &'z Zone, origin: &Name) -> Vec<&'z Name> {
    let mut points: Vec<&Name> = zone
        .records
        .iter()
        .filter(|record| record.record_type() == RecordType::Ns && record.name != *origin)
        .map(|record| &record.name)
        .collect();
    points.dedup();
    points
}

/// `- NAME TTL IN TYPE DATA` or `+ ...`.
fn change_text(change: &Change) -> String {
    let mut line = String::new();
    super::report::change_line(change, &mut line);
    line
}

/// `a, b removed; c added`.
fn removed_and_added(removed: &[String], added: &[String]) -> String {
    let mut parts = Vec::new();
    if !removed.is_empty() {
        parts.push(format!("{} removed", listed(removed)));
    }
    if !added.is_empty() {
        parts.push(format!("{} added", listed(added)));
    }
    parts.join("; ")
}

/// The SOA fields that differ, `expire 1209600 -> 3600`.
fn soa_edits(old: &Soa, new: &Soa) -> String {
    let mut edits = Vec::new();
    if old.primary != new.primary {
        edits.push(format!("primary {} -> {}", old.primary, new.primary));
    }
    if old.contact != new.contact {
        edits.push(format!("contact {} -> {}", old.contact, new.contact));
    }
    for (field, before, after) in [
        ("refresh", old.refresh, new.refresh),
        ("retry", old.retry, new.retry),
        ("expire", old.expire, new.expire),
        ("minimum", old.minimum, new.minimum),
    ] {
        if before != after {
            edits.push(format!("{field} {before} -> {after}"));
        }
    }
    edits.join(", ")
}

/// The first [`SHOWN`] items joined, then `and N more`.
fn listed(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        let _ = write!(text, " and {} more", items.len() - SHOWN);
    }
    text
}
