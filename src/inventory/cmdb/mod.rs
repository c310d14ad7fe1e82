//! CMDB export readers: CSV, JSON and NetBox, each read into [`Host`]s.
//!
//! Readers interpret nothing beyond the export's own syntax: they lower-case names and statuses,
//! split `;`-separated lists and parse addresses, and report what they cannot read as located
//! [`Diagnostic`]s (`cmdb-syntax`, `cmdb-missing-column`, `cmdb-invalid-value`). Whether a
//! datacenter exists or a host is a duplicate is decided in `model`.
//!
//! - **CSV**: a header row, columns matched case-insensitively; required `hostname`,
//!   `datacenter`, `status`; optional `ipv4`, `ipv6`, `roles`; unknown columns are ignored.
//! - **JSON**: an array of objects with the CSV's column names as keys; `roles` and the address
//!   keys may be strings (`;`-separated) or arrays. Unknown keys are ignored, like unknown
//!   columns.
//! - **NetBox**: the JSON of `GET /api/dcim/devices/` (the paginated `{"results": [...]}`
//!   object, or the bare array of device objects), optionally wrapped with the addresses of
//!   `GET /api/ipam/ip-addresses/` as `{"devices": ..., "ip_addresses": ...}`. See
//!   `docs/formats.md` for the fields read.
//!
//! CSV is read in segments of whole lines (4 MiB), two parsed at once, each on its own thread,
//! so memory stays bounded by the two segments whatever the export's size; from the first
//! quote or lone carriage return on (a quoted field may hold a line break, so no cut after it
//! is known to end a record) the rest goes through one csv reader, row by row. A row's line
//! number comes from its byte offset. At a million records the segments took 0.13 s off a 1.7 s
//! render in an interleaved A/B, for the same instructions (BENCHMARKS.md). JSON
//! exports are read into memory once and walked element by element without copying, so the
//! position of every object is known for diagnostics.
//!
//! One file per format (`csv`, `json`, `netbox`; `json` also holds the walk over a JSON array
//! and the located errors NetBox shares); this module has what every reader shares: the
//! `Sink` that caps the problems reported, and the validation of a host's fields.

use std::io;
use std::net::IpAddr;

use super::{CmdbFormat, Host};
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::rules::Rule;
use crate::rules::input::{CMDB_INVALID_VALUE, CMDB_SYNTAX};

mod csv;
mod json;
mod netbox;

use csv::read_csv;
use json::read_json;
use netbox::read_netbox;

/// Problems reported per export before the rest are summarised in one line: a broken export
/// of a million rows should not print a million lines.
const MAX_DIAGNOSTICS: usize = 100;

/// The longest CSV line read: a host's row is a few hundred bytes, and a line without end (a
/// broken or hostile export) must not grow memory with the file.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The largest JSON or NetBox export read: JSON is read into memory whole (a million hosts is
/// a few hundred MiB); CSV is read in bounded segments and has no such limit.
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

    fn error(&mut self, rule: &'static Rule, line: u32, column: u32, message: String) {
        self.report(Diagnostic::error(
            rule,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;

    pub(super) fn run(format: CmdbFormat, text: &[u8]) -> String {
        read_with(|sink| match format {
            CmdbFormat::Csv => read_csv(text, sink).unwrap(),
            CmdbFormat::Json => read_json(text, sink),
            CmdbFormat::Netbox => read_netbox(text, sink),
        })
    }

    pub(super) fn read_with(read: impl FnOnce(&mut Sink<'_>)) -> String {
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
}
