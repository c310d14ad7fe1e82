//! Stage 3 (pure): a [`Zone`] and a serial become RFC 1035 master-file text, read back before
//! a byte of it is handed on.
//!
//! The record lines are written by Rust (fast, and correct where printing a hickory record is
//! not: TXT and CAA strings are quoted and escaped, names are ASCII); a minijinja template frames
//! them (header, `$ORIGIN`, `$TTL`, SOA). The built-in template is [`DEFAULT_TEMPLATE`];
//! `zones/templates/zone.j2` replaces it. Custom templates may also iterate `records` to lay out
//! lines themselves. `template` evaluates the template within [`TemplateLimits`] and finds the template
//! line behind any byte it wrote; `verify` reads what [`write`] writes back with
//! [`crate::zonefile`] and holds it to the zone's records, so a template can lay records out but
//! not add, drop or change one, nor write a directive that would ([`Mismatch`]).
//!
//! Ordering, so output is byte-identical for the same input: the SOA (from the template), then
//! names in canonical DNS order (RFC 4034 section 6.1), within a name NS first then by type code,
//! within an RRset by data (MX by preference, SRV by priority, weight, port, target; A and AAAA
//! numerically). Owners are written relative to the origin (`@` for the apex), targets always
//! absolute, every line carries its TTL. This module does no IO and reads no clock (the
//! template's deadline reads the clock the caller hands it in [`TemplateLimits`]).

use std::fmt::Write as _;

use minijinja::value::Value;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::model::name::Name;
use crate::model::record::{RData, Record, RecordType};
use crate::model::zone::Zone;

mod template;
mod verify;

pub use template::{Abandon, TemplateError, TemplateLimits, TemplatePosition, TemplateProblem};
pub use verify::{Mismatch, Problem};

/// The built-in zone-file template.
pub const DEFAULT_TEMPLATE: &str = include_str!("zone.j2");

/// Records per parallel rendering chunk: large enough to amortise, small enough to spread a
/// million-record zone over both cores.
const CHUNK: usize = 16_384;
/// Bytes of encoded records hashed at once.
const HASH_BATCH: usize = 32 * 1024;

/// What the renderer needs besides the zone.
#[derive(Clone, Debug)]
pub struct RenderOptions<'a> {
    /// The `$TTL` directive's value.
    pub default_ttl: u32,
    /// Template source; [`DEFAULT_TEMPLATE`] unless the repository overrides it.
    pub template: &'a str,
    /// The template's name in error messages: its path, or `built-in zone.j2`.
    pub template_name: &'a str,
    /// What the template may do per zone ([`TemplateLimits::DEFAULT`], with a clock in the commands).
    pub limits: TemplateLimits,
    /// Shared by the zones of one run ([`Abandon`]): once the template runs out of a budget on
    /// one zone, the evaluations for the zones after it stop at their next check, so a runaway
    /// template costs about one zone's budget, not one per zone.
    pub abandon: Option<std::sync::Arc<Abandon>>,
}

/// Why a zone could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template failed (syntax, undefined value, out of fuel, output or time budget).
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The rendered text, read back, does not hold exactly the zone's records.
    #[error(transparent)]
    Mismatch(Box<Mismatch>),
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

/// Renders the master file for `zone` with `serial` into `out`, reading every piece back
/// before it is written: an [`RenderError::Mismatch`] when the text would not hold exactly the
/// zone's records (after which `out` holds a prefix of the text, for the caller to discard).
///
/// The template is evaluated once with a marker in place of the record lines. When the marker
/// appears once, verbatim, the template's head and tail are read back as one file with the body
/// between them would be (the head must end at a clean line start) before anything is written;
/// then the record lines are rendered in parallel windows, each chunk read back against its
/// records, and streamed between head and tail, so a million-record zone never exists as one
/// string. A template that transforms `body` (so the output holds no single verbatim marker) is
/// rendered and read whole instead; one that iterates `records` gets the per-record view.
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
    let frame = template::Frame {
        zone,
        serial,
        content_hash,
        options,
        output_limit: options
            .limits
            .output_factor
            .saturating_mul(rendered_size_bound(zone))
            .saturating_add(options.limits.output_allowance),
    };
    let marker = Value::from(BODY_MARKER);
    let framed = template::evaluate(&frame, &marker)?;
    let mut pieces = framed.split(BODY_MARKER);
    if let (Some(head), Some(tail), None) = (pieces.next(), pieces.next(), pieces.next()) {
        let head_lines = line_count(head);
        verify::frame(zone, serial, head, tail).map_err(|(piece, found)| {
            let (offset, lines_before) = match piece {
                verify::Piece::Head => (found.offset, 0),
                verify::Piece::Tail => (
                    head.len() + BODY_MARKER.len() + found.offset,
                    head_lines + body_line_count(&zone.records),
                ),
            };
            mismatch(&frame, &marker, offset, lines_before, found)
        })?;
        out.write_all(head.as_bytes()).map_err(write_error)?;
        match stream_lines(zone, out) {
            Ok(()) => {}
            Err(Streamed::Write(source)) => return Err(write_error(source)),
            // The body enters the file where the marker was: that is its template line.
            Err(Streamed::Body {
                lines_before,
                found,
            }) => {
                return Err(mismatch(
                    &frame,
                    &marker,
                    head.len(),
                    head_lines + lines_before,
                    found,
                ));
            }
        }
        out.write_all(tail.as_bytes()).map_err(write_error)?;
        return Ok(());
    }
    let body = Value::from(render_lines(zone, &zone.records));
    let text = template::evaluate(&frame, &body)?;
    verify::whole(zone, serial, &text)
        .map_err(|found| mismatch(&frame, &body, found.offset, 0, found))?;
    out.write_all(text.as_bytes()).map_err(write_error)
}

/// The error for a problem found `lines_before` lines into the rendered zone, at `offset` of
/// the template's output (evaluated with `body`), which is traced back to the template line.
fn mismatch(
    frame: &template::Frame<'_>,
    body: &Value,
    offset: usize,
    lines_before: u32,
    found: verify::Found,
) -> RenderError {
    RenderError::Mismatch(Box::new(Mismatch {
        origin: frame.zone.origin.to_string(),
        template: frame.options.template_name.to_owned(),
        at: template::locate(frame, body, offset),
        rendered: crate::zonefile::Position {
            line: found.position.line.saturating_add(lines_before),
            column: found.position.column,
        },
        problem: found.problem,
    }))
}

/// Lines of `text` (line feeds).
fn line_count(text: &str) -> u32 {
    u32::try_from(memchr::memchr_iter(b'\n', text.as_bytes()).count()).unwrap_or(u32::MAX)
}

/// Lines the body of `records` takes: one per record but the SOA.
fn body_line_count(records: &[Record]) -> u32 {
    let lines = records
        .iter()
        .filter(|record| record.record_type() != RecordType::Soa)
        .count();
    u32::try_from(lines).unwrap_or(u32::MAX)
}

/// An upper bound of the size of the built-in template's rendering of `zone`, from its records
/// alone (no text is made): what [`TemplateLimits`] multiplies to bound a template's output.
pub fn rendered_size_bound(zone: &Zone) -> u64 {
    // The built-in template's comments, directives and SOA layout, beyond the names it holds.
    const FRAMING: u64 = 1024;
    // The TTL (ten digits at most), `\tIN\t`, the type, a tab and the line feed.
    const PER_LINE: u64 = 10 + 4 + 5 + 1 + 1;
    let name = |name: &Name| name.wire_length() as u64;
    let string = |bytes: &[u8]| 3 + 4 * bytes.len() as u64;
    let records: u64 = zone
        .records
        .iter()
        .map(|record| {
            let data = match &record.data {
                RData::Soa(soa) => name(&soa.primary) + name(&soa.contact) + 5 * 11,
                RData::Ns(target) | RData::Cname(target) | RData::Ptr(target) => name(target),
                RData::A(_) => 15,
                RData::Aaaa(_) => 39,
                RData::Mx { exchange, .. } => 6 + name(exchange),
                RData::Srv { target, .. } => 18 + name(target),
                RData::Txt(strings) => strings.iter().map(|text| string(text)).sum(),
                RData::Caa(caa) => 5 + caa.tag.len() as u64 + string(caa.value.as_bytes()),
            };
            name(&record.name) + PER_LINE + data
        })
        .sum();
    FRAMING + 3 * name(&zone.origin) + records
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

/// Why streaming the body stopped.
enum Streamed {
    /// Writing failed.
    Write(std::io::Error),
    /// A chunk read back does not hold its records, `lines_before` lines into the body.
    Body {
        lines_before: u32,
        found: verify::Found,
    },
}

/// Writes every record line (all but the SOA) to `out`, rendering windows of chunks in parallel
/// so memory is bounded by the window, not the zone; each chunk is read back against its
/// records on the thread that rendered it, before it is written.
fn stream_lines(zone: &Zone, out: &mut dyn std::io::Write) -> Result<(), Streamed> {
    let render = |chunk: &[Record]| {
        let text = render_lines(zone, chunk);
        let checked = verify::chunk(zone, chunk, &text);
        (body_line_count(chunk), text, checked)
    };
    let window = CHUNK * 2 * rayon::current_num_threads().max(1);
    let mut lines_before = 0_u32;
    for slice in zone.records.chunks(window) {
        let texts: Vec<(u32, String, Result<(), verify::Found>)> = if slice.len() <= CHUNK {
            vec![render(slice)]
        } else {
            slice.par_chunks(CHUNK).map(render).collect()
        };
        for (lines, text, checked) in texts {
            checked.map_err(|found| Streamed::Body {
                lines_before,
                found,
            })?;
            out.write_all(text.as_bytes()).map_err(Streamed::Write)?;
            lines_before = lines_before.saturating_add(lines);
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

/// Writes record data in master-file presentation form (an SOA with serial 0: the model has
/// none).
pub fn write_rdata(data: &RData, out: &mut String) {
    write_data(data, 0, out);
}

/// [`write_rdata`], an SOA with `serial`.
fn write_data(data: &RData, serial: u32, out: &mut String) {
    match data {
        RData::Soa(soa) => {
            let _ = write!(
                out,
                "{} {} {serial} {} {} {} {}",
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

#[cfg(test)]
mod tests;
