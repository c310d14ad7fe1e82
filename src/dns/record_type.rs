//! Record types: the ones zonegate generates or accepts by hand, their codes and names.

use std::fmt;

/// Record types zonegate generates or accepts by hand.
///
/// The declaration order is the order records of one name are rendered in: SOA and NS first
/// (as servers and readers expect at an apex), then by type code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordType {
    /// Start of authority (RFC 1035).
    Soa,
    /// Name server (RFC 1035).
    Ns,
    /// IPv4 address (RFC 1035).
    A,
    /// Canonical name (RFC 1035).
    Cname,
    /// Domain name pointer (RFC 1035).
    Ptr,
    /// Mail exchange (RFC 1035).
    Mx,
    /// Text (RFC 1035).
    Txt,
    /// IPv6 address (RFC 3596).
    Aaaa,
    /// Service location (RFC 2782).
    Srv,
    /// Certification authority authorization (RFC 8659).
    Caa,
}

impl RecordType {
    /// Every type, in rendering order.
    pub const ALL: [RecordType; 10] = [
        RecordType::Soa,
        RecordType::Ns,
        RecordType::A,
        RecordType::Cname,
        RecordType::Ptr,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Aaaa,
        RecordType::Srv,
        RecordType::Caa,
    ];

    /// The type's position in [`RecordType::ALL`] (for per-type counters).
    pub const fn index(self) -> usize {
        match self {
            RecordType::Soa => 0,
            RecordType::Ns => 1,
            RecordType::A => 2,
            RecordType::Cname => 3,
            RecordType::Ptr => 4,
            RecordType::Mx => 5,
            RecordType::Txt => 6,
            RecordType::Aaaa => 7,
            RecordType::Srv => 8,
            RecordType::Caa => 9,
        }
    }

    /// The mnemonic, e.g. `AAAA`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordType::Soa => "SOA",
            RecordType::Ns => "NS",
            RecordType::A => "A",
            RecordType::Cname => "CNAME",
            RecordType::Ptr => "PTR",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Aaaa => "AAAA",
            RecordType::Srv => "SRV",
            RecordType::Caa => "CAA",
        }
    }

    /// The type code on the wire (IANA registry).
    pub const fn code(self) -> u16 {
        match self {
            RecordType::Soa => 6,
            RecordType::Ns => 2,
            RecordType::A => 1,
            RecordType::Cname => 5,
            RecordType::Ptr => 12,
            RecordType::Mx => 15,
            RecordType::Txt => 16,
            RecordType::Aaaa => 28,
            RecordType::Srv => 33,
            RecordType::Caa => 257,
        }
    }

    /// The type with wire code `code`, if the model has it.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|record_type| record_type.code() == code)
    }

    /// Parses a mnemonic, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
