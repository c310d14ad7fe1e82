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
#[derive(Clone, Eq)]
pub struct Name {
    /// Labels from the root down, NUL-separated; empty for the root.
    key: Arc<str>,
}

// Names are shared (an SRV owner by every record of its RRset, a host's name by its A, AAAA,
// PTR and SRV records), so comparing the pointers first settles most comparisons of a sort
// without reading the text.
impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.key, &other.key) || self.key == other.key
    }
}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.key, &other.key) {
            return std::cmp::Ordering::Equal;
        }
        compare_keys(self.key.as_bytes(), other.key.as_bytes())
    }
}

/// Byte-wise comparison, eight bytes at a time and inline: canonical sorting compares keys of
/// twenty-odd bytes a few million times, and a `memcmp` call for each was 7% of `render`'s
/// cycles at a million records (the build stage is about 5% faster this way).
fn compare_keys(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    let word = |bytes: &[u8]| u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]));
    let mut at = 0;
    while at + 8 <= common {
        let (left, right) = (word(&a[at..at + 8]), word(&b[at..at + 8]));
        if left != right {
            return left.cmp(&right);
        }
        at += 8;
    }
    while at < common {
        if a[at] != b[at] {
            return a[at].cmp(&b[at]);
        }
        at += 1;
    }
    a.len().cmp(&b.len())
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
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
        Self::build(text, Some(origin))
    }

    /// The reverse-mapping name of `address`: `4.3.2.1.in-addr.arpa.`, or 32 nibble labels
    /// under `ip6.arpa.` (RFC 3596 section 2.5).
    pub fn reverse(address: std::net::IpAddr) -> Self {
        use std::fmt::Write as _;
        let mut key = String::with_capacity(80);
        match address {
            std::net::IpAddr::V4(v4) => {
                key.push_str("arpa\0in-addr");
                for octet in v4.octets() {
                    let _ = write!(key, "\0{octet}");
                }
            }
            std::net::IpAddr::V6(v6) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                key.push_str("arpa\0ip6");
                for byte in v6.octets() {
                    for nibble in [byte >> 4, byte & 0x0f] {
                        key.push(SEPARATOR);
                        key.push(char::from(HEX[usize::from(nibble)]));
                    }
                }
            }
        }
        Self {
            key: Arc::from(key),
        }
    }

    fn from_labels_text(text: &str) -> Result<Self, NameError> {
        if text == "." {
            return Ok(Self::root());
        }
        Self::build(text.strip_suffix('.').unwrap_or(text), None)
    }

    /// Builds the key of `text` (dot-separated labels, no trailing dot) below `suffix`, in one
    /// allocation, validating and lower-casing as it goes. Non-ASCII text takes the IDNA path.
    fn build(text: &str, suffix: Option<&Name>) -> Result<Self, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if !text.is_ascii() {
            return Self::build_international(text, suffix);
        }
        let suffix_key: &str = suffix.map_or("", |name| &name.key);
        let mut key = String::with_capacity(suffix_key.len() + text.len() + 1);
        key.push_str(suffix_key);
        let mut wire_length = suffix.map_or(1, Name::wire_length);
        let mut labels = text.rsplit('.').peekable();
        while let Some(label) = labels.next() {
            if label.is_empty() {
                return Err(NameError::EmptyLabel(text.to_owned()));
            }
            push_label(&mut key, label.as_bytes(), labels.peek().is_none())?;
            wire_length += label.len() + 1;
        }
        Self::finish(key, wire_length)
    }

    /// A name from its labels as a DNS message carries them, leftmost first, validated and
    /// lower-cased as [`Name::parse_absolute`] would; no text round trip, which matters where
    /// every record of every response is converted (`zonegate test --server`).
    pub fn from_labels<'l>(
        labels: impl DoubleEndedIterator<Item = &'l [u8]> + ExactSizeIterator,
    ) -> Result<Self, NameError> {
        Self::from_labels_below(labels, None)
    }

    /// [`Name::from_labels`] below `suffix` (the root when `None`): `labels` are the leading
    /// labels of a relative name, as a master file writes them against its origin. The suffix's
    /// labels are taken as they are, already valid; only the new ones are checked.
    pub fn from_labels_below<'l>(
        labels: impl DoubleEndedIterator<Item = &'l [u8]> + ExactSizeIterator,
        suffix: Option<&Name>,
    ) -> Result<Self, NameError> {
        let count = labels.len();
        let suffix_key = suffix.map_or("", |name| &*name.key);
        if count == 0 {
            return Ok(suffix.map_or_else(Self::root, Name::clone));
        }
        if suffix.is_some_and(Name::is_wildcard) {
            return Err(NameError::MisplacedWildcard);
        }
        let mut key = String::with_capacity(suffix_key.len() + 64);
        key.push_str(suffix_key);
        let mut wire_length = suffix.map_or(1, Name::wire_length);
        for (position, label) in labels.rev().enumerate() {
            if label.is_empty() {
                return Err(NameError::EmptyLabel(String::new()));
            }
            push_label(&mut key, label, position + 1 == count)?;
            wire_length += label.len() + 1;
        }
        Self::finish(key, wire_length)
    }

    /// The name with `key`, once its wire length is known to fit.
    fn finish(key: String, wire_length: usize) -> Result<Self, NameError> {
        if wire_length > MAX_NAME_LENGTH {
            return Err(NameError::NameTooLong {
                length: wire_length,
            });
        }
        Ok(Self {
            key: Arc::from(key),
        })
    }

    /// The slow path for text with non-ASCII labels: each label through IDNA 2008.
    fn build_international(text: &str, suffix: Option<&Name>) -> Result<Self, NameError> {
        let mut ascii = Vec::new();
        for raw in text.split('.') {
            if raw.is_empty() {
                return Err(NameError::EmptyLabel(text.to_owned()));
            }
            ascii.push(a_label(raw)?);
        }
        Self::build(&ascii.join("."), suffix)
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

    /// The internal key: labels from the root down, NUL-separated. Its byte order is the
    /// canonical DNS order; for hashing and comparison, not for display.
    pub fn canonical_key(&self) -> &str {
        &self.key
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

/// Appends the labels of `key` (root-down, NUL-separated) in presentation order, dot-separated.
/// A byte loop rather than `rsplit`: this runs for every owner and target of every rendered
/// record, and labels are short.
fn push_reversed_labels(key: &str, out: &mut String) {
    let bytes = key.as_bytes();
    let mut end = bytes.len();
    let mut first = true;
    while end > 0 || first {
        let start = bytes[..end]
            .iter()
            .rposition(|&byte| byte == 0)
            .map_or(0, |separator| separator + 1);
        if !first {
            out.push('.');
        }
        out.push_str(&key[start..end]);
        first = false;
        if start == 0 {
            break;
        }
        end = start - 1;
    }
}

/// The A-label of a non-ASCII label (IDNA 2008 / UTS 46), so zone files never carry UTF-8.
/// ASCII labels pass through; [`Name::build`] validates the result either way.
fn a_label(raw: &str) -> Result<String, NameError> {
    if raw.is_ascii() {
        return Ok(raw.to_owned());
    }
    idna::domain_to_ascii(raw).map_err(|_| NameError::InvalidIdn(raw.to_owned()))
}

/// Checks one non-empty label (`leftmost` when it is the name's first) and appends it to `key`
/// lower-cased, after a separator unless it is the first one appended.
#[inline]
fn push_label(key: &mut String, label: &[u8], leftmost: bool) -> Result<(), NameError> {
    let lower = || String::from_utf8_lossy(label).to_ascii_lowercase();
    if label.len() > MAX_LABEL_LENGTH {
        return Err(NameError::LabelTooLong {
            label: lower(),
            length: label.len(),
        });
    }
    if label == b"*" {
        if !leftmost {
            return Err(NameError::MisplacedWildcard);
        }
    } else if let Some(&byte) = label
        .iter()
        .find(|byte| !(byte.is_ascii_alphanumeric() || **byte == b'-' || **byte == b'_'))
    {
        if byte == b'*' {
            return Err(NameError::MisplacedWildcard);
        }
        return Err(NameError::InvalidCharacter {
            character: char::from(byte),
            label: lower(),
        });
    }
    if !key.is_empty() {
        key.push(SEPARATOR);
    }
    // Every byte was checked to be ASCII above, so the label is text.
    let text = std::str::from_utf8(label).map_err(|_| NameError::InvalidCharacter {
        character: char::REPLACEMENT_CHARACTER,
        label: lower(),
    })?;
    let start = key.len();
    key.push_str(text);
    key[start..].make_ascii_lowercase();
    Ok(())
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

    /// Labels off the wire make the same names, and the same refusals, as text.
    #[test]
    fn names_from_labels_equal_names_from_text() {
        let from = |labels: &[&[u8]]| Name::from_labels(labels.iter().copied());
        assert_eq!(
            from(&[b"Web1", b"AMS", b"example", b"net"]).unwrap(),
            Name::parse_absolute("web1.ams.example.net.").unwrap()
        );
        assert_eq!(from(&[]).unwrap(), Name::root());
        assert_eq!(
            from(&[b"*", b"apps", b"example", b"net"]).unwrap(),
            Name::parse_absolute("*.apps.example.net.").unwrap()
        );
        assert_eq!(
            from(&[b"_sip", b"_udp", b"example", b"net"]).unwrap(),
            Name::parse_absolute("_sip._udp.example.net.").unwrap()
        );
        assert!(matches!(
            from(&[b"a", b"*", b"net"]),
            Err(NameError::MisplacedWildcard)
        ));
        assert!(matches!(
            from(&[b"a b", b"net"]),
            Err(NameError::InvalidCharacter { character: ' ', .. })
        ));
        assert!(matches!(
            from(&[b"caf\xc3\xa9", b"net"]),
            Err(NameError::InvalidCharacter { .. })
        ));
        let long = [b'a'; 64];
        assert!(matches!(
            from(&[&long[..], b"net"]),
            Err(NameError::LabelTooLong { length: 64, .. })
        ));
        let label = [b'a'; 63];
        let labels = [&label[..]; 4];
        assert!(matches!(
            from(&labels),
            Err(NameError::NameTooLong { length: 257 })
        ));
        // Below a suffix: the relative labels of a master file against its origin.
        let origin = Name::parse_absolute("example.net.").unwrap();
        let below =
            |labels: &[&[u8]]| Name::from_labels_below(labels.iter().copied(), Some(&origin));
        assert_eq!(
            below(&[b"WWW", b"lon"]).unwrap(),
            Name::parse_absolute("www.lon.example.net.").unwrap()
        );
        assert_eq!(below(&[]).unwrap(), origin);
        assert_eq!(
            below(&[b"*"]).unwrap(),
            Name::parse_absolute("*.example.net.").unwrap()
        );
        let wildcard = Name::parse_absolute("*.example.net.").unwrap();
        assert_eq!(
            Name::from_labels_below([&b"a"[..]].into_iter(), Some(&wildcard)),
            Err(NameError::MisplacedWildcard)
        );
        assert!(matches!(
            Name::from_labels_below([&label[..]; 4].into_iter(), Some(&origin)),
            Err(NameError::NameTooLong { length: 269 })
        ));
    }

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
