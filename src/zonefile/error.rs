//! What the reader reports: an [`Error`] is a [`Position`] and an [`ErrorKind`], whose text says
//! what is wrong and, where it helps, what was expected.

use std::fmt;

use super::Position;
use super::text::{MAX_TTL, ValueError};
use crate::model::record::RecordType;

/// Something in the text that is not a valid entry, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What is wrong (boxed: errors are rare, and every entry read is returned beside one).
    pub kind: Box<ErrorKind>,
    /// Where.
    pub position: Position,
    /// The byte offset of `position`.
    pub offset: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.kind)
    }
}

impl std::error::Error for Error {}

/// What is wrong with the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A `(` never closed.
    UnclosedParenthesis,
    /// A `)` with no `(` open.
    UnbalancedParenthesis,
    /// A `"` not closed on its line.
    UnterminatedQuote,
    /// A control character (carriage return included) outside an escape.
    ControlCharacter(u8),
    /// A backslash at the very end.
    EscapeAtEnd,
    /// A quote with no space between it and a word or another string.
    QuoteTouchesWord,
    /// An entry that starts with a parenthesis or a quoted string where its owner should be.
    NoOwner,
    /// A blank owner (the line starts with a space) before any record named one.
    NoPreviousOwner,
    /// The owner or a directive's name is not a name (see [`ValueError`]).
    InvalidName {
        /// The text as written.
        text: String,
        /// Why.
        problem: ValueError,
    },
    /// The entry ends before its record type.
    MissingType,
    /// A parenthesis before the record type: only the data may be grouped.
    ParenthesisBeforeType,
    /// A parenthesis among a directive's arguments.
    ParenthesisInDirective,
    /// A word in the place of a TTL, class or type that is none of them.
    UnknownType(String),
    /// A record type zonegate does not read (yet).
    UnsupportedType(String),
    /// RFC 3597 generic data (`\# 4 0a000001`), not read yet.
    GenericData(RecordType),
    /// A TTL that is not one (see [`ValueError`]).
    InvalidTtl {
        /// The text as written.
        text: String,
        /// Why.
        problem: ValueError,
    },
    /// Two TTLs, or two classes, in one record (the plural of which).
    Repeated(&'static str),
    /// A class other than IN, CH, HS, CS or `CLASSn`.
    UnknownClass(String),
    /// A record without a TTL and no `$TTL` before it: servers disagree on what it gets.
    NoTtl,
    /// A field of the RDATA is missing.
    MissingField {
        /// The record's type.
        record_type: RecordType,
        /// Which field.
        field: &'static str,
    },
    /// A field is quoted where a plain word is expected.
    Quoted {
        /// The record's type.
        record_type: RecordType,
        /// Which field.
        field: &'static str,
    },
    /// A field is not a valid value.
    InvalidField {
        /// The record's type.
        record_type: RecordType,
        /// Which field.
        field: &'static str,
        /// The text as written.
        text: String,
        /// Why.
        problem: ValueError,
    },
    /// An address that is not one.
    InvalidAddress {
        /// A or AAAA.
        record_type: RecordType,
        /// The text as written.
        text: String,
    },
    /// A character-string longer than 255 octets.
    StringTooLong(usize),
    /// A CAA tag that is not 1 to 15 letters and digits (RFC 8659 section 4.1).
    CaaTag(String),
    /// A CAA value that is not UTF-8 (the model keeps it as text).
    CaaValueNotUtf8,
    /// More fields than the record type has.
    ExtraField {
        /// The record's type.
        record_type: RecordType,
        /// The first extra field.
        text: String,
    },
    /// A directive without its argument.
    MissingArgument(&'static str),
    /// A directive with more arguments than it takes.
    ExtraArgument {
        /// The directive.
        directive: &'static str,
        /// The first extra argument.
        text: String,
    },
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::UnclosedParenthesis => {
                f.write_str("this parenthesis is never closed: every line after it is part of its record")
            }
            ErrorKind::UnbalancedParenthesis => f.write_str("`)` without an open `(`"),
            ErrorKind::UnterminatedQuote => f.write_str("this quote is not closed on its line"),
            ErrorKind::ControlCharacter(b'\r') => f.write_str(
                "a carriage return (0x0d): zone files zonegate writes have Unix (LF) line ends",
            ),
            ErrorKind::ControlCharacter(byte) => write!(
                f,
                "control character 0x{byte:02x} outside an escape; write it as \\{byte:03}"
            ),
            ErrorKind::EscapeAtEnd => f.write_str("a backslash at the end of the text escapes nothing"),
            ErrorKind::QuoteTouchesWord => {
                f.write_str("a quote touches a word or another string; separate them with a space")
            }
            ErrorKind::NoOwner => f.write_str(
                "a line must start with its owner name, or with a space for the previous owner",
            ),
            ErrorKind::NoPreviousOwner => {
                f.write_str("the line starts with a space (the previous owner), but no record before it named one")
            }
            ErrorKind::InvalidName { text, problem } => write!(f, "`{text}` is not a valid name: {problem}"),
            ErrorKind::MissingType => f.write_str("the record has no type"),
            ErrorKind::ParenthesisBeforeType => f.write_str(
                "a parenthesis before the record type; parentheses may only group the record's data",
            ),
            ErrorKind::ParenthesisInDirective => {
                f.write_str("a parenthesis among a directive's arguments")
            }
            ErrorKind::UnknownType(text) => {
                write!(f, "expected a TTL, a class or a record type, found `{text}`")
            }
            ErrorKind::UnsupportedType(text) => write!(
                f,
                "record type {text} is not one zonegate writes (SOA, NS, A, AAAA, CNAME, PTR, MX, TXT, SRV, CAA)"
            ),
            ErrorKind::GenericData(record_type) => write!(
                f,
                "the {record_type} data is in RFC 3597 generic form (`\\#`), which zonegate does not read"
            ),
            ErrorKind::InvalidTtl { text, problem } => write!(f, "`{text}` is not a TTL: {problem}"),
            ErrorKind::Repeated(what) => write!(f, "the record has two {what}"),
            ErrorKind::UnknownClass(text) => write!(f, "unknown class `{text}`"),
            ErrorKind::NoTtl => f.write_str(
                "the record has no TTL and no `$TTL` came before it (servers disagree on what it gets)",
            ),
            ErrorKind::MissingField { record_type, field } => {
                write!(f, "the {record_type} record ends before its {field}")
            }
            ErrorKind::Quoted { record_type, field } => {
                write!(f, "the {field} of the {record_type} record is quoted; write it without quotes")
            }
            ErrorKind::InvalidField { record_type, field, text, problem } => {
                write!(f, "`{text}` is not a valid {field} for a {record_type} record: {problem}")
            }
            ErrorKind::InvalidAddress { record_type, text } => {
                let family = if *record_type == RecordType::A { "IPv4" } else { "IPv6" };
                write!(f, "`{text}` is not an {family} address")
            }
            ErrorKind::StringTooLong(length) => write!(
                f,
                "a character-string holds at most 255 octets; this one has {length}"
            ),
            ErrorKind::CaaTag(text) => write!(
                f,
                "CAA tag `{text}` is not 1 to 15 letters and digits (RFC 8659 section 4.1)"
            ),
            ErrorKind::CaaValueNotUtf8 => f.write_str("the CAA value is not UTF-8"),
            ErrorKind::ExtraField { record_type, text } => {
                write!(f, "`{text}` after the end of the {record_type} record's data")
            }
            ErrorKind::MissingArgument(directive) => write!(f, "{directive} needs an argument"),
            ErrorKind::ExtraArgument { directive, text } => {
                write!(f, "`{text}` after the argument of {directive}")
            }
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::BadEscape => {
                f.write_str("a backslash and a digit must be three digits of at most 255 (`\\DDD`)")
            }
            ValueError::Name(problem) => problem.fmt(f),
            ValueError::Ttl => f.write_str("expected seconds, or numbers with units (`1h30m`)"),
            ValueError::TtlTooLarge => {
                write!(f, "the largest TTL is {MAX_TTL} (RFC 2181 section 8)")
            }
            ValueError::Number => f.write_str("expected a decimal number in range"),
        }
    }
}
