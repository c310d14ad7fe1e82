//! Stage (pure): the record-level difference between two built revisions, and its blast radius.
//!
//! [`diff`] takes the zones and inventory of a base and a head revision and returns data: every
//! added, removed and re-TTLed record grouped by zone, datacenter and service; per zone and per
//! datacenter the share of existing records removed or changed; services whose SRV RRsets lose
//! targets (and whether a datacenter loses all of them); names that lose every address (hosts
//! that disappear); and zones whose serial will change. [`report`] prints it, [`markdown`] as
//! Markdown within a byte budget; [`large_changes`] ([`large`]) says what makes it large under a
//! policy: its thresholds and the change classes; [`assertions`] finds the base's assertions a
//! change edits or removes.
//!
//! Both zone sets are sorted canonically, so the difference is one merge-join over each pair of
//! zones: linear, no hashing of a million records twice. This module does no IO and reads no
//! clock.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::inventory::Inventory;
use crate::model::record::{Origin, RData, Record};
use crate::model::zone::{Zone, ZoneSet};
use crate::render;

pub mod assertions;
pub mod large;
pub mod markdown;
pub mod report;

pub use large::{Cause, LargeChange, RevisionFiles, large_changes};

/// One revision, built.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    /// What the revision's repository says.
    pub inventory: &'a Inventory,
    /// The zones built from it.
    pub zones: &'a ZoneSet,
}

/// The difference between two revisions.
#[derive(Clone, Debug, Default)]
pub struct Diff {
    /// Every zone present in either revision, in canonical order of origin.
    pub zones: Vec<ZoneDiff>,
    /// Datacenters (of either revision) with their record counts, in configuration order.
    pub datacenters: Vec<DatacenterDiff>,
    /// SRV RRsets whose set of targets changed, in canonical order of owner.
    pub services: Vec<ServiceDiff>,
    /// Names that had addresses in the base and have none in the head, in canonical order.
    pub vanished: Vec<Vanished>,
}

/// One zone's difference.
#[derive(Clone, Debug)]
pub struct ZoneDiff {
    /// The apex.
    pub origin: Name,
    /// In the base, the head, or both.
    pub presence: Presence,
    /// Records in the base.
    pub base_records: usize,
    /// Records in the head.
    pub head_records: usize,
    /// How many records were added, removed, changed.
    pub counts: Counts,
    /// The zone's content hash differs, so rendering gives it a new serial.
    pub serial_changes: bool,
    /// The changed records, in canonical order.
    pub changes: Vec<Change>,
}

/// Where a zone exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// In both revisions.
    Both,
    /// Only in the head (a new zone).
    Added,
    /// Only in the base (a zone deleted).
    Removed,
}

/// Record counts of a difference.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Records only in the head.
    pub added: usize,
    /// Records only in the base.
    pub removed: usize,
    /// Records in both whose TTL changed.
    pub changed: usize,
}

impl Counts {
    /// True when nothing changed.
    pub const fn is_empty(self) -> bool {
        self.added == 0 && self.removed == 0 && self.changed == 0
    }

    /// Removed or changed records as a percentage of `base` records (100 when the base had
    /// none and something was removed, which cannot happen, and 0 when nothing was).
    pub fn share_of(self, base: usize) -> f64 {
        let touched = self.removed + self.changed;
        if touched == 0 {
            0.0
        } else if base == 0 {
            100.0
        } else {
            #[allow(clippy::cast_precision_loss)] // Record counts are far below 2^52.
            let share = touched as f64 * 100.0 / base as f64;
            share
        }
    }

    fn add(&mut self, kind: ChangeKind) {
        match kind {
            ChangeKind::Added => self.added += 1,
            ChangeKind::Removed => self.removed += 1,
            ChangeKind::Ttl { .. } => self.changed += 1,
        }
    }
}

/// One changed record.
#[derive(Clone, Debug)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The record: the head's for an added or re-TTLed one, the base's for a removed one.
    pub record: Record,
    /// Which datacenter and service it belongs to.
    pub group: Group,
}

/// What happened to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only in the head.
    Added,
    /// Only in the base.
    Removed,
    /// In both; the TTL went from `from` to the record's.
    Ttl {
        /// The base's TTL.
        from: u32,
    },
}

/// What a record belongs to, for grouping.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    /// The datacenter (from the CMDB host or service behind the record, or the owner name
    /// `<x>.<dc>.<domain>`); `None` for records of no datacenter.
    pub datacenter: Option<Arc<str>>,
    /// The service of an SRV record (its file name, or the first label of a hand-edited SRV
    /// owner without the underscore); `None` otherwise.
    pub service: Option<Arc<str>>,
}

/// One datacenter's share of the difference, over every zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatacenterDiff {
    /// Short name.
    pub name: Arc<str>,
    /// Records of this datacenter in the base.
    pub base_records: usize,
    /// Records of this datacenter in the head.
    pub head_records: usize,
    /// Its changes.
    pub counts: Counts,
}

/// An SRV RRset whose targets changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceDiff {
    /// The SRV owner (`_playlist._tcp.ash.example.net.`).
    pub owner: Name,
    /// What it belongs to.
    pub group: Group,
    /// Distinct targets in the base.
    pub base_targets: usize,
    /// Distinct targets in the head.
    pub head_targets: usize,
    /// Targets of the base that the head lacks.
    pub lost: Vec<Name>,
    /// Targets of the head that the base lacks.
    pub gained: Vec<Name>,
}

impl ServiceDiff {
    /// Every target of the base is gone.
    pub fn loses_all(&self) -> bool {
        self.base_targets > 0 && self.lost.len() == self.base_targets
    }

    /// Lost targets as a percentage of the base's.
    pub fn lost_share(&self) -> f64 {
        if self.base_targets == 0 {
            0.0
        } else {
            #[allow(clippy::cast_precision_loss)] // Target counts are small.
            let share = self.lost.len() as f64 * 100.0 / self.base_targets as f64;
            share
        }
    }
}

/// A name that loses every address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vanished {
    /// The name.
    pub name: Name,
    /// Its datacenter, when known.
    pub datacenter: Option<Arc<str>>,
    /// Why, as far as the head's inventory tells.
    pub reason: VanishReason,
}

/// Why a name lost its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VanishReason {
    /// The CMDB host is still exported, with this status (which gets no addresses).
    Status(String),
    /// The CMDB host is no longer in the export.
    NotExported,
    /// The host is exported with an address status but produced no records (a problem that
    /// `check` reports).
    Unexplained,
    /// A hand-edited record was deleted.
    RecordRemoved,
}

impl Diff {
    /// Totals over every zone.
    pub fn totals(&self) -> Counts {
        let mut totals = Counts::default();
        for zone in &self.zones {
            totals.added += zone.counts.added;
            totals.removed += zone.counts.removed;
            totals.changed += zone.counts.changed;
        }
        totals
    }

    /// True when no record and no serial changes.
    pub fn is_empty(&self) -> bool {
        self.zones
            .iter()
            .all(|zone| zone.counts.is_empty() && !zone.serial_changes)
    }
}

/// Computes the difference from `base` to `head`.
pub fn diff(base: Side<'_>, head: Side<'_>) -> Diff {
    let datacenters = DatacenterTable::new(base.inventory, head.inventory);
    let base_attribution = Attribution::new(base.inventory, &datacenters);
    let head_attribution = Attribution::new(head.inventory, &datacenters);

    let mut result = Diff::default();
    let mut per_datacenter = vec![DatacenterDiff::default(); datacenters.names.len()];
    for (index, name) in datacenters.names.iter().enumerate() {
        per_datacenter[index].name = Arc::clone(name);
    }
    let mut srv_owners: Vec<Name> = Vec::new();
    let mut removed_addresses: Vec<Record> = Vec::new();

    let same_rendering = same_rendering_inputs(base.inventory, head.inventory);
    let mut base_zones = base.zones.zones.iter().peekable();
    let mut head_zones = head.zones.zones.iter().peekable();
    loop {
        let pair = match (base_zones.peek(), head_zones.peek()) {
            (None, None) => break,
            (Some(_), None) => (base_zones.next(), None),
            (None, Some(_)) => (None, head_zones.next()),
            (Some(b), Some(h)) => match b.origin.cmp(&h.origin) {
                Ordering::Less => (base_zones.next(), None),
                Ordering::Greater => (None, head_zones.next()),
                Ordering::Equal => (base_zones.next(), head_zones.next()),
            },
        };
        let empty;
        let (base_zone, head_zone, presence) = match pair {
            (Some(b), Some(h)) => (b, h, Presence::Both),
            (Some(b), None) => {
                empty = Zone {
                    origin: b.origin.clone(),
                    records: Vec::new(),
                };
                (b, &empty, Presence::Removed)
            }
            (None, Some(h)) => {
                empty = Zone {
                    origin: h.origin.clone(),
                    records: Vec::new(),
                };
                (&empty, h, Presence::Added)
            }
            (None, None) => unreachable!("the loop stops when both are exhausted"),
        };
        let mut zone_diff = ZoneDiff {
            origin: base_zone.origin.clone(),
            presence,
            base_records: base_zone.records.len(),
            head_records: head_zone.records.len(),
            counts: Counts::default(),
            serial_changes: false,
            changes: Vec::new(),
        };
        for record in &base_zone.records {
            if let Some(dc) = base_attribution.datacenter(record) {
                per_datacenter[dc].base_records += 1;
            }
        }
        for record in &head_zone.records {
            if let Some(dc) = head_attribution.datacenter(record) {
                per_datacenter[dc].head_records += 1;
            }
        }
        merge_join(&base_zone.records, &head_zone.records, |kind, record| {
            let attribution = if kind == ChangeKind::Removed {
                &base_attribution
            } else {
                &head_attribution
            };
            let datacenter = attribution.datacenter(record);
            if let Some(dc) = datacenter {
                per_datacenter[dc].counts.add(kind);
            }
            zone_diff.counts.add(kind);
            if record.record_type() == RecordType::Srv
                && !matches!(kind, ChangeKind::Ttl { .. })
                && srv_owners.last() != Some(&record.name)
            {
                srv_owners.push(record.name.clone());
            }
            if kind == ChangeKind::Removed
                && matches!(record.record_type(), RecordType::A | RecordType::Aaaa)
            {
                removed_addresses.push(record.clone());
            }
            zone_diff.changes.push(Change {
                kind,
                record: record.clone(),
                group: attribution.group(record, datacenter),
            });
        });
        zone_diff.serial_changes = match presence {
            Presence::Both => {
                !zone_diff.counts.is_empty()
                    || (!same_rendering
                        && content_hash(base.inventory, base_zone)
                            != content_hash(head.inventory, head_zone))
            }
            Presence::Added | Presence::Removed => true,
        };
        result.zones.push(zone_diff);
    }

    result.datacenters = per_datacenter;
    srv_owners.sort();
    srv_owners.dedup();
    result.services = srv_owners
        .into_iter()
        .filter_map(|owner| service_diff(owner, base, head, &base_attribution, &head_attribution))
        .collect();
    result.vanished = vanished(&removed_addresses, base, head, &base_attribution);
    result
}

/// `service playlist in ash (_playlist._tcp.ash.example.net.)`.
pub fn service_label(service: &ServiceDiff) -> String {
    let mut label = String::from("service ");
    label.push_str(service.group.service.as_deref().unwrap_or("?"));
    match &service.group.datacenter {
        Some(dc) => {
            label.push_str(" in ");
            label.push_str(dc);
        }
        None => label.push_str(" (all datacenters)"),
    }
    label.push_str(" (");
    label.push_str(&service.owner.to_string());
    label.push(')');
    label
}

/// A percentage with one decimal: `12.5%`.
pub fn percent(share: f64) -> String {
    format!("{share:.1}%")
}

// ---------------------------------------------------------------------------------------------

/// Walks two canonically sorted record lists together, reporting each difference in order.
fn merge_join<'r>(
    base: &'r [Record],
    head: &'r [Record],
    mut report: impl FnMut(ChangeKind, &'r Record),
) {
    let (mut i, mut j) = (0, 0);
    while i < base.len() && j < head.len() {
        match base[i].canonical_cmp(&head[j]) {
            Ordering::Less => {
                report(ChangeKind::Removed, &base[i]);
                i += 1;
            }
            Ordering::Greater => {
                report(ChangeKind::Added, &head[j]);
                j += 1;
            }
            Ordering::Equal => {
                if base[i].ttl != head[j].ttl {
                    report(ChangeKind::Ttl { from: base[i].ttl }, &head[j]);
                }
                i += 1;
                j += 1;
            }
        }
    }
    for record in &base[i..] {
        report(ChangeKind::Removed, record);
    }
    for record in &head[j..] {
        report(ChangeKind::Added, record);
    }
}

/// True when both revisions render with the same template and `$TTL`: then equal records mean
/// equal content hashes, and no zone needs rendering to tell.
fn same_rendering_inputs(base: &Inventory, head: &Inventory) -> bool {
    template_text(base) == template_text(head)
        && base.settings.ttl.default == head.settings.ttl.default
}

fn template_text(inventory: &Inventory) -> &str {
    inventory
        .template
        .as_ref()
        .map_or(render::DEFAULT_TEMPLATE, |(_, text)| text.as_str())
}

/// The content hash `render` keys serials on.
fn content_hash(inventory: &Inventory, zone: &Zone) -> [u8; 32] {
    let options = render::RenderOptions {
        default_ttl: inventory.settings.ttl.default,
        template: template_text(inventory),
        template_name: "zone.j2",
        limits: render::TemplateLimits::DEFAULT,
        abandon: None,
    };
    render::content_hash(zone, &options)
}

/// The union of both revisions' datacenters, base order first.
struct DatacenterTable {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, usize>,
}

impl DatacenterTable {
    fn new(base: &Inventory, head: &Inventory) -> Self {
        let mut table = Self {
            names: Vec::new(),
            index: HashMap::new(),
        };
        for dc in base
            .settings
            .datacenters
            .iter()
            .chain(&head.settings.datacenters)
        {
            if !table.index.contains_key(dc.name.as_str()) {
                let name: Arc<str> = Arc::from(dc.name.as_str());
                table.index.insert(Arc::clone(&name), table.names.len());
                table.names.push(name);
            }
        }
        table
    }
}

/// Tells which datacenter and service a record of one revision belongs to.
struct Attribution<'a> {
    names: &'a [Arc<str>],
    /// Datacenter of each CMDB host, as an index into the table.
    host_datacenter: Vec<Option<usize>>,
    /// Datacenter of each configured datacenter index.
    settings_datacenter: Vec<usize>,
    /// `<dc>.<domain>.` for each datacenter, for records without a host or service behind them.
    datacenter_names: Vec<(Name, usize)>,
    services: Vec<Arc<str>>,
}

impl<'a> Attribution<'a> {
    fn new(inventory: &'a Inventory, table: &'a DatacenterTable) -> Self {
        let host_datacenter = inventory
            .hosts
            .iter()
            .map(|host| table.index.get(host.datacenter.as_str()).copied())
            .collect();
        let settings_datacenter = inventory
            .settings
            .datacenters
            .iter()
            .map(|dc| table.index[dc.name.as_str()])
            .collect();
        let datacenter_names = inventory
            .settings
            .datacenters
            .iter()
            .filter_map(|dc| {
                let name = inventory.settings.domain.prepend(&dc.name).ok()?;
                Some((name, table.index[dc.name.as_str()]))
            })
            .collect();
        let services = inventory
            .services
            .iter()
            .map(|service| Arc::from(service.name.as_str()))
            .collect();
        Self {
            names: &table.names,
            host_datacenter,
            settings_datacenter,
            datacenter_names,
            services,
        }
    }

    fn datacenter(&self, record: &Record) -> Option<usize> {
        match record.provenance.origin {
            Origin::Host(host) => self.host_datacenter.get(host as usize).copied().flatten(),
            Origin::Service {
                datacenter: Some(dc),
                ..
            } => self.settings_datacenter.get(dc as usize).copied(),
            Origin::Service {
                datacenter: None, ..
            }
            | Origin::Settings => None,
            Origin::HandEdited => self
                .datacenter_names
                .iter()
                .find(|(name, _)| record.name.is_subdomain_of(name))
                .map(|(_, dc)| *dc),
        }
    }

    fn group(&self, record: &Record, datacenter: Option<usize>) -> Group {
        let datacenter = datacenter.map(|dc| Arc::clone(&self.names[dc]));
        let service = match record.provenance.origin {
            Origin::Service { service, .. } => self.services.get(service as usize).cloned(),
            _ if record.record_type() == RecordType::Srv => record
                .name
                .to_string()
                .split('.')
                .next()
                .map(|label| Arc::from(label.trim_start_matches('_'))),
            _ => None,
        };
        Group {
            datacenter,
            service,
        }
    }
}

/// The change in targets of the SRV RRset at `owner`, if its set of targets changed.
fn service_diff(
    owner: Name,
    base: Side<'_>,
    head: Side<'_>,
    base_attribution: &Attribution<'_>,
    head_attribution: &Attribution<'_>,
) -> Option<ServiceDiff> {
    fn targets<'z>(side: Side<'z>, owner: &Name) -> (Vec<Name>, Option<&'z Record>) {
        let rrset = side
            .zones
            .zone_for(owner)
            .map_or(&[][..], |zone| zone.rrset(owner, RecordType::Srv));
        let mut names: Vec<Name> = rrset
            .iter()
            .filter_map(|record| match &record.data {
                RData::Srv { target, .. } => Some(target.clone()),
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        (names, rrset.first())
    }
    let (base_targets, base_first) = targets(base, &owner);
    let (head_targets, head_first) = targets(head, &owner);
    let lost: Vec<Name> = base_targets
        .iter()
        .filter(|target| head_targets.binary_search(target).is_err())
        .cloned()
        .collect();
    let gained: Vec<Name> = head_targets
        .iter()
        .filter(|target| base_targets.binary_search(target).is_err())
        .cloned()
        .collect();
    if lost.is_empty() && gained.is_empty() {
        return None;
    }
    // Name the group after the base's records when there were any: that is what is lost.
    let group = match (base_first, head_first) {
        (Some(record), _) => base_attribution.group(record, base_attribution.datacenter(record)),
        (None, Some(record)) => head_attribution.group(record, head_attribution.datacenter(record)),
        (None, None) => return None,
    };
    Some(ServiceDiff {
        owner,
        group,
        base_targets: base_targets.len(),
        head_targets: head_targets.len(),
        lost,
        gained,
    })
}

/// Names whose A/AAAA records were removed and that have none left in the head.
fn vanished(
    removed: &[Record],
    base: Side<'_>,
    head: Side<'_>,
    base_attribution: &Attribution<'_>,
) -> Vec<Vanished> {
    let mut names: BTreeMap<Name, &Record> = BTreeMap::new();
    for record in removed {
        names.entry(record.name.clone()).or_insert(record);
    }
    // Host names repeat across datacenters (`playlist01` in each), so the key is both.
    let mut head_hosts: Option<HashMap<(&str, &str), &str>> = None;
    let mut result = Vec::new();
    for (name, record) in names {
        let still_addressed = head.zones.zone_for(&name).is_some_and(|zone| {
            !zone.rrset(&name, RecordType::A).is_empty()
                || !zone.rrset(&name, RecordType::Aaaa).is_empty()
        });
        if still_addressed {
            continue;
        }
        let reason = match record.provenance.origin {
            Origin::Host(host) => {
                let hosts = head_hosts.get_or_insert_with(|| {
                    head.inventory
                        .hosts
                        .iter()
                        .map(|host| {
                            (
                                (host.hostname.as_str(), host.datacenter.as_str()),
                                host.status.as_str(),
                            )
                        })
                        .collect()
                });
                let key = base
                    .inventory
                    .hosts
                    .get(host as usize)
                    .map_or(("", ""), |host| {
                        (host.hostname.as_str(), host.datacenter.as_str())
                    });
                match hosts.get(&key) {
                    None => VanishReason::NotExported,
                    Some(status)
                        if head
                            .inventory
                            .settings
                            .generate
                            .address_statuses
                            .iter()
                            .any(|wanted| wanted == status) =>
                    {
                        VanishReason::Unexplained
                    }
                    Some(status) => VanishReason::Status((*status).to_owned()),
                }
            }
            _ => VanishReason::RecordRemoved,
        };
        let datacenter = base_attribution
            .datacenter(record)
            .map(|dc| Arc::clone(&base_attribution.names[dc]));
        result.push(Vanished {
            name,
            datacenter,
            reason,
        });
    }
    result
}

impl Default for DatacenterDiff {
    fn default() -> Self {
        Self {
            name: Arc::from(""),
            base_records: 0,
            head_records: 0,
            counts: Counts::default(),
        }
    }
}

#[cfg(test)]
mod tests;
