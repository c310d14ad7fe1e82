//! RDATA in presentation form, one function per record type: the only place that knows the
//! fields of each type. A new type (SSHFP, TLSA, DS, SVCB, RFC 3597 `\#` data, ...) is a
//! variant of the model's `RData` and an arm here.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::lexer::{Token, TokenKind};
use super::text::{self, NameReader, ValueError};
use super::{Error, ErrorKind, Position};
use crate::model::name::Name;
use crate::model::record::{Caa, RData, RecordType, Soa};

/// What one record's RDATA holds: the model's data, and the SOA serial, which the model does
/// not keep (it is chosen each time a zone is rendered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Data {
    pub(super) data: RData,
    pub(super) serial: Option<u32>,
}

/// Reads the RDATA of a `record_type` record from `fields` (the tokens after its type);
/// `end` is where the entry ends, for a field that is missing.
/// `names` reads the names, relative to `origin`; a name equal to `likely` is shared (see
/// [`NameReader::read`]).
pub(super) fn read(
    record_type: RecordType,
    fields: &[Token<'_>],
    end: (Position, usize),
    (names, origin, likely): (&mut NameReader, &Name, Option<&Name>),
) -> Result<Data, Error> {
    let mut fields = Fields {
        tokens: fields,
        at: 0,
        end,
        record_type,
    };
    if let Some(first) = fields
        .tokens
        .iter()
        .find(|token| !matches!(token.kind, TokenKind::Open | TokenKind::Close))
        && first.kind == TokenKind::Word
        && first.text == b"\\#"
    {
        return Err(error(ErrorKind::GenericData(record_type), first));
    }
    let mut name = |fields: &mut Fields<'_, '_>, what: &'static str| -> Result<Name, Error> {
        let token = fields.word(what)?;
        names
            .read(token.text, origin, likely)
            .map_err(|problem| fields.invalid(token, what, problem))
    };
    let mut serial = None;
    let data = match record_type {
        RecordType::A => {
            let token = fields.word("address")?;
            RData::A(address::<Ipv4Addr>(token, record_type)?)
        }
        RecordType::Aaaa => {
            let token = fields.word("address")?;
            RData::Aaaa(address::<Ipv6Addr>(token, record_type)?)
        }
        RecordType::Ns => RData::Ns(name(&mut fields, "name server")?),
        RecordType::Cname => RData::Cname(name(&mut fields, "target")?),
        RecordType::Ptr => RData::Ptr(name(&mut fields, "target")?),
        RecordType::Mx => RData::Mx {
            preference: fields.number("preference", u16::MAX.into())? as u16,
            exchange: name(&mut fields, "exchange")?,
        },
        RecordType::Srv => RData::Srv {
            priority: fields.number("priority", u16::MAX.into())? as u16,
            weight: fields.number("weight", u16::MAX.into())? as u16,
            port: fields.number("port", u16::MAX.into())? as u16,
            target: name(&mut fields, "target")?,
        },
        RecordType::Soa => {
            let primary = name(&mut fields, "primary name server")?;
            let contact = name(&mut fields, "contact mailbox")?;
            serial = Some(fields.number("serial", u32::MAX.into())? as u32);
            RData::Soa(Box::new(Soa {
                primary,
                contact,
                refresh: fields.timer("refresh")?,
                retry: fields.timer("retry")?,
                expire: fields.timer("expire")?,
                minimum: fields.timer("minimum")?,
            }))
        }
        RecordType::Txt => {
            let mut strings = Vec::new();
            while let Some(token) = fields.optional() {
                strings.push(character_string(token, 255, &fields)?);
            }
            if strings.is_empty() {
                return Err(fields.missing("text"));
            }
            RData::Txt(strings.into_boxed_slice())
        }
        RecordType::Caa => {
            let flags = fields.number("flags", u8::MAX.into())? as u8;
            let tag = fields.word("tag")?;
            // RFC 8659 section 4.1: a tag is 1 to 15 ASCII letters and digits.
            if tag.text.is_empty()
                || tag.text.len() > 15
                || !tag.text.iter().all(u8::is_ascii_alphanumeric)
            {
                return Err(error(ErrorKind::CaaTag(text::lossy(tag.text)), tag));
            }
            let value = fields.any("value")?;
            let octets = character_string(value, usize::MAX, &fields)?;
            let value = String::from_utf8(octets.into_vec())
                .map_err(|_| error(ErrorKind::CaaValueNotUtf8, value))?;
            RData::Caa(Box::new(Caa {
                flags,
                tag: String::from_utf8_lossy(tag.text).into(),
                value: value.into(),
            }))
        }
    };
    fields.finish()?;
    Ok(Data { data, serial })
}

/// The record type a mnemonic names: the model's types; other known ones (and `TYPEn`) are
/// unsupported rather than unknown.
pub(super) fn record_type(token: &Token<'_>) -> Result<RecordType, Error> {
    const OTHER_TYPES: &[&str] = &[
        "AFSDB",
        "APL",
        "CDNSKEY",
        "CDS",
        "CERT",
        "CSYNC",
        "DHCID",
        "DLV",
        "DNAME",
        "DNSKEY",
        "DS",
        "EUI48",
        "EUI64",
        "HINFO",
        "HIP",
        "HTTPS",
        "IPSECKEY",
        "KEY",
        "KX",
        "LOC",
        "MB",
        "MD",
        "MF",
        "MG",
        "MINFO",
        "MR",
        "NAPTR",
        "NSAP",
        "NSEC",
        "NSEC3",
        "NSEC3PARAM",
        "NULL",
        "NXT",
        "OPENPGPKEY",
        "RP",
        "RRSIG",
        "SIG",
        "SMIMEA",
        "SPF",
        "SSHFP",
        "SVCB",
        "TLSA",
        "URI",
        "WKS",
        "X25",
        "ZONEMD",
    ];
    if let Some(record_type) = RecordType::ALL
        .into_iter()
        .find(|known| known.as_str().as_bytes().eq_ignore_ascii_case(token.text))
    {
        return Ok(record_type);
    }
    let is_generic = token.text.len() > 4
        && token.text[..4].eq_ignore_ascii_case(b"TYPE")
        && token.text[4..].iter().all(u8::is_ascii_digit);
    if is_generic
        || OTHER_TYPES
            .iter()
            .any(|known| token.text.eq_ignore_ascii_case(known.as_bytes()))
    {
        return Err(error(
            ErrorKind::UnsupportedType(text::lossy(token.text).to_ascii_uppercase()),
            token,
        ));
    }
    Err(error(
        ErrorKind::UnknownType(text::lossy(token.text)),
        token,
    ))
}

/// The fields of one record's RDATA, taken in order.
struct Fields<'f, 'a> {
    tokens: &'f [Token<'a>],
    at: usize,
    end: (Position, usize),
    record_type: RecordType,
}

impl<'f, 'a> Fields<'f, 'a> {
    /// The next field; parentheses (which group the data across lines) are not fields.
    fn optional(&mut self) -> Option<&'f Token<'a>> {
        loop {
            let token = self.tokens.get(self.at)?;
            self.at += 1;
            if !matches!(token.kind, TokenKind::Open | TokenKind::Close) {
                return Some(token);
            }
        }
    }

    fn any(&mut self, what: &'static str) -> Result<&'f Token<'a>, Error> {
        self.optional().ok_or_else(|| self.missing(what))
    }

    /// The next field, which must be a word: a number or a name in quotes is refused, as
    /// servers do not agree on it.
    fn word(&mut self, what: &'static str) -> Result<&'f Token<'a>, Error> {
        let token = self.any(what)?;
        if token.kind == TokenKind::Word {
            Ok(token)
        } else {
            Err(error(
                ErrorKind::Quoted {
                    record_type: self.record_type,
                    field: what,
                },
                token,
            ))
        }
    }

    fn number(&mut self, what: &'static str, max: u64) -> Result<u64, Error> {
        let token = self.word(what)?;
        text::number(token.text, max).map_err(|problem| self.invalid(token, what, problem))
    }

    /// An SOA timer: a TTL-like time (units allowed), any 32-bit value.
    fn timer(&mut self, what: &'static str) -> Result<u32, Error> {
        let token = self.word(what)?;
        text::read_duration(token.text, u32::MAX)
            .map_err(|problem| self.invalid(token, what, problem))
    }

    fn missing(&self, what: &'static str) -> Error {
        Error {
            kind: Box::new(ErrorKind::MissingField {
                record_type: self.record_type,
                field: what,
            }),
            position: self.end.0,
            offset: self.end.1,
        }
    }

    fn invalid(&self, token: &Token<'_>, what: &'static str, problem: ValueError) -> Error {
        error(
            ErrorKind::InvalidField {
                record_type: self.record_type,
                field: what,
                text: text::lossy(token.text),
                problem,
            },
            token,
        )
    }

    fn finish(&self) -> Result<(), Error> {
        let rest = self.tokens[self.at..]
            .iter()
            .find(|token| !matches!(token.kind, TokenKind::Open | TokenKind::Close));
        match rest {
            None => Ok(()),
            Some(token) => Err(error(
                ErrorKind::ExtraField {
                    record_type: self.record_type,
                    text: text::lossy(token.text),
                },
                token,
            )),
        }
    }
}

fn error(kind: ErrorKind, token: &Token<'_>) -> Error {
    Error {
        kind: Box::new(kind),
        position: token.position,
        offset: token.offset,
    }
}

/// An address in its standard text form: no escapes, no leading zeros (Rust's parsers refuse
/// the octal-looking `010.0.0.1` that C's `inet_aton` would read as 8.0.0.1).
fn address<T: std::str::FromStr>(token: &Token<'_>, record_type: RecordType) -> Result<T, Error> {
    std::str::from_utf8(token.text)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| {
            error(
                ErrorKind::InvalidAddress {
                    record_type,
                    text: text::lossy(token.text),
                },
                token,
            )
        })
}

/// The octets of a character-string token, at most `limit` of them.
fn character_string(
    token: &Token<'_>,
    limit: usize,
    fields: &Fields<'_, '_>,
) -> Result<Box<[u8]>, Error> {
    let mut octets = Vec::with_capacity(token.text.len());
    text::read_string(token.text, &mut octets)
        .map_err(|problem| fields.invalid(token, "string", problem))?;
    if octets.len() > limit {
        return Err(error(ErrorKind::StringTooLong(octets.len()), token));
    }
    Ok(octets.into_boxed_slice())
}
