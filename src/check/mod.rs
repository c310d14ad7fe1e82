//! Stage 4 (pure): the validation rules over a [`ZoneSet`], and the registry of every rule id
//! zonegate can emit.
//!
//! [`RULES`] lists every code a [`Diagnostic`] can carry: the input codes of `inventory`, the
//! codes `model` emits while building, and the rules in this directory, one file per rule, named
//! after the problem (`cname_and_other_data.rs` is `cname-and-other-data`). Each entry carries
//! its documentation (What it does / Why it matters / Example / How to fix), written once as the
//! doc comment of the rule's `RULE` constant and also available at run time through
//! [`Rule::explain`] and the SARIF report.
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

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::inventory::{Limits, Settings};
use crate::model::name::Name;
use crate::model::record::{RData, Record, RecordType};
use crate::model::zone::{NameIndex, Zone, ZoneSet};

/// Declares a rule constant whose doc comment is also its run-time explanation.
///
/// The doc comment lines become both rustdoc and [`Rule::explanation`], so `zonegate explain`,
/// the SARIF `help` text and the API docs cannot drift apart.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis const $name:ident: Rule = {
            id: $id:literal,
            severity: $severity:ident,
            stage: $stage:ident,
            summary: $summary:literal $(,)?
        };
    ) => {
        $(#[doc = $doc])*
        $vis const $name: $crate::check::Rule = $crate::check::Rule {
            id: $id,
            default_severity: $crate::diagnostic::Severity::$severity,
            stage: $crate::check::Stage::$stage,
            summary: $summary,
            explanation: concat!($($doc, "\n"),*),
        };
    };
}

pub mod build_rules;
pub mod deploy_rules;
pub mod input_rules;
pub mod render_rules;

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

/// A rule: a stable id, its default severity and its documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id, named after the problem (`cname-and-other-data`).
    pub id: &'static str,
    /// Severity unless `check.rules` in `zonegate.yaml` says otherwise.
    pub default_severity: Severity,
    /// Which stage reports it.
    pub stage: Stage,
    /// One line: what is wrong when the rule fires (lower-case, no trailing period).
    pub summary: &'static str,
    /// Markdown in fixed sections (What it does / Why it matters / Example / How to fix), every
    /// line indented by one space as the doc comment wrote it; [`Rule::explain`] removes it.
    pub explanation: &'static str,
}

impl Rule {
    /// The explanation as Markdown, ready to print (`zonegate explain RULE`).
    pub fn explain(&self) -> String {
        let mut text = String::with_capacity(self.explanation.len());
        for line in self.explanation.lines() {
            text.push_str(line.strip_prefix(' ').unwrap_or(line));
            text.push('\n');
        }
        text
    }

    /// True when `check.rules` may change the severity: malformed input always stops the run, a
    /// rendered zone that does not hold its records is never written, and deploy findings have
    /// their own policy (`deploy.stale_serial`).
    pub const fn is_configurable(&self) -> bool {
        !matches!(self.stage, Stage::Input | Stage::Render | Stage::Deploy)
    }
}

/// Where a rule is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// `inventory`: the input cannot be read at all (exit 2, severity fixed).
    Input,
    /// `model`: found while generating records.
    Build,
    /// `check`: a rule in this module, run over the built zones.
    Check,
    /// `render`: found reading a rendered zone back (render, check, deploy, the bot).
    Render,
    /// `deploy::plan`: found while planning a deploy against the served zones.
    Deploy,
}

/// Every rule id zonegate can emit, input codes first, then build codes, then the check rules in
/// alphabetical order, then the render and deploy codes.
pub static RULES: &[Rule] = &[
    input_rules::YAML_SYNTAX,
    input_rules::UNKNOWN_KEY,
    input_rules::INVALID_VALUE,
    input_rules::MISSING_KEY,
    input_rules::CMDB_SYNTAX,
    input_rules::CMDB_MISSING_COLUMN,
    input_rules::CMDB_INVALID_VALUE,
    input_rules::UNREADABLE_FILE,
    build_rules::INVALID_NAME,
    build_rules::RELATIVE_TARGET,
    build_rules::RECORD_OUTSIDE_ZONES,
    build_rules::NO_REVERSE_ZONE,
    build_rules::DUPLICATE_HOST,
    build_rules::DUPLICATE_ADDRESS,
    build_rules::UNKNOWN_DATACENTER,
    build_rules::UNKNOWN_ROLE,
    build_rules::SERVICE_MISSING_IN_DATACENTER,
    build_rules::UNKNOWN_STATUS,
    answer_too_large_for_udp::RULE,
    cname_and_other_data::RULE,
    cname_at_apex::RULE,
    cname_chain_too_long::RULE,
    cname_loop::RULE,
    dangling_target::RULE,
    data_below_delegation::RULE,
    duplicate_record::RULE,
    host_collides_with_record::RULE,
    invalid_hostname::RULE,
    missing_glue::RULE,
    missing_reverse::RULE,
    multiple_cnames::RULE,
    ptr_without_forward::RULE,
    rrset_too_large::RULE,
    target_is_alias::RULE,
    ttl_mismatch::RULE,
    render_rules::RENDERED_ZONE_MISMATCH,
    deploy_rules::SERIAL_NOT_GREATER,
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

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
        &answer_too_large_for_udp::RULE,
        Check::Zone(answer_too_large_for_udp::check),
    ),
    (
        &cname_and_other_data::RULE,
        Check::Zone(cname_and_other_data::check),
    ),
    (&cname_at_apex::RULE, Check::Zone(cname_at_apex::check)),
    (
        &cname_chain_too_long::RULE,
        Check::Zone(cname_chain_too_long::check),
    ),
    (&cname_loop::RULE, Check::Zone(cname_loop::check)),
    (&dangling_target::RULE, Check::Zone(dangling_target::check)),
    (
        &data_below_delegation::RULE,
        Check::Zone(data_below_delegation::check),
    ),
    (&duplicate_record::RULE, Check::Set(duplicate_record::check)),
    (
        &host_collides_with_record::RULE,
        Check::Set(host_collides_with_record::check),
    ),
    (
        &invalid_hostname::RULE,
        Check::Zone(invalid_hostname::check),
    ),
    (&missing_glue::RULE, Check::Zone(missing_glue::check)),
    (&missing_reverse::RULE, Check::Set(missing_reverse::check)),
    (&multiple_cnames::RULE, Check::Zone(multiple_cnames::check)),
    (
        &ptr_without_forward::RULE,
        Check::Zone(ptr_without_forward::check),
    ),
    (&rrset_too_large::RULE, Check::Zone(rrset_too_large::check)),
    (&target_is_alias::RULE, Check::Zone(target_is_alias::check)),
    (&ttl_mismatch::RULE, Check::Zone(ttl_mismatch::check)),
];

/// Runs every enabled check rule over `zones`, with the default severities (see
/// [`apply_severities`]). Rules turned `off` in `check.rules` are not run at all.
pub fn run(zones: &ZoneSet, settings: &Settings) -> Vec<Diagnostic> {
    let context = Context::new(zones, settings.limits);
    let enabled = CHECKS
        .iter()
        .filter(|(rule, _)| configured_severity(settings, rule.id) != Some(Severity::Off));
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
/// read ([`validate_overrides`]).
pub fn apply_severities(diagnostics: Vec<Diagnostic>, settings: &Settings) -> Vec<Diagnostic> {
    if settings.rules.is_empty() {
        return diagnostics;
    }
    diagnostics
        .into_iter()
        .filter_map(
            |mut diagnostic| match configured_severity(settings, diagnostic.code) {
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

/// Checks the rule ids of `check.rules`: every id must name a rule, and input rules cannot be
/// reconfigured. Each problem is an input error located at the override.
pub fn validate_overrides(overrides: &[(String, Severity, Span)]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (id, _, span) in overrides {
        match rule(id) {
            None => {
                let hint = crate::model::suggest(id, RULES.iter().map(|rule| rule.id)).map_or_else(
                    || "`zonegate check --format sarif` lists every rule id".to_owned(),
                    |close| format!("did you mean `{close}`?"),
                );
                diagnostics.push(
                    Diagnostic::error(
                        input_rules::UNKNOWN_KEY.id,
                        Some(*span),
                        format!("unknown rule `{id}` in `check.rules`"),
                    )
                    .with_hint(hint),
                );
            }
            Some(rule) if !rule.is_configurable() => {
                let why = match rule.stage {
                    Stage::Render => {
                        "guards what is served: a zone whose text does not hold its records is never written"
                    }
                    Stage::Deploy => "has its own policy (`deploy.stale_serial`)",
                    Stage::Input | Stage::Build | Stage::Check => {
                        "reports malformed input, which always stops the run"
                    }
                };
                diagnostics.push(
                    Diagnostic::error(
                        input_rules::INVALID_VALUE.id,
                        Some(*span),
                        format!("`{id}` {why}; its severity cannot be changed"),
                    )
                    .with_hint("remove it from `check.rules`"),
                );
            }
            Some(_) => {}
        }
    }
    diagnostics
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
    crate::render::write_rdata(&record.data, &mut text);
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
    use std::collections::HashSet;

    #[test]
    fn every_rule_id_is_unique_kebab_case_and_documented_in_fixed_sections() {
        let mut seen = HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "{} listed twice", rule.id);
            assert!(
                rule.id
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte == b'-'),
                "{} is not kebab-case",
                rule.id
            );
            // Lower-case, no trailing period; a leading acronym (CNAME, SRV) keeps its case.
            let first_word = rule.summary.split(' ').next().unwrap_or_default();
            assert!(
                !rule.summary.ends_with('.')
                    && (first_word.starts_with(char::is_lowercase)
                        || first_word.chars().all(|c| c.is_ascii_uppercase())),
                "{}: summary style",
                rule.id
            );
            let text = rule.explain();
            let mut position = 0;
            for section in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## How to fix",
            ] {
                let found = text[position..]
                    .find(section)
                    .unwrap_or_else(|| panic!("{}: `{section}` missing or out of order", rule.id));
                position += found + section.len();
            }
        }
    }

    #[test]
    fn every_check_rule_is_registered_and_every_emitted_code_is_listed() {
        use crate::inventory::{cmdb, files, yaml};
        use crate::model::codes;
        for (rule, _) in CHECKS {
            assert_eq!(rule.stage, Stage::Check, "{}", rule.id);
            assert!(RULES.contains(rule), "{} is not in RULES", rule.id);
        }
        let check_rules = RULES
            .iter()
            .filter(|rule| rule.stage == Stage::Check)
            .count();
        assert_eq!(check_rules, CHECKS.len());
        for code in [
            yaml::YAML_SYNTAX,
            yaml::UNKNOWN_KEY,
            yaml::INVALID_VALUE,
            yaml::MISSING_KEY,
            cmdb::CMDB_SYNTAX,
            cmdb::CMDB_MISSING_COLUMN,
            cmdb::CMDB_INVALID_VALUE,
            files::UNREADABLE_FILE,
            codes::INVALID_NAME,
            codes::RELATIVE_TARGET,
            codes::RECORD_OUTSIDE_ZONES,
            codes::NO_REVERSE_ZONE,
            codes::DUPLICATE_HOST,
            codes::DUPLICATE_ADDRESS,
            codes::UNKNOWN_DATACENTER,
            codes::UNKNOWN_ROLE,
            codes::SERVICE_MISSING_IN_DATACENTER,
            codes::UNKNOWN_STATUS,
            codes::INVALID_HOSTNAME,
            crate::deploy::SERIAL_NOT_GREATER,
            render_rules::RENDERED_ZONE_MISMATCH.id,
        ] {
            assert!(rule(code).is_some(), "{code} is emitted but not in RULES");
        }
    }

    #[test]
    fn explanations_lose_the_doc_comment_indent() {
        let text = cname_and_other_data::RULE.explain();
        assert!(text.starts_with("## What it does\n"), "{text}");
    }

    #[test]
    fn overrides_change_severity_drop_off_rules_and_reject_unknown_ids() {
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

        let problems = validate_overrides(&[
            ("cname-and-other-date".into(), Severity::Off, span(3)),
            ("yaml-syntax".into(), Severity::Warning, span(4)),
            ("ttl-mismatch".into(), Severity::Warning, span(5)),
        ]);
        let text: Vec<String> = problems
            .iter()
            .map(|d| format!("{} {} {:?}", d.code, d.message, d.hints))
            .collect();
        insta::assert_debug_snapshot!(text, @r#"
        [
            "unknown-key unknown rule `cname-and-other-date` in `check.rules` [\"did you mean `cname-and-other-data`?\"]",
            "invalid-value `yaml-syntax` reports malformed input, which always stops the run; its severity cannot be changed [\"remove it from `check.rules`\"]",
        ]
        "#);
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
