//! Round trip: for generated inventories, every rendered zone parses back with hickory-proto's
//! independent zone-file parser, and reads back with zonegate's own reader (`zonefile`, which
//! `render` holds every zone to), into exactly the records of the model: nothing lost, nothing
//! added, no byte of TXT or CAA data changed.

// The round-trip comparison (both sides reduced to what a zone file carries) is the fuzz
// harness's, shared so the two cannot drift apart.
#[path = "../fuzz/harness.rs"]
mod harness;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use proptest::prelude::*;
use zonegate::diagnostic::{FileId, SourceMap, Span};
use zonegate::inventory::{
    CmdbFormat, CmdbSource, Datacenter, EntryData, GenerateSettings, Host, Inventory, Limits,
    RecordEntry, SerialPolicy, Service, Settings, SoaSettings, TtlSettings, WrittenName,
    ZoneSettings,
};
use zonegate::model::name::Name;
use zonegate::render::{self, DEFAULT_TEMPLATE, RenderOptions, TemplateLimits};

const DATACENTERS: [&str; 3] = ["ams", "nyc", "sgp"];
const SERVICES: [&str; 3] = ["web", "api", "db"];

fn name(text: &str) -> Name {
    Name::parse_absolute(text).unwrap()
}

fn span() -> Span {
    Span::new(FileId(0), 1, 1)
}

fn settings() -> Settings {
    Settings {
        file: FileId(0),
        domain: name("example.com."),
        datacenters: DATACENTERS
            .iter()
            .map(|dc| Datacenter {
                name: (*dc).to_owned(),
                span: span(),
            })
            .collect(),
        zones: [
            "example.com.",
            "10.in-addr.arpa.",
            "8.b.d.0.1.0.0.2.ip6.arpa.",
        ]
        .iter()
        .map(|origin| ZoneSettings {
            origin: name(origin),
            span: span(),
        })
        .collect(),
        soa: SoaSettings {
            primary: name("ns1.example.com."),
            contact: name("hostmaster.example.com."),
            refresh: 3600,
            retry: 600,
            expire: 1_209_600,
            minimum: 300,
            ttl: 3600,
            span: span(),
        },
        nameservers: vec![
            (name("ns1.example.com."), span()),
            (name("ns2.example.com."), span()),
        ],
        ttl: TtlSettings {
            default: 3600,
            host: 3600,
            ptr: 3600,
            srv: 300,
            ns: 86400,
        },
        serial: SerialPolicy::Counter,
        generate: GenerateSettings {
            address_statuses: vec!["in_use".into(), "provisioning".into()],
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
        policy: zonegate::inventory::policy::Policy::defaults(span()),
        deploy: zonegate::inventory::deploy::DeploySettings::default(),
    }
}

fn host() -> impl Strategy<Value = Host> {
    (
        // Not `xn--…`: hickory-proto's parser decodes such a label as punycode and refuses one
        // that is not (`xn--u57p`, found by this test), while zonegate takes it as the LDH
        // label it also is. Whether zonegate should refuse invalid A-labels is open
        // (RELIABILITY.md); this test is about the emitter.
        "[a-z][a-z0-9-]{0,8}[a-z0-9]"
            .prop_filter("not an xn-- label", |name| !name.starts_with("xn--")),
        0..DATACENTERS.len(),
        any::<[u8; 3]>(),
        any::<u64>(),
        prop::sample::select(vec!["in_use", "provisioning", "decommissioned"]),
        prop::collection::vec(prop::sample::select(SERVICES.to_vec()), 0..3),
    )
        .prop_map(|(hostname, dc, v4, v6, status, roles)| Host {
            hostname,
            datacenter: DATACENTERS[dc].to_owned(),
            addresses: vec![
                IpAddr::V4(Ipv4Addr::new(10, v4[0], v4[1], v4[2])),
                IpAddr::V6(Ipv6Addr::from((0x2001_0db8_u128 << 96) | u128::from(v6))),
            ],
            status: status.to_owned(),
            roles: roles.into_iter().map(str::to_owned).collect(),
            span: span(),
        })
}

fn written(text: &str) -> WrittenName {
    WrittenName {
        text: text.to_owned(),
        span: span(),
    }
}

fn entry() -> impl Strategy<Value = RecordEntry> {
    let owner = prop::sample::select(vec![
        "@",
        "www",
        "shop",
        "_dmarc",
        "*.cdn",
        "deep.sub.x",
        "mail",
    ]);
    let target = prop::sample::select(vec![
        "edge.example.com.",
        "other.example.org.",
        "example.com.",
        "bücher.example.",
    ]);
    // Quotes, backslashes and strings longer than 255 octets. Octets outside printable ASCII
    // are written as RFC 1035 `\DDD` escapes, which hickory-proto 0.26 decodes wrongly (it reads
    // the digits as `d1 << 16 | d2 << 8 | d3` and yields a UTF-8 char, not an octet), so those
    // are proven against BIND instead, in `tests/zone_servers.rs`.
    let text = prop::collection::vec("[ -~]{0,300}", 1..4);
    let data = prop_oneof![
        any::<u32>().prop_map(|bits| EntryData::A(Ipv4Addr::from(bits))),
        any::<u128>().prop_map(|bits| EntryData::Aaaa(Ipv6Addr::from(bits))),
        target.clone().prop_map(|t| EntryData::Cname(written(t))),
        (any::<u16>(), target.clone()).prop_map(|(preference, t)| EntryData::Mx {
            preference,
            exchange: written(t)
        }),
        (any::<u16>(), any::<u16>(), any::<u16>(), target.clone()).prop_map(
            |(priority, weight, port, t)| EntryData::Srv {
                priority,
                weight,
                port,
                target: written(t)
            }
        ),
        text.prop_map(EntryData::Txt),
        (
            any::<u8>(),
            prop::sample::select(vec!["issue", "issuewild", "iodef"]),
            "[ -~]{0,30}"
        )
            .prop_map(|(flags, tag, value)| EntryData::Caa {
                flags,
                tag: tag.to_owned(),
                value
            }),
    ];
    (owner, 1..100_000u32, data).prop_map(|(owner, ttl, data)| RecordEntry {
        name: owner.to_owned(),
        name_span: span(),
        ttl: Some(ttl),
        data,
        span: span(),
    })
}

fn services() -> Vec<Service> {
    SERVICES
        .iter()
        .enumerate()
        .map(|(index, service)| Service {
            name: (*service).to_owned(),
            role: (*service).to_owned(),
            protocol: if index == 2 {
                "udp".into()
            } else {
                "tcp".into()
            },
            port: 8000 + index as u16,
            priority: 10,
            weight: 5 * index as u16,
            ttl: None,
            global: index == 0,
            required_in: Vec::new(),
            owner: None,
            span: span(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rendered_zones_parse_back_into_the_model(
        hosts in prop::collection::vec(host(), 0..40),
        mut records in prop::collection::vec(entry(), 0..25),
    ) {
        // A CNAME RRset holds one record (RFC 2181 10.1; `check` rejects more as
        // multiple-cnames), and a parser keeps one of several: keep the first per owner.
        let mut cname_owners = BTreeSet::new();
        records.retain(|entry| !matches!(entry.data, EntryData::Cname(_)) || cname_owners.insert(entry.name.clone()));
        let inventory = Inventory {
            sources: SourceMap::default(),
            settings: settings(),
            hosts,
            services: services(),
            records,
            template: None,
        };
        let (zones, _) = zonegate::model::build(&inventory);
        let options = RenderOptions { default_ttl: 3600, template: DEFAULT_TEMPLATE, template_name: "built-in", limits: TemplateLimits::DEFAULT, abandon: None };
        for zone in &zones.zones {
            let text = render::to_string(zone, 42, &options).unwrap();
            harness::assert_parses_back(zone, &text);
            harness::assert_reads_back(zone, 42, &text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The reader against the writer, on arbitrary model records

/// A name at or below `example.com.` (or outside it), with the labels the model holds: letters,
/// digits, `-`, `_`, and a leading `*`.
fn any_name() -> impl Strategy<Value = Name> {
    (
        prop::collection::vec("[a-z0-9_-]{1,12}", 0..4),
        any::<bool>(),
        prop_oneof![Just("example.com."), Just("other.org."), Just(".")],
    )
        .prop_map(|(labels, wildcard, suffix)| {
            let mut text = String::new();
            if wildcard {
                text.push_str("*.");
            }
            for label in &labels {
                text.push_str(label);
                text.push('.');
            }
            text.push_str(if suffix == "." && !text.is_empty() {
                ""
            } else {
                suffix
            });
            Name::parse_absolute(&text).unwrap_or_else(|_| name("example.com."))
        })
}

fn any_data() -> impl Strategy<Value = zonegate::model::record::RData> {
    use zonegate::model::record::{Caa, RData};
    prop_oneof![
        any::<u32>().prop_map(|bits| RData::A(Ipv4Addr::from(bits))),
        any::<u128>().prop_map(|bits| RData::Aaaa(Ipv6Addr::from(bits))),
        any_name().prop_map(RData::Ns),
        any_name().prop_map(RData::Cname),
        any_name().prop_map(RData::Ptr),
        (any::<u16>(), any_name()).prop_map(|(preference, exchange)| RData::Mx {
            preference,
            exchange
        }),
        (any::<u16>(), any::<u16>(), any::<u16>(), any_name()).prop_map(
            |(priority, weight, port, target)| RData::Srv {
                priority,
                weight,
                port,
                target
            }
        ),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..4).prop_map(
            |strings| RData::Txt(strings.into_iter().map(Vec::into_boxed_slice).collect())
        ),
        (any::<u8>(), "[a-zA-Z0-9]{1,15}", any::<String>()).prop_map(|(flags, tag, value)| {
            RData::Caa(Box::new(Caa {
                flags,
                tag: tag.into(),
                value: value.into(),
            }))
        }),
    ]
}

fn any_record() -> impl Strategy<Value = zonegate::model::record::Record> {
    (any_name(), 0..=zonegate::zonefile::MAX_TTL, any_data()).prop_map(|(name, ttl, data)| {
        zonegate::model::record::Record {
            name,
            ttl,
            data,
            provenance: zonegate::model::record::Provenance {
                span: span(),
                origin: zonegate::model::record::Origin::HandEdited,
            },
        }
    })
}

/// A template that lays the records out one by one, the SOA included.
const RECORD_BY_RECORD: &str = "$ORIGIN {{ origin }}\n{% for r in records %}{{ r.owner }} {{ r.ttl }} IN {{ r.type }} {{ r.data }}\n{% endfor %}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// What the renderer writes, the reader reads back as the same records (render itself reads
    /// every zone back, so a disagreement fails the render; the comparison here says where).
    #[test]
    fn the_reader_reads_what_the_renderer_writes(
        records in prop::collection::vec(any_record(), 0..40),
        soa_timers in prop::array::uniform4(any::<u32>()),
        serial in any::<u32>(),
    ) {
        use zonegate::model::record::{RData, Soa};
        let origin = name("example.com.");
        let mut records = records;
        records.push(zonegate::model::record::Record {
            name: origin.clone(),
            ttl: 3600,
            data: RData::Soa(Box::new(Soa {
                primary: name("ns1.example.com."),
                contact: name("hostmaster.example.com."),
                refresh: soa_timers[0],
                retry: soa_timers[1],
                expire: soa_timers[2],
                minimum: soa_timers[3],
            })),
            provenance: zonegate::model::record::Provenance {
                span: span(),
                origin: zonegate::model::record::Origin::Settings,
            },
        });
        // The model holds one SOA, at the apex.
        let mut soa_seen = false;
        records.retain(|record| {
            record.record_type() != zonegate::model::record::RecordType::Soa
                || (record.name == origin && !std::mem::replace(&mut soa_seen, true))
        });
        let (zone, _) = zonegate::model::zone::Zone::from_records(origin, records);
        for template in [DEFAULT_TEMPLATE, RECORD_BY_RECORD] {
            let options = RenderOptions {
                default_ttl: 3600,
                template,
                template_name: "zone.j2",
                limits: TemplateLimits::DEFAULT,
                abandon: None,
            };
            let text = render::to_string(&zone, serial, &options)
                .unwrap_or_else(|error| panic!("{error}: {:?}", std::error::Error::source(&error).map(ToString::to_string)));
            harness::assert_reads_back(&zone, serial, &text);
        }
    }
}
