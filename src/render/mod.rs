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

use crate::model::name::Name;
use crate::model::record::{RData, Record, RecordType};
use crate::model::zone::Zone;

/// The built-in zone-file template.
pub const DEFAULT_TEMPLATE: &str = include_str!("zone.j2");

/// Records per parallel rendering chunk: large enough to amortise, small enough to spread a
/// million-record zone over both cores.
const CHUNK: usize = 16_384;
/// Bytes of encoded records hashed at once.
const HASH_BATCH: usize = 32 * 1024;

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

/// Why a zone could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template failed (syntax, undefined value, out of fuel).
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Writing the rendered text failed.
    #[error("cannot write the zone file for {origin}")]
    Write {
        /// The zone being rendered.
        origin: String,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
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

/// SHA-256 over everything that determines a zone file except its serial: the zonegate version
/// (the renderer's own format), the template, the origin, `$TTL` and every record (the SOA
/// included). Equal hashes mean equal files for equal serials, so an unchanged zone keeps its
/// serial and is not rendered again. It hashes the model, not the text, so it is known before
/// a byte is rendered; large zones are hashed in parallel chunks.
pub fn content_hash(zone: &Zone, options: &RenderOptions<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update([0]);
    hasher.update(options.template.as_bytes());
    hasher.update([0]);
    hasher.update(zone.origin.to_string().as_bytes());
    hasher.update([0]);
    hasher.update(options.default_ttl.to_be_bytes());
    let chunk_hash = |records: &[Record]| -> [u8; 32] {
        // Encoded records are handed to the hasher in batches: an update per record cost
        // more than the hashing.
        let mut hasher = Sha256::new();
        let mut batch = Vec::with_capacity(HASH_BATCH + 1024);
        for record in records {
            encode_record(record, &mut batch);
            if batch.len() >= HASH_BATCH {
                hasher.update(&batch);
                batch.clear();
            }
        }
        hasher.update(&batch);
        hasher.finalize().into()
    };
    let records = &zone.records[..];
    if records.len() > CHUNK {
        let chunks: Vec<[u8; 32]> = records.par_chunks(CHUNK).map(chunk_hash).collect();
        for chunk in chunks {
            hasher.update(chunk);
        }
    } else {
        hasher.update(chunk_hash(records));
    }
    hasher.finalize().into()
}

/// Renders the master file for `zone` with `serial` into `out`.
///
/// The template is evaluated once with a marker in place of the record lines; the lines are
/// then rendered in parallel windows and streamed between the template's head and tail, so a
/// million-record zone never exists as one string. A template that transforms `body` (so the
/// output holds no single verbatim marker) is rendered whole instead; one that iterates
/// `records` gets the per-record view.
pub fn write(
    zone: &Zone,
    serial: u32,
    content_hash: &[u8; 32],
    options: &RenderOptions<'_>,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    let write_error = |source| RenderError::Write {
        origin: zone.origin.to_string(),
        source,
    };
    let framed = evaluate(
        zone,
        serial,
        content_hash,
        options,
        &Value::from(BODY_MARKER),
    )?;
    let mut pieces = framed.split(BODY_MARKER);
    if let (Some(head), Some(tail), None) = (pieces.next(), pieces.next(), pieces.next()) {
        out.write_all(head.as_bytes()).map_err(write_error)?;
        stream_lines(zone, out).map_err(write_error)?;
        out.write_all(tail.as_bytes()).map_err(write_error)?;
        return Ok(());
    }
    let body = Value::from(render_lines(zone, &zone.records));
    let text = evaluate(zone, serial, content_hash, options, &body)?;
    out.write_all(text.as_bytes()).map_err(write_error)
}

/// The whole master file as a string ([`content_hash`], then [`write`]): for small zones and
/// tests. `zonegate render` streams.
pub fn to_string(
    zone: &Zone,
    serial: u32,
    options: &RenderOptions<'_>,
) -> Result<String, RenderError> {
    let mut out = Vec::new();
    write(
        zone,
        serial,
        &content_hash(zone, options),
        options,
        &mut out,
    )?;
    Ok(String::from_utf8(out).expect("zone files are ASCII"))
}

/// Stands in for the record lines while the template is evaluated. NUL never appears in a zone
/// file otherwise (names are restricted, strings escaped), so one occurrence of this marker is
/// exactly where `body` was inserted verbatim.
const BODY_MARKER: &str = "\0zonegate-body\0";

/// Evaluates the template with `body` standing for the record lines.
fn evaluate(
    zone: &Zone,
    serial: u32,
    content_hash: &[u8; 32],
    options: &RenderOptions<'_>,
    body: &Value,
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
        content_hash => hex(content_hash),
        body => body.clone(),
        records => records,
    };
    template.render(context).map_err(error)
}

/// Writes every record line (all but the SOA) to `out`, rendering windows of chunks in parallel
/// so memory is bounded by the window, not the zone.
fn stream_lines(zone: &Zone, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let records = &zone.records[..];
    if records.len() <= CHUNK {
        return out.write_all(render_lines(zone, records).as_bytes());
    }
    let window = CHUNK * 2 * rayon::current_num_threads().max(1);
    for slice in records.chunks(window) {
        let texts: Vec<String> = slice
            .par_chunks(CHUNK)
            .map(|chunk| render_lines(zone, chunk))
            .collect();
        for text in texts {
            out.write_all(text.as_bytes())?;
        }
    }
    Ok(())
}

/// The canonical binary form of a record for [`content_hash`]: every variable-length part is
/// length-prefixed, so two different records never encode alike.
fn encode_record(record: &Record, out: &mut Vec<u8>) {
    fn name(name: &Name, out: &mut Vec<u8>) {
        let key = name.canonical_key();
        out.push(key.len() as u8);
        out.extend_from_slice(key.as_bytes());
    }
    fn bytes(bytes: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    name(&record.name, out);
    out.extend_from_slice(&record.ttl.to_be_bytes());
    out.extend_from_slice(&record.record_type().code().to_be_bytes());
    match &record.data {
        RData::Soa(soa) => {
            name(&soa.primary, out);
            name(&soa.contact, out);
            for value in [soa.refresh, soa.retry, soa.expire, soa.minimum] {
                out.extend_from_slice(&value.to_be_bytes());
            }
        }
        RData::Ns(target) | RData::Cname(target) | RData::Ptr(target) => name(target, out),
        RData::A(address) => out.extend_from_slice(&address.octets()),
        RData::Aaaa(address) => out.extend_from_slice(&address.octets()),
        RData::Mx {
            preference,
            exchange,
        } => {
            out.extend_from_slice(&preference.to_be_bytes());
            name(exchange, out);
        }
        RData::Txt(strings) => {
            out.extend_from_slice(&(strings.len() as u32).to_be_bytes());
            for string in strings {
                bytes(string, out);
            }
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            for value in [priority, weight, port] {
                out.extend_from_slice(&value.to_be_bytes());
            }
            name(target, out);
        }
        RData::Caa(caa) => {
            out.push(caa.flags);
            bytes(caa.tag.as_bytes(), out);
            bytes(caa.value.as_bytes(), out);
        }
    }
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
    // Where the previous line's owner was written: the records of a name are adjacent, so an
    // RRset's owner is worked out once and copied (an SRV set can have a thousand records).
    let mut previous: Option<(&Name, std::ops::Range<usize>)> = None;
    for record in records {
        if record.record_type() == RecordType::Soa {
            continue;
        }
        let start = out.len();
        match &previous {
            Some((name, owner)) if *name == &record.name => {
                out.extend_from_within(owner.clone());
            }
            _ => record.name.write_relative(&zone.origin, &mut out),
        }
        previous = Some((&record.name, start..out.len()));
        write_after_owner(record, &mut out);
    }
    out
}

/// The rest of a master-file line after the owner (relative to the origin): TTL, class, type,
/// data, newline.
fn write_after_owner(record: &Record, out: &mut String) {
    out.push('\t');
    push_number(record.ttl, out);
    out.push_str("\tIN\t");
    out.push_str(record.record_type().as_str());
    out.push('\t');
    write_rdata(&record.data, out);
    out.push('\n');
}

/// Decimal digits of `value`, without the formatting machinery (this runs per record).
fn push_number(value: u32, out: &mut String) {
    let mut digits = [0u8; 10];
    let mut index = digits.len();
    let mut rest = value;
    loop {
        index -= 1;
        digits[index] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits[index..].iter().map(|&digit| char::from(digit)));
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
        RData::Caa(caa) => {
            push_number(u32::from(caa.flags), out);
            out.push(' ');
            out.push_str(&caa.tag);
            out.push(' ');
            write_character_string(caa.value.as_bytes(), out);
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
    use crate::model::record::{Caa, Origin, Provenance, Soa};

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
                RData::Caa(Box::new(Caa {
                    flags: 0,
                    tag: "issue".into(),
                    value: "letsencrypt.org".into(),
                })),
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
        to_string(zone, serial, &options).unwrap()
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
        let first = content_hash(&zone, &options);
        assert_eq!(first, content_hash(&zone.clone(), &options));
        let mut changed = zone.clone();
        changed.records.pop();
        assert_ne!(first, content_hash(&changed, &options));
        let mut retimed = zone.clone();
        retimed.records[3].ttl += 1;
        assert_ne!(first, content_hash(&retimed, &options));
        let other_ttl = RenderOptions {
            default_ttl: 300,
            ..options.clone()
        };
        assert_ne!(first, content_hash(&zone, &other_ttl));
        let other_template = RenderOptions {
            template: "{{ body }}",
            ..options
        };
        assert_ne!(first, content_hash(&zone, &other_template));
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
        let text = to_string(&zone, 7, &options).unwrap();
        assert!(text.starts_with("@ SOA ns1.example.net. hostmaster.example.net. 0 3600 600 1209600 300\n@ NS ns1.example.net.\n"), "{text}");

        let endless =
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
        let options = RenderOptions {
            default_ttl: 3600,
            template: endless,
            fuel: 100_000,
            template_name: "zone.j2",
        };
        let Err(RenderError::Template(error)) = to_string(&zone, 7, &options) else {
            panic!("an endless template must run out of fuel");
        };
        assert_eq!(error.source.kind(), minijinja::ErrorKind::OutOfFuel);
    }

    #[test]
    fn a_template_that_transforms_the_body_is_rendered_whole() {
        let zone = sample_zone();
        let options = RenderOptions {
            default_ttl: 3600,
            template: "{{ body | upper }}{{ body | length }}",
            fuel: DEFAULT_FUEL,
            template_name: "zone.j2",
        };
        let text = to_string(&zone, 7, &options).unwrap();
        assert!(
            text.starts_with("@\t86400\tIN\tNS\tNS1.EXAMPLE.NET.\n"),
            "{text}"
        );
        assert!(!text.contains('\0'), "the marker never leaks");
    }

    #[test]
    fn large_zones_stream_in_windows_with_the_same_text() {
        let zone = sample_zone();
        let mut records = zone.records.clone();
        for index in 0..(CHUNK as u32 * 5 + 17) {
            records.push(record(
                &format!("h{index}.example.net."),
                60,
                RData::A(std::net::Ipv4Addr::from(index)),
            ));
        }
        let (big, _) = Zone::from_records(zone.origin.clone(), records);
        let streamed = render_default(&big, 9);
        let whole = render_lines(&big, &big.records);
        assert!(streamed.contains(&whole), "the streamed body is the body");
        assert_eq!(streamed.matches("\tA\t").count(), CHUNK * 5 + 17 + 2);
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
        let error = to_string(&zone, 7, &options).unwrap_err();
        // The cause is the error's source, so `main` prints it once in the chain.
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        let chain = format!("{error}: {}", cause.unwrap_or_default());
        insta::assert_snapshot!(chain, @"zone template for example.net.: undefined value (in zone.j2:2)");
    }
}
