//! Zones: records in canonical order, with the look-ups every later stage needs.

use super::record::{RData, Record, Soa};
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;

/// One zone: its origin and its records, sorted in canonical order (owner, type, data) with
/// exact duplicates removed. The SOA record is at the apex like any other record; its serial is
/// not part of the model (it is chosen at render time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The apex.
    pub origin: Name,
    /// Sorted by [`Record::canonical_cmp`], no two equal in (name, type, data).
    pub records: Vec<Record>,
}

impl Zone {
    /// Builds a zone from unsorted records: sorts them canonically and removes exact duplicates
    /// (same owner, type and data), returning the removed ones so a rule can report them.
    pub fn from_records(origin: Name, mut records: Vec<Record>) -> (Zone, Vec<Record>) {
        sort_canonical(&mut records);
        // In place: a million-record zone must not be held twice.
        let is_duplicate = |a: &Record, b: &Record| a.name == b.name && a.data == b.data;
        let duplicates: Vec<Record> = records
            .windows(2)
            .filter(|pair| is_duplicate(&pair[0], &pair[1]))
            .map(|pair| pair[1].clone())
            .collect();
        if !duplicates.is_empty() {
            records.dedup_by(|later, earlier| is_duplicate(earlier, later));
        }
        (Zone { origin, records }, duplicates)
    }

    /// The SOA fields, if the zone has an SOA record at its apex.
    pub fn soa(&self) -> Option<(&Soa, u32)> {
        self.rrset(&self.origin, RecordType::Soa)
            .first()
            .and_then(|record| match &record.data {
                RData::Soa(soa) => Some((&**soa, record.ttl)),
                _ => None,
            })
    }

    /// Every record owned by `name` (all types), in type order.
    pub fn records_at(&self, name: &Name) -> &[Record] {
        let start = self.records.partition_point(|record| record.name < *name);
        let rest = &self.records[start..];
        // Galloping, not a second binary search over the whole zone: a node is a handful of
        // records (a large SRV RRset at most a few thousand), and equal names usually share
        // their allocation, so each probe is a pointer comparison.
        let mut bound = 1;
        while bound < rest.len() && rest[bound].name == *name {
            bound *= 2;
        }
        let window = &rest[bound / 2..bound.min(rest.len())];
        let end = bound / 2 + window.partition_point(|record| record.name == *name);
        &rest[..end.min(rest.len())]
    }

    /// The RRset of `record_type` at `name` (empty if none).
    pub fn rrset(&self, name: &Name, record_type: RecordType) -> &[Record] {
        let at_name = self.records_at(name);
        let start = at_name.partition_point(|record| record.record_type() < record_type);
        let end =
            start + at_name[start..].partition_point(|record| record.record_type() == record_type);
        &at_name[start..end]
    }

    /// True when `name` owns records or has descendants that do (an empty non-terminal,
    /// RFC 8020): such a name exists, so a query for it is NODATA rather than NXDOMAIN.
    pub fn name_exists(&self, name: &Name) -> bool {
        let start = self.records.partition_point(|record| record.name < *name);
        self.records
            .get(start)
            .is_some_and(|record| record.name.is_subdomain_of(name))
    }

    /// RRsets in canonical order: each item is a non-empty run of records sharing name and type.
    pub fn rrsets(&self) -> impl Iterator<Item = &[Record]> {
        self.records
            .chunk_by(|a, b| a.name == b.name && a.record_type() == b.record_type())
    }

    /// Names in canonical order, each with all its records.
    pub fn nodes(&self) -> impl Iterator<Item = &[Record]> {
        self.records.chunk_by(|a, b| a.name == b.name)
    }
}

/// A hash index from owner name to its records, for stages that look names up as often as
/// there are records (`check`, the in-memory resolver). Building it is one pass over the zone;
/// a lookup is one hash of the name instead of a binary search of memory comparisons.
#[derive(Clone, Debug)]
pub struct NameIndex<'a> {
    zone: &'a Zone,
    nodes: rustc_hash::FxHashMap<&'a str, (u32, u32)>,
}

impl<'a> NameIndex<'a> {
    /// Indexes every owner name of `zone`.
    pub fn new(zone: &'a Zone) -> Self {
        let mut start = 0u32;
        let ranges = zone.nodes().map(|node| {
            let range = (start, node.len() as u32);
            start += node.len() as u32;
            range
        });
        Self::from_nodes(zone, ranges)
    }

    /// Indexes `zone` from its owners' `(start, length)` ranges in `zone.records`, for a
    /// caller that has grouped the records already.
    pub fn from_nodes(zone: &'a Zone, nodes: impl Iterator<Item = (u32, u32)>) -> Self {
        let mut index = rustc_hash::FxHashMap::default();
        index.reserve(zone.records.len() / 2);
        for (start, length) in nodes {
            index.insert(
                zone.records[start as usize].name.canonical_key(),
                (start, length),
            );
        }
        Self { zone, nodes: index }
    }

    /// The zone indexed.
    pub fn zone(&self) -> &'a Zone {
        self.zone
    }

    /// Every record owned by `name` (all types, in type order), like [`Zone::records_at`].
    pub fn records_at(&self, name: &Name) -> &'a [Record] {
        match self.nodes.get(name.canonical_key()) {
            Some(&(start, length)) => &self.zone.records[start as usize..(start + length) as usize],
            None => &[],
        }
    }
}

/// Sorts records canonically, in parallel for large sets. Records equal in (name, type, data)
/// are ordered by provenance (then TTL), so the first definition in the inputs is the one a
/// zone keeps and the output does not depend on the unstable sort.
pub fn sort_canonical(records: &mut [Record]) {
    use rayon::slice::ParallelSliceMut;
    fn compare(a: &Record, b: &Record) -> std::cmp::Ordering {
        a.canonical_cmp(b)
            .then_with(|| a.provenance.cmp(&b.provenance))
            .then_with(|| a.ttl.cmp(&b.ttl))
    }
    if records.len() > 50_000 {
        records.par_sort_unstable_by(compare);
    } else {
        records.sort_unstable_by(compare);
    }
}

/// The zones of a repository, ordered by origin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneSet {
    /// Zones sorted by origin (canonical order, so a parent precedes its children).
    pub zones: Vec<Zone>,
    /// Exact duplicates removed while building, for the `duplicate-record` rule.
    pub duplicates: Vec<Record>,
}

impl ZoneSet {
    /// The most specific zone whose origin is `name` or an ancestor of it.
    pub fn zone_for(&self, name: &Name) -> Option<&Zone> {
        self.zones
            .iter()
            .filter(|zone| name.is_subdomain_of(&zone.origin))
            .max_by_key(|zone| zone.origin.label_count())
    }

    /// Total record count over all zones.
    pub fn record_count(&self) -> usize {
        self.zones.iter().map(|zone| zone.records.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{FileId, Span};
    use crate::model::record::{Origin, Provenance};
    use std::net::Ipv4Addr;

    fn record(name: &str, data: RData) -> Record {
        Record {
            name: Name::parse_absolute(name).unwrap(),
            ttl: 300,
            data,
            provenance: Provenance {
                span: Span::new(FileId(0), 1, 1),
                origin: Origin::HandEdited,
            },
        }
    }

    fn a(name: &str, last: u8) -> Record {
        record(name, RData::A(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn lookups_find_rrsets_and_empty_non_terminals() {
        let origin = Name::parse_absolute("example.net.").unwrap();
        let (zone, duplicates) = Zone::from_records(
            origin.clone(),
            vec![
                a("db1.ash.example.net.", 2),
                a("www.example.net.", 1),
                a("db1.ash.example.net.", 1),
                a("www.example.net.", 1),
                record("www.example.net.", RData::Cname(origin.clone())),
            ],
        );
        assert_eq!(duplicates.len(), 1);
        let www = Name::parse_absolute("www.example.net.").unwrap();
        assert_eq!(zone.records_at(&www).len(), 2);
        assert_eq!(zone.rrset(&www, RecordType::A).len(), 1);
        let db1 = Name::parse_absolute("db1.ash.example.net.").unwrap();
        let addresses: Vec<_> = zone
            .rrset(&db1, RecordType::A)
            .iter()
            .map(|r| r.data.clone())
            .collect();
        assert_eq!(
            addresses,
            [
                RData::A(Ipv4Addr::new(192, 0, 2, 1)),
                RData::A(Ipv4Addr::new(192, 0, 2, 2))
            ]
        );
        assert!(
            zone.name_exists(&Name::parse_absolute("ash.example.net.").unwrap()),
            "empty non-terminal"
        );
        assert!(!zone.name_exists(&Name::parse_absolute("lon.example.net.").unwrap()));
        assert_eq!(zone.rrsets().count(), 3);
    }
}
