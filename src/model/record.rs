//! Resource records and where each one came from.
//!
//! The types here are zonegate's own rather than hickory's: a generated record is a few dozen
//! bytes (a million of them must fit in well under 300 MiB), and every record carries its
//! [`Provenance`] so a finding can name the YAML line or CMDB row that produced it.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::diagnostic::Span;
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;

/// The SOA fields other than the serial, which is chosen at render time.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Soa {
    /// Primary name server (MNAME).
    pub primary: Name,
    /// Responsible mailbox (RNAME) as a name: `hostmaster.example.net.`.
    pub contact: Name,
    /// Seconds between secondary refresh attempts.
    pub refresh: u32,
    /// Seconds between retries after a failed refresh.
    pub retry: u32,
    /// Seconds after which a secondary stops answering without a refresh.
    pub expire: u32,
    /// Negative-caching TTL (RFC 2308).
    pub minimum: u32,
}

/// Record data. Field order within each variant is the rendering sort order (MX by preference,
/// SRV by priority then weight, A and AAAA numerically).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RData {
    /// See [`Soa`]; the serial is not part of the model.
    Soa(Box<Soa>),
    /// Name server host.
    Ns(Name),
    /// IPv4 address.
    A(Ipv4Addr),
    /// Alias target.
    Cname(Name),
    /// Reverse-mapping target.
    Ptr(Name),
    /// Mail exchange.
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// Mail host.
        exchange: Name,
    },
    /// Character strings, each at most 255 octets.
    Txt(Box<[Box<[u8]>]>),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Service location.
    Srv {
        /// Lower is tried first.
        priority: u16,
        /// Relative weight among equal priorities.
        weight: u16,
        /// Service port.
        port: u16,
        /// Host offering the service.
        target: Name,
    },
    /// Certification authority authorization (boxed: rare, and it would double the size of
    /// every record otherwise).
    Caa(Box<Caa>),
}

/// CAA data (RFC 8659).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Caa {
    /// Flags; 128 is "issuer critical".
    pub flags: u8,
    /// Property tag: `issue`, `issuewild` or `iodef`.
    pub tag: Box<str>,
    /// Property value.
    pub value: Box<str>,
}

impl RData {
    /// The record type of this data.
    pub const fn record_type(&self) -> RecordType {
        match self {
            RData::Soa(_) => RecordType::Soa,
            RData::Ns(_) => RecordType::Ns,
            RData::A(_) => RecordType::A,
            RData::Cname(_) => RecordType::Cname,
            RData::Ptr(_) => RecordType::Ptr,
            RData::Mx { .. } => RecordType::Mx,
            RData::Txt(_) => RecordType::Txt,
            RData::Aaaa(_) => RecordType::Aaaa,
            RData::Srv { .. } => RecordType::Srv,
            RData::Caa(_) => RecordType::Caa,
        }
    }

    /// The name this data points at (CNAME, NS, PTR, MX, SRV), if any.
    pub fn target(&self) -> Option<&Name> {
        match self {
            RData::Ns(name) | RData::Cname(name) | RData::Ptr(name) => Some(name),
            RData::Mx { exchange, .. } => Some(exchange),
            RData::Srv { target, .. } => Some(target),
            RData::Soa(_) | RData::A(_) | RData::Txt(_) | RData::Aaaa(_) | RData::Caa(_) => None,
        }
    }

    /// Splits `text` into character-strings of at most 255 octets, as TXT data requires.
    pub fn txt(strings: &[String]) -> RData {
        let mut chunks: Vec<Box<[u8]>> = Vec::new();
        for string in strings {
            if string.is_empty() {
                chunks.push(Box::default());
            }
            chunks.extend(string.as_bytes().chunks(255).map(Box::from));
        }
        RData::Txt(chunks.into_boxed_slice())
    }
}

/// What produced a record: the place in the inputs and, for generated records, which host or
/// service. Compact on purpose: it rides along with every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Provenance {
    /// The YAML line or CMDB row.
    pub span: Span,
    /// Which part of the inventory.
    pub origin: Origin,
}

/// The inventory item behind a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// SOA, apex NS: from `zonegate.yaml`.
    Settings,
    /// A/AAAA/PTR of a CMDB host (index into `Inventory::hosts`).
    Host(u32),
    /// SRV of a service (index into `Inventory::services`) in a datacenter (index into
    /// `Settings::datacenters`, `None` for the service's global name), pointing at a host (index
    /// into `Inventory::hosts`). The record's span is the host's CMDB row.
    Service {
        /// Index into `Inventory::services`.
        service: u32,
        /// Index into `Settings::datacenters`; `None` for the global name.
        datacenter: Option<u32>,
        /// Index into `Inventory::hosts`: the SRV target.
        host: u32,
    },
    /// A hand-edited record from `zones/records/`.
    HandEdited,
}

/// One resource record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name.
    pub name: Name,
    /// Time to live, seconds.
    pub ttl: u32,
    /// Type and data.
    pub data: RData,
    /// Where it came from.
    pub provenance: Provenance,
}

impl Record {
    /// The record's type.
    pub const fn record_type(&self) -> RecordType {
        self.data.record_type()
    }

    /// Sort key for canonical zone order: owner, type, data.
    pub fn canonical_cmp(&self, other: &Record) -> std::cmp::Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.record_type().cmp(&other.record_type()))
            .then_with(|| self.data.cmp(&other.data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_knows_its_place_in_the_list() {
        for (position, record_type) in RecordType::ALL.into_iter().enumerate() {
            assert_eq!(record_type.index(), position, "{record_type}");
        }
    }
}
