//! The in-memory authoritative resolver: answers a query from the [`ZoneSet`] the way an
//! authoritative-only server loaded with the same zones does. No sockets, no IO, no clock.
//!
//! What it does, step by step (RFC 1034 section 4.3.2, the authoritative part of the algorithm):
//!
//! 1. Pick the most specific managed zone containing the query name. None: `REFUSED`, AA clear,
//!    every section empty (what BIND, Knot and NSD answer for a zone they do not serve).
//! 2. Walk down from the apex: if the name is at or below a zone cut (an NS RRset below the apex),
//!    answer with a referral: NOERROR, AA clear (unless a CNAME was already answered), the cut's
//!    NS RRset in the authority section and the addresses of its name servers that the zone holds
//!    (glue) in the additional section. A query for NS at the cut itself is also a referral: the
//!    parent is not authoritative for it.
//! 3. The name exists (owns records): the RRset of the query type is the answer. Otherwise a CNAME
//!    there is added to the answer and followed (below). Otherwise NODATA: NOERROR, empty answer,
//!    the SOA in the authority section.
//! 4. The name does not exist: find the closest encloser (the deepest existing ancestor; an empty
//!    non-terminal exists, RFC 8020) and the source of synthesis `*.<closest encloser>` (RFC 4592
//!    section 3.3.1). If the wildcard exists, its records are the answer with the query name as
//!    owner (and step 3 applies to them, CNAMEs included). Otherwise NXDOMAIN with the SOA.
//!
//! **CNAME chasing** follows what BIND 9 does with `recursion no` (checked against a live BIND by
//! `tests/assertions_live.rs`): a CNAME is followed only while its target lies in the *same*
//! zone as the query name. A target in another zone, even one the server also serves (a sibling
//! or a child zone), or outside every zone ends the chase with NOERROR and the CNAME as the last
//! answer record; the client asks again for the target. The outcome of the last name decides the
//! response code: an in-zone target that does not exist gives NXDOMAIN with the CNAME chain in the
//! answer (RFC 6604), one without the type gives NODATA, one below a cut gives the referral in the
//! authority section with AA still set. At most [`MAX_RESTARTS`] CNAMEs are followed; a longer
//! chain, or a loop, is SERVFAIL with the CNAMEs found so far (each once), AA set, as BIND answers.
//!
//! Names are compared in their canonical lower-case form, so look-ups are case-insensitive. Every
//! look-up is a binary search over the zone's canonically sorted records; a query allocates
//! nothing but the answer it returns.

use std::borrow::Cow;
use std::fmt;

use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::model::record::{Provenance, RData, Record};
use crate::model::zone::{Zone, ZoneSet};

/// How many CNAMEs a single answer may follow before the server gives up with SERVFAIL.
///
/// BIND 9.18's limit (`MAX_RESTARTS`): a chain of 11 CNAMEs is answered, a 12th is SERVFAIL.
pub const MAX_RESTARTS: usize = 11;

/// A response code (RFC 1035 section 4.1.1, RFC 6895).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Rcode {
    /// No error; the answer (possibly empty: NODATA) is in the answer section.
    NoError,
    /// The server could not interpret the query.
    FormErr,
    /// The server failed (a CNAME loop or an over-long chain, for an authoritative server).
    ServFail,
    /// The query name does not exist.
    NxDomain,
    /// The server does not implement the query.
    NotImp,
    /// The server refuses to answer: the name is in no zone it serves.
    Refused,
    /// Any other code, by number.
    Other(u16),
}

impl Rcode {
    /// The code on the wire.
    pub const fn code(self) -> u16 {
        match self {
            Rcode::NoError => 0,
            Rcode::FormErr => 1,
            Rcode::ServFail => 2,
            Rcode::NxDomain => 3,
            Rcode::NotImp => 4,
            Rcode::Refused => 5,
            Rcode::Other(code) => code,
        }
    }

    /// The code for a number from the wire.
    pub const fn from_code(code: u16) -> Self {
        match code {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            other => Rcode::Other(other),
        }
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rcode::NoError => f.write_str("NOERROR"),
            Rcode::FormErr => f.write_str("FORMERR"),
            Rcode::ServFail => f.write_str("SERVFAIL"),
            Rcode::NxDomain => f.write_str("NXDOMAIN"),
            Rcode::NotImp => f.write_str("NOTIMP"),
            Rcode::Refused => f.write_str("REFUSED"),
            Rcode::Other(code) => write!(f, "RCODE{code}"),
        }
    }
}

/// One record of a response. The data is borrowed from the zone set for the in-memory resolver
/// and owned for a live server; the provenance is known only for the former.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseRecord<'z> {
    /// Owner name as answered (the query name for a record synthesised from a wildcard).
    pub owner: Name,
    /// Time to live, seconds.
    pub ttl: u32,
    /// Type and data.
    pub data: Cow<'z, RData>,
    /// The input that produced the record, when it came from the model.
    pub provenance: Option<Provenance>,
}

impl ResponseRecord<'_> {
    /// The record's type.
    pub fn record_type(&self) -> RecordType {
        self.data.record_type()
    }

    /// An owned copy, independent of the zone set.
    pub fn into_owned(self) -> ResponseRecord<'static> {
        ResponseRecord {
            owner: self.owner,
            ttl: self.ttl,
            data: Cow::Owned(self.data.into_owned()),
            provenance: self.provenance,
        }
    }
}

/// A response: code, the AA flag and the three record sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<'z> {
    /// Response code.
    pub rcode: Rcode,
    /// The AA flag: the server is authoritative for the (first) answer.
    pub authoritative: bool,
    /// Answer section.
    pub answer: Vec<ResponseRecord<'z>>,
    /// Authority section: the SOA for a negative answer, NS for a referral.
    pub authority: Vec<ResponseRecord<'z>>,
    /// Additional section: glue for a referral.
    pub additional: Vec<ResponseRecord<'z>>,
}

impl Answer<'_> {
    fn empty(rcode: Rcode, authoritative: bool) -> Self {
        Self {
            rcode,
            authoritative,
            answer: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
        }
    }

    /// An owned copy, independent of the zone set.
    pub fn into_owned(self) -> Answer<'static> {
        let own = |records: Vec<ResponseRecord<'_>>| {
            records
                .into_iter()
                .map(ResponseRecord::into_owned)
                .collect()
        };
        Answer {
            rcode: self.rcode,
            authoritative: self.authoritative,
            answer: own(self.answer),
            authority: own(self.authority),
            additional: own(self.additional),
        }
    }
}

/// One step of a resolution, for explaining a verdict: which zone, which name, what happened and
/// which records (with their provenance) were involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step<'z> {
    /// The zone consulted (`None` when no managed zone contains the name).
    pub zone: Option<&'z Name>,
    /// The name looked up at this step.
    pub name: Name,
    /// What happened.
    pub event: Event,
    /// The records involved (an RRset, a referral's NS RRset, the SOA of a negative answer).
    pub records: &'z [Record],
}

/// What happened at a [`Step`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// No managed zone contains the name: REFUSED.
    NoZone,
    /// The RRset of the query type exists at the name.
    Found,
    /// The name does not exist; the wildcard (`records[0].name`) synthesised the answer.
    Wildcard,
    /// A CNAME at the name was added to the answer and will be followed.
    Cname,
    /// The CNAME target lies outside the zone: the chase stops here.
    LeavesZone,
    /// The name is at or below a zone cut: referral to the cut's name servers.
    Referral,
    /// The name exists without the type: NODATA.
    NoData,
    /// The name does not exist and no wildcard covers it: NXDOMAIN.
    NxDomain,
    /// The CNAME chain loops or is longer than [`MAX_RESTARTS`]: SERVFAIL.
    ChainTooLong,
}

/// The resolver: the zone set plus an index of its zone cuts and wildcards, built once.
#[derive(Debug)]
pub struct Resolver<'z> {
    zones: &'z ZoneSet,
    index: Vec<ZoneIndex<'z>>,
}

#[derive(Debug)]
struct ZoneIndex<'z> {
    /// Labels in the origin.
    origin_depth: usize,
    /// Delegation points below the apex, sorted, topmost only (a cut below a cut is occluded).
    cuts: Vec<&'z Name>,
    /// Wildcard owners not below a cut: (owner, its parent, the parent's label count).
    wildcards: Vec<(&'z Name, Name, usize)>,
}

impl<'z> Resolver<'z> {
    /// Indexes `zones` (one pass over the records).
    pub fn new(zones: &'z ZoneSet) -> Self {
        let index = zones.zones.iter().map(ZoneIndex::new).collect();
        Self { zones, index }
    }

    /// The zone set this resolver answers from.
    pub fn zones(&self) -> &'z ZoneSet {
        self.zones
    }

    /// Answers `name`/`record_type` as an authoritative server would.
    pub fn answer(&self, name: &Name, record_type: RecordType) -> Answer<'z> {
        self.resolve(name, record_type, None)
    }

    /// Like [`Resolver::answer`], and records every step in `trace`.
    pub fn answer_traced(
        &self,
        name: &Name,
        record_type: RecordType,
        trace: &mut Vec<Step<'z>>,
    ) -> Answer<'z> {
        self.resolve(name, record_type, Some(trace))
    }

    /// The index of the most specific zone containing `name`.
    pub fn zone_index(&self, name: &Name) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (index, zone) in self.zones.zones.iter().enumerate() {
            if name.is_subdomain_of(&zone.origin)
                && best.is_none_or(|best| {
                    self.zones.zones[best].origin.wire_length() < zone.origin.wire_length()
                })
            {
                best = Some(index);
            }
        }
        best
    }

    fn resolve(
        &self,
        query: &Name,
        record_type: RecordType,
        mut trace: Option<&mut Vec<Step<'z>>>,
    ) -> Answer<'z> {
        let mut record_step = |step: Step<'z>| {
            if let Some(trace) = trace.as_deref_mut() {
                trace.push(step);
            }
        };
        let Some(zone_index) = self.zone_index(query) else {
            record_step(Step {
                zone: None,
                name: query.clone(),
                event: Event::NoZone,
                records: &[],
            });
            return Answer::empty(Rcode::Refused, false);
        };
        let zone = &self.zones.zones[zone_index];
        let index = &self.index[zone_index];
        let origin = Some(&zone.origin);
        let mut answer = Answer::empty(Rcode::NoError, true);
        let mut current = query.clone();
        let mut restarts = 0;
        loop {
            if let Some(cut) = index.cut_above(&current) {
                let ns = zone.rrset(cut, RecordType::Ns);
                record_step(Step {
                    zone: origin,
                    name: current.clone(),
                    event: Event::Referral,
                    records: ns,
                });
                self.referral(zone_index, ns, &mut answer);
                return answer;
            }
            let mut node = zone.records_at(&current);
            // An empty non-terminal exists (RFC 8020): it falls through to NODATA below.
            if node.is_empty() && !zone.name_exists(&current) {
                let Some(wildcard) = index.wildcard_for(zone, &current) else {
                    let soa = zone.rrset(&zone.origin, RecordType::Soa);
                    record_step(Step {
                        zone: origin,
                        name: current.clone(),
                        event: Event::NxDomain,
                        records: soa,
                    });
                    answer.rcode = Rcode::NxDomain;
                    push_negative(&mut answer, soa);
                    return answer;
                };
                node = zone.records_at(wildcard);
                record_step(Step {
                    zone: origin,
                    name: current.clone(),
                    event: Event::Wildcard,
                    records: node,
                });
            }
            let rrset = of_type(node, record_type);
            if !rrset.is_empty() {
                record_step(Step {
                    zone: origin,
                    name: current.clone(),
                    event: Event::Found,
                    records: rrset,
                });
                push(&mut answer.answer, &current, rrset);
                return answer;
            }
            let cname = of_type(node, RecordType::Cname);
            let Some(alias) = cname.first() else {
                let soa = zone.rrset(&zone.origin, RecordType::Soa);
                record_step(Step {
                    zone: origin,
                    name: current.clone(),
                    event: Event::NoData,
                    records: soa,
                });
                push_negative(&mut answer, soa);
                return answer;
            };
            let RData::Cname(target) = &alias.data else {
                unreachable!("of_type(CNAME) returns CNAME records");
            };
            let seen = answer.answer.iter().any(|record| {
                record.owner == current && matches!(&*record.data, RData::Cname(t) if t == target)
            });
            if seen || restarts == MAX_RESTARTS {
                if !seen {
                    push(&mut answer.answer, &current, cname);
                }
                record_step(Step {
                    zone: origin,
                    name: current.clone(),
                    event: Event::ChainTooLong,
                    records: cname,
                });
                answer.rcode = Rcode::ServFail;
                return answer;
            }
            push(&mut answer.answer, &current, cname);
            restarts += 1;
            if self.zone_index(target) != Some(zone_index) {
                record_step(Step {
                    zone: origin,
                    name: current.clone(),
                    event: Event::LeavesZone,
                    records: cname,
                });
                return answer;
            }
            record_step(Step {
                zone: origin,
                name: current.clone(),
                event: Event::Cname,
                records: cname,
            });
            current = target.clone();
        }
    }

    /// Adds a referral to `ns`'s servers: NS in authority, the addresses the zone holds for
    /// them in additional. AA is cleared unless an alias was already answered authoritatively.
    fn referral(&self, zone_index: usize, ns: &'z [Record], answer: &mut Answer<'z>) {
        let zone = &self.zones.zones[zone_index];
        if answer.answer.is_empty() {
            answer.authoritative = false;
        }
        push(&mut answer.authority, &ns[0].name, ns);
        for record in ns {
            let Some(server) = record.data.target() else {
                continue;
            };
            if self.zone_index(server) != Some(zone_index) {
                continue;
            }
            for record_type in [RecordType::A, RecordType::Aaaa] {
                push(
                    &mut answer.additional,
                    server,
                    zone.rrset(server, record_type),
                );
            }
        }
    }
}

impl<'z> ZoneIndex<'z> {
    fn new(zone: &'z Zone) -> Self {
        let mut cuts: Vec<&'z Name> = Vec::new();
        let mut wildcards = Vec::new();
        for rrset in zone.rrsets() {
            let owner = &rrset[0].name;
            let occluded = cuts.last().is_some_and(|cut| owner.is_subdomain_of(cut));
            if occluded {
                continue;
            }
            if rrset[0].record_type() == RecordType::Ns && *owner != zone.origin {
                cuts.push(owner);
            }
            if owner.is_wildcard()
                && wildcards
                    .last()
                    .is_none_or(|(last, _, _): &(&Name, Name, usize)| *last != owner)
                && let Some(parent) = owner.parent()
            {
                let depth = parent.label_count();
                wildcards.push((owner, parent, depth));
            }
        }
        Self {
            origin_depth: zone.origin.label_count(),
            cuts,
            wildcards,
        }
    }

    /// The zone cut at or above `name`, if any.
    fn cut_above(&self, name: &Name) -> Option<&'z Name> {
        let after = self.cuts.partition_point(|cut| *cut <= name);
        let candidate = *self.cuts.get(after.checked_sub(1)?)?;
        name.is_subdomain_of(candidate).then_some(candidate)
    }

    /// The wildcard that synthesises an answer for `name`, which does not exist in `zone`.
    ///
    /// The closest encloser is the deepest existing ancestor of `name`. Because a name's
    /// descendants follow it contiguously in canonical order, an ancestor exists exactly when
    /// the record just before or just after `name`'s position lies at or below it, so the
    /// closest encloser's depth is the longest common suffix with either neighbour.
    fn wildcard_for(&self, zone: &'z Zone, name: &Name) -> Option<&'z Name> {
        if self.wildcards.is_empty() {
            return None;
        }
        let records = &zone.records;
        let position = records.partition_point(|record| record.name < *name);
        let mut depth = self.origin_depth;
        if let Some(before) = position.checked_sub(1).and_then(|i| records.get(i)) {
            depth = depth.max(common_depth(name, &before.name));
        }
        if let Some(after) = records.get(position) {
            depth = depth.max(common_depth(name, &after.name));
        }
        self.wildcards
            .iter()
            .find(|(_, parent, parent_depth)| {
                *parent_depth == depth && name.is_subdomain_of(parent)
            })
            .map(|(owner, _, _)| *owner)
    }
}

/// Number of labels `a` and `b` share from the root down.
fn common_depth(a: &Name, b: &Name) -> usize {
    a.labels()
        .rev()
        .zip(b.labels().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// The records of `record_type` within one node's records (sorted by type).
fn of_type(node: &[Record], record_type: RecordType) -> &[Record] {
    let start = node.partition_point(|record| record.record_type() < record_type);
    let end = start + node[start..].partition_point(|record| record.record_type() == record_type);
    &node[start..end]
}

fn push<'z>(section: &mut Vec<ResponseRecord<'z>>, owner: &Name, records: &'z [Record]) {
    section.extend(records.iter().map(|record| ResponseRecord {
        owner: owner.clone(),
        ttl: record.ttl,
        data: Cow::Borrowed(&record.data),
        provenance: Some(record.provenance),
    }));
}

/// The SOA in the authority section of a negative answer, with the TTL RFC 2308 section 3
/// requires: the smaller of the SOA record's TTL and its MINIMUM field.
fn push_negative<'z>(answer: &mut Answer<'z>, soa: &'z [Record]) {
    answer
        .authority
        .extend(soa.iter().map(|record| ResponseRecord {
            owner: record.name.clone(),
            ttl: match &record.data {
                RData::Soa(fields) => record.ttl.min(fields.minimum),
                _ => record.ttl,
            },
            data: Cow::Borrowed(&record.data),
            provenance: Some(record.provenance),
        }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{FileId, Span};
    use crate::model::record::{Origin, Soa};
    use std::fmt::Write as _;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).unwrap()
    }

    /// Zones from `(origin, "owner TYPE data" lines)`; every zone gets an SOA and an apex NS.
    fn zone_set(zones: &[(&str, &str)]) -> ZoneSet {
        let mut set = ZoneSet::default();
        for (origin, text) in zones {
            let origin = name(origin);
            let provenance = |line: usize| Provenance {
                span: Span::new(FileId(0), line as u32 + 1, 1),
                origin: Origin::HandEdited,
            };
            let soa = RData::Soa(Box::new(Soa {
                primary: name("ns1.example.com."),
                contact: name("hostmaster.example.com."),
                refresh: 3600,
                retry: 600,
                expire: 86400,
                minimum: 60,
            }));
            let mut records = vec![
                Record {
                    name: origin.clone(),
                    ttl: 300,
                    data: soa,
                    provenance: provenance(0),
                },
                Record {
                    name: origin.clone(),
                    ttl: 300,
                    data: RData::Ns(name("ns1.example.com.")),
                    provenance: provenance(0),
                },
            ];
            for (index, line) in text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .enumerate()
            {
                let mut fields = line.split_whitespace();
                let owner = name(fields.next().unwrap());
                let kind = fields.next().unwrap();
                let rest: Vec<&str> = fields.collect();
                let data = match kind {
                    "A" => RData::A(rest[0].parse().unwrap()),
                    "AAAA" => RData::Aaaa(rest[0].parse().unwrap()),
                    "CNAME" => RData::Cname(name(rest[0])),
                    "NS" => RData::Ns(name(rest[0])),
                    "MX" => RData::Mx {
                        preference: rest[0].parse().unwrap(),
                        exchange: name(rest[1]),
                    },
                    "SRV" => RData::Srv {
                        priority: rest[0].parse().unwrap(),
                        weight: rest[1].parse().unwrap(),
                        port: rest[2].parse().unwrap(),
                        target: name(rest[3]),
                    },
                    other => panic!("unsupported type {other} in test zone"),
                };
                records.push(Record {
                    name: owner,
                    ttl: 300,
                    data,
                    provenance: provenance(index + 1),
                });
            }
            set.zones.push(Zone::from_records(origin, records).0);
        }
        set.zones.sort_by(|a, b| a.origin.cmp(&b.origin));
        set
    }

    /// The zones of the BIND experiment recorded in the module documentation (and replayed
    /// against a live BIND by `tests/assertions_live.rs`).
    fn example() -> ZoneSet {
        let mut chain = String::new();
        for i in 1..=14 {
            let _ = writeln!(chain, "k{i}.example.com. CNAME k{}.example.com.", i + 1);
        }
        chain.push_str("k15.example.com. A 192.0.2.15\n");
        let forward = format!(
            "ns1.example.com. A 127.0.0.1
             web.example.com. A 192.0.2.1
             web.example.com. AAAA 2001:db8::1
             www.example.com. CNAME web.example.com.
             alias-other.example.com. CNAME host.example.org.
             alias-out.example.com. CNAME www.outside.test.
             alias-nx.example.com. CNAME missing.example.com.
             alias-deleg.example.com. CNAME host.sub.example.com.
             alias-wild.example.com. CNAME foo.wild.example.com.
             alias-child.example.com. CNAME h.child.example.com.
             *.wild.example.com. A 192.0.2.7
             l1.example.com. CNAME l2.example.com.
             l2.example.com. CNAME l1.example.com.
             *.w2.example.com. CNAME web.example.com.
             sub.example.com. NS ns.sub.example.com.
             ns.sub.example.com. A 192.0.2.53
             a.b.example.com. A 192.0.2.9
             example.com. MX 10 web.example.com.
             _svc._tcp.example.com. SRV 10 10 443 web.example.com.
             {chain}"
        );
        zone_set(&[
            ("example.com.", &forward),
            (
                "example.org.",
                "host.example.org. A 198.51.100.1
                 alias-back.example.org. CNAME web.example.com.",
            ),
            ("child.example.com.", "h.child.example.com. A 203.0.113.5"),
        ])
    }

    /// `RCODE flags | answer ; authority ; additional` with records as `owner TYPE data`.
    fn ask(zones: &ZoneSet, query: &str, record_type: RecordType) -> String {
        let resolver = Resolver::new(zones);
        let answer = resolver.answer(&Name::parse_fqdn(query).unwrap(), record_type);
        let section = |records: &[ResponseRecord<'_>]| {
            records
                .iter()
                .map(|record| {
                    let mut text = format!("{} {} ", record.owner, record.record_type());
                    crate::model::presentation::write_rdata(&record.data, &mut text);
                    if record.record_type() == RecordType::Soa {
                        text = format!("{} SOA ttl={}", record.owner, record.ttl);
                    }
                    text
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{}{} | {} ; {} ; {}",
            answer.rcode,
            if answer.authoritative { " aa" } else { "" },
            section(&answer.answer),
            section(&answer.authority),
            section(&answer.additional)
        )
    }

    #[test]
    fn positive_answers_and_case_insensitive_names() {
        let zones = example();
        insta::assert_snapshot!(ask(&zones, "web.example.com.", RecordType::A), @"NOERROR aa | web.example.com. A 192.0.2.1 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "WEB.Example.COM", RecordType::Aaaa), @"NOERROR aa | web.example.com. AAAA 2001:db8::1 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "_svc._tcp.example.com.", RecordType::Srv), @"NOERROR aa | _svc._tcp.example.com. SRV 10 10 443 web.example.com. ;  ; ");
        insta::assert_snapshot!(ask(&zones, "www.example.com.", RecordType::Cname), @"NOERROR aa | www.example.com. CNAME web.example.com. ;  ; ");
    }

    #[test]
    fn nodata_for_existing_names_and_empty_non_terminals() {
        let zones = example();
        // RFC 2308 section 3: the SOA's TTL in a negative answer is min(TTL, MINIMUM) = 60.
        insta::assert_snapshot!(ask(&zones, "web.example.com.", RecordType::Mx), @"NOERROR aa |  ; example.com. SOA ttl=60 ; ");
        // RFC 8020: b.example.com. has a descendant, so it exists.
        insta::assert_snapshot!(ask(&zones, "b.example.com.", RecordType::A), @"NOERROR aa |  ; example.com. SOA ttl=60 ; ");
    }

    #[test]
    fn nxdomain_and_refused() {
        let zones = example();
        insta::assert_snapshot!(ask(&zones, "nope.example.com.", RecordType::A), @"NXDOMAIN aa |  ; example.com. SOA ttl=60 ; ");
        insta::assert_snapshot!(ask(&zones, "x.a.b.example.com.", RecordType::A), @"NXDOMAIN aa |  ; example.com. SOA ttl=60 ; ");
        insta::assert_snapshot!(ask(&zones, "www.outside.test.", RecordType::A), @"REFUSED |  ;  ; ");
        insta::assert_snapshot!(ask(&zones, "com.", RecordType::Ns), @"REFUSED |  ;  ; ");
    }

    #[test]
    fn referrals_clear_aa_and_carry_glue() {
        let zones = example();
        let referral = "NOERROR |  ; sub.example.com. NS ns.sub.example.com. ; ns.sub.example.com. A 192.0.2.53";
        assert_eq!(ask(&zones, "x.sub.example.com.", RecordType::A), referral);
        assert_eq!(
            ask(&zones, "sub.example.com.", RecordType::Ns),
            referral,
            "the parent is not authoritative for the child's NS"
        );
        assert_eq!(
            ask(&zones, "ns.sub.example.com.", RecordType::A),
            referral,
            "glue is not authoritative data"
        );
    }

    #[test]
    fn cname_chasing_stays_inside_the_zone() {
        let zones = example();
        insta::assert_snapshot!(ask(&zones, "www.example.com.", RecordType::A), @"NOERROR aa | www.example.com. CNAME web.example.com., web.example.com. A 192.0.2.1 ;  ; ");
        // A sibling zone, a child zone and an unmanaged name all end the chase, as in BIND.
        insta::assert_snapshot!(ask(&zones, "alias-other.example.com.", RecordType::A), @"NOERROR aa | alias-other.example.com. CNAME host.example.org. ;  ; ");
        insta::assert_snapshot!(ask(&zones, "alias-child.example.com.", RecordType::A), @"NOERROR aa | alias-child.example.com. CNAME h.child.example.com. ;  ; ");
        insta::assert_snapshot!(ask(&zones, "alias-out.example.com.", RecordType::A), @"NOERROR aa | alias-out.example.com. CNAME www.outside.test. ;  ; ");
        insta::assert_snapshot!(ask(&zones, "alias-back.example.org.", RecordType::A), @"NOERROR aa | alias-back.example.org. CNAME web.example.com. ;  ; ");
        // RFC 6604: the rcode is the last name's.
        insta::assert_snapshot!(ask(&zones, "alias-nx.example.com.", RecordType::A), @"NXDOMAIN aa | alias-nx.example.com. CNAME missing.example.com. ; example.com. SOA ttl=60 ; ");
        insta::assert_snapshot!(ask(&zones, "www.example.com.", RecordType::Mx), @"NOERROR aa | www.example.com. CNAME web.example.com. ; example.com. SOA ttl=60 ; ");
        insta::assert_snapshot!(ask(&zones, "alias-deleg.example.com.", RecordType::A), @"NOERROR aa | alias-deleg.example.com. CNAME host.sub.example.com. ; sub.example.com. NS ns.sub.example.com. ; ns.sub.example.com. A 192.0.2.53");
    }

    #[test]
    fn cname_loops_and_long_chains_are_servfail() {
        let zones = example();
        insta::assert_snapshot!(ask(&zones, "l1.example.com.", RecordType::A), @"SERVFAIL aa | l1.example.com. CNAME l2.example.com., l2.example.com. CNAME l1.example.com. ;  ; ");
        let resolver = Resolver::new(&zones);
        // k4 -> k15 is 11 CNAMEs: answered. k3 -> k15 is 12: SERVFAIL with the 12 CNAMEs.
        let k4 = resolver.answer(&name("k4.example.com."), RecordType::A);
        assert_eq!((k4.rcode, k4.answer.len()), (Rcode::NoError, 12));
        let k3 = resolver.answer(&name("k3.example.com."), RecordType::A);
        assert_eq!((k3.rcode, k3.answer.len()), (Rcode::ServFail, 12));
        assert!(k3.authoritative);
    }

    #[test]
    fn wildcards_synthesise_for_the_query_name() {
        let zones = example();
        insta::assert_snapshot!(ask(&zones, "foo.wild.example.com.", RecordType::A), @"NOERROR aa | foo.wild.example.com. A 192.0.2.7 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "deep.foo.wild.example.com.", RecordType::A), @"NOERROR aa | deep.foo.wild.example.com. A 192.0.2.7 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "foo.wild.example.com.", RecordType::Mx), @"NOERROR aa |  ; example.com. SOA ttl=60 ; ");
        insta::assert_snapshot!(ask(&zones, "*.wild.example.com.", RecordType::A), @"NOERROR aa | *.wild.example.com. A 192.0.2.7 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "alias-wild.example.com.", RecordType::A), @"NOERROR aa | alias-wild.example.com. CNAME foo.wild.example.com., foo.wild.example.com. A 192.0.2.7 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "x.w2.example.com.", RecordType::A), @"NOERROR aa | x.w2.example.com. CNAME web.example.com., web.example.com. A 192.0.2.1 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "x.w2.example.com.", RecordType::Mx), @"NOERROR aa | x.w2.example.com. CNAME web.example.com. ; example.com. SOA ttl=60 ; ");
        // `wild.example.com.` exists only as the parent of the wildcard: NODATA, not synthesis.
        insta::assert_snapshot!(ask(&zones, "wild.example.com.", RecordType::A), @"NOERROR aa |  ; example.com. SOA ttl=60 ; ");
    }

    #[test]
    fn wildcards_follow_the_closest_encloser_rule() {
        // RFC 4592 section 2.2.1's example, reduced: `*.t.` covers names whose closest encloser
        // is `t.`, but not those below the empty non-terminal `b.t.`.
        let zones = zone_set(&[(
            "t.",
            "*.t. A 192.0.2.1
             a.b.t. A 192.0.2.2
             sub.t. NS ns.other.",
        )]);
        insta::assert_snapshot!(ask(&zones, "x.t.", RecordType::A), @"NOERROR aa | x.t. A 192.0.2.1 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "y.x.t.", RecordType::A), @"NOERROR aa | y.x.t. A 192.0.2.1 ;  ; ");
        insta::assert_snapshot!(ask(&zones, "x.b.t.", RecordType::A), @"NXDOMAIN aa |  ; t. SOA ttl=60 ; ");
        insta::assert_snapshot!(ask(&zones, "b.t.", RecordType::A), @"NOERROR aa |  ; t. SOA ttl=60 ; ");
        // Below a cut the wildcard does not apply: referral (no glue for an out-of-zone server).
        insta::assert_snapshot!(ask(&zones, "x.sub.t.", RecordType::A), @"NOERROR |  ; sub.t. NS ns.other. ; ");
    }

    #[test]
    fn the_trace_names_each_step_and_the_records_behind_it() {
        let zones = example();
        let resolver = Resolver::new(&zones);
        let mut trace = Vec::new();
        let _ = resolver.answer_traced(&name("alias-wild.example.com."), RecordType::A, &mut trace);
        let steps: Vec<String> = trace
            .iter()
            .map(|step| {
                format!(
                    "{} {} {:?} lines {:?}",
                    step.zone.map_or("-".into(), ToString::to_string),
                    step.name,
                    step.event,
                    step.records
                        .iter()
                        .map(|r| r.provenance.span.line)
                        .collect::<Vec<_>>()
                )
            })
            .collect();
        insta::assert_debug_snapshot!(steps, @r#"
        [
            "example.com. alias-wild.example.com. Cname lines [10]",
            "example.com. foo.wild.example.com. Wildcard lines [12]",
            "example.com. foo.wild.example.com. Found lines [12]",
        ]
        "#);
        trace.clear();
        let _ = resolver.answer_traced(&name("elsewhere.test."), RecordType::A, &mut trace);
        assert_eq!(trace.len(), 1);
        assert_eq!(trace[0].event, Event::NoZone);
    }
}
