//! Stage 4 (pure): the validation rules over a [`ZoneSet`].
//!
//! One file per rule, named after the problem (`cname_and_other_data.rs` checks
//! `cname-and-other-data`); each rule is declared, with its documentation, in
//! [`crate::rules::check`], and [`CHECKS`] pairs it with its check.
//!
//! [`run`] runs the enabled rules, in parallel per rule and zone. Rules walk the owners and
//! RRsets of the canonically sorted [`Zone::records`], grouped once per zone by `ZoneView`, and
//! look names up in its hashed `NameIndex`; none allocates per record (a
//! rule may allocate to describe a finding, and `missing-reverse` keeps one sorted vector of
//! reverse-mapped addresses). [`apply_severities`] applies the per-repository overrides from
//! `check.rules` in `zonegate.yaml`.
//!
//! This module does no IO and reads no clock.

use std::net::IpAddr;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Severity};
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::inventory::{Limits, Settings};
use crate::model::record::{RData, Record};
use crate::model::zone::{NameIndex, Zone, ZoneSet};
use crate::rules::{self, Rule};

mod answer_too_large_for_udp;
mod cname_and_other_data;
mod cname_at_apex;
mod cname_chain_too_long;
mod cname_loop;
mod dangling_target;
mod data_below_delegation;
mod duplicate_record;
mod host_collides_with_record;
mod invalid_hostname;
mod missing_glue;
mod missing_reverse;
mod multiple_cnames;
mod ptr_without_forward;
mod rrset_too_large;
mod target_is_alias;
mod ttl_mismatch;

#[cfg(test)]
mod testing;

/// How a check rule is run.
#[derive(Clone, Copy)]
enum Check {
    /// Once per zone.
    Zone(fn(&Context<'_>, &ZoneView<'_>, &mut Vec<Diagnostic>)),
    /// Once over the whole zone set.
    Set(fn(&Context<'_>, &mut Vec<Diagnostic>)),
}

/// The check rules with their implementations.
const CHECKS: &[(&Rule, Check)] = &[
    (
        rules::check::ANSWER_TOO_LARGE_FOR_UDP,
        Check::Zone(answer_too_large_for_udp::check),
    ),
    (
        rules::check::CNAME_AND_OTHER_DATA,
        Check::Zone(cname_and_other_data::check),
    ),
    (
        rules::check::CNAME_AT_APEX,
        Check::Zone(cname_at_apex::check),
    ),
    (
        rules::check::CNAME_CHAIN_TOO_LONG,
        Check::Zone(cname_chain_too_long::check),
    ),
    (rules::check::CNAME_LOOP, Check::Zone(cname_loop::check)),
    (
        rules::check::DANGLING_TARGET,
        Check::Zone(dangling_target::check),
    ),
    (
        rules::check::DATA_BELOW_DELEGATION,
        Check::Zone(data_below_delegation::check),
    ),
    (
        rules::check::DUPLICATE_RECORD,
        Check::Set(duplicate_record::check),
    ),
    (
        rules::check::HOST_COLLIDES_WITH_RECORD,
        Check::Set(host_collides_with_record::check),
    ),
    (
        rules::check::INVALID_HOSTNAME,
        Check::Zone(invalid_hostname::check),
    ),
    (rules::check::MISSING_GLUE, Check::Zone(missing_glue::check)),
    (
        rules::check::MISSING_REVERSE,
        Check::Set(missing_reverse::check),
    ),
    (
        rules::check::MULTIPLE_CNAMES,
        Check::Zone(multiple_cnames::check),
    ),
    (
        rules::check::PTR_WITHOUT_FORWARD,
        Check::Zone(ptr_without_forward::check),
    ),
    (
        rules::check::RRSET_TOO_LARGE,
        Check::Zone(rrset_too_large::check),
    ),
    (
        rules::check::TARGET_IS_ALIAS,
        Check::Zone(target_is_alias::check),
    ),
    (rules::check::TTL_MISMATCH, Check::Zone(ttl_mismatch::check)),
];

/// Runs every enabled check rule over `zones`, with the default severities (see
/// [`apply_severities`]). Rules turned `off` in `check.rules` are not run at all.
pub fn run(zones: &ZoneSet, settings: &Settings) -> Vec<Diagnostic> {
    let context = Context::new(zones, settings.limits);
    let enabled = CHECKS
        .iter()
        .filter(|(rule, _)| configured_severity(settings, rule.id()) != Some(Severity::Off));
    let mut tasks: Vec<(Check, Option<usize>)> = Vec::new();
    for (_, check) in enabled {
        match check {
            Check::Zone(_) => {
                tasks.extend((0..context.views.len()).map(|zone| (*check, Some(zone))));
            }
            Check::Set(_) => tasks.push((*check, None)),
        }
    }
    let mut diagnostics: Vec<Diagnostic> = tasks
        .into_par_iter()
        .flat_map_iter(|(check, zone)| {
            let mut out = Vec::new();
            match (check, zone) {
                (Check::Zone(check), Some(zone)) => check(&context, &context.views[zone], &mut out),
                (Check::Set(check), _) => check(&context, &mut out),
                (Check::Zone(_), None) => {}
            }
            out
        })
        .collect();
    // The apex NS records of every zone come from the same lines of zonegate.yaml, so a
    // problem with one of them would otherwise be reported once per zone.
    crate::diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    diagnostics
}

/// Applies the `check.rules` overrides of `zonegate.yaml`: a rule set to `off` is dropped, a rule
/// set to `error` or `warning` gets that severity. Rule ids were validated when the settings were
/// read (`inventory::config::settings`).
pub fn apply_severities(diagnostics: Vec<Diagnostic>, settings: &Settings) -> Vec<Diagnostic> {
    if settings.rules.is_empty() {
        return diagnostics;
    }
    diagnostics
        .into_iter()
        .filter_map(
            |mut diagnostic| match configured_severity(settings, diagnostic.rule.id()) {
                Some(Severity::Off) => None,
                Some(severity) => {
                    diagnostic.severity = severity;
                    Some(diagnostic)
                }
                None => Some(diagnostic),
            },
        )
        .collect()
}

fn configured_severity(settings: &Settings, id: &str) -> Option<Severity> {
    settings
        .rules
        .iter()
        .rev()
        .find(|(rule, _, _)| rule == id)
        .map(|(_, severity, _)| *severity)
}

// ---------------------------------------------------------------------------------------------
// Shared look-ups for the rules.

/// What every rule sees: the zone set, the limits and a precomputed view of each zone.
pub(crate) struct Context<'a> {
    /// The zones.
    pub(crate) zones: &'a ZoneSet,
    /// Thresholds from `check` in `zonegate.yaml`.
    pub(crate) limits: Limits,
    /// One view per zone, in the order of `zones.zones`.
    pub(crate) views: Vec<ZoneView<'a>>,
}

/// A zone with the facts several rules need, computed once in a linear pass.
pub(crate) struct ZoneView<'a> {
    /// The zone.
    pub(crate) zone: &'a Zone,
    /// Its owner names, hashed: rules look names up about once per record.
    pub(crate) index: NameIndex<'a>,
    /// Delegation points (names below the apex that own NS records) that are not themselves
    /// below another delegation point, in canonical order. Their subtrees are disjoint, so the
    /// one containing a name is found by binary search.
    pub(crate) cuts: Vec<&'a Name>,
    /// True when some owner is a wildcard (`*.…`), so a missing name may still be synthesised.
    pub(crate) has_wildcards: bool,
    /// Where each RRset ends in `zone.records`, and whether it is the last of its owner's:
    /// grouped once here rather than by every rule (a grouping compares a million names).
    rrset_ends: Vec<(u32, bool)>,
}

/// The answer to "what does `name` own?" over the managed zones.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lookup<'a> {
    /// No managed zone contains the name: it cannot be checked.
    Unmanaged,
    /// The name is at or below a delegation point: another zone answers for it.
    Delegated,
    /// The name owns these records (at least one, all types, in type order); when the name is
    /// synthesised from a wildcard (RFC 4592) they are the wildcard's records.
    Found(&'a [Record]),
    /// The name exists but owns nothing: it is an empty non-terminal (RFC 8020).
    EmptyNonTerminal,
    /// The name does not exist in `zone`, the most specific managed zone containing it.
    NxDomain(&'a Zone),
}

impl<'a> Lookup<'a> {
    /// The RRset of `record_type` in the answer (empty unless found).
    pub(crate) fn rrset(&self, record_type: RecordType) -> &'a [Record] {
        match self {
            Lookup::Found(records) => {
                let start = records.partition_point(|record| record.record_type() < record_type);
                let end = start
                    + records[start..]
                        .partition_point(|record| record.record_type() == record_type);
                &records[start..end]
            }
            _ => &[],
        }
    }

    /// True when the answer holds an A or AAAA record.
    pub(crate) fn has_address(&self) -> bool {
        !self.rrset(RecordType::A).is_empty() || !self.rrset(RecordType::Aaaa).is_empty()
    }
}

/// How a CNAME chain ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChainEnd {
    /// At a name that is not an alias (or outside the managed zones).
    Resolved,
    /// The chain comes back to the CNAME at this index of the chain buffer.
    Loop(usize),
    /// It went on for [`MAX_CHAIN_FOLLOWED`] CNAMEs without ending.
    Endless,
}

/// How many CNAMEs a chain is followed for before giving up: beyond any sensible
/// `check.max_cname_chain`, and it bounds the work per CNAME.
pub(crate) const MAX_CHAIN_FOLLOWED: usize = 64;

impl<'a> Context<'a> {
    pub(crate) fn new(zones: &'a ZoneSet, limits: Limits) -> Self {
        // Indexing is a pass over each zone: one task per zone.
        let views = zones.zones.par_iter().map(ZoneView::new).collect();
        Self {
            zones,
            limits,
            views,
        }
    }

    /// The view of the most specific managed zone containing `name`.
    pub(crate) fn view_for(&self, name: &Name) -> Option<&ZoneView<'a>> {
        // Zones are in canonical order of their origins, where a descendant sorts after its
        // ancestors: the last zone containing the name is the most specific one.
        self.views
            .iter()
            .rev()
            .find(|view| name.is_subdomain_of(&view.zone.origin))
    }

    /// What `name` owns, as a resolver would see it in the managed zones (wildcards included,
    /// CNAMEs not followed).
    pub(crate) fn lookup(&self, name: &Name) -> Lookup<'a> {
        let Some(view) = self.view_for(name) else {
            return Lookup::Unmanaged;
        };
        if view.cut_above(name).is_some() {
            return Lookup::Delegated;
        }
        let zone = view.zone;
        let records = view.index.records_at(name);
        if !records.is_empty() {
            return Lookup::Found(records);
        }
        if zone.name_exists(name) {
            return Lookup::EmptyNonTerminal;
        }
        if view.has_wildcards
            && let Some(records) = view.wildcard_for(name)
        {
            return Lookup::Found(records);
        }
        Lookup::NxDomain(zone)
    }

    /// Follows the CNAME chain that starts with `start` (a CNAME record), pushing every CNAME
    /// record followed onto `chain` (cleared first; `chain[0]` is `start`).
    pub(crate) fn follow_cnames(&self, start: &'a Record, chain: &mut Vec<&'a Record>) -> ChainEnd {
        chain.clear();
        chain.push(start);
        let mut current = start;
        loop {
            let Some(target) = current.data.target() else {
                return ChainEnd::Resolved;
            };
            let Some(next) = self.lookup(target).rrset(RecordType::Cname).first() else {
                return ChainEnd::Resolved;
            };
            if let Some(index) = chain.iter().position(|seen| seen.name == next.name) {
                return ChainEnd::Loop(index);
            }
            if chain.len() == MAX_CHAIN_FOLLOWED {
                return ChainEnd::Endless;
            }
            chain.push(next);
            current = next;
        }
    }
}

impl<'a> ZoneView<'a> {
    fn new(zone: &'a Zone) -> Self {
        let mut cuts: Vec<&Name> = Vec::new();
        let mut has_wildcards = false;
        let mut rrset_ends = Vec::with_capacity(zone.records.len());
        let mut end = 0u32;
        for node in zone.nodes() {
            let mut rrsets = node
                .chunk_by(|a, b| a.record_type() == b.record_type())
                .peekable();
            while let Some(rrset) = rrsets.next() {
                end += rrset.len() as u32;
                rrset_ends.push((end, rrsets.peek().is_none()));
            }
            let name = &node[0].name;
            has_wildcards |= name.is_wildcard();
            if *name == zone.origin {
                continue;
            }
            let below_cut = cuts.last().is_some_and(|cut| name.is_subdomain_of(cut));
            if !below_cut
                && node
                    .iter()
                    .any(|record| record.record_type() == RecordType::Ns)
            {
                cuts.push(name);
            }
        }
        rrset_ends.shrink_to_fit();
        let index = NameIndex::from_nodes(zone, node_ranges(&rrset_ends));
        Self {
            zone,
            index,
            cuts,
            has_wildcards,
            rrset_ends,
        }
    }

    /// The zone's RRsets in canonical order, like [`Zone::rrsets`].
    pub(crate) fn rrsets(&self) -> impl Iterator<Item = &'a [Record]> + '_ {
        let records = &self.zone.records;
        let mut start = 0usize;
        self.rrset_ends.iter().map(move |&(end, _)| {
            let rrset = &records[start..end as usize];
            start = end as usize;
            rrset
        })
    }

    /// The zone's owner names in canonical order, each with all its records, like
    /// [`Zone::nodes`].
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &'a [Record]> + '_ {
        let records = &self.zone.records;
        node_ranges(&self.rrset_ends)
            .map(move |(start, length)| &records[start as usize..(start + length) as usize])
    }

    /// The top-level delegation point at or above `name`, if any.
    pub(crate) fn cut_above(&self, name: &Name) -> Option<&'a Name> {
        if self.cuts.is_empty() {
            return None;
        }
        // Cuts are disjoint subtrees in canonical order, and an ancestor sorts before its
        // descendants: the only candidate is the last cut not after `name`.
        let index = self.cuts.partition_point(|cut| *cut <= name);
        let candidate = self.cuts.get(index.checked_sub(1)?)?;
        name.is_subdomain_of(candidate).then_some(*candidate)
    }

    /// The records of the wildcard that synthesises answers for the non-existent `name`, if any
    /// (RFC 4592 section 4.1: the source of synthesis is `*.` + the closest encloser).
    /// Allocates, so it is only called for names that do not exist in a zone with wildcards.
    fn wildcard_for(&self, name: &Name) -> Option<&'a [Record]> {
        let mut ancestor = name.parent()?;
        while !self.zone.name_exists(&ancestor) {
            if !ancestor.is_subdomain_of(&self.zone.origin) || ancestor == self.zone.origin {
                break;
            }
            ancestor = ancestor.parent()?;
        }
        let source = ancestor.prepend("*").ok()?;
        let records = self.index.records_at(&source);
        (!records.is_empty()).then_some(records)
    }
}

/// `(start, length)` of each owner's records, from the RRset ends of [`ZoneView`].
fn node_ranges(rrset_ends: &[(u32, bool)]) -> impl Iterator<Item = (u32, u32)> + '_ {
    let mut start = 0u32;
    rrset_ends
        .iter()
        .filter(|(_, last_of_owner)| *last_of_owner)
        .map(move |&(end, _)| {
            let node = (start, end - start);
            start = end;
            node
        })
}

/// The address a full reverse-mapping name stands for (`4.3.2.1.in-addr.arpa.` is 1.2.3.4; IPv6
/// needs all 32 nibbles), or `None` for any other name.
pub(crate) fn reverse_address(name: &Name) -> Option<IpAddr> {
    // On the key's bytes (root-down, NUL-separated): this runs for every PTR and every address
    // record of a million-record estate.
    let key = name.canonical_key().as_bytes();
    if let Some(rest) = key.strip_prefix(b"arpa\0in-addr\0") {
        let mut octets = [0u8; 4];
        let mut count = 0;
        for label in rest.split(|&byte| byte == 0) {
            if count == 4
                || label.is_empty()
                || label.len() > 3
                || (label.len() > 1 && label[0] == b'0')
                || !label.iter().all(u8::is_ascii_digit)
            {
                return None;
            }
            let value = label
                .iter()
                .fold(0u16, |value, digit| value * 10 + u16::from(digit - b'0'));
            octets[count] = u8::try_from(value).ok()?;
            count += 1;
        }
        return (count == 4).then(|| IpAddr::from(octets));
    }
    if let Some(rest) = key.strip_prefix(b"arpa\0ip6\0") {
        // 32 one-character labels: nibble, NUL, nibble, ... (63 bytes).
        if rest.len() != 63 {
            return None;
        }
        let mut value: u128 = 0;
        for (index, &byte) in rest.iter().enumerate() {
            if index % 2 == 1 {
                if byte != 0 {
                    return None;
                }
                continue;
            }
            let nibble = char::from(byte).to_digit(16)?;
            value = (value << 4) | u128::from(nibble);
        }
        return Some(IpAddr::V6(value.into()));
    }
    None
}

/// A reverse zone's address range: the prefix a reverse-mapping name covers
/// (`10.in-addr.arpa.` is 10.0.0.0/8, nibble names for IPv6), or `None` for a forward name.
pub(crate) fn reverse_prefix(name: &Name) -> Option<ipnet::IpNet> {
    let mut labels = name.labels().rev();
    match (labels.next(), labels.next()) {
        (Some("arpa"), Some("in-addr")) => {
            let mut octets = [0u8; 4];
            let mut count = 0usize;
            for label in labels {
                if count == 4 || label.len() > 3 || (label.len() > 1 && label.starts_with('0')) {
                    return None;
                }
                octets[count] = label.parse().ok()?;
                count += 1;
            }
            ipnet::Ipv4Net::new(octets.into(), (count * 8) as u8)
                .ok()
                .map(ipnet::IpNet::V4)
        }
        (Some("arpa"), Some("ip6")) => {
            let mut value: u128 = 0;
            let mut count = 0usize;
            for label in labels {
                if count == 32 || label.len() != 1 {
                    return None;
                }
                let nibble = u8::from_str_radix(label, 16).ok()?;
                value |= u128::from(nibble) << (124 - 4 * count);
                count += 1;
            }
            ipnet::Ipv6Net::new(value.into(), (count * 4) as u8)
                .ok()
                .map(ipnet::IpNet::V6)
        }
        _ => None,
    }
}

/// `name TYPE data` in master-file form, for messages.
pub(crate) fn describe(record: &Record) -> String {
    let mut text = record.name.to_string();
    text.push(' ');
    text.push_str(record.record_type().as_str());
    text.push(' ');
    crate::model::presentation::write_rdata(&record.data, &mut text);
    text
}

/// The target of an MX, SRV, NS or CNAME record with the word for it, for messages.
pub(crate) fn target_role(data: &RData) -> &'static str {
    match data {
        RData::Mx { .. } => "MX exchange",
        RData::Srv { .. } => "SRV target",
        RData::Ns(_) => "NS target",
        RData::Cname(_) => "CNAME target",
        RData::Ptr(_) => "PTR target",
        RData::Soa(_) | RData::A(_) | RData::Aaaa(_) | RData::Txt(_) | RData::Caa(_) => "target",
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::rules::{RULES, Stage};

    #[test]
    fn every_check_rule_is_run() {
        for (rule, _) in CHECKS {
            assert_eq!(rule.stage(), Stage::Check, "{rule}");
        }
        let declared: Vec<&Rule> = RULES
            .iter()
            .copied()
            .filter(|rule| rule.stage() == Stage::Check)
            .collect();
        let run: Vec<&Rule> = CHECKS.iter().map(|(rule, _)| *rule).collect();
        assert_eq!(
            declared, run,
            "every rule in `rules::check` has its check, in that order"
        );
    }

    #[test]
    fn overrides_change_severity_and_drop_off_rules() {
        let zones = zone_set(&[
            "shop.example.net. 300 CNAME web1.example.net.",
            "shop.example.net. 300 TXT owner=shop",
            "web1.example.net. 300 A 192.0.2.1",
        ]);
        let mut settings = settings();
        let findings = run(&zones, &settings);
        assert_eq!(codes(&findings), ["cname-and-other-data"]);
        assert_eq!(findings[0].severity, Severity::Error);

        settings.rules = vec![("cname-and-other-data".into(), Severity::Warning, span(9))];
        let findings = apply_severities(run(&zones, &settings), &settings);
        assert_eq!(findings[0].severity, Severity::Warning);

        settings.rules[0].1 = Severity::Off;
        assert!(run(&zones, &settings).is_empty(), "off rules are not run");
    }

    #[test]
    fn a_finding_shared_by_every_zone_is_reported_once() {
        // Two zones with the same apex NS line (as zonegate.yaml gives every zone), pointing
        // at a name that does not exist.
        let mut zones = zone_set_with(
            &["example.net.", "2.0.192.in-addr.arpa."],
            &[
                "example.net. 300 NS ns9.example.net.",
                "2.0.192.in-addr.arpa. 300 NS ns9.example.net.",
            ],
        );
        for zone in &mut zones.zones {
            for record in &mut zone.records {
                record.provenance.span = span(7);
            }
        }
        assert_eq!(codes(&run(&zones, &settings())), ["dangling-target"]);
    }

    #[test]
    fn lookups_see_delegations_wildcards_and_empty_non_terminals() {
        let zones = zone_set(&[
            "corp.example.net. 300 NS ns1.corp.example.net.",
            "ns1.corp.example.net. 300 A 192.0.2.53",
            "*.dyn.example.net. 300 A 192.0.2.9",
            "a.b.example.net. 300 A 192.0.2.7",
        ]);
        let context = Context::new(&zones, settings().limits);
        let kind = |text: &str| match context.lookup(&name(text)) {
            Lookup::Unmanaged => "unmanaged",
            Lookup::Delegated => "delegated",
            Lookup::Found(records) if records[0].name.is_wildcard() => "wildcard",
            Lookup::Found(_) => "found",
            Lookup::EmptyNonTerminal => "empty non-terminal",
            Lookup::NxDomain(_) => "nxdomain",
        };
        assert_eq!(kind("www.other.org."), "unmanaged");
        assert_eq!(kind("corp.example.net."), "delegated");
        assert_eq!(kind("ns1.corp.example.net."), "delegated");
        assert_eq!(kind("x.y.dyn.example.net."), "wildcard");
        assert_eq!(kind("b.example.net."), "empty non-terminal");
        assert_eq!(kind("a.b.example.net."), "found");
        assert_eq!(kind("c.example.net."), "nxdomain");
    }

    #[test]
    fn reverse_names_convert_to_addresses_and_prefixes() {
        assert_eq!(
            reverse_address(&name("4.3.2.1.in-addr.arpa.")),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(reverse_address(&name("3.2.1.in-addr.arpa.")), None);
        assert_eq!(reverse_address(&name("04.3.2.1.in-addr.arpa.")), None);
        let v6 = crate::model::reverse_name("2001:db8::1".parse().unwrap());
        assert_eq!(reverse_address(&v6), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(
            reverse_prefix(&name("10.in-addr.arpa.")),
            Some("10.0.0.0/8".parse().unwrap())
        );
        assert_eq!(
            reverse_prefix(&name("8.b.d.0.1.0.0.2.ip6.arpa.")),
            Some("2001:db8::/32".parse().unwrap())
        );
        assert_eq!(reverse_prefix(&name("example.net.")), None);
    }
}
