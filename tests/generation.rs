//! zonextgen rules at the pipeline level: fixture repositories loaded and built exactly as the
//! binary does, with assertions on the records each zone ends up with.

use std::path::Path;

use zonegate::inventory::files::Directory;
use zonegate::model::record::RecordType;
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
