//! zonextgen rules at the pipeline level: fixture repositories loaded and built exactly as the
//! binary does, with assertions on the records each zone ends up with.

use std::path::Path;

use zonegate::dns::record_type::RecordType;
use zonegate::inventory::files::Directory;
use zonegate::model::record::RData;
use zonegate::model::zone::ZoneSet;

fn build(fixture: &str) -> ZoneSet {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let inventory = zonegate::inventory::load(&Directory::new(root)).expect("the fixture loads");
    let (zones, diagnostics) = zonegate::model::build(&inventory);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    zones
}

fn owners(zones: &ZoneSet, origin: &str, record_type: RecordType) -> Vec<String> {
    let zone = zones
        .zones
        .iter()
        .find(|zone| zone.origin.to_string() == origin)
        .expect("the zone exists");
    zone.records
        .iter()
        .filter(|record| record.record_type() == record_type)
        .map(|record| {
            format!(
                "{} {}",
                record.name,
                record
                    .data
                    .target()
                    .map_or(String::new(), ToString::to_string)
            )
        })
        .collect()
}

#[test]
fn a_zone_inside_another_is_delegated_from_it() {
    let zones = build("nested-zone");
    assert_eq!(
        owners(&zones, "example.com.", RecordType::Ns),
        [
            "example.com. ns1.example.org.",
            "example.com. ns2.example.org.",
            "lon.example.com. ns1.example.org.",
            "lon.example.com. ns2.example.org.",
        ]
    );
    assert_eq!(
        owners(&zones, "lon.example.com.", RecordType::A),
        ["web2.lon.example.com. "],
        "the child zone holds the records below the cut"
    );
    assert_eq!(
        owners(&zones, "example.com.", RecordType::Srv),
        ["_web._tcp.ams.example.com. web1.ams.example.com."]
    );
    assert_eq!(
        owners(&zones, "lon.example.com.", RecordType::Srv),
        ["_web._tcp.lon.example.com. web2.lon.example.com."]
    );
    assert_eq!(owners(&zones, "lon.example.com.", RecordType::Soa).len(), 1);
}

/// Duplicate hosts and addresses are decided as a scan in CMDB order would (the builder finds
/// them by parallel sorting): the first row of a name keeps it, a dropped row's addresses are
/// not taken, and a host left with no address of its own is no SRV target.
#[test]
fn duplicates_are_decided_in_cmdb_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/duplicates");
    let inventory = zonegate::inventory::load(&Directory::new(root)).expect("the fixture loads");
    let (zones, diagnostics) = zonegate::model::build(&inventory);

    let mut found: Vec<(&str, u32, Option<u32>)> = diagnostics
        .iter()
        .map(|diagnostic| {
            let related = diagnostic.related.first().map(|(span, _)| span.line);
            (
                diagnostic.rule.id(),
                diagnostic.span.expect("located").line,
                related,
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("duplicate-address", 5, Some(2)),
            ("duplicate-address", 7, Some(6)),
            ("duplicate-host", 3, Some(2)),
        ]
    );

    let records: Vec<String> = zones
        .zones
        .iter()
        .flat_map(|zone| &zone.records)
        .filter_map(|record| match &record.data {
            RData::A(address) => Some(format!("{} {address}", record.name)),
            RData::Aaaa(address) => Some(format!("{} {address}", record.name)),
            RData::Srv { target, .. } => Some(format!("SRV {target}")),
            _ => None,
        })
        .collect();
    let has = |text: &str| records.iter().any(|record| record == text);
    assert!(has("web1.ams.example.com. 10.1.0.1"), "{records:#?}");
    assert!(has("web2.ams.example.com. 10.1.0.50"), "{records:#?}");
    assert!(has("web4.nyc.example.com. 2001:db8:2::4"), "{records:#?}");
    assert!(has("web5.nyc.example.com. 10.2.0.5"), "{records:#?}");
    assert!(!has("web5.nyc.example.com. 2001:db8:2::4"), "{records:#?}");
    // web3 lost its only address: no records, no SRV target. web5 kept one, so it is a target.
    assert!(!records.iter().any(|r| r.contains("web3.")), "{records:#?}");
    assert!(has("SRV web5.nyc.example.com."), "{records:#?}");
    assert!(has("SRV web1.ams.example.com."), "{records:#?}");
}
