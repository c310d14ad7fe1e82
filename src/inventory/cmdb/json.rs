//! JSON exports (an array of host objects), and the JSON reading the NetBox reader shares: a
//! walk over an array's elements without copying them, and errors located in the whole file.

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Family, HostFields, Sink, parse_address, split_list};
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::rules::input::{CMDB_INVALID_VALUE, CMDB_MISSING_COLUMN, CMDB_SYNTAX};

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

pub(super) fn read_json(bytes: &[u8], sink: &mut Sink<'_>) {
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

pub(super) fn utf8<'b>(bytes: &'b [u8], sink: &mut Sink<'_>) -> Option<&'b str> {
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
pub(super) fn for_each_element<'t>(
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
pub(super) fn syntax_error(
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
pub(super) fn value_error(
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
pub(super) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()));
        Self { text, starts }
    }

    /// Line and column of the start of `slice`, which must point into the indexed text.
    pub(super) fn locate(&self, slice: &str) -> (u32, u32) {
        let offset = (slice.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        self.position(offset)
    }

    /// Line and column of `line:column` (1-based, as serde_json reports) counted inside `slice`.
    pub(super) fn locate_within(&self, slice: &str, line: usize, column: usize) -> (u32, u32) {
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
    use super::super::tests::run;
    use crate::inventory::CmdbFormat;

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
}
