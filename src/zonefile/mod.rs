//! Stage 3 (pure): a master-file reader (RFC 1035 section 5), written apart from the renderer so
//! that reading a rendered zone back checks the text rather than repeating the writer's
//! assumptions.
//!
//! [`Reader`] turns text into [`Entry`]s, in order: records (owner, TTL, class, the model's
//! [`RData`] and, for an SOA, its serial), directives and comments, each with its line, column
//! and byte offset. It knows `@`, names relative to the current origin, a blank owner meaning
//! the previous one, TTL and class in either order, TTL units (`1h30m`), `$ORIGIN` and `$TTL`
//! (RFC 2308, which it applies), and recognises `$INCLUDE`, `$GENERATE` and any other `$`
//! directive without acting on them: it does no IO, so what a directive would pull in is the
//! caller's decision. It never panics; after an error it goes on at the next line, so a caller
//! can collect every problem.
//!
//! It reads a conservative subset where servers could disagree: a record with no TTL and no
//! `$TTL` before it, a control character, a quote touching a word, a line feed in a quoted
//! string, a parenthesis before the record type and an escape in an address are errors, not
//! guesses, and `$ORIGIN` and `$TTL` count only in capitals. Record types are the model's;
//! others (and RFC 3597 generic data) are reported as unsupported. `lexer` has the tokens,
//! `text` the values inside them, `rdata` the fields of each record type.
//!
//! This module does no IO and reads no clock.

use std::collections::VecDeque;
use std::fmt;

mod error;
mod lexer;
mod rdata;
mod text;

pub use error::{Error, ErrorKind};
pub use text::{MAX_TTL, ValueError};

use lexer::{Lexer, Token, TokenKind};
use text::NameReader;

use crate::model::name::Name;
use crate::model::record::RData;

/// A place in the text: 1-based line and column (the column counted in bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in bytes.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A record's class (RFC 1035 section 3.2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// The Internet: every zone zonegate writes.
    In,
    /// CSNET (obsolete).
    Cs,
    /// Chaos.
    Ch,
    /// Hesiod.
    Hs,
    /// Any other, written `CLASSn` (RFC 3597).
    Other(u16),
}

impl Class {
    fn parse(text: &[u8]) -> Option<Self> {
        let upper = |expected: &[u8]| text.eq_ignore_ascii_case(expected);
        if upper(b"IN") {
            return Some(Class::In);
        }
        if upper(b"CH") {
            return Some(Class::Ch);
        }
        if upper(b"HS") {
            return Some(Class::Hs);
        }
        if upper(b"CS") {
            return Some(Class::Cs);
        }
        let digits = text
            .get(..5)
            .filter(|prefix| prefix.eq_ignore_ascii_case(b"CLASS"))
            .and(text.get(5..))?;
        Some(match text::number(digits, u16::MAX.into()).ok()? {
            1 => Class::In,
            2 => Class::Cs,
            3 => Class::Ch,
            4 => Class::Hs,
            code => Class::Other(code as u16),
        })
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::In => f.write_str("IN"),
            Class::Cs => f.write_str("CS"),
            Class::Ch => f.write_str("CH"),
            Class::Hs => f.write_str("HS"),
            Class::Other(code) => write!(f, "CLASS{code}"),
        }
    }
}

/// What a reader carries from one entry to the next: what `$ORIGIN`, `$TTL` and the previous
/// record set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// The origin relative names are completed with.
    pub origin: Name,
    /// The `$TTL` in force, if any (RFC 2308 section 4).
    pub default_ttl: Option<u32>,
    /// The last owner written, which a blank owner repeats.
    pub previous_owner: Option<Name>,
    /// The last class written, which a record without one takes (IN when none was).
    pub previous_class: Option<Class>,
}

impl State {
    /// The state at the start of a file read for the zone `origin`, as a server starts it.
    pub fn new(origin: Name) -> Self {
        Self {
            origin,
            default_ttl: None,
            previous_owner: None,
            previous_class: None,
        }
    }
}

/// One resource record as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub owner: Name,
    /// Time to live: as written, or the `$TTL` in force.
    pub ttl: u32,
    /// Class: as written, or the previous record's.
    pub class: Class,
    /// Type and data.
    pub data: RData,
    /// The SOA serial (the model does not keep one); `None` for every other type.
    pub serial: Option<u32>,
    /// Where the record starts (its owner, or its first field when the owner is blank).
    pub position: Position,
    /// The byte offset of `position`.
    pub offset: usize,
}

/// A `$` directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Which, with its arguments.
    pub kind: DirectiveKind,
    /// Where its `$` is.
    pub position: Position,
    /// The byte offset of `position`.
    pub offset: usize,
}

/// The directives a master file can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `$ORIGIN name` (RFC 1035): applied, so later relative names use it.
    Origin(Name),
    /// `$TTL ttl` (RFC 2308): applied to later records without a TTL.
    Ttl(u32),
    /// `$INCLUDE file [origin]` (RFC 1035): not acted on; the file is not read.
    Include {
        /// The file name as written (escapes decoded).
        file: Vec<u8>,
        /// The origin for the included file, as written.
        origin: Option<Vec<u8>>,
    },
    /// `$GENERATE range lhs [ttl] [class] type rhs` (BIND): not expanded.
    Generate {
        /// The arguments as written.
        arguments: Vec<Vec<u8>>,
    },
    /// Any other directive (`$DATE`, a typo): not acted on.
    Other {
        /// Its name, with the `$`.
        name: String,
        /// The arguments as written.
        arguments: Vec<Vec<u8>>,
    },
}

impl DirectiveKind {
    /// The directive's name as written in a master file (`$INCLUDE`).
    pub fn name(&self) -> &str {
        match self {
            DirectiveKind::Origin(_) => "$ORIGIN",
            DirectiveKind::Ttl(_) => "$TTL",
            DirectiveKind::Include { .. } => "$INCLUDE",
            DirectiveKind::Generate { .. } => "$GENERATE",
            DirectiveKind::Other { name, .. } => name,
        }
    }
}

/// A comment: what follows a `;` up to the end of its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment<'a> {
    /// The text after the `;`.
    pub text: &'a [u8],
    /// Where its `;` is.
    pub position: Position,
    /// The byte offset of `position`.
    pub offset: usize,
}

/// One thing a master file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A resource record.
    Record(Record),
    /// A directive.
    Directive(Directive),
    /// A comment. Comments inside or after a record come after the record, in order.
    Comment(Comment<'a>),
}

/// Reads master-file text entry by entry.
#[derive(Debug)]
pub struct Reader<'a> {
    lexer: Lexer<'a>,
    state: State,
    comments: bool,
    /// Comments met while reading an entry, handed out after it.
    pending: VecDeque<Comment<'a>>,
    /// The fields of the entry being read (reused: no allocation per record).
    fields: Vec<Token<'a>>,
    names: NameReader,
}

impl<'a> Reader<'a> {
    /// A reader of `text` for the zone `origin`: relative names complete with it until a
    /// `$ORIGIN` says otherwise.
    pub fn new(text: &'a [u8], origin: Name) -> Self {
        Self::with_state(text, State::new(origin))
    }

    /// A reader of `text` that goes on from `state`, as if `text` followed what left it.
    pub fn with_state(text: &'a [u8], state: State) -> Self {
        Self {
            lexer: Lexer::new(text),
            state,
            comments: true,
            pending: VecDeque::new(),
            fields: Vec::with_capacity(16),
            names: NameReader::default(),
        }
    }

    /// Leaves comments out of the entries (they are read and skipped).
    #[must_use]
    pub fn without_comments(mut self) -> Self {
        self.comments = false;
        self
    }

    /// What the entries so far have set: origin, `$TTL`, previous owner and class.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, once reading is done.
    pub fn into_state(self) -> State {
        self.state
    }

    /// True when the text read so far ends at the start of a fresh line (see
    /// [`Lexer::at_clean_line_start`]): text that follows would be read as on its own.
    pub fn at_clean_line_start(&self) -> bool {
        self.lexer.at_clean_line_start()
    }

    /// The next entry, an error (reading goes on at the next line), or `None` at the end.
    pub fn next_entry(&mut self) -> Option<Result<Entry<'a>, Error>> {
        self.next_entry_like(None)
    }

    /// [`Reader::next_entry`] when the caller knows which record is likely next (reading a
    /// zone back against its records): where the owner or the target read is `likely`'s, its
    /// name is shared rather than built again. The entry is the same either way.
    pub fn next_entry_like(
        &mut self,
        likely: Option<&crate::model::record::Record>,
    ) -> Option<Result<Entry<'a>, Error>> {
        if let Some(comment) = self.pending.pop_front() {
            return Some(Ok(Entry::Comment(comment)));
        }
        let end = match self.read_fields()? {
            Ok(Fields::Comment(comment)) => return Some(Ok(Entry::Comment(comment))),
            Ok(Fields::Entry { end }) => end,
            Err(error) => return Some(Err(error)),
        };
        // The entry's comments (trailing, or inside its parentheses) follow it.
        Some(self.interpret(end, likely))
    }

    /// Reads the tokens of the next entry into `fields`: up to the end of its logical line.
    /// A line that holds only a comment is returned as that comment.
    fn read_fields(&mut self) -> Option<Result<Fields<'a>, Error>> {
        self.fields.clear();
        let mut starts_with_owner = None;
        loop {
            let token = match self.lexer.next_token() {
                None if self.fields.is_empty() => return None,
                None => {
                    let end = self.end_of_text();
                    return Some(Ok(Fields::Entry { end }));
                }
                Some(Err(error)) => {
                    self.skip_entry();
                    return Some(Err(error));
                }
                Some(Ok(token)) => token,
            };
            let first = starts_with_owner.is_none();
            match token.kind {
                TokenKind::End if self.fields.is_empty() && first => {}
                TokenKind::End => {
                    return Some(Ok(Fields::Entry {
                        end: (token.position, token.offset),
                    }));
                }
                TokenKind::Comment => {
                    let comment = Comment {
                        text: token.text,
                        position: token.position,
                        offset: token.offset,
                    };
                    if first {
                        if self.comments {
                            return Some(Ok(Fields::Comment(comment)));
                        }
                    } else if self.comments {
                        self.pending.push_back(comment);
                    }
                }
                TokenKind::Open | TokenKind::Close | TokenKind::Quoted if first => {
                    if token.position.column == 1 {
                        self.skip_entry();
                        return Some(Err(Error {
                            kind: Box::new(ErrorKind::NoOwner),
                            position: token.position,
                            offset: token.offset,
                        }));
                    }
                    starts_with_owner = Some(false);
                    self.fields.push(token);
                }
                // Parentheses stay among the fields: they may only group the record's data
                // (`interpret_fields` refuses one before the type).
                TokenKind::Open | TokenKind::Close | TokenKind::Word | TokenKind::Quoted => {
                    if first {
                        starts_with_owner = Some(token.position.column == 1);
                    }
                    self.fields.push(token);
                }
            }
        }
    }

    /// Where the text ends, for a field missing from its last line.
    fn end_of_text(&self) -> (Position, usize) {
        self.fields
            .last()
            .map_or((Position { line: 1, column: 1 }, 0), |token| {
                let length = u32::try_from(token.text.len()).unwrap_or(u32::MAX);
                (
                    Position {
                        line: token.position.line,
                        column: token.position.column.saturating_add(length),
                    },
                    token.offset + token.text.len(),
                )
            })
    }

    /// Skips the rest of a broken entry, and any further errors in it, up to its end.
    fn skip_entry(&mut self) {
        while let Some(token) = self.lexer.next_token() {
            if let Ok(Token {
                kind: TokenKind::End,
                ..
            }) = token
            {
                return;
            }
        }
    }

    /// Makes the entry in `fields` a directive or a record.
    fn interpret(
        &mut self,
        end: (Position, usize),
        likely: Option<&crate::model::record::Record>,
    ) -> Result<Entry<'a>, Error> {
        let fields = std::mem::take(&mut self.fields);
        let entry = self.interpret_fields(&fields, end, likely);
        self.fields = fields;
        entry
    }

    fn interpret_fields(
        &mut self,
        fields: &[Token<'a>],
        end: (Position, usize),
        likely: Option<&crate::model::record::Record>,
    ) -> Result<Entry<'a>, Error> {
        let first = fields[0];
        let (owner, rest) = if first.kind == TokenKind::Word && first.position.column == 1 {
            if first.text.first() == Some(&b'$') {
                return self
                    .directive(first, &fields[1..], end)
                    .map(Entry::Directive);
            }
            let owner = self
                .names
                .read_owner(
                    first.text,
                    &self.state.origin,
                    likely.map(|record| &record.name),
                )
                .map_err(|problem| invalid_name(&first, problem))?;
            (owner, &fields[1..])
        } else {
            let owner = self
                .state
                .previous_owner
                .clone()
                .ok_or_else(|| error_at(ErrorKind::NoPreviousOwner, &first))?;
            (owner, fields)
        };
        let mut ttl = None;
        let mut class = None;
        let mut at = 0;
        let record_type = loop {
            let Some(token) = rest.get(at) else {
                return Err(Error {
                    kind: Box::new(ErrorKind::MissingType),
                    position: end.0,
                    offset: end.1,
                });
            };
            at += 1;
            match token.kind {
                TokenKind::Word => {}
                // BIND, Knot and NSD take parentheses before the type differently (hickory-proto
                // refuses them): only the data may be grouped.
                TokenKind::Open | TokenKind::Close => {
                    return Err(error_at(ErrorKind::ParenthesisBeforeType, token));
                }
                _ => return Err(unknown_type(token)),
            }
            if text::looks_like_ttl(token.text) {
                if ttl.is_some() {
                    return Err(error_at(ErrorKind::Repeated("TTLs"), token));
                }
                ttl = Some(text::read_ttl(token.text).map_err(|problem| {
                    error_at(
                        ErrorKind::InvalidTtl {
                            text: text::lossy(token.text),
                            problem,
                        },
                        token,
                    )
                })?);
                continue;
            }
            if let Some(parsed) = Class::parse(token.text) {
                if class.is_some() {
                    return Err(error_at(ErrorKind::Repeated("classes"), token));
                }
                class = Some(parsed);
                continue;
            }
            break rdata::record_type(token)?;
        };
        let ttl = ttl
            .or(self.state.default_ttl)
            .ok_or_else(|| error_at(ErrorKind::NoTtl, &first))?;
        let class = class.or(self.state.previous_class).unwrap_or(Class::In);
        let likely_target = likely.and_then(|record| record.data.target());
        let data = rdata::read(
            record_type,
            &rest[at..],
            end,
            (&mut self.names, &self.state.origin, likely_target),
        )?;
        self.state.previous_owner = Some(owner.clone());
        self.state.previous_class = Some(class);
        Ok(Entry::Record(Record {
            owner,
            ttl,
            class,
            data: data.data,
            serial: data.serial,
            position: first.position,
            offset: first.offset,
        }))
    }

    fn directive(
        &mut self,
        name: Token<'a>,
        arguments: &[Token<'a>],
        end: (Position, usize),
    ) -> Result<Directive, Error> {
        let at = |kind| Directive {
            kind,
            position: name.position,
            offset: name.offset,
        };
        let missing = |directive| Error {
            kind: Box::new(ErrorKind::MissingArgument(directive)),
            position: end.0,
            offset: end.1,
        };
        let extra = |directive, token: &Token<'_>| {
            error_at(
                ErrorKind::ExtraArgument {
                    directive,
                    text: text::lossy(token.text),
                },
                token,
            )
        };
        let raw = |tokens: &[Token<'_>]| -> Vec<Vec<u8>> {
            tokens.iter().map(|token| token.text.to_vec()).collect()
        };
        if let Some(parenthesis) = arguments
            .iter()
            .find(|token| matches!(token.kind, TokenKind::Open | TokenKind::Close))
        {
            return Err(error_at(ErrorKind::ParenthesisInDirective, parenthesis));
        }
        let word = name.text;
        // `$ORIGIN` and `$TTL` take effect only as written, in capitals: servers do not agree
        // on `$origin`, so it is some other directive (which a rendered zone may not hold).
        if word == b"$ORIGIN" {
            let argument = arguments.first().ok_or_else(|| missing("$ORIGIN"))?;
            if let Some(token) = arguments.get(1) {
                return Err(extra("$ORIGIN", token));
            }
            let origin = self
                .names
                .read(argument.text, &self.state.origin, None)
                .map_err(|problem| invalid_name(argument, problem))?;
            self.state.origin = origin.clone();
            return Ok(at(DirectiveKind::Origin(origin)));
        }
        if word == b"$TTL" {
            let argument = arguments.first().ok_or_else(|| missing("$TTL"))?;
            if let Some(token) = arguments.get(1) {
                return Err(extra("$TTL", token));
            }
            let ttl = text::read_ttl(argument.text).map_err(|problem| {
                error_at(
                    ErrorKind::InvalidTtl {
                        text: text::lossy(argument.text),
                        problem,
                    },
                    argument,
                )
            })?;
            self.state.default_ttl = Some(ttl);
            return Ok(at(DirectiveKind::Ttl(ttl)));
        }
        if word.eq_ignore_ascii_case(b"$INCLUDE") {
            let file = arguments.first().ok_or_else(|| missing("$INCLUDE"))?;
            if let Some(token) = arguments.get(2) {
                return Err(extra("$INCLUDE", token));
            }
            let mut decoded = Vec::new();
            // A file name that does not decode is still an `$INCLUDE`: keep it as written.
            if text::read_string(file.text, &mut decoded).is_err() {
                decoded = file.text.to_vec();
            }
            return Ok(at(DirectiveKind::Include {
                file: decoded,
                origin: arguments.get(1).map(|token| token.text.to_vec()),
            }));
        }
        if word.eq_ignore_ascii_case(b"$GENERATE") {
            return Ok(at(DirectiveKind::Generate {
                arguments: raw(arguments),
            }));
        }
        Ok(at(DirectiveKind::Other {
            name: text::lossy(word),
            arguments: raw(arguments),
        }))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Entry<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_entry()
    }
}

/// What [`Reader::read_fields`] found.
enum Fields<'a> {
    /// A line holding only a comment.
    Comment(Comment<'a>),
    /// An entry's fields are in `Reader::fields`; it ends at `end`.
    Entry { end: (Position, usize) },
}

fn error_at(kind: ErrorKind, token: &Token<'_>) -> Error {
    Error {
        kind: Box::new(kind),
        position: token.position,
        offset: token.offset,
    }
}

fn invalid_name(token: &Token<'_>, problem: ValueError) -> Error {
    error_at(
        ErrorKind::InvalidName {
            text: text::lossy(token.text),
            problem,
        },
        token,
    )
}

fn unknown_type(token: &Token<'_>) -> Error {
    error_at(ErrorKind::UnknownType(text::lossy(token.text)), token)
}

#[cfg(test)]
mod tests;
