//! Stage 3 (pure): a [`Zone`] and a serial become RFC 1035 master-file text.
//!
//! The record lines are written by Rust (fast, and correct where printing a hickory record is
//! not: TXT and CAA strings are quoted and escaped, names are ASCII); a minijinja template frames
//! them (header, `$ORIGIN`, `$TTL`, SOA). The built-in template is [`DEFAULT_TEMPLATE`];
//! `zones/templates/zone.j2` replaces it. Custom templates may also iterate `records` to lay out
//! lines themselves.
//!
//! Ordering, so output is byte-identical for the same input: the SOA (from the template), then
//! names in canonical DNS order (RFC 4034 section 6.1), within a name NS first then by type code,
//! within an RRset by data (MX by preference, SRV by priority, weight, port, target; A and AAAA
//! numerically). Owners are written relative to the origin (`@` for the apex), targets always
//! absolute, every line carries its TTL. This module does no IO and reads no clock.

use std::fmt::Write as _;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::model::record::{RData, Record, RecordType};
use crate::model::zone::Zone;

/// The built-in zone-file template.
pub const DEFAULT_TEMPLATE: &str = include_str!("render/zone.j2");

/// Records per parallel rendering chunk: large enough to amortise, small enough to spread a
/// million-record zone over both cores.
const CHUNK: usize = 16_384;

/// Default template fuel: evaluation stops after this much work, so a template with a runaway
/// loop cannot hang the gate. A million-record zone rendered through a custom `records` loop
/// needs about a tenth of it.
pub const DEFAULT_FUEL: u64 = 200_000_000;

/// What the renderer needs besides the zone.
#[derive(Clone, Debug)]
pub struct RenderOptions<'a> {
    /// The `$TTL` directive's value.
    pub default_ttl: u32,
    /// Template source; [`DEFAULT_TEMPLATE`] unless the repository overrides it.
    pub template: &'a str,
    /// Template evaluation budget ([`DEFAULT_FUEL`]).
    pub fuel: u64,
    /// The template's name in error messages: its path, or `built-in`.
    pub template_name: &'a str,
}

/// A zone's body (every record but the SOA) and the hash that identifies its content.
#[derive(Clone, Debug)]
pub struct ZoneBody {
    /// Record lines, one per record, in canonical order (shared with the template engine
    /// without a copy).
    pub lines: Arc<str>,
    /// SHA-256 over everything that determines the file except the serial: the template, the
    /// origin, `$TTL`, the SOA fields and the record lines. Equal hashes mean the zone did not
    /// change, so the serial is kept.
    pub content_hash: [u8; 32],
}

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("zone template for {origin}")]
pub struct TemplateError {
    /// The zone being rendered.
    pub origin: String,
    /// minijinja's error, with the template line.
    #[source]
    pub source: minijinja::Error,
}

/// Renders the record lines of `zone` (all but the SOA) and hashes its content.
pub fn body(zone: &Zone, options: &RenderOptions<'_>) -> ZoneBody {
    let records = &zone.records[..];
    let lines = if records.len() > CHUNK {
        let chunks: Vec<String> = records
            .par_chunks(CHUNK)
            .map(|chunk| render_lines(zone, chunk))
            .collect();
        let mut lines = String::with_capacity(chunks.iter().map(String::len).sum());
        for chunk in chunks {
            lines.push_str(&chunk);
        }
        lines
    } else {
        render_lines(zone, records)
    };
    let mut hasher = Sha256::new();
    hasher.update(options.template.as_bytes());
    hasher.update([0]);
    hasher.update(zone.origin.to_string().as_bytes());
    hasher.update(options.default_ttl.to_be_bytes());
    if let Some((soa, ttl)) = zone.soa() {
        let mut header = String::new();
        let _ = write!(
            header,
            "{ttl} {} {} {} {} {} {}",
            soa.primary, soa.contact, soa.refresh, soa.retry, soa.expire, soa.minimum
        );
        hasher.update(header.as_bytes());
    }
    hasher.update([0]);
    hasher.update(lines.as_bytes());
    ZoneBody {
        lines: Arc::from(lines),
        content_hash: hasher.finalize().into(),
    }
}

/// Renders the complete master file for `zone` with `serial`, framing `body` (from [`body`]) with
/// the template.
pub fn render(
    zone: &Zone,
    serial: u32,
    body: &ZoneBody,
    options: &RenderOptions<'_>,
) -> Result<String, TemplateError> {
    let origin = zone.origin.to_string();
    let error = |source| TemplateError {
        origin: origin.clone(),
        source,
    };
    let mut environment = minijinja::Environment::new();
    environment.set_fuel(Some(options.fuel));
    environment.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    environment.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    environment
        .add_template(options.template_name, options.template)
        .map_err(error)?;
    let template = environment
        .get_template(options.template_name)
        .map_err(error)?;
    // The per-record view costs a copy of the zone; build it only for templates that use it.
    let records = if template.undeclared_variables(false).contains("records") {
        Value::from_object(TemplateRecords {
            zone: Arc::new(zone.clone()),
        })
    } else {
        Value::UNDEFINED
    };
    let (soa, soa_ttl) = match zone.soa() {
        Some((soa, ttl)) => (
            minijinja::context! {
                ttl => ttl,
                primary => soa.primary.to_string(),
                contact => soa.contact.to_string(),
                refresh => soa.refresh,
                retry => soa.retry,
                expire => soa.expire,
                minimum => soa.minimum,
            },
            Some(ttl),
        ),
        None => (Value::UNDEFINED, None),
    };
    let context = minijinja::context! {
        origin => origin,
        serial => serial,
        default_ttl => options.default_ttl,
        soa => soa,
        has_soa => soa_ttl.is_some(),
        record_count => zone.records.len(),
        content_hash => hex(&body.content_hash),
        body => Value::from(Arc::clone(&body.lines)),
        records => records,
    };
    template.render(context).map_err(error)
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn render_lines(zone: &Zone, records: &[Record]) -> String {
    let mut out = String::with_capacity(records.len() * 64);
    for record in records {
        if record.record_type() == RecordType::Soa {
            continue;
        }
        record.name.write_relative(&zone.origin, &mut out);
        let _ = write!(out, "\t{}\tIN\t{}\t", record.ttl, record.record_type());
        write_rdata(&record.data, &mut out);
        out.push('\n');
    }
    out
}

/// Writes record data in master-file presentation form.
pub fn write_rdata(data: &RData, out: &mut String) {
    match data {
        RData::Soa(soa) => {
            let _ = write!(
                out,
                "{} {} 0 {} {} {} {}",
                soa.primary, soa.contact, soa.refresh, soa.retry, soa.expire, soa.minimum
            );
        }
        RData::Ns(name) | RData::Cname(name) | RData::Ptr(name) => name.write_absolute(out),
        RData::A(address) => {
            let _ = write!(out, "{address}");
        }
        RData::Aaaa(address) => {
            let _ = write!(out, "{address}");
        }
        RData::Mx {
            preference,
            exchange,
        } => {
            let _ = write!(out, "{preference} ");
            exchange.write_absolute(out);
        }
        RData::Txt(strings) => {
            for (index, string) in strings.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_character_string(string, out);
            }
            if strings.is_empty() {
                out.push_str("\"\"");
            }
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            let _ = write!(out, "{priority} {weight} {port} ");
            target.write_absolute(out);
        }
        RData::Caa { flags, tag, value } => {
            let _ = write!(out, "{flags} {tag} ");
            write_character_string(value.as_bytes(), out);
        }
    }
}

/// A quoted `<character-string>` (RFC 1035 section 5.1): `"` and `\` escaped, anything outside
/// printable ASCII as `\DDD`, so the file stays ASCII and parses back to the same octets.
fn write_character_string(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(byte as char);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => {
                let _ = write!(out, "\\{byte:03}");
            }
        }
    }
    out.push('"');
}

/// `records` in a custom template: a lazy sequence, so the default template (which uses the
/// pre-rendered `body`) never pays for it.
#[derive(Debug)]
struct TemplateRecords {
    zone: Arc<Zone>,
}

impl Object for TemplateRecords {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let record = self.zone.records.get(key.as_usize()?)?;
        let mut owner = String::new();
        record.name.write_relative(&self.zone.origin, &mut owner);
        let mut data = String::new();
        write_rdata(&record.data, &mut data);
        Some(minijinja::context! {
            owner => owner,
            name => record.name.to_string(),
            ttl => record.ttl,
            type => record.record_type().as_str(),
            data => data,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.zone.records.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{FileId, Span};
    use crate::model::name::Name;
    use crate::model::record::{Origin, Provenance, Soa};

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).unwrap()
    }

    fn record(owner: &str, ttl: u32, data: RData) -> Record {
        Record {
            name: name(owner),
            ttl,
            data,
            provenance: Provenance {
                span: Span::new(FileId(0), 1, 1),
                origin: Origin::HandEdited,
            },
        }
    }

    fn sample_zone() -> Zone {
        let soa = Soa {
            primary: name("ns1.example.net."),
            contact: name("hostmaster.example.net."),
            refresh: 3600,
            retry: 600,
            expire: 1_209_600,
            minimum: 300,
        };
        let records = vec![
            record(
                "www.example.net.",
                300,
                RData::Cname(name("edge.lon.example.net.")),
            ),
            record("example.net.", 86400, RData::Ns(name("ns2.example.net."))),
            record("example.net.", 3600, RData::Soa(Box::new(soa))),
            record("example.net.", 86400, RData::Ns(name("ns1.example.net."))),
            record(
                "example.net.",
                3600,
                RData::Mx {
                    preference: 20,
                    exchange: name("mx2.example.net."),
                },
            ),
            record(
                "example.net.",
                3600,
                RData::Mx {
                    preference: 10,
                    exchange: name("mx1.example.net."),
                },
            ),
            record(
                "example.net.",
                3600,
                RData::txt(&["v=spf1 \"quoted\" \\ -all".into(), "caf\u{e9}".into()]),
            ),
            record(
                "example.net.",
                3600,
                RData::Caa {
                    flags: 0,
                    tag: "issue".into(),
                    value: "letsencrypt.org".into(),
                },
            ),
            record(
                "edge.lon.example.net.",
                3600,
                RData::A("192.0.2.10".parse().unwrap()),
            ),
            record(
                "edge.lon.example.net.",
                3600,
                RData::A("192.0.2.9".parse().unwrap()),
            ),
            record(
                "edge.lon.example.net.",
                3600,
                RData::Aaaa("2001:db8::a".parse().unwrap()),
            ),
            record(
                "_playlist._tcp.lon.example.net.",
                300,
                RData::Srv {
                    priority: 10,
                    weight: 5,
                    port: 8080,
                    target: name("edge.lon.example.net."),
                },
            ),
        ];
        Zone::from_records(name("example.net."), records).0
    }

    fn render_default(zone: &Zone, serial: u32) -> String {
        let options = RenderOptions {
            default_ttl: 3600,
            template: DEFAULT_TEMPLATE,
            fuel: DEFAULT_FUEL,
            template_name: "zone.j2",
        };
        let body = body(zone, &options);
        render(zone, serial, &body, &options).unwrap()
    }

    #[test]
    fn default_template_renders_a_canonical_master_file() {
        insta::assert_snapshot!(render_default(&sample_zone(), 2_026_112_501));
    }

    #[test]
    fn output_does_not_depend_on_input_order() {
        let zone = sample_zone();
        let mut reversed = zone.records.clone();
        reversed.reverse();
        let (shuffled, _) = Zone::from_records(zone.origin.clone(), reversed);
        assert_eq!(render_default(&zone, 1), render_default(&shuffled, 1));
    }

    #[test]
    fn content_hash_ignores_the_serial_but_not_the_records() {
        let zone = sample_zone();
        let options = RenderOptions {
            default_ttl: 3600,
            template: DEFAULT_TEMPLATE,
            fuel: DEFAULT_FUEL,
            template_name: "zone.j2",
        };
        let first = body(&zone, &options).content_hash;
        assert_eq!(first, body(&zone.clone(), &options).content_hash);
        let mut changed = zone.clone();
        changed.records.pop();
        assert_ne!(first, body(&changed, &options).content_hash);
        let other_ttl = RenderOptions {
            default_ttl: 300,
            ..options
        };
        assert_ne!(first, body(&zone, &other_ttl).content_hash);
    }

    #[test]
    fn custom_templates_can_iterate_records_and_loops_are_bounded() {
        let zone = sample_zone();
        let template =
            "{% for r in records %}{{ r.owner }} {{ r.type }} {{ r.data }}\n{% endfor %}";
        let options = RenderOptions {
            default_ttl: 3600,
            template,
            fuel: DEFAULT_FUEL,
            template_name: "zone.j2",
        };
        let text = render(&zone, 7, &body(&zone, &options), &options).unwrap();
        assert!(text.starts_with("@ SOA ns1.example.net. hostmaster.example.net. 0 3600 600 1209600 300\n@ NS ns1.example.net.\n"), "{text}");

        let endless =
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
        let options = RenderOptions {
            default_ttl: 3600,
            template: endless,
            fuel: 100_000,
            template_name: "zone.j2",
        };
        let error = render(&zone, 7, &body(&zone, &options), &options).unwrap_err();
        assert_eq!(error.source.kind(), minijinja::ErrorKind::OutOfFuel);
    }

    #[test]
    fn template_errors_name_the_zone_and_line() {
        let zone = sample_zone();
        let options = RenderOptions {
            default_ttl: 3600,
            template: "$ORIGIN {{ origin }}\n{{ no_such_variable }}\n",
            fuel: DEFAULT_FUEL,
            template_name: "zone.j2",
        };
        let error = render(&zone, 7, &body(&zone, &options), &options).unwrap_err();
        // The cause is the error's source, so `main` prints it once in the chain.
        let chain = format!("{error}: {}", error.source);
        insta::assert_snapshot!(chain, @"zone template for example.net.: undefined value (in zone.j2:2)");
    }
}
