//! Domain names: always absolute, lower-cased and validated.
//!
//! A [`Name`] is stored as its labels from the root down, separated by NUL bytes
//! (`www.example.net.` is `net\0example\0www`). NUL sorts below every character a label may hold,
//! so the derived byte order *is* the canonical DNS order of RFC 4034 section 6.1, subdomain
//! tests are prefix tests, and sorting a million names is a `memcmp` per comparison. The
//! presentation form is produced on output.
//!
//! Labels are restricted to `a-z`, `0-9`, `-` and `_` (plus a leading `*` label): everything a
//! zone generator needs, and nothing that would need escaping in a master file. Internationalised
//! labels are converted to their A-label (`xn--`) form on input, so output is always ASCII.

use std::fmt;
use std::sync::Arc;

/// Longest label, in octets (RFC 1035 section 2.3.4).
pub const MAX_LABEL_LENGTH: usize = 63;
/// Longest name in wire format, in octets (RFC 1035 section 2.3.4).
pub const MAX_NAME_LENGTH: usize = 255;

const SEPARATOR: char = '\0';

/// An absolute, lower-cased, validated domain name. Cheap to clone (reference counted).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name {
    /// Labels from the root down, NUL-separated; empty for the root.
    key: Arc<str>,
}

/// Why text is not a valid name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing to parse.
    #[error("empty name")]
    Empty,
    /// Two dots in a row, or a leading dot.
    #[error("empty label in `{0}` (two dots in a row or a leading dot)")]
    EmptyLabel(String),
    /// A label longer than 63 octets.
    #[error("label `{label}` is {length} octets long; the limit is 63")]
    LabelTooLong {
        /// The label as written (after IDN conversion).
        label: String,
        /// Its length in octets.
        length: usize,
    },
    /// A name longer than 255 octets in wire format.
    #[error("name is {length} octets long in wire format; the limit is 255")]
    NameTooLong {
        /// Wire-format length.
        length: usize,
    },
    /// A character outside `a-z 0-9 - _` (and `*` as a whole leftmost label).
    #[error(
        "invalid character {character:?} in label `{label}`; expected letters, digits, `-` or `_`"
    )]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// The label containing it.
        label: String,
    },
    /// `*` somewhere other than as the whole leftmost label.
    #[error("`*` is only allowed as the whole leftmost label (RFC 4592)")]
    MisplacedWildcard,
    /// A non-ASCII label that IDNA 2008 refuses.
    #[error("`{0}` is not a valid internationalised label")]
    InvalidIdn(String),
    /// A relative name where an absolute one was required.
    #[error("`{0}` is relative; write it with a trailing dot")]
    Relative(String),
}

impl Name {
    /// The root name `.`.
    pub fn root() -> Self {
        Self { key: Arc::from("") }
    }

    /// Parses `text` as an absolute name; it must end with a dot.
    pub fn parse_absolute(text: &str) -> Result<Self, NameError> {
        if !text.ends_with('.') {
            return Err(NameError::Relative(text.to_owned()));
        }
        Self::from_labels_text(text)
    }

    /// Parses `text` as a fully-qualified name, with or without the trailing dot
    /// (as CMDB exports write hostnames).
    pub fn parse_fqdn(text: &str) -> Result<Self, NameError> {
        Self::from_labels_text(text)
    }

    /// Parses `text` relative to `origin`: absolute when it ends with a dot, `@` for `origin`
    /// itself, otherwise prefixed to `origin`.
    pub fn parse_relative(text: &str, origin: &Name) -> Result<Self, NameError> {
        if text == "@" {
            return Ok(origin.clone());
        }
        if text.ends_with('.') {
            return Self::from_labels_text(text);
        }
        let relative = Self::from_labels_text(text)?;
        relative.append(origin)
    }

    fn from_labels_text(text: &str) -> Result<Self, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text == "." {
            return Ok(Self::root());
        }
        let trimmed = text.strip_suffix('.').unwrap_or(text);
        let mut labels = Vec::new();
        for raw in trimmed.split('.') {
            if raw.is_empty() {
                return Err(NameError::EmptyLabel(text.to_owned()));
            }
            labels.push(normalise_label(raw)?);
        }
        if labels.iter().skip(1).any(|label| label == "*") {
            return Err(NameError::MisplacedWildcard);
        }
        let wire_length = labels.iter().map(|label| label.len() + 1).sum::<usize>() + 1;
        if wire_length > MAX_NAME_LENGTH {
            return Err(NameError::NameTooLong {
                length: wire_length,
            });
        }
        labels.reverse();
        Ok(Self {
            key: Arc::from(labels.join("\0")),
        })
    }

    /// `self` followed by `suffix` (e.g. `www` + `example.net.`).
    pub fn append(&self, suffix: &Name) -> Result<Self, NameError> {
        if suffix.is_root() {
            return Ok(self.clone());
        }
        if self.is_root() {
            return Ok(suffix.clone());
        }
        let wire_length = self.wire_length() + suffix.wire_length() - 1;
        if wire_length > MAX_NAME_LENGTH {
            return Err(NameError::NameTooLong {
                length: wire_length,
            });
        }
        let mut key = String::with_capacity(suffix.key.len() + 1 + self.key.len());
        key.push_str(&suffix.key);
        key.push(SEPARATOR);
        key.push_str(&self.key);
        Ok(Self {
            key: Arc::from(key),
        })
    }

    /// A child of `self` with `label` prepended (e.g. `_tcp` + `ash.example.net.`).
    pub fn prepend(&self, label: &str) -> Result<Self, NameError> {
        Self::from_labels_text(label)?.append(self)
    }

    /// True for the root name.
    pub fn is_root(&self) -> bool {
        self.key.is_empty()
    }

    /// Number of labels, not counting the root.
    pub fn label_count(&self) -> usize {
        if self.is_root() {
            0
        } else {
            self.key.split(SEPARATOR).count()
        }
    }

    /// Labels from left to right (`www`, `example`, `net`).
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> {
        let key: &str = if self.is_root() { "" } else { &self.key };
        key.split(SEPARATOR).filter(|label| !label.is_empty()).rev()
    }

    /// The leftmost label, or `None` for the root.
    pub fn first_label(&self) -> Option<&str> {
        self.labels().next()
    }

    /// True when `self` equals `ancestor` or lies below it.
    pub fn is_subdomain_of(&self, ancestor: &Name) -> bool {
        if ancestor.is_root() {
            return true;
        }
        match self.key.strip_prefix(&*ancestor.key) {
            Some(rest) => rest.is_empty() || rest.starts_with(SEPARATOR),
            None => false,
        }
    }

    /// The name one label up, or `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        if self.is_root() {
            return None;
        }
        Some(match self.key.rfind(SEPARATOR) {
            Some(index) => Self {
                key: Arc::from(&self.key[..index]),
            },
            None => Self::root(),
        })
    }

    /// True when the leftmost label is `*` (RFC 4592).
    pub fn is_wildcard(&self) -> bool {
        self.first_label() == Some("*")
    }

    /// Length in wire format, in octets.
    pub fn wire_length(&self) -> usize {
        if self.is_root() {
            1
        } else {
            self.key.len() + 2
        }
    }

    /// True when every label is a valid host name label (RFC 952, RFC 1123 section 2.1):
    /// letters, digits and hyphens, not starting or ending with a hyphen.
    pub fn is_hostname(&self) -> bool {
        self.labels().all(|label| {
            !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
    }

    /// Writes `self` relative to `origin` in master-file form: `@` for the origin itself, the
    /// leading labels when below it, the absolute name otherwise.
    pub fn write_relative(&self, origin: &Name, out: &mut String) {
        if self == origin {
            out.push('@');
            return;
        }
        if !origin.is_root() && self.is_subdomain_of(origin) {
            let rest = &self.key[origin.key.len() + 1..];
            push_reversed_labels(rest, out);
            return;
        }
        self.write_absolute(out);
    }

    /// Writes the absolute presentation form (with the trailing dot).
    pub fn write_absolute(&self, out: &mut String) {
        if self.is_root() {
            out.push('.');
            return;
        }
        push_reversed_labels(&self.key, out);
        out.push('.');
    }

    /// The presentation form without the trailing dot (`www.example.net`), as a hostname.
    pub fn to_hostname_string(&self) -> String {
        let mut out = String::with_capacity(self.key.len());
        push_reversed_labels(&self.key, &mut out);
        out
    }
}

fn push_reversed_labels(key: &str, out: &mut String) {
    for (index, label) in key.rsplit(SEPARATOR).enumerate() {
        if index > 0 {
            out.push('.');
        }
        out.push_str(label);
    }
}

fn normalise_label(raw: &str) -> Result<String, NameError> {
    let label = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        // IDNA 2008 (UTS 46) to the A-label, so zone files never carry UTF-8.
        idna::domain_to_ascii(raw).map_err(|_| NameError::InvalidIdn(raw.to_owned()))?
    };
    if label.len() > MAX_LABEL_LENGTH {
        return Err(NameError::LabelTooLong {
            length: label.len(),
            label,
        });
    }
    if label != "*"
        && let Some(character) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        if character == '*' {
            return Err(NameError::MisplacedWildcard);
        }
        return Err(NameError::InvalidCharacter { character, label });
    }
    Ok(label)
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.key.len() + 1);
        self.write_absolute(&mut out);
        f.write_str(&out)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::parse_absolute(text).unwrap()
    }

    #[test]
    fn presentation_round_trips_and_lowercases() {
        assert_eq!(name("WWW.Example.NET.").to_string(), "www.example.net.");
        assert_eq!(Name::root().to_string(), ".");
        assert_eq!(name("_playlist._tcp.ash.example.net.").label_count(), 5);
    }

    #[test]
    fn relative_names_are_qualified_against_the_origin() {
        let origin = name("example.net.");
        assert_eq!(
            Name::parse_relative("www", &origin).unwrap(),
            name("www.example.net.")
        );
        assert_eq!(Name::parse_relative("@", &origin).unwrap(), origin);
        assert_eq!(
            Name::parse_relative("other.org.", &origin).unwrap(),
            name("other.org.")
        );
        assert_eq!(
            Name::parse_absolute("www"),
            Err(NameError::Relative("www".into()))
        );
    }

    #[test]
    fn canonical_order_follows_rfc_4034() {
        // The example from RFC 4034 section 6.1, restricted to the characters we accept.
        let mut names: Vec<Name> = [
            "z.example.",
            "a.example.",
            "yljkjljk.a.example.",
            "example.",
            "zabc.a.example.",
            "*.z.example.",
        ]
        .iter()
        .map(|text| name(text))
        .collect();
        names.sort();
        let sorted: Vec<String> = names.iter().map(ToString::to_string).collect();
        assert_eq!(
            sorted,
            [
                "example.",
                "a.example.",
                "yljkjljk.a.example.",
                "zabc.a.example.",
                "z.example.",
                "*.z.example."
            ]
        );
        // A label that is a prefix of its sibling sorts first, whatever follows.
        assert!(name("x.a.example.") < name("a-b.example."));
    }

    #[test]
    fn subdomains_parents_and_relative_output() {
        let zone = name("example.net.");
        let host = name("db1.ash.example.net.");
        assert!(host.is_subdomain_of(&zone));
        assert!(zone.is_subdomain_of(&zone));
        assert!(!name("badexample.net.").is_subdomain_of(&zone));
        assert!(host.is_subdomain_of(&Name::root()));
        assert_eq!(host.parent().unwrap(), name("ash.example.net."));
        assert_eq!(name("net.").parent().unwrap(), Name::root());
        let mut out = String::new();
        host.write_relative(&zone, &mut out);
        out.push(' ');
        zone.write_relative(&zone, &mut out);
        out.push(' ');
        name("other.org.").write_relative(&zone, &mut out);
        assert_eq!(out, "db1.ash @ other.org.");
    }

    #[test]
    fn limits_and_characters_are_enforced() {
        let long_label = "a".repeat(64);
        assert!(matches!(
            Name::parse_fqdn(&long_label),
            Err(NameError::LabelTooLong { length: 64, .. })
        ));
        let long_name = vec!["a".repeat(63); 4].join(".") + ".";
        assert!(matches!(
            Name::parse_absolute(&long_name),
            Err(NameError::NameTooLong { length: 257 })
        ));
        assert!(matches!(
            Name::parse_fqdn("a b.example.net"),
            Err(NameError::InvalidCharacter { character: ' ', .. })
        ));
        assert!(matches!(
            Name::parse_fqdn("a..b"),
            Err(NameError::EmptyLabel(_))
        ));
        assert_eq!(Name::parse_fqdn("a.*.b"), Err(NameError::MisplacedWildcard));
        assert!(name("*.example.net.").is_wildcard());
    }

    #[test]
    fn international_labels_become_a_labels() {
        assert_eq!(
            Name::parse_fqdn("bücher.example").unwrap().to_string(),
            "xn--bcher-kva.example."
        );
    }

    #[test]
    fn hostname_rule_rejects_underscores_and_edge_hyphens() {
        assert!(name("db-1.ash.example.net.").is_hostname());
        assert!(!name("_srv.example.net.").is_hostname());
        assert!(!name("-db.example.net.").is_hostname());
    }
}
