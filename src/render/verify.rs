//! Reads rendered text back ([`crate::zonefile`], not the writer) and holds it to the zone's
//! records: exactly the model's records (owner, type, TTL, data, the SOA with its planned
//! serial), class IN, and no directive but a leading `$ORIGIN` of the zone itself and `$TTL`.
//!
//! [`super::write`] checks the pieces it writes: the head and tail the template produced, read
//! as one file would be read with the body between them (the head must end at a clean line
//! start, so nothing it opens can reach into the body), and each chunk of body lines against
//! the records it was rendered from. A template that transforms the body is read whole.

use std::cmp::Ordering;
use std::fmt;

use rayon::prelude::*;

use super::template::TemplatePosition;
use super::write_data;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::model::name::Name;
use crate::model::record::{RData, Record, RecordType};
use crate::model::zone::Zone;
use crate::zonefile::{self, Class, DirectiveKind, Entry, Position, Reader, State};

/// The rendered text of a zone does not hold exactly the zone's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The zone.
    pub origin: String,
    /// The template's name (its path, or `built-in zone.j2`).
    pub template: String,
    /// Where in the template the offending text was written: the exact place of literal text,
    /// or the expression that wrote it; `None` when it cannot be told.
    pub at: Option<TemplatePosition>,
    /// Where in the rendered zone file.
    pub rendered: Position,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a rendered zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The text cannot be read back.
    Unreadable(zonefile::ErrorKind),
    /// A directive other than `$ORIGIN` and `$TTL` (`$INCLUDE`, `$GENERATE`, ...).
    Directive(String),
    /// An `$ORIGIN` that is not the zone's origin.
    Origin(String),
    /// An `$ORIGIN` after a record, or a second one.
    LateOrigin,
    /// A record of another class than IN.
    Class(Class),
    /// The template leaves a parenthesis open where the body begins.
    OpenParenthesis,
    /// The body does not begin at the start of a line (`comment`: it would be in a comment).
    NotAtLineStart {
        /// The line the body would continue is a comment.
        comment: bool,
    },
    /// A record the zone does not have.
    Unexpected(String),
    /// A record of the zone written twice.
    Twice(String),
    /// A record of the zone the text does not hold.
    Missing(String),
    /// A record of the zone written with another TTL, data or serial.
    Different {
        /// The record as the zone has it.
        expected: String,
        /// As the text holds it.
        found: String,
    },
}

impl Mismatch {
    /// The finding: located at the template line when known (`template_file` is the
    /// template's file, `None` for the built-in one).
    pub fn diagnostic(&self, template_file: Option<FileId>) -> Diagnostic {
        let span = template_file.map(|file| match self.at {
            Some(at) => Span::new(file, at.line, at.column),
            None => Span::file(file),
        });
        let hint = match &self.problem {
            Problem::Directive(_) | Problem::Origin(_) | Problem::LateOrigin => format!(
                "a zone file zonegate writes holds no directive but a leading `$ORIGIN {}` and `$TTL`: any other would bring in records no check or test has seen",
                self.origin
            ),
            Problem::OpenParenthesis | Problem::NotAtLineStart { .. } => {
                "put `{{ body }}` at the start of a line of its own, after every parenthesis and quote the template opens is closed".to_owned()
            }
            _ => "the zone's records come from zones/ and the CMDB; the template may only lay them out (`{{ body }}`, or a loop over `records`)".to_owned(),
        };
        Diagnostic::error(
            crate::check::render_rules::RENDERED_ZONE_MISMATCH.id,
            span,
            self.to_string(),
        )
        .with_hint(hint)
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = &self.origin;
        let at = format!(
            "line {}, column {} of the rendered zone",
            self.rendered.line, self.rendered.column
        );
        match &self.problem {
            Problem::Unreadable(kind) => {
                write!(
                    f,
                    "the rendered zone {origin} cannot be read back ({at}): {kind}"
                )
            }
            Problem::Directive(name) => {
                write!(
                    f,
                    "the template writes a `{name}` directive into {origin} ({at})"
                )
            }
            Problem::Origin(name) => {
                write!(
                    f,
                    "the template writes `$ORIGIN {name}` into {origin} ({at})"
                )
            }
            Problem::LateOrigin => write!(
                f,
                "the template writes an `$ORIGIN` into {origin} after its first record or a first `$ORIGIN` ({at})"
            ),
            Problem::Class(class) => write!(
                f,
                "the template writes a class {class} record into {origin} ({at}); its records are class IN"
            ),
            Problem::OpenParenthesis => write!(
                f,
                "the template leaves a parenthesis open where the records of {origin} begin ({at}): they would be read as part of one record"
            ),
            Problem::NotAtLineStart { comment } => write!(
                f,
                "the records of {origin} do not begin at the start of a line ({at}){}",
                if *comment {
                    ": they would be read as part of a comment"
                } else {
                    ": the first would be read as part of the line before it"
                }
            ),
            Problem::Unexpected(record) => {
                write!(
                    f,
                    "the template adds a record to {origin} ({at}): `{record}`"
                )
            }
            Problem::Twice(record) => {
                write!(
                    f,
                    "the template writes a record of {origin} twice ({at}): `{record}`"
                )
            }
            Problem::Missing(record) => {
                write!(
                    f,
                    "the template leaves a record out of {origin} ({at}): `{record}`"
                )
            }
            Problem::Different { expected, found } => write!(
                f,
                "the template changes a record of {origin} ({at}): expected `{expected}`, found `{found}`"
            ),
        }
    }
}

impl std::error::Error for Mismatch {}

/// A problem in one piece of rendered text: where in that piece, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Found {
    /// Byte offset in the piece.
    pub(super) offset: usize,
    /// Line and column in the piece.
    pub(super) position: Position,
    /// What.
    pub(super) problem: Problem,
}

/// Which piece of a streamed zone a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    /// What the template wrote before the body.
    Head,
    /// What it wrote after the body.
    Tail,
}

/// Reads the template's head and tail as one file with the body between them would be read,
/// and checks that together they hold exactly the records the body does not: the SOA.
pub(super) fn frame(
    zone: &Zone,
    serial: u32,
    head: &str,
    tail: &str,
) -> Result<(), (Piece, Found)> {
    let mut records = Vec::new();
    let read = read_template_text(
        head,
        State::new(zone.origin.clone()),
        true,
        zone,
        &mut records,
    )
    .map_err(|mut found| {
        // An unclosed parenthesis in the head would swallow the body, not the end.
        if found.problem == Problem::Unreadable(zonefile::ErrorKind::UnclosedParenthesis) {
            found.problem = Problem::OpenParenthesis;
        }
        (Piece::Head, found)
    })?;
    if !read.clean {
        let start = head.rfind('\n').map_or(0, |at| at + 1);
        return Err((
            Piece::Head,
            Found {
                offset: start,
                position: position_of(head, start),
                problem: Problem::NotAtLineStart {
                    comment: head[start..].trim_start().starts_with(';'),
                },
            },
        ));
    }
    // The body is the zone's other records, one line each with its owner, TTL and class: what
    // it leaves for the tail is its last owner and class IN.
    let mut state = read.state;
    if let Some(last) = zone
        .records
        .iter()
        .rev()
        .find(|record| record.record_type() != RecordType::Soa)
    {
        state.previous_owner = Some(last.name.clone());
        state.previous_class = Some(Class::In);
    }
    let head_records = records.len();
    read_template_text(tail, state, false, zone, &mut records)
        .map_err(|found| (Piece::Tail, found))?;
    let expected = zone
        .records
        .iter()
        .filter(|record| record.record_type() == RecordType::Soa);
    let pieces: Vec<Piece> = (0..records.len())
        .map(|index| {
            if index < head_records {
                Piece::Head
            } else {
                Piece::Tail
            }
        })
        .collect();
    let end = (Piece::Tail, tail.len(), position_of(tail, tail.len()));
    compare(expected, serial, &mut records, &pieces, end)
}

/// Checks one chunk of body lines against the records it was rendered from, in order.
pub(super) fn chunk(zone: &Zone, records: &[Record], text: &str) -> Result<(), Found> {
    let mut reader = Reader::new(text.as_bytes(), zone.origin.clone()).without_comments();
    let mut expected = records
        .iter()
        .filter(|record| record.record_type() != RecordType::Soa)
        .peekable();
    while let Some(entry) = reader.next_entry_like(expected.peek().copied()) {
        let found = match entry {
            Ok(Entry::Record(found)) => found,
            Ok(Entry::Directive(directive)) => {
                return Err(Found {
                    offset: directive.offset,
                    position: directive.position,
                    problem: Problem::Directive(directive.kind.name().to_owned()),
                });
            }
            Ok(Entry::Comment(_)) => continue,
            Err(error) => return Err(unreadable(&error)),
        };
        let at = |problem| Found {
            offset: found.offset,
            position: found.position,
            problem,
        };
        match expected.next() {
            Some(record) if holds(record, None, &found) => {}
            Some(record) => {
                return Err(at(Problem::Different {
                    expected: describe(&record.name, record.ttl, &record.data, None),
                    found: describe_found(&found),
                }));
            }
            None => return Err(at(Problem::Unexpected(describe_found(&found)))),
        }
    }
    if let Some(record) = expected.next() {
        return Err(Found {
            offset: text.len(),
            position: position_of(text, text.len()),
            problem: Problem::Missing(describe(&record.name, record.ttl, &record.data, None)),
        });
    }
    if !reader.at_clean_line_start() {
        let start = text.rfind('\n').map_or(0, |at| at + 1);
        return Err(Found {
            offset: start,
            position: position_of(text, start),
            problem: Problem::NotAtLineStart { comment: false },
        });
    }
    Ok(())
}

/// Reads a whole rendered zone (a template that transforms the body) and checks that it holds
/// exactly the zone's records.
pub(super) fn whole(zone: &Zone, serial: u32, text: &str) -> Result<(), Found> {
    let mut records = Vec::new();
    read_template_text(
        text,
        State::new(zone.origin.clone()),
        true,
        zone,
        &mut records,
    )?;
    let pieces = vec![Piece::Head; records.len()];
    compare(
        zone.records.iter(),
        serial,
        &mut records,
        &pieces,
        (Piece::Head, text.len(), position_of(text, text.len())),
    )
    .map_err(|(_, found)| found)
}

/// What reading a piece of template text left.
struct Read {
    state: State,
    clean: bool,
}

/// Reads text the template wrote, from `state`, into `records`. The directives allowed are
/// `$TTL` and, when `origin_allowed`, one `$ORIGIN` of the zone's own origin before any record.
fn read_template_text(
    text: &str,
    state: State,
    origin_allowed: bool,
    zone: &Zone,
    records: &mut Vec<zonefile::Record>,
) -> Result<Read, Found> {
    let mut reader = Reader::with_state(text.as_bytes(), state).without_comments();
    let mut origin_seen = false;
    while let Some(entry) = reader.next_entry() {
        match entry {
            Err(error) => return Err(unreadable(&error)),
            Ok(Entry::Comment(_)) => {}
            Ok(Entry::Record(record)) => {
                if record.class != Class::In {
                    return Err(Found {
                        offset: record.offset,
                        position: record.position,
                        problem: Problem::Class(record.class),
                    });
                }
                records.push(record);
            }
            Ok(Entry::Directive(directive)) => {
                let problem = match directive.kind {
                    DirectiveKind::Ttl(_) => continue,
                    DirectiveKind::Origin(origin) if origin != zone.origin => {
                        Problem::Origin(origin.to_string())
                    }
                    DirectiveKind::Origin(_)
                        if origin_allowed && !origin_seen && records.is_empty() =>
                    {
                        origin_seen = true;
                        continue;
                    }
                    DirectiveKind::Origin(_) => Problem::LateOrigin,
                    other => Problem::Directive(other.name().to_owned()),
                };
                return Err(Found {
                    offset: directive.offset,
                    position: directive.position,
                    problem,
                });
            }
        }
    }
    Ok(Read {
        clean: reader.at_clean_line_start(),
        state: reader.into_state(),
    })
}

/// Holds `found` (from the pieces `pieces` name, index by index) to `expected` as multisets:
/// the first difference in canonical order is the problem. `end` locates a missing record when
/// nothing was found near it.
fn compare<'z>(
    expected: impl Iterator<Item = &'z Record>,
    serial: u32,
    found: &mut [zonefile::Record],
    pieces: &[Piece],
    end: (Piece, usize, Position),
) -> Result<(), (Piece, Found)> {
    let mut order: Vec<usize> = (0..found.len()).collect();
    let key = |a: &zonefile::Record, b: &zonefile::Record| {
        canonical(&a.owner, &a.data, &b.owner, &b.data)
            .then(a.ttl.cmp(&b.ttl))
            .then(a.serial.cmp(&b.serial))
    };
    if order.len() > 16_384 {
        order.par_sort_by(|&a, &b| key(&found[a], &found[b]));
    } else {
        order.sort_by(|&a, &b| key(&found[a], &found[b]));
    }
    let soa_serial = |record: &Record| (record.record_type() == RecordType::Soa).then_some(serial);
    let at = |index: usize, problem| {
        let record = &found[order[index]];
        (
            pieces[order[index]],
            Found {
                offset: record.offset,
                position: record.position,
                problem,
            },
        )
    };
    let missing = |index: usize, record: &Record| {
        let problem = Problem::Missing(describe(
            &record.name,
            record.ttl,
            &record.data,
            soa_serial(record),
        ));
        // Where its neighbour in canonical order was written, the one before it if any.
        match index
            .checked_sub(1)
            .or((index < order.len()).then_some(index))
        {
            Some(neighbour) => at(neighbour, problem),
            None => (
                end.0,
                Found {
                    offset: end.1,
                    position: end.2,
                    problem,
                },
            ),
        }
    };
    let mut expected = expected.peekable();
    let mut index = 0;
    let found_records = &*found;
    loop {
        let next_found = order.get(index).map(|&at| &found_records[at]);
        match (expected.peek(), next_found) {
            (None, None) => return Ok(()),
            (Some(record), None) => return Err(missing(index, record)),
            (None, Some(found)) => {
                let twice = index > 0 && {
                    let previous = &found_records[order[index - 1]];
                    previous.owner == found.owner && previous.data == found.data
                };
                let problem = if twice {
                    Problem::Twice(describe_found(found))
                } else {
                    Problem::Unexpected(describe_found(found))
                };
                return Err(at(index, problem));
            }
            (Some(record), Some(found)) => {
                let ordering = canonical(&record.name, &record.data, &found.owner, &found.data);
                if ordering == Ordering::Equal && holds(record, soa_serial(record), found) {
                    expected.next();
                    index += 1;
                    continue;
                }
                let same_rrset =
                    record.name == found.owner && record.record_type() == found.data.record_type();
                let twice = index > 0 && {
                    let previous = &found_records[order[index - 1]];
                    previous.owner == found.owner
                        && previous.data == found.data
                        && previous.ttl == found.ttl
                        && previous.serial == found.serial
                };
                return Err(match ordering {
                    _ if twice => at(index, Problem::Twice(describe_found(found))),
                    _ if same_rrset => at(
                        index,
                        Problem::Different {
                            expected: describe(
                                &record.name,
                                record.ttl,
                                &record.data,
                                soa_serial(record),
                            ),
                            found: describe_found(found),
                        },
                    ),
                    Ordering::Less => missing(index, record),
                    _ => at(index, Problem::Unexpected(describe_found(found))),
                });
            }
        }
    }
}

/// The canonical order of the model (owner, type, data), for a model and a parsed record alike.
fn canonical(a_name: &Name, a_data: &RData, b_name: &Name, b_data: &RData) -> Ordering {
    a_name
        .cmp(b_name)
        .then_with(|| a_data.record_type().cmp(&b_data.record_type()))
        .then_with(|| a_data.cmp(b_data))
}

/// True when `found` is `record`, the SOA with `serial`.
fn holds(record: &Record, serial: Option<u32>, found: &zonefile::Record) -> bool {
    record.name == found.owner
        && record.ttl == found.ttl
        && found.serial == serial
        && record.data == found.data
}

fn describe(name: &Name, ttl: u32, data: &RData, serial: Option<u32>) -> String {
    let mut text = format!("{name} {ttl} IN {} ", data.record_type());
    write_data(data, serial.unwrap_or(0), &mut text);
    text
}

fn describe_found(record: &zonefile::Record) -> String {
    describe(&record.owner, record.ttl, &record.data, record.serial)
}

fn unreadable(error: &zonefile::Error) -> Found {
    Found {
        offset: error.offset,
        position: error.position,
        problem: Problem::Unreadable((*error.kind).clone()),
    }
}

/// The line and column of byte `offset` of `text`.
pub(super) fn position_of(text: &str, offset: usize) -> Position {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |at| at + 1);
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(before.len() - line_start + 1).unwrap_or(u32::MAX),
    }
}
