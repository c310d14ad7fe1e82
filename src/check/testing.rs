//! Test helpers for the rules: tiny zones written as master-file-like lines, and findings
//! printed the way users see them.

use std::path::PathBuf;

use super::{Context, ZoneView};
use crate::diagnostic::{Diagnostic, FileId, Severity, SourceMap, Span};
use crate::inventory::{
    CmdbFormat, CmdbSource, GenerateSettings, Limits, SerialPolicy, Settings, SoaSettings,
    TtlSettings, ZoneSettings,
};
use crate::model::name::Name;
use crate::model::record::{Origin, Provenance, RData, Record};
use crate::model::zone::{Zone, ZoneSet};

/// The zones every test zone set has unless it names its own.
pub(crate) const ORIGINS: &[&str] = &["example.net."];

/// An absolute name.
pub(crate) fn name(text: &str) -> Name {
    Name::parse_absolute(text).unwrap()
}

/// A span on `line` of the test file.
pub(crate) fn span(line: u32) -> Span {
    Span::new(FileId(0), line, 1)
}

/// One record from `owner ttl TYPE data...`; the record's span is `line:1`.
pub(crate) fn record(text: &str, line: u32) -> Record {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let (owner, ttl, kind, data) = (fields[0], fields[1], fields[2], &fields[3..]);
    let data = match kind {
        "A" => RData::A(data[0].parse().unwrap()),
        "AAAA" => RData::Aaaa(data[0].parse().unwrap()),
        "CNAME" => RData::Cname(name(data[0])),
        "NS" => RData::Ns(name(data[0])),
        "PTR" => RData::Ptr(name(data[0])),
        "MX" => RData::Mx {
            preference: data[0].parse().unwrap(),
            exchange: name(data[1]),
        },
        "SRV" => RData::Srv {
            priority: data[0].parse().unwrap(),
            weight: data[1].parse().unwrap(),
            port: data[2].parse().unwrap(),
            target: name(data[3]),
        },
        "TXT" => RData::txt(&data.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()),
        other => panic!("test records do not support {other}"),
    };
    Record {
        name: name(owner),
        ttl: ttl.parse().unwrap(),
        data,
        provenance: Provenance {
            span: span(line),
            origin: Origin::HandEdited,
        },
    }
}

/// A zone set over [`ORIGINS`] with these records (line N of the list is line N of the file).
pub(crate) fn zone_set(lines: &[&str]) -> ZoneSet {
    zone_set_with(ORIGINS, lines)
}

/// A zone set over `origins`; every record goes to the most specific one.
pub(crate) fn zone_set_with(origins: &[&str], lines: &[&str]) -> ZoneSet {
    let origins: Vec<Name> = origins.iter().map(|origin| name(origin)).collect();
    let mut records: Vec<Vec<Record>> = vec![Vec::new(); origins.len()];
    for (index, line) in lines.iter().enumerate() {
        let record = record(line, index as u32 + 1);
        let zone = origins
            .iter()
            .enumerate()
            .filter(|(_, origin)| record.name.is_subdomain_of(origin))
            .max_by_key(|(_, origin)| origin.label_count())
            .map_or_else(|| panic!("{line} is in no test zone"), |(index, _)| index);
        records[zone].push(record);
    }
    let mut set = ZoneSet::default();
    for (origin, records) in origins.into_iter().zip(records) {
        let (zone, duplicates) = Zone::from_records(origin, records);
        set.zones.push(zone);
        set.duplicates.extend(duplicates);
    }
    set.zones.sort_by(|a, b| a.origin.cmp(&b.origin));
    set
}

/// Settings with the documented defaults and the test zones.
pub(crate) fn settings() -> Settings {
    let file = FileId(0);
    Settings {
        file,
        domain: name("example.net."),
        datacenters: Vec::new(),
        zones: ORIGINS
            .iter()
            .map(|origin| ZoneSettings {
                origin: name(origin),
                span: span(1),
            })
            .collect(),
        soa: SoaSettings {
            primary: name("ns1.example.net."),
            contact: name("hostmaster.example.net."),
            refresh: 3600,
            retry: 600,
            expire: 1_209_600,
            minimum: 300,
            ttl: 3600,
            span: span(1),
        },
        nameservers: Vec::new(),
        ttl: TtlSettings {
            default: 3600,
            host: 3600,
            ptr: 3600,
            srv: 300,
            ns: 86_400,
        },
        serial: SerialPolicy::Counter,
        generate: GenerateSettings {
            address_statuses: vec!["in_use".into()],
            srv_statuses: vec!["in_use".into()],
            unpublished_statuses: vec!["decommissioned".into()],
        },
        cmdb: CmdbSource {
            path: PathBuf::from("zones/cmdb/servers.csv"),
            format: CmdbFormat::Csv,
        },
        output: PathBuf::from("out"),
        rules: Vec::new(),
        limits: Limits {
            max_cname_chain: 8,
            max_rrset_records: 100,
            udp_payload: 1232,
        },
        policy: crate::inventory::policy::Policy::defaults(crate::diagnostic::Span::new(
            crate::diagnostic::FileId(0),
            1,
            1,
        )),
        deploy: crate::inventory::deploy::DeploySettings::default(),
    }
}

/// The codes of `findings`, in order.
pub(crate) fn codes(findings: &[Diagnostic]) -> Vec<&'static str> {
    findings.iter().map(|finding| finding.code).collect()
}

/// Runs one zone rule over every zone of `zones` with `limits`, and prints the findings as
/// `test.yaml:LINE:1: severity[code]: message` with notes and hints.
pub(crate) fn check_zones_with(
    rule: fn(&Context<'_>, &ZoneView<'_>, &mut Vec<Diagnostic>),
    zones: &ZoneSet,
    limits: Limits,
) -> String {
    let context = Context::new(zones, limits);
    let mut findings = Vec::new();
    for view in &context.views {
        rule(&context, view, &mut findings);
    }
    print(findings)
}

/// [`check_zones_with`] with the default limits.
pub(crate) fn check_zones(
    rule: fn(&Context<'_>, &ZoneView<'_>, &mut Vec<Diagnostic>),
    zones: &ZoneSet,
) -> String {
    check_zones_with(rule, zones, settings().limits)
}

/// Runs one zone-set rule and prints its findings like [`check_zones`].
pub(crate) fn check_set(rule: fn(&Context<'_>, &mut Vec<Diagnostic>), zones: &ZoneSet) -> String {
    let context = Context::new(zones, settings().limits);
    let mut findings = Vec::new();
    rule(&context, &mut findings);
    print(findings)
}

fn print(mut findings: Vec<Diagnostic>) -> String {
    crate::diagnostic::sort(&mut findings);
    let mut sources = SourceMap::default();
    sources.add("test.yaml");
    let mut text = String::new();
    for finding in &findings {
        assert_ne!(finding.severity, Severity::Off);
        text.push_str(&finding.display(&sources).to_string());
        text.push('\n');
    }
    text
}
