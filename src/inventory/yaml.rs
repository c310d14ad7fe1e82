//! The YAML layer: serde-saphyr with our diagnostics.
//!
//! Every file a user writes goes through [`parse`]: the text must be UTF-8, serde-saphyr parses
//! it under its default budget (so alias bombs, deep nesting and huge documents are refused), and
//! any error becomes one [`Diagnostic`] with `file:line:column`, a stable code and, for an
//! unknown key, a did-you-mean hint. Types use `#[serde(deny_unknown_fields)]` and
//! [`Spanned`] where a later check needs a location.

use std::fmt;
use std::io::{self, Read};

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Location, MessageFormatter, Spanned};

use super::files::Files;
use crate::diagnostic::{Diagnostic, FileId, Span};

/// Input could not be parsed at all (YAML syntax, or too large or deep for the budget).
pub const YAML_SYNTAX: &str = "yaml-syntax";
/// A key the format does not know.
pub const UNKNOWN_KEY: &str = "unknown-key";
/// A value of the wrong type or out of range.
pub const INVALID_VALUE: &str = "invalid-value";
/// A required key is absent.
pub const MISSING_KEY: &str = "missing-key";

/// The largest YAML file (or template) zonegate reads, in bytes: far beyond any hand-edited
/// file, and small enough that reading and parsing one stays within a bounded amount of memory
/// (serde-saphyr's budget then bounds aliases, nesting and node counts).
pub const MAX_FILE_BYTES: usize = 16 << 20;

/// Reads `path` from `files`, at most [`MAX_FILE_BYTES`] + 1 bytes: a huge file costs no more
/// memory than the limit, and [`parse`] reports it as too large. `Ok(None)` when it is absent.
pub fn read_limited(files: &dyn Files, path: &str) -> io::Result<Option<Vec<u8>>> {
    let Some(reader) = files.open(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// The diagnostic for a file over [`MAX_FILE_BYTES`].
pub fn too_large(file: FileId) -> Diagnostic {
    Diagnostic::error(
        YAML_SYNTAX,
        Some(Span::new(file, 1, 1)),
        format!(
            "the file is larger than {} MiB, the most zonegate reads",
            MAX_FILE_BYTES >> 20
        ),
    )
    .with_hint("split it into several files")
}

/// Parses `bytes` (the content of `file`) into `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], file: FileId) -> Result<T, Diagnostic> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(file));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            return Err(Diagnostic::error(
                YAML_SYNTAX,
                Some(Span::at_offset(file, bytes, error.valid_up_to())),
                "the file is not valid UTF-8",
            )
            .with_hint("save the file as UTF-8"));
        }
    };
    if text.trim().is_empty() {
        return Err(Diagnostic::error(
            YAML_SYNTAX,
            Some(Span::new(file, 1, 1)),
            "the file is empty; expected a YAML mapping",
        ));
    }
    serde_saphyr::from_str(text).map_err(|error| diagnostic(&error, file))
}

/// The span of a serde-saphyr location in `file`.
pub fn span(location: &Location, file: FileId) -> Span {
    Span::new(file, location.line() as u32, location.column() as u32)
}

/// The span where a [`Spanned`] value was written.
pub fn span_of<T>(value: &Spanned<T>, file: FileId) -> Span {
    span(&value.referenced, file)
}

fn diagnostic(error: &serde_saphyr::Error, file: FileId) -> Diagnostic {
    let location = error
        .location()
        .map_or(Span::new(file, 1, 1), |location| span(&location, file));
    let mut original = error;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = original
    {
        original = error;
    }
    match original {
        serde_saphyr::Error::Budget { breach, .. } => return budget_diagnostic(breach, location),
        serde_saphyr::Error::AliasReplayCounterOverflow { .. }
        | serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => {
            return budget_diagnostic(&BudgetBreach::Aliases { aliases: 0 }, location);
        }
        _ => {}
    }
    let message = serde_saphyr::DefaultMessageFormatter
        .format_message(error.without_snippet())
        .into_owned();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ")
            .split(", ")
            .map(|candidate| candidate.trim_matches('`'))
            .filter(|candidate| !candidate.is_empty())
            .collect();
        let mut diagnostic =
            Diagnostic::error(UNKNOWN_KEY, Some(location), format!("unknown key `{key}`"));
        if let Some(close) = crate::model::suggest(key, expected.iter().copied()) {
            diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
        }
        if !expected.is_empty() {
            diagnostic = diagnostic.with_hint(format!("expected one of: {}", expected.join(", ")));
        }
        return diagnostic;
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return Diagnostic::error(
            MISSING_KEY,
            Some(location),
            format!("missing required key `{key}`"),
        );
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return Diagnostic::error(
            YAML_SYNTAX,
            Some(location),
            format!("key `{key}` appears twice in this mapping"),
        )
        .with_hint("YAML keys must be unique; keep one of them");
    }
    if message == "recursion limit exceeded" {
        return budget_diagnostic(&BudgetBreach::Depth { depth: 0 }, location);
    }
    // serde-saphyr names the Rust type of a number that did not parse; say what is expected.
    let message = match message.as_str() {
        "invalid u8" => "expected a whole number from 0 to 255".to_owned(),
        "invalid u16" => "expected a whole number from 0 to 65535".to_owned(),
        "invalid u32" => "expected a whole number from 0 to 4294967295".to_owned(),
        "invalid u64" | "invalid usize" => "expected a whole number, 0 or more".to_owned(),
        _ => message,
    };
    let code = match error.without_snippet() {
        serde_saphyr::Error::ExternalMessage { .. } | serde_saphyr::Error::Eof { .. } => {
            YAML_SYNTAX
        }
        _ if message.contains("budget") || message.contains("limit") => YAML_SYNTAX,
        _ => INVALID_VALUE,
    };
    Diagnostic::error(code, Some(location), message)
}

/// A breach of serde-saphyr's budget, in words: these limits are what keeps an alias bomb, a
/// deeply nested or a huge document from exhausting memory or stack.
fn budget_diagnostic(breach: &BudgetBreach, location: Span) -> Diagnostic {
    let limits = serde_saphyr::Budget::default();
    let (message, hint) = match breach {
        BudgetBreach::Aliases { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. }
        | BudgetBreach::MergeKeys { .. } => (
            "the file repeats its anchors (`&name`/`*name`) too often: expanded, it would be too large".to_owned(),
            "write the values out, or use fewer aliases",
        ),
        BudgetBreach::Depth { .. } => (
            format!(
                "the file is nested more than {} levels deep",
                limits.max_depth
            ),
            "zonegate's files are a few levels deep; check the indentation and brackets",
        ),
        BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => (
            format!(
                "the file holds more than {} values, the most zonegate reads from one file",
                limits.max_nodes
            ),
            "split it into several files",
        ),
        BudgetBreach::ScalarBytes { .. } | BudgetBreach::InputBytes { .. } => (
            "the file's text is larger than zonegate reads from one file".to_owned(),
            "split it into several files",
        ),
        BudgetBreach::Documents { .. } => (
            "the file holds too many YAML documents (`---`)".to_owned(),
            "zonegate reads one document per file",
        ),
        other => (
            format!("the file exceeds a YAML safety limit ({other:?})"),
            "simplify the file",
        ),
    };
    Diagnostic::error(YAML_SYNTAX, Some(location), message).with_hint(hint)
}

/// A duration in seconds, written as an integer or with BIND units (`30s`, `5m`, `1h`, `2d`,
/// `1w`, combinable: `1h30m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(pub u32);

impl Duration {
    /// Parses the textual form.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::from_seconds(seconds(text)?, &text.trim())
    }

    /// `seconds`, written as `written`, if it fits in 32 bits.
    fn from_seconds(seconds: u64, written: &dyn fmt::Display) -> Result<Self, String> {
        u32::try_from(seconds).map(Self).map_err(|_| {
            format!("`{written}` is too long; durations must fit in 32 bits (about 136 years)")
        })
    }
}

/// The visitor of [`Duration`] and [`Ttl`]: a whole number of seconds, or text with units,
/// turned into a `T` (or refused) by `from_seconds`.
struct SecondsVisitor<T> {
    /// "duration" or "TTL", for messages.
    what: &'static str,
    from_seconds: fn(u64, &dyn fmt::Display) -> Result<T, String>,
}

impl<T> Visitor<'_> for SecondsVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} in seconds or with units (300, 5m, 1h, 1d)",
            self.what
        )
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        (self.from_seconds)(value, &value).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(E::custom(format!("{value} is not a valid {}", self.what))),
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        seconds(value)
            .and_then(|seconds| (self.from_seconds)(seconds, &value.trim()))
            .map_err(E::custom)
    }
}

/// The seconds `text` says (an integer, or BIND units), saturating far above any 32-bit value.
fn seconds(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("expected a duration such as 300, 5m, 1h or 1d".into());
    }
    // Digits alone past u64 are a number too large, not a malformed one.
    let number = |digits: &str| digits.parse::<u64>().unwrap_or(u64::MAX);
    if text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Ok(number(text));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for character in text.chars() {
        if character.is_ascii_digit() {
            digits.push(character);
            continue;
        }
        let unit: u64 = match character.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => {
                return Err(format!(
                    "`{text}` is not a duration: unknown unit `{character}`; expected s, m, h, d or w"
                ));
            }
        };
        if digits.is_empty() {
            return Err(format!(
                "`{text}` is not a duration: a number must precede `{character}`"
            ));
        }
        let amount = number(&digits);
        digits.clear();
        total = total.saturating_add(amount.saturating_mul(unit));
    }
    if !digits.is_empty() {
        return Err(format!(
            "`{text}` is not a duration: `{digits}` has no unit; expected s, m, h, d or w"
        ));
    }
    Ok(total)
}

/// The largest TTL: RFC 2181 section 8 makes a TTL an unsigned 32-bit number whose top bit is
/// zero, and a resolver treats one with the bit set as zero, so `2^31 - 1` seconds (about 68
/// years).
pub const MAX_TTL: u32 = (1 << 31) - 1;

/// A TTL: a [`Duration`] of at most [`MAX_TTL`] seconds, in the same forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ttl(pub u32);

impl Ttl {
    /// Parses the textual form.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::from_seconds(seconds(text)?, &text.trim())
    }

    /// `seconds`, written as `written`, if it is a TTL.
    fn from_seconds(seconds: u64, written: &dyn fmt::Display) -> Result<Self, String> {
        match u32::try_from(seconds) {
            Ok(seconds) if seconds <= MAX_TTL => Ok(Self(seconds)),
            _ => Err(format!(
                "TTL `{written}` is more than {MAX_TTL} seconds, the largest TTL (RFC 2181 section 8: its top bit must be zero, and resolvers read such a TTL as 0)"
            )),
        }
    }
}

impl<'de> de::Deserialize<'de> for Ttl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecondsVisitor {
            what: "TTL",
            from_seconds: Ttl::from_seconds,
        })
    }
}

/// The schema of [`Ttl`]: a [`Duration`] of at most [`MAX_TTL`] seconds.
impl schemars::JsonSchema for Ttl {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Ttl".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "a TTL: seconds, or BIND units (30s, 5m, 1h, 2d, 1w, combinable: 1h30m); at most 2147483647 seconds (RFC 2181 section 8)",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": MAX_TTL },
                { "type": "string", "pattern": DURATION_PATTERN }
            ]
        })
    }
}

impl<'de> de::Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecondsVisitor {
            what: "duration",
            from_seconds: Duration::from_seconds,
        })
    }
}

/// One string or a list of strings (`text: "x"` or `text: [a, b]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<String>);

impl<'de> de::Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;
        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![value.to_owned()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
        }
        deserializer.deserialize_any(OneOrManyVisitor)
    }
}

/// The schema of [`Duration`]: exactly what [`Duration::parse`] and the deserializer accept.
impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "seconds, or BIND units: 30s, 5m, 1h, 2d, 1w, combinable (1h30m)",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": u32::MAX },
                { "type": "string", "pattern": DURATION_PATTERN }
            ]
        })
    }
}

/// The textual durations [`Duration::parse`] accepts (it also refuses sums past 32 bits, which a
/// pattern cannot say).
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+|([0-9]+[smhdwSMHDW])+)\s*$";

/// A pattern matching any of `words` in any case, with surrounding spaces (ECMA-262 has no
/// case-insensitive group, so each letter is a class: `[Mm][Xx]`).
pub fn case_insensitive(words: &[&str]) -> String {
    let alternatives: Vec<String> = words
        .iter()
        .map(|word| {
            word.chars()
                .map(|character| {
                    if character.is_ascii_alphabetic() {
                        format!(
                            "[{}{}]",
                            character.to_ascii_uppercase(),
                            character.to_ascii_lowercase()
                        )
                    } else {
                        character.to_string()
                    }
                })
                .collect()
        })
        .collect();
    format!("^\\s*({})\\s*$", alternatives.join("|"))
}

/// The schema of [`OneOrMany`]: a string or a list of strings.
impl schemars::JsonSchema for OneOrMany {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OneOrMany".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // Fields exist to be parsed.
    struct Sample {
        domain: String,
        port: Option<u16>,
        ttl: Option<Duration>,
    }

    fn render(bytes: &[u8]) -> String {
        let mut sources = SourceMap::default();
        let file = sources.add("zones/sample.yaml");
        match parse::<Sample>(bytes, file) {
            Ok(sample) => format!("{sample:?}"),
            Err(diagnostic) => diagnostic.display(&sources).to_string(),
        }
    }

    #[test]
    fn durations_accept_seconds_and_bind_units() {
        assert_eq!(Duration::parse("300"), Ok(Duration(300)));
        assert_eq!(Duration::parse("1h30m"), Ok(Duration(5400)));
        assert_eq!(Duration::parse("2W"), Ok(Duration(1_209_600)));
        assert!(
            Duration::parse("5x")
                .unwrap_err()
                .contains("unknown unit `x`")
        );
        assert!(Duration::parse("10").is_ok() && Duration::parse("1h5").is_err());
        assert!(Duration::parse("100000w").unwrap_err().contains("too long"));
    }

    #[derive(Debug, Deserialize)]
    struct Record {
        ttl: Ttl,
    }

    // Security review: TTLs from 2^31 to 2^32 - 1 were accepted, and resolvers read them as 0.
    #[test]
    fn ttls_stop_at_two_to_the_thirty_one_less_one() {
        assert_eq!(Ttl::parse("2147483647"), Ok(Ttl(MAX_TTL)));
        assert_eq!(Ttl::parse("1h"), Ok(Ttl(3600)));
        // 3550 weeks and 5 days are 2147472000 seconds; a day more is too much.
        assert_eq!(Ttl::parse("3550w5d"), Ok(Ttl(2_147_472_000)));
        for text in [
            "2147483648",
            "4294967295",
            "3550w6d",
            "99999999999999999999w",
        ] {
            assert_eq!(
                Ttl::parse(text),
                Err(format!(
                    "TTL `{text}` is more than 2147483647 seconds, the largest TTL (RFC 2181 section 8: its top bit must be zero, and resolvers read such a TTL as 0)"
                ))
            );
        }
        let mut sources = SourceMap::default();
        let file = sources.add("zones/records/web.yaml");
        for (text, expected) in [
            (
                "ttl: 2147483648\n",
                "zones/records/web.yaml:1:6: error[invalid-value]: TTL `2147483648` is more than 2147483647 seconds, the largest TTL (RFC 2181 section 8: its top bit must be zero, and resolvers read such a TTL as 0)",
            ),
            (
                "ttl: \"4294967295\"\n",
                "zones/records/web.yaml:1:6: error[invalid-value]: TTL `4294967295` is more than 2147483647 seconds, the largest TTL (RFC 2181 section 8: its top bit must be zero, and resolvers read such a TTL as 0)",
            ),
            (
                "ttl: -5\n",
                "zones/records/web.yaml:1:6: error[invalid-value]: -5 is not a valid TTL",
            ),
        ] {
            let error = parse::<Record>(text.as_bytes(), file).unwrap_err();
            assert_eq!(error.display(&sources).to_string(), expected);
        }
        assert_eq!(
            parse::<Record>(b"ttl: 2147483647\n", file).unwrap().ttl,
            Ttl(MAX_TTL)
        );
    }

    #[test]
    fn errors_point_at_the_line_and_column() {
        insta::assert_snapshot!(render(b"domain: x\nprot: 80\n"), @r"
        zones/sample.yaml:2:1: error[unknown-key]: unknown key `prot`
          hint: did you mean `port`?
          hint: expected one of: domain, port, ttl
        ");
        insta::assert_snapshot!(render(b"domain: x\nport: 70000\n"), @"zones/sample.yaml:2:7: error[invalid-value]: expected a whole number from 0 to 65535");
        insta::assert_snapshot!(render(b"port: 80\n"), @"zones/sample.yaml:1:1: error[missing-key]: missing required key `domain`");
        insta::assert_snapshot!(render(b"domain: x\nport: 80\ndomain: y\n"), @"
        zones/sample.yaml:3:1: error[yaml-syntax]: key `domain` appears twice in this mapping
          hint: YAML keys must be unique; keep one of them
        ");
        insta::assert_snapshot!(render(b"domain: x\nttl: 5x\n"), @"zones/sample.yaml:2:6: error[invalid-value]: `5x` is not a duration: unknown unit `x`; expected s, m, h, d or w");
        insta::assert_snapshot!(render(b"domain: [x\n"), @"zones/sample.yaml:1:9: error[invalid-value]: expected string scalar");
        insta::assert_snapshot!(render(b"domain: x\n\xff\n"), @r"
        zones/sample.yaml:2:1: error[yaml-syntax]: the file is not valid UTF-8
          hint: save the file as UTF-8
        ");
        insta::assert_snapshot!(render(b"\n"), @"zones/sample.yaml:1:1: error[yaml-syntax]: the file is empty; expected a YAML mapping");
    }
}
