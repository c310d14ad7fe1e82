//! `zones/records/*.yaml`: hand-edited records, each checked against what its type requires and
//! resolved into [`RecordEntry`]s.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::dns::record_type::RecordType;
use crate::inventory::yaml::{self, OneOrMany, Ttl, span_of};
use crate::inventory::{EntryData, RecordEntry, WrittenName};
use crate::rules::input::{INVALID_VALUE, MISSING_KEY};

/// Hand-edited records (`zones/records/*.yaml`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RecordsFile")]
pub(super) struct RawRecordsFile {
    /// The team that owns these records.
    #[serde(default)]
    owner: Option<String>,
    /// The records.
    #[schemars(with = "Vec<RawRecord>")]
    records: Vec<Spanned<RawRecord>>,
}

/// One record. `name` is relative to the domain (`www`, `@` for the apex) or absolute
/// (`www.example.net.`); which other keys apply depends on `type`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = record_type_fields)]
#[schemars(rename = "Record")]
struct RawRecord {
    /// Owner name: relative to the domain, `@` for the apex, or absolute with a trailing dot.
    #[schemars(with = "String")]
    name: Spanned<String>,
    /// A, AAAA, CNAME, MX, NS, PTR, SRV, TXT or CAA.
    #[serde(rename = "type")]
    #[schemars(with = "String")]
    record_type: Spanned<String>,
    /// TTL (default `ttl.default`).
    ttl: Option<Ttl>,
    /// A note for people; not published.
    comment: Option<String>,
    /// A and AAAA: the IP address.
    #[schemars(with = "Option<String>")]
    address: Option<Spanned<String>>,
    /// CNAME, NS, PTR, SRV: the target name (absolute with a trailing dot, or relative to the
    /// domain).
    #[schemars(with = "Option<String>")]
    target: Option<Spanned<String>>,
    /// MX: the preference.
    preference: Option<u16>,
    /// MX: the mail exchanger.
    #[schemars(with = "Option<String>")]
    exchange: Option<Spanned<String>>,
    /// SRV: priority.
    priority: Option<u16>,
    /// SRV: weight.
    weight: Option<u16>,
    /// SRV: port.
    port: Option<u16>,
    /// TXT: one string or a list of strings.
    text: Option<OneOrMany>,
    /// CAA: flags (default 0).
    flags: Option<u8>,
    /// CAA: `issue`, `issuewild` or `iodef` (RFC 8659).
    #[schemars(with = "Option<String>")]
    tag: Option<Spanned<String>>,
    /// CAA: the value.
    value: Option<String>,
}

/// The type-specific keys of each record type: required, then optional. `None` for SOA, which
/// comes from zonegate.yaml. [`resolve_record`] enforces this table and the schema states it.
fn record_fields(
    record_type: RecordType,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match record_type {
        RecordType::A | RecordType::Aaaa => (&["address"], &[]),
        RecordType::Cname | RecordType::Ns | RecordType::Ptr => (&["target"], &[]),
        RecordType::Mx => (&["preference", "exchange"], &[]),
        RecordType::Srv => (&["priority", "weight", "port", "target"], &[]),
        RecordType::Txt => (&["text"], &[]),
        RecordType::Caa => (&["tag", "value"], &["flags"]),
        RecordType::Soa => return None,
    })
}

/// Adds to the record schema what [`resolve_record`] checks per type: the allowed types (any
/// case, as `RecordType::parse` reads them), and for each type its required keys and no key of
/// another type.
fn record_type_fields(schema: &mut schemars::Schema) {
    const COMMON: [&str; 4] = ["name", "type", "ttl", "comment"];
    let mut types = Vec::new();
    let mut conditions = Vec::new();
    for record_type in RecordType::ALL {
        let Some((required, optional)) = record_fields(record_type) else {
            continue;
        };
        types.push(record_type.as_str());
        let allowed: Vec<&str> = COMMON
            .iter()
            .chain(required)
            .chain(optional)
            .copied()
            .collect();
        conditions.push(serde_json::json!({
            "if": {
                "properties": { "type": { "pattern": yaml::case_insensitive(&[record_type.as_str()]) } },
                "required": ["type"]
            },
            "then": { "required": required, "propertyNames": { "enum": allowed } },
        }));
    }
    if let Some(properties) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        properties.insert(
            "type".into(),
            serde_json::json!({
                "description": "A, AAAA, CNAME, MX, NS, PTR, SRV, TXT or CAA",
                "type": "string",
                "anyOf": [ { "enum": types }, { "pattern": yaml::case_insensitive(&types) } ]
            }),
        );
    }
    schema.insert("allOf".into(), serde_json::Value::Array(conditions));
}

impl RawRecord {
    /// The type-specific fields that were written, by name.
    fn present_fields(&self) -> Vec<&'static str> {
        [
            ("address", self.address.is_some()),
            ("target", self.target.is_some()),
            ("preference", self.preference.is_some()),
            ("exchange", self.exchange.is_some()),
            ("priority", self.priority.is_some()),
            ("weight", self.weight.is_some()),
            ("port", self.port.is_some()),
            ("text", self.text.is_some()),
            ("flags", self.flags.is_some()),
            ("tag", self.tag.is_some()),
            ("value", self.value.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect()
    }
}

/// Parses the records files: their entries and the problems found, in file order.
pub(super) fn parse_records(
    record_files: Vec<(FileId, String, Vec<u8>)>,
) -> (Vec<RecordEntry>, Vec<Diagnostic>) {
    let mut entries = Vec::new();
    let mut diagnostics = Vec::new();
    for (file, _, bytes) in record_files {
        match yaml::parse::<RawRecordsFile>(&bytes, file) {
            Ok(raw) => {
                let _ = raw.owner;
                for record in &raw.records {
                    match resolve_record(&record.value, span_of(record, file), file) {
                        Ok(entry) => entries.push(entry),
                        Err(diagnostic) => diagnostics.push(diagnostic),
                    }
                }
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    (entries, diagnostics)
}

/// The most octets of data a TXT or CAA record may hold so that it fits in a DNS message
/// whatever its name: 65535 (RFC 1035's 16-bit lengths) less the header (12), the question (a
/// name of up to 255 octets and 4), and the answer's compressed owner (2), type, class, TTL and
/// RDLENGTH (10). BIND refuses to load a zone with a record that could not be sent.
const MAX_RDATA_OCTETS: usize = 65_535 - 12 - 255 - 4 - 2 - 10;

fn too_long_for_a_record(record_type: RecordType, octets: usize, span: Span) -> Diagnostic {
    Diagnostic::error(
        INVALID_VALUE,
        Some(span),
        format!(
            "this {record_type} record's data is {octets} octets; at most {MAX_RDATA_OCTETS} fit in a DNS message (RFC 1035), and servers refuse to load the zone"
        ),
    )
    .with_hint("shorten the text, or split it over several records")
}

fn resolve_record(raw: &RawRecord, span: Span, file: FileId) -> Result<RecordEntry, Diagnostic> {
    let type_span = span_of(&raw.record_type, file);
    let Some(record_type) = RecordType::parse(raw.record_type.value.trim()) else {
        return Err(Diagnostic::error(
            INVALID_VALUE,
            Some(type_span),
            format!("unknown record type `{}`", raw.record_type.value),
        )
        .with_hint("expected one of: A, AAAA, CNAME, MX, NS, PTR, SRV, TXT, CAA"));
    };
    let Some((required, optional)) = record_fields(record_type) else {
        return Err(Diagnostic::error(
            INVALID_VALUE,
            Some(type_span),
            "SOA records come from zonegate.yaml, not from record files",
        )
        .with_hint("set SOA fields under `soa:` in zones/zonegate.yaml"));
    };
    let allowed = || {
        let mut fields: Vec<&str> = ["name", "type", "ttl", "comment"].to_vec();
        fields.extend(required);
        fields.extend(optional);
        fields.join(", ")
    };
    let present = raw.present_fields();
    if let Some(extra) = present
        .iter()
        .find(|field| !required.contains(field) && !optional.contains(field))
    {
        return Err(Diagnostic::error(
            INVALID_VALUE,
            Some(span),
            format!("`{extra}` does not apply to {record_type} records"),
        )
        .with_hint(format!("{record_type} records take: {}", allowed())));
    }
    if let Some(missing) = required.iter().find(|field| !present.contains(field)) {
        return Err(Diagnostic::error(
            MISSING_KEY,
            Some(span),
            format!(
                "{record_type} record `{}` needs `{missing}`",
                raw.name.value
            ),
        )
        .with_hint(format!("{record_type} records take: {}", allowed())));
    }
    let written = |value: &Option<Spanned<String>>| {
        value
            .as_ref()
            .map(|value| WrittenName {
                text: value.value.trim().to_owned(),
                span: span_of(value, file),
            })
            .expect("checked present")
    };
    let address = |value: &Option<Spanned<String>>| -> Result<IpAddr, Diagnostic> {
        let value = value.as_ref().expect("checked present");
        value.value.trim().parse::<IpAddr>().map_err(|_| {
            Diagnostic::error(
                INVALID_VALUE,
                Some(span_of(value, file)),
                format!("`{}` is not an IP address", value.value),
            )
        })
    };
    let data = match record_type {
        RecordType::A => match address(&raw.address)? {
            IpAddr::V4(v4) => EntryData::A(v4),
            IpAddr::V6(_) => {
                return Err(wrong_family(
                    raw,
                    file,
                    "an A record needs an IPv4 address; use type AAAA for IPv6",
                ));
            }
        },
        RecordType::Aaaa => match address(&raw.address)? {
            IpAddr::V6(v6) => EntryData::Aaaa(v6),
            IpAddr::V4(_) => {
                return Err(wrong_family(
                    raw,
                    file,
                    "an AAAA record needs an IPv6 address; use type A for IPv4",
                ));
            }
        },
        RecordType::Cname => EntryData::Cname(written(&raw.target)),
        RecordType::Ns => EntryData::Ns(written(&raw.target)),
        RecordType::Ptr => EntryData::Ptr(written(&raw.target)),
        RecordType::Mx => EntryData::Mx {
            preference: raw.preference.unwrap_or_default(),
            exchange: written(&raw.exchange),
        },
        RecordType::Srv => EntryData::Srv {
            priority: raw.priority.unwrap_or_default(),
            weight: raw.weight.unwrap_or_default(),
            port: raw.port.unwrap_or_default(),
            target: written(&raw.target),
        },
        RecordType::Txt => {
            let strings = raw.text.clone().map(|text| text.0).unwrap_or_default();
            // On the wire each string of at most 255 octets takes one more for its length.
            let octets: usize = strings
                .iter()
                .map(|string| string.len() + string.len().div_ceil(255).max(1))
                .sum();
            if octets > MAX_RDATA_OCTETS {
                return Err(too_long_for_a_record(record_type, octets, span));
            }
            EntryData::Txt(strings)
        }
        RecordType::Caa => {
            let tag = raw.tag.as_ref().expect("checked present");
            let tag_text = tag.value.trim().to_ascii_lowercase();
            if !["issue", "issuewild", "iodef"].contains(&tag_text.as_str()) {
                return Err(Diagnostic::error(
                    INVALID_VALUE,
                    Some(span_of(tag, file)),
                    format!(
                        "CAA tag `{}` is not issue, issuewild or iodef (RFC 8659)",
                        tag.value
                    ),
                ));
            }
            let value = raw.value.clone().unwrap_or_default();
            let octets = 2 + tag_text.len() + value.len();
            if octets > MAX_RDATA_OCTETS {
                return Err(too_long_for_a_record(record_type, octets, span));
            }
            EntryData::Caa {
                flags: raw.flags.unwrap_or(0),
                tag: tag_text,
                value,
            }
        }
        RecordType::Soa => unreachable!("rejected above"),
    };
    let _ = &raw.comment;
    Ok(RecordEntry {
        name: raw.name.value.trim().to_owned(),
        name_span: span_of(&raw.name, file),
        ttl: raw.ttl.map(|ttl| ttl.0),
        data,
        span,
    })
}

fn wrong_family(raw: &RawRecord, file: FileId, message: &str) -> Diagnostic {
    let span = raw.address.as_ref().map(|address| span_of(address, file));
    Diagnostic::error(INVALID_VALUE, span, message)
}
