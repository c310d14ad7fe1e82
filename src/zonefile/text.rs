//! The values inside tokens: domain names (RFC 1035 section 5.1: `@`, relative and absolute,
//! `\X` and `\DDD` escapes), character-strings, TTLs with units and plain numbers.
//!
//! Names are read into the model's [`Name`], which holds only what zonegate can write (letters,
//! digits, `-`, `_`, a leading `*`): a name with any other octet, escaped or not, is an error
//! here rather than a name that would compare unequal later. Non-ASCII octets are octets, never
//! IDNA: a server reads `bücher` as those bytes, not as `xn--bcher-kva`.

use std::fmt::Write as _;

use crate::model::name::{MAX_LABEL_LENGTH, Name, NameError};

/// Why a token is not the value it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueError {
    /// A backslash followed by a digit that does not start three digits of at most 255.
    BadEscape,
    /// A name the model cannot hold (see [`NameError`]).
    Name(NameError),
    /// Not a TTL (`3600`, `1h30m`, `2d`).
    Ttl,
    /// A TTL over 2^31 - 1 (RFC 2181 section 8).
    TtlTooLarge,
    /// Not a decimal number in range.
    Number,
}

/// Reads names, reusing its buffers from one name to the next.
#[derive(Debug, Default)]
pub(crate) struct NameReader {
    /// The octets of the labels, escapes decoded.
    octets: Vec<u8>,
    /// Where each label lies in `octets`, leftmost first.
    labels: Vec<(usize, usize)>,
    /// The last owner read: its text, the origin it was relative to, and the name, so the
    /// owners of an RRset's records (written alike, one per line) are read once.
    last: Option<(Vec<u8>, Name, Name)>,
}

impl NameReader {
    /// The name `text` stands for, relative to `origin`. When it is `likely` (the name a caller
    /// expects there), that name is returned, shared: the same value, without building it.
    pub(crate) fn read(
        &mut self,
        text: &[u8],
        origin: &Name,
        likely: Option<&Name>,
    ) -> Result<Name, ValueError> {
        if text == b"@" {
            return Ok(origin.clone());
        }
        if text == b"." {
            return Ok(Name::root());
        }
        let escaped = text.contains(&b'\\');
        if !escaped
            && let Some(likely) = likely
            && plain_text_is(text, origin, likely)
        {
            return Ok(likely.clone());
        }
        // Without escapes (the usual case) the labels are the text itself, split at its dots.
        let absolute = if escaped {
            self.decode(text)?
        } else {
            self.split(text)?
        };
        let octets: &[u8] = if escaped { &self.octets } else { text };
        let suffix = if absolute { None } else { Some(origin) };
        let labels = self.labels.iter().map(|&(start, end)| &octets[start..end]);
        Name::from_labels_below(labels, suffix).map_err(ValueError::Name)
    }

    /// Splits text without escapes into `labels` (ranges of `text`); whether the name is
    /// absolute.
    fn split(&mut self, text: &[u8]) -> Result<bool, ValueError> {
        self.labels.clear();
        let mut start = 0;
        for (at, _) in text.iter().enumerate().filter(|(_, octet)| **octet == b'.') {
            if at == start {
                return Err(ValueError::Name(NameError::EmptyLabel(lossy(text))));
            }
            self.labels.push((start, at));
            start = at + 1;
        }
        let absolute = start == text.len();
        if !absolute {
            self.labels.push((start, text.len()));
        }
        if let Some(&(start, end)) = self
            .labels
            .iter()
            .find(|(start, end)| end - start > MAX_LABEL_LENGTH)
        {
            return Err(ValueError::Name(NameError::LabelTooLong {
                label: lossy(&text[start..end]),
                length: end - start,
            }));
        }
        Ok(absolute)
    }

    /// Decodes text with escapes into `octets` and `labels` (ranges of `octets`); whether the
    /// name is absolute.
    fn decode(&mut self, text: &[u8]) -> Result<bool, ValueError> {
        self.octets.clear();
        self.labels.clear();
        let mut start = 0;
        let mut absolute = false;
        let mut at = 0;
        while at < text.len() {
            match text[at] {
                b'.' => {
                    if self.octets.len() == start {
                        return Err(ValueError::Name(NameError::EmptyLabel(lossy(text))));
                    }
                    self.labels.push((start, self.octets.len()));
                    start = self.octets.len();
                    at += 1;
                    if at == text.len() {
                        absolute = true;
                    }
                }
                b'\\' => {
                    let (octet, length) = escape(&text[at + 1..])?;
                    self.octets.push(octet);
                    at += 1 + length;
                }
                octet => {
                    self.octets.push(octet);
                    at += 1;
                }
            }
            if self.octets.len() - start > MAX_LABEL_LENGTH {
                return Err(ValueError::Name(NameError::LabelTooLong {
                    label: lossy(&self.octets[start..]),
                    length: self.octets.len() - start,
                }));
            }
        }
        if !absolute {
            if self.octets.len() == start {
                return Err(ValueError::Name(NameError::Empty));
            }
            self.labels.push((start, self.octets.len()));
        }
        Ok(absolute)
    }

    /// As [`NameReader::read`], for an owner: a repeat of the previous owner's text (against
    /// the same origin) is the previous owner's name, shared.
    pub(crate) fn read_owner(
        &mut self,
        text: &[u8],
        origin: &Name,
        likely: Option<&Name>,
    ) -> Result<Name, ValueError> {
        if let Some((last_text, last_origin, name)) = &self.last
            && same_bytes(last_text, text)
            && last_origin == origin
        {
            return Ok(name.clone());
        }
        let name = self.read(text, origin, likely)?;
        match &mut self.last {
            Some((last_text, last_origin, last_name)) => {
                last_text.clear();
                last_text.extend_from_slice(text);
                last_origin.clone_from(origin);
                last_name.clone_from(&name);
            }
            None => self.last = Some((text.to_vec(), origin.clone(), name.clone())),
        }
        Ok(name)
    }
}

/// True when `text`, a name without escapes (relative to `origin` unless it ends with a dot),
/// is `name`: compared label by label with its key ([`Name::canonical_key`]: root-down,
/// NUL-separated, lower-case) in one pass. The key holds only octets a name may hold and no
/// empty label, so text that matches is a valid name, and a NUL in the text never stands in
/// for a label boundary.
fn plain_text_is(text: &[u8], origin: &Name, name: &Name) -> bool {
    let key = name.canonical_key().as_bytes();
    let (labels, mut at) = if let Some(absolute) = text.strip_suffix(b".") {
        (absolute, 0)
    } else {
        let suffix = origin.canonical_key().as_bytes();
        if key.len() < suffix.len() || !same_bytes(&key[..suffix.len()], suffix) {
            return false;
        }
        (text, suffix.len())
    };
    let mut end = labels.len();
    loop {
        let start = labels[..end]
            .iter()
            .rposition(|&octet| octet == b'.')
            .map_or(0, |dot| dot + 1);
        let label = &labels[start..end];
        if at > 0 {
            if key.get(at) != Some(&0) {
                return false;
            }
            at += 1;
        }
        // The key's labels hold no NUL, and the text's must not either: a NUL there must not
        // stand in for the separator the key has at that place.
        match key.get(at..at + label.len()) {
            Some(part)
                if !label.is_empty()
                    && part
                        .iter()
                        .zip(label)
                        .all(|(&held, &read)| held != 0 && held == read.to_ascii_lowercase()) => {}
            _ => return false,
        }
        at += label.len();
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    at == key.len()
}

/// `a == b`, inline: names are a few dozen bytes, where a call to `memcmp` costs more than the
/// comparison (it was a seventh of the reader's time).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The octet an escape stands for (`rest` follows the backslash) and how many bytes of `rest`
/// it takes: `\DDD` is the octet DDD (three digits, at most 255), `\X` is X.
pub(crate) fn escape(rest: &[u8]) -> Result<(u8, usize), ValueError> {
    match rest {
        [first, ..] if first.is_ascii_digit() => match rest {
            [a, b, c, ..] if b.is_ascii_digit() && c.is_ascii_digit() => {
                let value =
                    u32::from(a - b'0') * 100 + u32::from(b - b'0') * 10 + u32::from(c - b'0');
                u8::try_from(value)
                    .map(|octet| (octet, 3))
                    .map_err(|_| ValueError::BadEscape)
            }
            _ => Err(ValueError::BadEscape),
        },
        [other, ..] => Ok((*other, 1)),
        [] => Err(ValueError::BadEscape),
    }
}

/// Appends the octets of a character-string (quoted or not; `text` without its quotes),
/// escapes decoded.
pub(crate) fn read_string(text: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'\\', &text[at..]) {
        out.extend_from_slice(&text[at..at + offset]);
        let (octet, length) = escape(&text[at + offset + 1..])?;
        out.push(octet);
        at += offset + 1 + length;
    }
    out.extend_from_slice(&text[at..]);
    Ok(())
}

/// Largest TTL (RFC 2181 section 8: the top bit must be clear).
pub const MAX_TTL: u32 = 0x7fff_ffff;

/// A TTL: seconds (`3600`), or numbers with units as BIND and Knot accept them (`1h30m`,
/// `2D`, `1w`; `s`, `m`, `h`, `d`, `w` in either case). Every number of a unit form needs its
/// unit (`1h30` is refused, as servers do not agree on it).
pub(crate) fn read_ttl(text: &[u8]) -> Result<u32, ValueError> {
    read_duration(text, MAX_TTL).map_err(|problem| match problem {
        ValueError::Number => ValueError::TtlTooLarge,
        other => other,
    })
}

/// A time in seconds written as a TTL is ([`read_ttl`]), at most `max`: the SOA's timers are
/// whole 32-bit intervals (RFC 1035 section 3.3.13), a TTL only 31 bits.
pub(crate) fn read_duration(text: &[u8], max: u32) -> Result<u32, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Ttl);
    }
    let total = if text.iter().all(u8::is_ascii_digit) {
        decimal(text)
    } else {
        let mut total: u64 = 0;
        let mut at = 0;
        while at < text.len() {
            let digits = text[at..]
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count();
            if digits == 0 {
                return Err(ValueError::Ttl);
            }
            let value = decimal(&text[at..at + digits]);
            let unit = match text.get(at + digits).map(u8::to_ascii_lowercase) {
                Some(b's') => 1,
                Some(b'm') => 60,
                Some(b'h') => 3600,
                Some(b'd') => 86_400,
                Some(b'w') => 604_800,
                _ => return Err(ValueError::Ttl),
            };
            total = total.saturating_add(value.saturating_mul(unit));
            at += digits + 1;
        }
        total
    };
    u32::try_from(total)
        .ok()
        .filter(|value| *value <= max)
        .ok_or(ValueError::Number)
}

/// True when `text` can only be meant as a TTL (it starts with a digit): in the fields after an
/// owner, nothing else does.
pub(crate) fn looks_like_ttl(text: &[u8]) -> bool {
    text.first().is_some_and(u8::is_ascii_digit)
}

/// A decimal number from 0 to `max`: digits only, no sign.
pub(crate) fn number(text: &[u8], max: u64) -> Result<u64, ValueError> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return Err(ValueError::Number);
    }
    Some(decimal(text))
        .filter(|value| *value <= max)
        .ok_or(ValueError::Number)
}

/// The value of ASCII digits, saturating at `u64::MAX` (every caller bounds it far below).
fn decimal(digits: &[u8]) -> u64 {
    digits.iter().fold(0_u64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    })
}

/// `text` for a message: printable ASCII as it is, anything else escaped as a master file
/// would write it.
pub(crate) fn lossy(text: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text {
        if (0x20..0x7f).contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "\\{byte:03}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).unwrap()
    }

    #[test]
    fn names_are_read_relative_to_the_origin_with_escapes_decoded() {
        let origin = name("example.net.");
        let mut reader = NameReader::default();
        let mut read = |text: &str| reader.read(text.as_bytes(), &origin, None);
        assert_eq!(read("@"), Ok(origin.clone()));
        assert_eq!(read("www"), Ok(name("www.example.net.")));
        assert_eq!(read("WWW.Lon"), Ok(name("www.lon.example.net.")));
        assert_eq!(read("other.org."), Ok(name("other.org.")));
        assert_eq!(read("."), Ok(Name::root()));
        assert_eq!(read("w\\119w"), Ok(name("www.example.net.")));
        assert_eq!(read("\\*.apps"), Ok(name("*.apps.example.net.")));
        assert_eq!(read("_sip._udp"), Ok(name("_sip._udp.example.net.")));
        // What the model cannot hold is refused, escaped or not: a dot or a NUL inside a
        // label, raw UTF-8 (never turned into an A-label), empty labels, bad escapes.
        for text in [
            "a\\.b",
            "a\\000b",
            "b\u{fc}cher",
            "a..b",
            ".a",
            "\\1",
            "\\256x",
            "a\\",
        ] {
            assert!(read(text).is_err(), "{text:?} is accepted");
        }
        let long = "a".repeat(64);
        assert!(matches!(
            read(&long),
            Err(ValueError::Name(NameError::LabelTooLong { length: 64, .. }))
        ));
    }

    #[test]
    fn a_likely_name_is_shared_only_when_it_is_the_name_read() {
        let origin = name("example.net.");
        let www = name("www.example.net.");
        let mut reader = NameReader::default();
        for text in ["www", "WWW", "w\\119w", "www.example.net."] {
            assert_eq!(
                reader.read(text.as_bytes(), &origin, Some(&www)),
                Ok(www.clone()),
                "{text}"
            );
        }
        // Octets the model refuses are refused, even where the key would look alike: a NUL
        // inside a label is not a label boundary.
        assert!(
            reader
                .read(b"example\\000www.net.", &origin, Some(&www))
                .is_err()
        );
        assert!(
            reader
                .read(b"www\\.example.net.", &origin, Some(&www))
                .is_err()
        );
        assert_eq!(
            reader.read(b"web", &origin, Some(&www)),
            Ok(name("web.example.net."))
        );
    }

    #[test]
    fn an_owner_written_again_is_the_same_name() {
        let origin = name("example.net.");
        let mut reader = NameReader::default();
        let first = reader.read_owner(b"www", &origin, None).unwrap();
        let second = reader.read_owner(b"www", &origin, None).unwrap();
        assert_eq!(first, second);
        let other = name("example.org.");
        assert_eq!(
            reader.read_owner(b"www", &other, None).unwrap(),
            name("www.example.org.")
        );
    }

    #[test]
    fn strings_decode_both_escape_forms() {
        let mut out = Vec::new();
        read_string(br#"a\"b\\c\009\255"#, &mut out).unwrap();
        assert_eq!(out, b"a\"b\\c\t\xff");
        assert_eq!(
            read_string(b"\\25", &mut Vec::new()),
            Err(ValueError::BadEscape)
        );
    }

    #[test]
    fn ttls_take_units_in_either_case() {
        assert_eq!(read_ttl(b"3600"), Ok(3600));
        assert_eq!(read_ttl(b"1h30m"), Ok(5400));
        assert_eq!(read_ttl(b"1W2D3H4M5S"), Ok(788_645));
        assert_eq!(read_ttl(b"2147483647"), Ok(MAX_TTL));
        assert_eq!(read_ttl(b"2147483648"), Err(ValueError::TtlTooLarge));
        assert_eq!(
            read_ttl(b"99999999999999999999999w"),
            Err(ValueError::TtlTooLarge)
        );
        assert_eq!(
            read_ttl(b"99999999999999999999999"),
            Err(ValueError::TtlTooLarge)
        );
        assert_eq!(read_ttl(b"4000w"), Err(ValueError::TtlTooLarge));
        // The SOA's timers are whole 32-bit intervals.
        assert_eq!(read_duration(b"4294967295", u32::MAX), Ok(u32::MAX));
        assert_eq!(
            read_duration(b"4294967296", u32::MAX),
            Err(ValueError::Number)
        );
        for text in ["", "1h30", "h", "1x", "-1", "+5", "1.5h"] {
            assert!(read_ttl(text.as_bytes()).is_err(), "{text:?} is accepted");
        }
    }

    #[test]
    fn numbers_are_plain_decimal_in_range() {
        assert_eq!(number(b"65535", 65535), Ok(65535));
        assert_eq!(number(b"65536", 65535), Err(ValueError::Number));
        assert_eq!(number(b"+1", 65535), Err(ValueError::Number));
        assert_eq!(number(b"0x10", 65535), Err(ValueError::Number));
    }
}
