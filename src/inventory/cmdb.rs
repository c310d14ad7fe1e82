//! CMDB export readers: CSV, JSON and NetBox, each streamed into [`Host`]s.
//!
//! Readers interpret nothing beyond the export's own syntax: they lower-case names and statuses,
//! split `;`-separated lists and parse addresses, and report what they cannot read as located
//! [`Diagnostic`]s (`cmdb-syntax`, `cmdb-missing-column`, `cmdb-invalid-value`). Whether a
//! datacenter exists or a host is a duplicate is decided in `model`.
//!
//! - **CSV**: a header row, columns matched case-insensitively; required `hostname`,
//!   `datacenter`, `status`; optional `ipv4`, `ipv6`, `roles`; unknown columns are ignored. Rows
//!   are read one at a time from a buffered reader.
//! - **JSON**: an array of objects with the CSV's column names as keys; `roles` and the address
//!   keys may be strings (`;`-separated) or arrays. Unknown keys are ignored, like unknown
//!   columns.
//! - **NetBox**: the JSON of `GET /api/dcim/devices/` (the paginated `{"results": [...]}`
//!   object, or the bare array of device objects), optionally wrapped with the addresses of
//!   `GET /api/ipam/ip-addresses/` as `{"devices": ..., "ip_addresses": ...}`. See
//!   `docs/formats.md` for the fields read.
//!
//! CSV is streamed row by row. JSON exports are read into memory once and walked element by
//! element without copying, so the position of every object is known for diagnostics.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;

use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{CmdbFormat, Host};
use crate::diagnostic::{Diagnostic, FileId, Span};

/// The export cannot be parsed at this point (CSV quoting, JSON syntax, not UTF-8).
pub const CMDB_SYNTAX: &str = "cmdb-syntax";
/// A required column or key is absent.
pub const CMDB_MISSING_COLUMN: &str = "cmdb-missing-column";
/// A value that is present but not what the column holds (a bad address, an empty hostname).
pub const CMDB_INVALID_VALUE: &str = "cmdb-invalid-value";

/// Problems reported per export before the rest are summarised in one line: a broken export
/// of a million rows should not print a million lines.
const MAX_DIAGNOSTICS: usize = 100;

/// The longest CSV line read: a host's row is a few hundred bytes, and a line without end (a
/// broken or hostile export) must not grow memory with the file.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The largest JSON or NetBox export read: JSON is read into memory whole (a million hosts is
/// a few hundred MiB); CSV is streamed and has no such limit.
pub const MAX_JSON_BYTES: usize = 1 << 30;

/// Reads an export in `format` from `reader` (shown as `file` in diagnostics), appending hosts
/// and problems. Only a failure to read is an `Err`.
pub fn read(
    reader: &mut dyn io::Read,
    format: CmdbFormat,
    file: FileId,
    hosts: &mut Vec<Host>,
    diagnostics: &mut Vec<Diagnostic>,
) -> io::Result<()> {
    let mut sink = Sink::new(file, hosts, diagnostics);
    match format {
        CmdbFormat::Csv => read_csv(reader, &mut sink)?,
        CmdbFormat::Json | CmdbFormat::Netbox => {
            let mut bytes = Vec::new();
            io::Read::read_to_end(
                &mut io::Read::take(&mut *reader, MAX_JSON_BYTES as u64 + 1),
                &mut bytes,
            )?;
            if bytes.len() > MAX_JSON_BYTES {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the JSON export is larger than {} MiB, the most zonegate reads into memory; export CSV, which is streamed",
                        MAX_JSON_BYTES >> 20
                    ),
                ));
            }
            if format == CmdbFormat::Json {
                read_json(&bytes, &mut sink);
            } else {
                read_netbox(&bytes, &mut sink);
            }
        }
    }
    sink.finish();
    Ok(())
}

/// Collects hosts and diagnostics, capping the number of diagnostics.
struct Sink<'a> {
    file: FileId,
    hosts: &'a mut Vec<Host>,
    diagnostics: &'a mut Vec<Diagnostic>,
    reported: usize,
    suppressed: usize,
}

impl<'a> Sink<'a> {
    fn new(file: FileId, hosts: &'a mut Vec<Host>, diagnostics: &'a mut Vec<Diagnostic>) -> Self {
        Self {
            file,
            hosts,
            diagnostics,
            reported: 0,
            suppressed: 0,
        }
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        if self.reported < MAX_DIAGNOSTICS {
            self.diagnostics.push(diagnostic);
            self.reported += 1;
        } else {
            self.suppressed += 1;
        }
    }

    fn error(&mut self, code: &'static str, line: u32, column: u32, message: String) {
        self.report(Diagnostic::error(
            code,
            Some(Span::new(self.file, line, column)),
            message,
        ));
    }

    fn finish(self) {
        if self.suppressed > 0 {
            self.diagnostics.push(Diagnostic::error(
                CMDB_SYNTAX,
                Some(Span::file(self.file)),
                format!(
                    "{} more problem(s) in this export were not listed",
                    self.suppressed
                ),
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Column positions found in the header.
struct Columns {
    hostname: usize,
    datacenter: usize,
    status: usize,
    ipv4: Option<usize>,
    ipv6: Option<usize>,
    roles: Option<usize>,
}

/// The CSV is parsed in segments of about this many bytes, [`PARALLEL_SEGMENTS`] at a time:
/// a million-record export is 17 MiB, and one thread parsing it was the longest part of
/// `render` before any record could be built.
const SEGMENT_BYTES: usize = 4 << 20;
/// Segments parsed at once (each on its own thread): memory stays bounded by their total.
const PARALLEL_SEGMENTS: usize = 2;

fn read_csv(reader: impl io::Read, sink: &mut Sink<'_>) -> io::Result<()> {
    read_csv_in_segments(reader, sink, SEGMENT_BYTES)
}

/// [`read_csv`] with segments of `segment_bytes` (small ones in tests).
///
/// Lines are counted by [`LineFeeds`] as the bytes pass (the offset of every line feed), and a
/// row's line is found from its byte offset: the csv reader's own line count skips blank lines.
fn read_csv_in_segments(
    reader: impl io::Read,
    sink: &mut Sink<'_>,
    segment_bytes: usize,
) -> io::Result<()> {
    let mut input = LineFeeds::new(reader);
    let mut buffer = Vec::new();
    let mut at_end = fill(&mut input, &mut buffer, segment_bytes)?;
    // Segments may only be cut where a record is known to end, and a quoted field can hold a
    // line break: from the first quote on, the rest is read by one csv reader, as a whole
    // export is when its first lines already quote. CMDB exports rarely quote anything (lists
    // are `;`-separated). A lone carriage return ends a record for the csv reader but not a
    // line, so it goes the same way.
    let header_end = if needs_one_reader(&buffer) {
        None
    } else {
        memchr::memchr(b'\n', &buffer)
    };
    let Some(header_end) = header_end else {
        return read_csv_stream(Remaining::new(buffer, 0, input), sink);
    };
    let mut header_reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&buffer[..=header_end]);
    let header = match header_reader.byte_headers() {
        Ok(header) => header.clone(),
        Err(error) => return csv_error(&error, 1, sink),
    };
    let Some(columns) = csv_columns(&header, sink) else {
        return Ok(());
    };
    buffer.drain(..=header_end);
    // Where `buffer` starts in the export.
    let mut offset = header_end as u64 + 1;
    loop {
        let mut segments = Vec::with_capacity(PARALLEL_SEGMENTS);
        while segments.len() < PARALLEL_SEGMENTS && !(at_end && buffer.is_empty()) {
            if buffer.len() < segment_bytes && !at_end {
                at_end = fill(&mut input, &mut buffer, segment_bytes)?;
            }
            if needs_one_reader(&buffer) {
                break;
            }
            let cut = if at_end {
                buffer.len()
            } else if let Some(newline) = memchr::memrchr(b'\n', &buffer) {
                newline + 1
            } else {
                // No line ends in a whole segment: LineFeeds refuses such a line before long,
                // so keep reading.
                let wanted = buffer.len() + segment_bytes;
                at_end = fill(&mut input, &mut buffer, wanted)?;
                continue;
            };
            let segment: Vec<u8> = buffer.drain(..cut).collect();
            segments.push((offset, segment));
            offset += cut as u64;
        }
        let file = sink.file;
        let newlines = &input.newlines;
        let parts: Vec<SegmentResult> = segments
            .par_iter()
            .map(|(start, segment)| {
                let (mut hosts, mut diagnostics) = (Vec::new(), Vec::new());
                let mut part_sink = Sink::new(file, &mut hosts, &mut diagnostics);
                let rows = Segment {
                    bytes: segment,
                    start: *start,
                    newlines,
                };
                let outcome = read_csv_rows(rows, &header, &columns, &mut part_sink);
                let suppressed = part_sink.suppressed;
                SegmentResult {
                    hosts,
                    diagnostics,
                    suppressed,
                    outcome,
                }
            })
            .collect();
        for part in parts {
            part.outcome?;
            sink.hosts.extend(part.hosts);
            for diagnostic in part.diagnostics {
                sink.report(diagnostic);
            }
            sink.suppressed += part.suppressed;
        }
        if at_end && buffer.is_empty() {
            return Ok(());
        }
        if needs_one_reader(&buffer) {
            let rest = Remaining::new(std::mem::take(&mut buffer), offset, input);
            return read_csv_rows(rest, &header, &columns, sink);
        }
    }
}

/// True when `bytes` hold a quote or a lone carriage return (see [`read_csv_in_segments`]).
fn needs_one_reader(bytes: &[u8]) -> bool {
    bytes.contains(&b'"') || bytes.contains(&b'\r')
}

/// What parsing one segment produced, to be added to the export's in segment order.
struct SegmentResult {
    hosts: Vec<Host>,
    diagnostics: Vec<Diagnostic>,
    suppressed: usize,
    outcome: io::Result<()>,
}

/// Reads from `input` into `buffer` until it holds `wanted` bytes or the input ends; true at
/// the end.
fn fill(input: &mut impl io::Read, buffer: &mut Vec<u8>, wanted: usize) -> io::Result<bool> {
    let missing = wanted.saturating_sub(buffer.len());
    let read = io::Read::read_to_end(&mut io::Read::take(&mut *input, missing as u64), buffer)?;
    Ok(read < missing)
}

/// CSV text a csv reader reads, which knows the line of any byte offset in the export.
trait Rows: io::Read {
    /// Where the text starts in the export.
    fn start(&self) -> u64;
    /// The offsets of the export's line feeds, at least up to what was read.
    fn newlines(&self) -> &[u64];
}

/// The line (1-based) of the record the csv reader says starts at `offset` of the export. The
/// reader counts the blank lines it skips into the next record, so they are stepped over.
fn line_at(rows: &impl Rows, offset: u64) -> u32 {
    let newlines = rows.newlines();
    let mut before = newlines.partition_point(|&newline| newline < offset);
    let mut at = offset;
    while newlines.get(before) == Some(&at) {
        before += 1;
        at += 1;
    }
    u32::try_from(before + 1).unwrap_or(u32::MAX)
}

/// One segment: whole lines, parsed on a thread of its own.
struct Segment<'a> {
    bytes: &'a [u8],
    start: u64,
    newlines: &'a [u64],
}

impl io::Read for Segment<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut self.bytes, out)
    }
}

impl Rows for Segment<'_> {
    fn start(&self) -> u64 {
        self.start
    }

    fn newlines(&self) -> &[u64] {
        self.newlines
    }
}

/// The rest of an export: what was read ahead, then the stream.
struct Remaining<R> {
    ahead: io::Cursor<Vec<u8>>,
    start: u64,
    input: LineFeeds<R>,
}

impl<R> Remaining<R> {
    fn new(ahead: Vec<u8>, start: u64, input: LineFeeds<R>) -> Self {
        Self {
            ahead: io::Cursor::new(ahead),
            start,
            input,
        }
    }
}

impl<R: io::Read> io::Read for Remaining<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match io::Read::read(&mut self.ahead, out)? {
            0 => self.input.read(out),
            read => Ok(read),
        }
    }
}

impl<R: io::Read> Rows for Remaining<R> {
    fn start(&self) -> u64 {
        self.start
    }

    fn newlines(&self) -> &[u64] {
        &self.input.newlines
    }
}

/// The whole export through one csv reader: header, then rows.
fn read_csv_stream(rows: impl Rows, sink: &mut Sink<'_>) -> io::Result<()> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(rows);
    let header = match csv.byte_headers() {
        Ok(header) => header.clone(),
        Err(error) => return csv_error(&error, 1, sink),
    };
    let Some(columns) = csv_columns(&header, sink) else {
        return Ok(());
    };
    each_row(&mut csv, &header, &columns, sink)
}

/// The columns of `header`, or `None` (reported) when it is empty or lacks a required one.
fn csv_columns(header: &csv::ByteRecord, sink: &mut Sink<'_>) -> Option<Columns> {
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        sink.error(
            CMDB_SYNTAX,
            1,
            1,
            "the CMDB export is empty; expected a header row such as `hostname,datacenter,ipv4,ipv6,status,roles`".into(),
        );
        return None;
    }
    find_columns(header, sink)
}

/// Rows without a header; each must have one field per column of `header`.
fn read_csv_rows(
    rows: impl Rows,
    header: &csv::ByteRecord,
    columns: &Columns,
    sink: &mut Sink<'_>,
) -> io::Result<()> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(rows);
    each_row(&mut csv, header, columns, sink)
}

/// Reads every row of `csv`, located by line, into `sink`.
fn each_row<R: Rows>(
    csv: &mut csv::Reader<R>,
    header: &csv::ByteRecord,
    columns: &Columns,
    sink: &mut Sink<'_>,
) -> io::Result<()> {
    let mut row = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut row) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let rows = csv.get_ref();
                let at = rows.start() + row.position().map_or(0, csv::Position::byte);
                let line = line_at(rows, at);
                if row.len() == header.len() {
                    csv_row(&row, line, columns, sink);
                } else {
                    sink.report(unequal_lengths(line, row.len(), header.len(), sink.file));
                }
            }
            Err(error) => {
                if let csv::ErrorKind::Io(_) = error.kind() {
                    return Err(error.into());
                }
                let rows = csv.get_ref();
                let line = error
                    .position()
                    .map_or(0, |position| line_at(rows, rows.start() + position.byte()));
                csv_error(&error, line, sink)?;
                // The csv reader resumes at the next record after a malformed one.
            }
        }
    }
}

/// Turns CRLF line ends (RFC 4180's, and what spreadsheets export) into LF while streaming.
///
/// The csv crate counts a record's line from where it starts reading it, and after a CRLF that
/// is still on the `\n` of the previous line: every row of a CRLF file would be reported one
/// line too early. A lone `\r` is passed through unchanged.
///
/// It also refuses a line longer than [`MAX_LINE_BYTES`], so memory stays bounded whatever the
/// export holds.
struct LineFeeds<R> {
    inner: io::BufReader<R>,
    /// A `\r` ended the last chunk; whether it is dropped depends on the next byte.
    pending_carriage_return: bool,
    /// The length so far of the line being read (its number is one more than the line feeds).
    line_bytes: usize,
    /// Bytes handed out so far, and the offset of every line feed among them.
    written: u64,
    newlines: Vec<u64>,
}

impl<R: io::Read> LineFeeds<R> {
    fn new(inner: R) -> Self {
        Self {
            inner: io::BufReader::new(inner),
            pending_carriage_return: false,
            line_bytes: 0,
            written: 0,
            newlines: Vec::new(),
        }
    }

    /// Counts `written` output bytes into the current line, noting where each line feed is.
    fn count(&mut self, written: &[u8]) -> io::Result<()> {
        let mut line_start = 0;
        for newline in memchr::memchr_iter(b'\n', written) {
            self.extend_line(newline - line_start)?;
            self.line_bytes = 0;
            self.newlines.push(self.written + newline as u64);
            line_start = newline + 1;
        }
        self.extend_line(written.len() - line_start)?;
        self.written += written.len() as u64;
        Ok(())
    }

    /// Adds `bytes` to the current line, refusing it once it is too long.
    fn extend_line(&mut self, bytes: usize) -> io::Result<()> {
        self.line_bytes += bytes;
        if self.line_bytes > MAX_LINE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "line {} is longer than {} MiB; a CMDB row is a few hundred bytes",
                    self.newlines.len() + 1,
                    MAX_LINE_BYTES >> 20
                ),
            ));
        }
        Ok(())
    }
}

impl<R: io::Read> io::Read for LineFeeds<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        use io::BufRead as _;
        if out.is_empty() {
            return Ok(0);
        }
        let mut written = 0;
        if self.pending_carriage_return {
            self.pending_carriage_return = false;
            if self.inner.fill_buf()?.first() != Some(&b'\n') {
                out[0] = b'\r';
                written = 1;
            }
        }
        let available = self.inner.fill_buf()?;
        let mut used = 0;
        // Runs without a carriage return are copied whole.
        while used < available.len() && written < out.len() {
            let room = out.len() - written;
            let chunk = &available[used..available.len().min(used + room)];
            let Some(carriage_return) = memchr::memchr(b'\r', chunk) else {
                out[written..written + chunk.len()].copy_from_slice(chunk);
                written += chunk.len();
                used += chunk.len();
                break;
            };
            out[written..written + carriage_return].copy_from_slice(&chunk[..carriage_return]);
            written += carriage_return;
            used += carriage_return + 1;
            match available.get(used) {
                // CRLF: the line feed follows on the next turn.
                Some(b'\n') => {}
                Some(_) if written < out.len() => {
                    out[written] = b'\r';
                    written += 1;
                }
                // No room for the lone `\r`: it is read again next time.
                Some(_) => {
                    used -= 1;
                    break;
                }
                None => {
                    self.pending_carriage_return = true;
                    break;
                }
            }
        }
        self.inner.consume(used);
        if written == 0 && self.pending_carriage_return {
            // Only a `\r` was available: decide it before returning, since 0 means the end.
            return self.read(out);
        }
        self.count(&out[..written])?;
        Ok(written)
    }
}

fn find_columns(header: &csv::ByteRecord, sink: &mut Sink<'_>) -> Option<Columns> {
    let names: Vec<String> = header
        .iter()
        .map(|name| {
            String::from_utf8_lossy(name)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    let find = |wanted: &str| names.iter().position(|name| name == wanted);
    // A column zonegate reads, named twice: which one was meant cannot be told, and reading the
    // first would drop the other's values without a word.
    let mut ambiguous = false;
    for wanted in ["hostname", "datacenter", "status", "ipv4", "ipv6", "roles"] {
        let mut positions = names
            .iter()
            .enumerate()
            .filter(|(_, name)| *name == wanted)
            .map(|(index, _)| index);
        let (Some(first), Some(second)) = (positions.next(), positions.next()) else {
            continue;
        };
        ambiguous = true;
        let column = 1 + header
            .iter()
            .take(second)
            .map(|field| field.len() as u32 + 1)
            .sum::<u32>();
        sink.report(
            Diagnostic::error(
                CMDB_SYNTAX,
                Some(Span::new(sink.file, 1, column)),
                format!(
                    "the header names `{wanted}` twice: column {} and column {}",
                    first + 1,
                    second + 1
                ),
            )
            .with_hint("keep one of the two columns (or rename the other; columns zonegate does not read are ignored)"),
        );
    }
    let mut missing = Vec::new();
    let mut required = |wanted: &'static str| {
        let position = find(wanted);
        if position.is_none() {
            missing.push(wanted);
        }
        position
    };
    let hostname = required("hostname");
    let datacenter = required("datacenter");
    let status = required("status");
    for wanted in missing {
        let mut diagnostic = Diagnostic::error(
            CMDB_MISSING_COLUMN,
            Some(Span::new(sink.file, 1, 1)),
            format!("the header has no `{wanted}` column"),
        )
        .with_hint(format!("header columns: {}", names.join(", ")));
        if let Some(close) = crate::model::suggest(wanted, names.iter().map(String::as_str)) {
            diagnostic = diagnostic.with_hint(format!("is `{close}` meant to be `{wanted}`?"));
        }
        diagnostic = diagnostic.with_hint(
            "required: hostname, datacenter, status; optional: ipv4, ipv6, roles (others are ignored)",
        );
        sink.report(diagnostic);
    }
    if ambiguous {
        return None;
    }
    Some(Columns {
        hostname: hostname?,
        datacenter: datacenter?,
        status: status?,
        ipv4: find("ipv4"),
        ipv6: find("ipv6"),
        roles: find("roles"),
    })
}

fn csv_row(row: &csv::ByteRecord, line: u32, columns: &Columns, sink: &mut Sink<'_>) {
    // Column of each field: exact for unquoted fields, which is what CMDB exports write.
    let column_of = |index: usize| -> u32 {
        1 + row
            .iter()
            .take(index)
            .map(|field| field.len() as u32 + 1)
            .sum::<u32>()
    };
    let field = |index: usize, what: &str, sink: &mut Sink<'_>| -> Option<&str> {
        if let Ok(text) = std::str::from_utf8(&row[index]) {
            Some(text.trim())
        } else {
            sink.report(
                Diagnostic::error(
                    CMDB_SYNTAX,
                    Some(Span::new(sink.file, line, column_of(index))),
                    format!("the `{what}` field is not valid UTF-8"),
                )
                .with_hint("export the CMDB as UTF-8"),
            );
            None
        }
    };
    let hostname = field(columns.hostname, "hostname", sink);
    let datacenter = field(columns.datacenter, "datacenter", sink);
    let status = field(columns.status, "status", sink);
    let ipv4 = columns
        .ipv4
        .map(|index| (index, field(index, "ipv4", sink)));
    let ipv6 = columns
        .ipv6
        .map(|index| (index, field(index, "ipv6", sink)));
    let roles = columns
        .roles
        .map_or(Some(""), |index| field(index, "roles", sink));
    let (Some(hostname), Some(datacenter), Some(status), Some(roles)) =
        (hostname, datacenter, status, roles)
    else {
        return;
    };
    let mut fields = HostFields {
        hostname,
        datacenter,
        status,
        roles: split_list(roles).collect(),
        addresses: Vec::new(),
    };
    let mut valid = true;
    for (family, cell) in [(Family::V4, ipv4), (Family::V6, ipv6)] {
        let Some((index, Some(text))) = cell else {
            valid &= !matches!(cell, Some((_, None)));
            continue;
        };
        for address in split_list(text) {
            match parse_address(address, family) {
                Ok(address) => fields.addresses.push(address),
                Err(message) => {
                    sink.error(CMDB_INVALID_VALUE, line, column_of(index), message);
                    valid = false;
                }
            }
        }
    }
    if valid {
        // The host is located at its hostname field: that is what a finding about it names.
        let span = Span::new(sink.file, line, column_of(columns.hostname));
        fields.push(span, sink);
    }
}

/// A row whose number of fields differs from the header's.
fn unequal_lengths(line: u32, len: usize, expected_len: usize, file: FileId) -> Diagnostic {
    Diagnostic::error(
        CMDB_SYNTAX,
        Some(Span::new(file, line, 1)),
        format!("this row has {len} field(s) but the header has {expected_len}"),
    )
    .with_hint(
        "every row needs one field per header column; leave a field empty rather than dropping it",
    )
}

/// Reports a csv error found on `line`.
fn csv_error(error: &csv::Error, line: u32, sink: &mut Sink<'_>) -> io::Result<()> {
    match error.kind() {
        csv::ErrorKind::Io(source) => Err(io::Error::new(source.kind(), source.to_string())),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            sink.report(unequal_lengths(
                line,
                *len as usize,
                *expected_len as usize,
                sink.file,
            ));
            Ok(())
        }
        csv::ErrorKind::Utf8 { .. } => {
            sink.error(
                CMDB_SYNTAX,
                line.max(1),
                1,
                "the header is not valid UTF-8".into(),
            );
            Ok(())
        }
        _ => {
            sink.error(CMDB_SYNTAX, line.max(1), 1, error.to_string());
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// One host object of a JSON export.
#[derive(Deserialize)]
struct JsonHost<'a> {
    #[serde(borrow)]
    hostname: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    datacenter: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    ipv4: StringList,
    #[serde(default)]
    ipv6: StringList,
    #[serde(default)]
    roles: StringList,
}

fn read_json(bytes: &[u8], sink: &mut Sink<'_>) {
    let Some(text) = utf8(bytes, sink) else {
        return;
    };
    let lines = LineIndex::new(text);
    let result = for_each_element(text, |element| {
        let (line, column) = lines.locate(element.get());
        match serde_json::from_str::<JsonHost<'_>>(element.get()) {
            Ok(host) => json_host(&host, line, column, sink),
            Err(error) => sink.report(value_error(
                sink.file,
                &error,
                element.get(),
                &lines,
                "a host object",
            )),
        }
    });
    if let Err(error) = result {
        sink.report(syntax_error(
            sink.file,
            &error,
            text,
            &lines,
            "an array of host objects",
        ));
    }
}

fn json_host(host: &JsonHost<'_>, line: u32, column: u32, sink: &mut Sink<'_>) {
    let mut missing = Vec::new();
    for (key, value) in [
        ("hostname", &host.hostname),
        ("datacenter", &host.datacenter),
        ("status", &host.status),
    ] {
        if value.is_none() {
            missing.push(key);
        }
    }
    if !missing.is_empty() {
        sink.report(
            Diagnostic::error(
                CMDB_MISSING_COLUMN,
                Some(Span::new(sink.file, line, column)),
                format!("this host has no `{}`", missing.join("`, `")),
            )
            .with_hint("every host needs hostname, datacenter and status"),
        );
        return;
    }
    let mut fields = HostFields {
        hostname: host.hostname.as_deref().unwrap_or_default(),
        datacenter: host.datacenter.as_deref().unwrap_or_default(),
        status: host.status.as_deref().unwrap_or_default(),
        roles: host.roles.items().collect(),
        addresses: Vec::new(),
    };
    let mut valid = true;
    for (family, list) in [(Family::V4, &host.ipv4), (Family::V6, &host.ipv6)] {
        for address in list.items() {
            match parse_address(address, family) {
                Ok(address) => fields.addresses.push(address),
                Err(message) => {
                    sink.error(CMDB_INVALID_VALUE, line, column, message);
                    valid = false;
                }
            }
        }
    }
    if valid {
        fields.push(Span::new(sink.file, line, column), sink);
    }
}

// ---------------------------------------------------------------------------------------------
// NetBox

/// The NetBox document: `{"devices": ..., "ip_addresses": ...}`, or one page of the devices
/// endpoint (`{"count": N, "results": [...]}`).
#[derive(Deserialize)]
struct NetboxDocument<'a> {
    #[serde(borrow, default)]
    devices: Option<&'a RawValue>,
    #[serde(borrow, default)]
    ip_addresses: Option<&'a RawValue>,
    #[serde(borrow, default)]
    results: Option<&'a RawValue>,
}

/// The fields of a NetBox device that zonegate reads.
#[derive(Deserialize)]
struct NetboxDevice<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
    site: Option<NetboxSlug>,
    status: Option<NetboxChoice>,
    /// NetBox 3.6+ calls it `role`; earlier versions `device_role`.
    role: Option<NetboxSlug>,
    device_role: Option<NetboxSlug>,
    primary_ip4: Option<NetboxAddress>,
    primary_ip6: Option<NetboxAddress>,
    #[serde(default)]
    custom_fields: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct NetboxSlug {
    slug: String,
}

#[derive(Deserialize)]
struct NetboxChoice {
    value: String,
}

#[derive(Deserialize)]
struct NetboxAddress {
    address: String,
}

/// An entry of `/api/ipam/ip-addresses/`.
#[derive(Deserialize)]
struct NetboxIpAddress {
    address: String,
    assigned_object: Option<NetboxAssignedObject>,
    status: Option<NetboxChoice>,
}

#[derive(Deserialize)]
struct NetboxAssignedObject {
    device: Option<NetboxDeviceReference>,
}

#[derive(Deserialize)]
struct NetboxDeviceReference {
    name: String,
}

fn read_netbox(bytes: &[u8], sink: &mut Sink<'_>) {
    let Some(text) = utf8(bytes, sink) else {
        return;
    };
    let lines = LineIndex::new(text);
    let expected = "NetBox devices: the devices endpoint's JSON (`{\"results\": [...]}` or an array), or `{\"devices\": ..., \"ip_addresses\": ...}`";
    let (devices, ip_addresses) = if text.trim_start().starts_with('[') {
        (text, None)
    } else {
        match serde_json::from_str::<NetboxDocument<'_>>(text) {
            Ok(NetboxDocument {
                devices: Some(devices),
                ip_addresses,
                ..
            }) => (
                unwrap_page(devices.get()),
                ip_addresses.map(|raw| unwrap_page(raw.get())),
            ),
            Ok(NetboxDocument {
                results: Some(results),
                ..
            }) => (results.get(), None),
            Ok(_) => {
                sink.report(
                    Diagnostic::error(
                        CMDB_SYNTAX,
                        Some(Span::new(sink.file, 1, 1)),
                        "this is not a NetBox device export",
                    )
                    .with_hint(format!("expected {expected}")),
                );
                return;
            }
            Err(error) => {
                sink.report(syntax_error(sink.file, &error, text, &lines, expected));
                return;
            }
        }
    };

    // Addresses assigned to devices through the IPAM endpoint, by device name.
    let mut assigned: HashMap<String, Vec<(IpAddr, Span)>> = HashMap::new();
    if let Some(addresses) = ip_addresses {
        let result = for_each_element(addresses, |element| {
            let (line, column) = lines.locate(element.get());
            let span = Span::new(sink.file, line, column);
            match serde_json::from_str::<NetboxIpAddress>(element.get()) {
                Ok(entry) => {
                    let device = entry
                        .assigned_object
                        .and_then(|object| object.device)
                        .map(|device| device.name.to_ascii_lowercase());
                    let usable = entry
                        .status
                        .is_none_or(|status| status.value == "active" || status.value == "dhcp");
                    if let (Some(device), true) = (device, usable) {
                        match parse_cidr_address(&entry.address) {
                            Ok(address) => {
                                assigned.entry(device).or_default().push((address, span));
                            }
                            Err(message) => {
                                sink.report(Diagnostic::error(
                                    CMDB_INVALID_VALUE,
                                    Some(span),
                                    message,
                                ));
                            }
                        }
                    }
                }
                Err(error) => sink.report(value_error(
                    sink.file,
                    &error,
                    element.get(),
                    &lines,
                    "a NetBox IP address",
                )),
            }
        });
        if let Err(error) = result {
            sink.report(syntax_error(
                sink.file,
                &error,
                addresses,
                &lines,
                "an array of NetBox IP addresses",
            ));
        }
    }

    let result = for_each_element(devices, |element| {
        let (line, column) = lines.locate(element.get());
        match serde_json::from_str::<NetboxDevice<'_>>(element.get()) {
            Ok(device) => netbox_device(&device, line, column, &assigned, sink),
            Err(error) => sink.report(value_error(
                sink.file,
                &error,
                element.get(),
                &lines,
                "a NetBox device",
            )),
        }
    });
    if let Err(error) = result {
        sink.report(syntax_error(sink.file, &error, devices, &lines, expected));
    }
}

/// `{"results": [...]}` -> the array's text; anything else as it is.
fn unwrap_page(text: &str) -> &str {
    #[derive(Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        results: &'a RawValue,
    }
    match serde_json::from_str::<Page<'_>>(text) {
        Ok(page) => page.results.get(),
        Err(_) => text,
    }
}

fn netbox_device(
    device: &NetboxDevice<'_>,
    line: u32,
    column: u32,
    assigned: &HashMap<String, Vec<(IpAddr, Span)>>,
    sink: &mut Sink<'_>,
) {
    let span = Span::new(sink.file, line, column);
    let (Some(name), Some(site), Some(status)) = (&device.name, &device.site, &device.status)
    else {
        // NetBox allows unnamed devices (patch panels, PDUs); they have no DNS names.
        if device.name.is_some() {
            sink.report(
                Diagnostic::error(
                    CMDB_MISSING_COLUMN,
                    Some(span),
                    "this device has no `site` or `status`",
                )
                .with_hint(
                    "export devices with their site and status (the default API output has both)",
                ),
            );
        }
        return;
    };
    let status = match status.value.as_str() {
        "active" => "in_use",
        "planned" | "staged" => "provisioning",
        other => other,
    };
    let mut addresses = Vec::new();
    for primary in [&device.primary_ip4, &device.primary_ip6]
        .into_iter()
        .flatten()
    {
        match parse_cidr_address(&primary.address) {
            Ok(address) => addresses.push(address),
            Err(message) => {
                sink.report(Diagnostic::error(CMDB_INVALID_VALUE, Some(span), message));
                return;
            }
        }
    }
    for (address, _) in assigned
        .get(&name.to_ascii_lowercase())
        .into_iter()
        .flatten()
    {
        if !addresses.contains(address) {
            addresses.push(*address);
        }
    }
    // Roles: the custom field `roles` (a list or a `;`-separated string) when the export has
    // one, else the device role's slug.
    let custom_roles: Vec<String> = match device.custom_fields.get("roles") {
        Some(serde_json::Value::String(text)) => split_list(text).map(str::to_owned).collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let roles: Vec<&str> = if custom_roles.is_empty() {
        device
            .role
            .as_ref()
            .or(device.device_role.as_ref())
            .map(|role| role.slug.as_str())
            .into_iter()
            .collect()
    } else {
        custom_roles.iter().map(String::as_str).collect()
    };
    HostFields {
        hostname: name,
        datacenter: &site.slug,
        status,
        roles,
        addresses,
    }
    .push(span, sink);
}

/// `10.0.0.1/24` (NetBox always writes the prefix length) or a bare address.
fn parse_cidr_address(text: &str) -> Result<IpAddr, String> {
    let address = text.split_once('/').map_or(text, |(address, _)| address);
    address
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not an IP address"))
}

// ---------------------------------------------------------------------------------------------
// Shared

/// A host's fields before they are owned.
struct HostFields<'t> {
    hostname: &'t str,
    datacenter: &'t str,
    status: &'t str,
    roles: Vec<&'t str>,
    addresses: Vec<IpAddr>,
}

impl HostFields<'_> {
    /// Validates the required fields and appends the host.
    fn push(self, span: Span, sink: &mut Sink<'_>) {
        for (what, value) in [
            ("hostname", self.hostname),
            ("datacenter", self.datacenter),
            ("status", self.status),
        ] {
            // A hostname of dots alone is empty once its trailing dot is dropped (found by
            // fuzzing: `.` became a host without a name).
            if value.trim().trim_end_matches('.').is_empty() {
                sink.report(Diagnostic::error(
                    CMDB_INVALID_VALUE,
                    Some(span),
                    format!("the `{what}` is empty"),
                ));
                return;
            }
        }
        // One trailing dot is the absolute form (`web1.ams.example.net.`); a second one is an
        // empty label, which `model` refuses, so it must not be trimmed away here.
        let hostname = self.hostname.trim();
        sink.hosts.push(Host {
            hostname: lower(hostname.strip_suffix('.').unwrap_or(hostname)),
            datacenter: lower(self.datacenter.trim()),
            addresses: self.addresses,
            status: lower(self.status.trim()),
            roles: self
                .roles
                .into_iter()
                .map(|role| lower(role.trim()))
                .filter(|role| !role.is_empty())
                .collect(),
            span,
        });
    }
}

fn lower(text: &str) -> String {
    text.to_ascii_lowercase()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

fn parse_address(text: &str, family: Family) -> Result<IpAddr, String> {
    let parsed: Result<IpAddr, _> = text.parse();
    match (parsed, family) {
        (Ok(address @ IpAddr::V4(_)), Family::V4) | (Ok(address @ IpAddr::V6(_)), Family::V6) => {
            Ok(address)
        }
        (Ok(IpAddr::V6(_)), Family::V4) => Err(format!(
            "`{text}` is an IPv6 address in the ipv4 column; put it in the ipv6 column"
        )),
        (Ok(IpAddr::V4(_)), Family::V6) => Err(format!(
            "`{text}` is an IPv4 address in the ipv6 column; put it in the ipv4 column"
        )),
        (Err(_), Family::V4) => Err(format!(
            "`{text}` is not an IPv4 address; expected dotted quads such as 10.1.0.7"
        )),
        (Err(_), Family::V6) => Err(format!(
            "`{text}` is not an IPv6 address; expected e.g. 2001:db8:1::7"
        )),
    }
}

/// The items of a `;`-separated cell, trimmed, empty ones dropped.
fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// A JSON value that is a string (`;`-separated), an array of strings, or null.
#[derive(Default)]
struct StringList(Vec<String>);

impl StringList {
    fn items(&self) -> impl Iterator<Item = &str> {
        self.0.iter().flat_map(|item| split_list(item))
    }
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = StringList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, a list of strings or null")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<StringList, E> {
                Ok(StringList(vec![value.to_owned()]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<StringList, E> {
                Ok(StringList::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<StringList, E> {
                Ok(StringList::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(StringList(items))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

fn utf8<'b>(bytes: &'b [u8], sink: &mut Sink<'_>) -> Option<&'b str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(error) => {
            sink.report(
                Diagnostic::error(
                    CMDB_SYNTAX,
                    Some(Span::at_offset(sink.file, bytes, error.valid_up_to())),
                    "the export is not valid UTF-8",
                )
                .with_hint("export the CMDB as UTF-8"),
            );
            None
        }
    }
}

/// Calls `each` for every element of the JSON array `text`, one at a time, without building a
/// list of them.
fn for_each_element<'t>(
    text: &'t str,
    mut each: impl FnMut(&'t RawValue),
) -> Result<(), serde_json::Error> {
    struct Elements<'f, F>(&'f mut F);
    impl<'de, F: FnMut(&'de RawValue)> Visitor<'de> for Elements<'_, F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(element) = seq.next_element::<&'de RawValue>()? {
                (self.0)(element);
            }
            Ok(())
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_seq(Elements(&mut each))?;
    deserializer.end()
}

/// A syntax error while walking `slice` (a part of the export, or all of it).
fn syntax_error(
    file: FileId,
    error: &serde_json::Error,
    slice: &str,
    lines: &LineIndex<'_>,
    expected: &str,
) -> Diagnostic {
    let (line, column) = lines.locate_within(slice, error.line(), error.column());
    let message = strip_position(&error.to_string());
    Diagnostic::error(CMDB_SYNTAX, Some(Span::new(file, line, column)), message)
        .with_hint(format!("expected {expected}"))
}

/// A typing error inside `element` (a slice of the export), located in the whole file.
fn value_error(
    file: FileId,
    error: &serde_json::Error,
    element: &str,
    lines: &LineIndex<'_>,
    what: &str,
) -> Diagnostic {
    let (line, column) = lines.locate_within(element, error.line(), error.column());
    Diagnostic::error(
        CMDB_INVALID_VALUE,
        Some(Span::new(file, line, column)),
        format!("{what}: {}", strip_position(&error.to_string())),
    )
}

fn strip_position(message: &str) -> String {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(message, _)| message)
        .to_owned()
}

/// Byte offsets of line starts, to turn a slice of the text into `line:column`.
struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()));
        Self { text, starts }
    }

    /// Line and column of the start of `slice`, which must point into the indexed text.
    fn locate(&self, slice: &str) -> (u32, u32) {
        let offset = (slice.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        self.position(offset)
    }

    /// Line and column of `line:column` (1-based, as serde_json reports) counted inside `slice`.
    fn locate_within(&self, slice: &str, line: usize, column: usize) -> (u32, u32) {
        let start = (slice.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let mut offset = start;
        for _ in 1..line.max(1) {
            match self.text[offset..].find('\n') {
                Some(newline) => offset += newline + 1,
                None => break,
            }
        }
        let offset = offset + column.saturating_sub(1);
        self.position(offset.min(self.text.len()))
    }

    fn position(&self, offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        // serde_json reports columns in bytes; an offset inside a multi-byte character (found
        // by fuzzing: it panicked) counts as that character.
        let mut end = offset.max(start).min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        (line as u32, column as u32)
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &byte)| byte == b'\n')
        .map(|(index, _)| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;

    fn run(format: CmdbFormat, text: &[u8]) -> String {
        read_with(|sink| match format {
            CmdbFormat::Csv => read_csv(text, sink).unwrap(),
            CmdbFormat::Json => read_json(text, sink),
            CmdbFormat::Netbox => read_netbox(text, sink),
        })
    }

    /// The hosts and diagnostics `read` produces, one per line.
    fn read_with(read: impl FnOnce(&mut Sink<'_>)) -> String {
        use std::fmt::Write as _;
        let mut sources = SourceMap::default();
        let file = sources.add("zones/cmdb/export");
        let mut hosts = Vec::new();
        let mut diagnostics = Vec::new();
        let mut sink = Sink::new(file, &mut hosts, &mut diagnostics);
        read(&mut sink);
        sink.finish();
        let mut out = String::new();
        for host in &hosts {
            let _ = writeln!(
                out,
                "{}:{}:{} {} {} {} {:?} {:?}",
                sources.path(host.span.file).display(),
                host.span.line,
                host.span.column,
                host.hostname,
                host.datacenter,
                host.status,
                host.addresses,
                host.roles
            );
        }
        for diagnostic in &diagnostics {
            out.push_str(&diagnostic.display(&sources).to_string());
            out.push('\n');
        }
        out
    }

    #[test]
    fn csv_columns_are_found_by_header_in_any_order_and_case() {
        let text = b"Status,Rack,HOSTNAME,datacenter,roles,ipv6,ipv4,owner\n\
in_use,r1,Web1,AMS,web; api,2001:db8::1,10.0.0.1;10.0.0.2,team\n\
spare,r2,db1.ams.example.com.,ams,,,,\n";
        insta::assert_snapshot!(run(CmdbFormat::Csv, text), @r#"
        zones/cmdb/export:2:11 web1 ams in_use [10.0.0.1, 10.0.0.2, 2001:db8::1] ["web", "api"]
        zones/cmdb/export:3:10 db1.ams.example.com ams spare [] []
        "#);
    }

    // Security review: a second `ipv4` column was ignored without a word (its addresses were
    // never published), and `web1..` lost both dots, becoming `web1`.
    #[test]
    fn a_column_named_twice_is_refused_and_only_one_trailing_dot_is_dropped() {
        let text = b"hostname,ipv4,datacenter,status,ipv4,notes,notes\nweb1,10.0.0.1,ams,in_use,10.0.0.2,,\n";
        insta::assert_snapshot!(run(CmdbFormat::Csv, text), @"
        zones/cmdb/export:1:33: error[cmdb-syntax]: the header names `ipv4` twice: column 2 and column 5
          hint: keep one of the two columns (or rename the other; columns zonegate does not read are ignored)
        ");
        let text = b"hostname,datacenter,status\nweb1.ams.example.com.,ams,in_use\nweb2..,ams,in_use\n*,ams,in_use\n";
        insta::assert_snapshot!(run(CmdbFormat::Csv, text), @"
        zones/cmdb/export:2:1 web1.ams.example.com ams in_use [] []
        zones/cmdb/export:3:1 web2. ams in_use [] []
        zones/cmdb/export:4:1 * ams in_use [] []
        ");
    }

    #[test]
    fn crlf_rows_are_located_on_their_own_line() {
        let text = b"hostname,datacenter,ipv4,status\r\nweb1,ams,10.0.0.1,in_use\r\nweb2,ams,10.0.0.300,in_use\r\nweb3,ams,10.0.0.3,in_use\r\n";
        insta::assert_snapshot!(run(CmdbFormat::Csv, text), @"
        zones/cmdb/export:2:1 web1 ams in_use [10.0.0.1] []
        zones/cmdb/export:4:1 web3 ams in_use [10.0.0.3] []
        zones/cmdb/export:3:10: error[cmdb-invalid-value]: `10.0.0.300` is not an IPv4 address; expected dotted quads such as 10.1.0.7
        ");
    }

    // The csv reader counts the blank lines it skips into the next record's position, so a
    // row after a blank line was reported a line too early.
    #[test]
    fn rows_after_blank_lines_are_located_on_their_own_line() {
        let plain = b"hostname,datacenter,ipv4,status\nweb1,ams,10.0.0.1,in_use\n\n\nweb2,ams,10.0.0.300,in_use\n";
        insta::assert_snapshot!(run(CmdbFormat::Csv, plain), @"
        zones/cmdb/export:2:1 web1 ams in_use [10.0.0.1] []
        zones/cmdb/export:5:10: error[cmdb-invalid-value]: `10.0.0.300` is not an IPv4 address; expected dotted quads such as 10.1.0.7
        ");
        // A quote sends the export through one csv reader: the same lines.
        let quoted = b"hostname,datacenter,ipv4,status\n\"web1\",ams,10.0.0.1,in_use\n\n\nweb2,ams,10.0.0.300,in_use\n";
        insta::assert_snapshot!(run(CmdbFormat::Csv, quoted), @"
        zones/cmdb/export:2:1 web1 ams in_use [10.0.0.1] []
        zones/cmdb/export:5:10: error[cmdb-invalid-value]: `10.0.0.300` is not an IPv4 address; expected dotted quads such as 10.1.0.7
        ");
    }

    #[test]
    fn line_feeds_drop_only_the_carriage_return_of_a_crlf() {
        use std::io::Read as _;
        let text = b"a\r\nb\rc\r\r\n\r";
        // A one-byte buffer exercises every `\r` at the end of a chunk.
        for size in [1, 2, 3, 64] {
            let mut reader = LineFeeds {
                inner: io::BufReader::with_capacity(size, &text[..]),
                ..LineFeeds::new(&b""[..])
            };
            let mut out = Vec::new();
            reader.read_to_end(&mut out).unwrap();
            assert_eq!(out, b"a\nb\rc\r\n\r", "buffer of {size}");
            assert_eq!(
                reader.newlines,
                [1, 6],
                "where the line feeds are, after the change"
            );
            // And read into small buffers, so a lone `\r` can find no room.
            for out_size in [1, 2, 3] {
                let mut reader = LineFeeds {
                    inner: io::BufReader::with_capacity(size, &text[..]),
                    ..LineFeeds::new(&b""[..])
                };
                let mut out = Vec::new();
                let mut chunk = vec![0; out_size];
                loop {
                    let read = reader.read(&mut chunk).unwrap();
                    if read == 0 {
                        break;
                    }
                    out.extend_from_slice(&chunk[..read]);
                }
                assert_eq!(
                    out, b"a\nb\rc\r\n\r",
                    "buffer of {size}, reads of {out_size}"
                );
            }
        }
    }

    // Security review: a line without end (a broken or hostile export) grew memory with the
    // file, and a 40 MB status was read without complaint.
    #[test]
    fn a_csv_line_longer_than_the_limit_is_refused_with_its_line_number() {
        let mut text = b"hostname,datacenter,status\nweb1,ams,in_use\nweb2,ams,".to_vec();
        text.resize(text.len() + MAX_LINE_BYTES + 1, b'x');
        text.extend_from_slice(b"\nweb3,ams,in_use\n");
        let mut sources = SourceMap::default();
        let file = sources.add("zones/cmdb/servers.csv");
        let (mut hosts, mut diagnostics) = (Vec::new(), Vec::new());
        let error = read(
            &mut &text[..],
            CmdbFormat::Csv,
            file,
            &mut hosts,
            &mut diagnostics,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3 is longer than 1 MiB; a CMDB row is a few hundred bytes"
        );
        // A line at the limit is fine.
        let mut text = b"hostname,datacenter,status\nweb1,ams,".to_vec();
        text.resize(text.len() + MAX_LINE_BYTES - 9, b'x');
        text.push(b'\n');
        read(
            &mut &text[..],
            CmdbFormat::Csv,
            file,
            &mut hosts,
            &mut diagnostics,
        )
        .unwrap();
    }

    #[test]
    fn csv_problems_are_located_and_reading_goes_on() {
        let text = b"hostname,datacenter,ipv4,ipv6,status\n\
web1,ams,10.0.0.256,,in_use\n\
web2,ams,2001:db8::2,,in_use\n\
web3,ams\n\
web4,ams,10.0.0.4,10.0.0.5,in_use\n\
,ams,10.0.0.6,,in_use\n\
web7,ams,10.0.0.7,,in_use\n";
        insta::assert_snapshot!(run(CmdbFormat::Csv, text), @r"
        zones/cmdb/export:7:1 web7 ams in_use [10.0.0.7] []
        zones/cmdb/export:2:10: error[cmdb-invalid-value]: `10.0.0.256` is not an IPv4 address; expected dotted quads such as 10.1.0.7
        zones/cmdb/export:3:10: error[cmdb-invalid-value]: `2001:db8::2` is an IPv6 address in the ipv4 column; put it in the ipv6 column
        zones/cmdb/export:4:1: error[cmdb-syntax]: this row has 2 field(s) but the header has 5
          hint: every row needs one field per header column; leave a field empty rather than dropping it
        zones/cmdb/export:5:19: error[cmdb-invalid-value]: `10.0.0.5` is an IPv4 address in the ipv6 column; put it in the ipv4 column
        zones/cmdb/export:6:1: error[cmdb-invalid-value]: the `hostname` is empty
        ");
    }

    #[test]
    fn csv_missing_columns_suggest_the_likely_one() {
        insta::assert_snapshot!(run(CmdbFormat::Csv, b"host_name,datacenter,state\nweb1,ams,in_use\n"), @"
        zones/cmdb/export:1:1: error[cmdb-missing-column]: the header has no `hostname` column
          hint: header columns: host_name, datacenter, state
          hint: is `host_name` meant to be `hostname`?
          hint: required: hostname, datacenter, status; optional: ipv4, ipv6, roles (others are ignored)
        zones/cmdb/export:1:1: error[cmdb-missing-column]: the header has no `status` column
          hint: header columns: host_name, datacenter, state
          hint: is `state` meant to be `status`?
          hint: required: hostname, datacenter, status; optional: ipv4, ipv6, roles (others are ignored)
        ");
    }

    #[test]
    fn csv_empty_and_non_utf8_exports() {
        insta::assert_snapshot!(run(CmdbFormat::Csv, b""), @"zones/cmdb/export:1:1: error[cmdb-syntax]: the CMDB export is empty; expected a header row such as `hostname,datacenter,ipv4,ipv6,status,roles`");
        insta::assert_snapshot!(run(CmdbFormat::Csv, b"hostname,datacenter,status\nw\xe9b1,ams,in_use\n"), @r"
        zones/cmdb/export:2:1: error[cmdb-syntax]: the `hostname` field is not valid UTF-8
          hint: export the CMDB as UTF-8
        ");
    }

    #[test]
    fn json_hosts_with_strings_or_lists() {
        let text = br#"[
  {"hostname": "web1", "datacenter": "ams", "ipv4": "10.0.0.1", "roles": ["web", "api"], "status": "in_use", "rack": "r1"},
  {"hostname": "web2", "datacenter": "ams", "ipv4": ["10.0.0.2"], "ipv6": null, "roles": "web;api", "status": "IN_USE"},
  {"hostname": "web3", "datacenter": "ams", "ipv4": "10.0.0.300", "status": "in_use"},
  {"hostname": "web4", "datacenter": "ams"},
  {"hostname": "web5", "datacenter": "ams", "status": 7}
]"#;
        insta::assert_snapshot!(run(CmdbFormat::Json, text), @r#"
        zones/cmdb/export:2:3 web1 ams in_use [10.0.0.1] ["web", "api"]
        zones/cmdb/export:3:3 web2 ams in_use [10.0.0.2] ["web", "api"]
        zones/cmdb/export:4:3: error[cmdb-invalid-value]: `10.0.0.300` is not an IPv4 address; expected dotted quads such as 10.1.0.7
        zones/cmdb/export:5:3: error[cmdb-missing-column]: this host has no `status`
          hint: every host needs hostname, datacenter and status
        zones/cmdb/export:6:55: error[cmdb-invalid-value]: a host object: invalid type: integer `7`, expected a string
        "#);
    }

    #[test]
    fn json_syntax_errors_point_at_the_break() {
        let text = b"[\n  {\"hostname\": \"web1\", \"datacenter\": \"ams\", \"status\": \"in_use\"},\n  {\"hostname\": \"web2\", \"status\": \"in_";
        insta::assert_snapshot!(run(CmdbFormat::Json, text), @r#"
        zones/cmdb/export:2:3 web1 ams in_use [] []
        zones/cmdb/export:3:37: error[cmdb-syntax]: EOF while parsing a string
          hint: expected an array of host objects
        "#);
        insta::assert_snapshot!(run(CmdbFormat::Json, b"{\"hosts\": []}"), @r"
        zones/cmdb/export:1:1: error[cmdb-syntax]: invalid type: map, expected an array
          hint: expected an array of host objects
        ");
    }

    #[test]
    fn netbox_devices_with_primary_and_assigned_addresses() {
        let text = br#"{
  "devices": {"count": 3, "next": null, "previous": null, "results": [
    {"id": 1, "name": "Web1", "site": {"id": 1, "slug": "ams", "name": "Amsterdam"},
     "status": {"value": "active", "label": "Active"}, "role": {"id": 2, "slug": "web"},
     "primary_ip4": {"id": 10, "address": "10.0.0.1/24"}, "primary_ip6": null,
     "custom_fields": {"roles": "web;api"}},
    {"id": 2, "name": "db1", "site": {"slug": "ams"}, "status": {"value": "planned"},
     "device_role": {"slug": "db"}, "primary_ip4": null, "primary_ip6": {"address": "2001:db8::5/64"},
     "custom_fields": {}},
    {"id": 3, "name": null, "site": {"slug": "ams"}, "status": {"value": "active"}}
  ]},
  "ip_addresses": {"results": [
    {"id": 11, "address": "2001:db8::1/64", "status": {"value": "active"},
     "assigned_object": {"id": 5, "device": {"id": 1, "name": "web1"}, "name": "eth0"}},
    {"id": 12, "address": "10.9.9.9/24", "status": {"value": "deprecated"},
     "assigned_object": {"device": {"name": "web1"}}}
  ]}
}"#;
        insta::assert_snapshot!(run(CmdbFormat::Netbox, text), @r#"
        zones/cmdb/export:3:5 web1 ams in_use [10.0.0.1, 2001:db8::1] ["web", "api"]
        zones/cmdb/export:7:5 db1 ams provisioning [2001:db8::5] ["db"]
        "#);
    }

    #[test]
    fn netbox_page_and_wrong_shape() {
        let page = br#"{"count": 1, "results": [{"name": "a1", "site": {"slug": "nyc"}, "status": {"value": "offline"}}]}"#;
        insta::assert_snapshot!(run(CmdbFormat::Netbox, page), @r#"zones/cmdb/export:1:26 a1 nyc offline [] []"#);
        insta::assert_snapshot!(run(CmdbFormat::Netbox, br#"{"hosts": []}"#), @r#"
        zones/cmdb/export:1:1: error[cmdb-syntax]: this is not a NetBox device export
          hint: expected NetBox devices: the devices endpoint's JSON (`{"results": [...]}` or an array), or `{"devices": ..., "ip_addresses": ...}`
        "#);
    }

    #[test]
    fn many_problems_are_capped() {
        use std::fmt::Write as _;
        let mut text = String::from("hostname,datacenter,ipv4,status\n");
        for index in 0..150 {
            let _ = writeln!(text, "h{index},ams,bad,in_use");
        }
        let out = run(CmdbFormat::Csv, text.as_bytes());
        assert_eq!(out.lines().count(), MAX_DIAGNOSTICS + 1);
        assert!(
            out.ends_with(
                "error[cmdb-syntax]: 50 more problem(s) in this export were not listed\n"
            ),
            "{out}"
        );
    }

    use proptest::prelude::Strategy as _;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        /// Parsing in segments (two at a time, in parallel) reads exactly what one csv reader
        /// over the whole export reads: the same hosts, the same lines, the same problems in
        /// the same order, the same cap on them; whatever the rows hold (quotes with line
        /// breaks, CRLF, lone carriage returns, wrong field counts, bad values).
        #[test]
        fn segments_read_as_one_reader_does(
            rows in proptest::collection::vec(
                proptest::prop_oneof![
                    6 => (0_u8..200).prop_map(|n| format!("web{n},ams,10.0.{n}.1,in_use,web;api")),
                    1 => proptest::prelude::Just("bad,ams,10.0.0.999,in_use,".to_owned()),
                    1 => proptest::prelude::Just("short,ams".to_owned()),
                    1 => proptest::prelude::Just(",ams,10.0.0.2,in_use,".to_owned()),
                    1 => proptest::prelude::Just("\"q\nuoted\",ams,10.0.0.3,in_use,".to_owned()),
                    1 => proptest::prelude::Just("cr,ams,10.0.0.4,in_use,\rnext,ams,10.0.0.5,in_use,".to_owned()),
                    1 => proptest::prelude::Just(String::new()),
                ],
                0..160,
            ),
            crlf in proptest::bool::ANY,
            segment_bytes in 1_usize..200,
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("hostname,datacenter,ipv4,status,roles{end}");
            for row in &rows {
                text.push_str(row);
                text.push_str(end);
            }
            let segmented = read_with(|sink| {
                read_csv_in_segments(text.as_bytes(), sink, segment_bytes).unwrap();
            });
            let whole = read_with(|sink| {
                let stream = Remaining::new(Vec::new(), 0, LineFeeds::new(text.as_bytes()));
                read_csv_stream(stream, sink).unwrap();
            });
            proptest::prop_assert_eq!(segmented, whole);
        }
    }
}
