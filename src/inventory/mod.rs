//! Stage 1 (IO edge): read a zones repository into an [`Inventory`], interpreting nothing.
//!
//! Reads `zones/zonegate.yaml`, the CMDB export, `zones/services/*.yaml`, `zones/records/*.yaml`
//! and an optional `zones/templates/zone.j2`. Every value keeps the [`Span`] it was read from.
//! Input that cannot be understood at all (YAML syntax, unknown keys, a value of the wrong type,
//! a CSV row that does not parse) is collected as [`Diagnostic`]s and returned as
//! [`Error::Invalid`], so the user sees every problem in one run; semantic problems (unknown
//! datacenter, duplicate host) are left to `model` and `check`.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, FileId, Severity, SourceMap, Span};
use crate::model::name::Name;
use crate::model::record::RecordType;

pub mod cmdb;
pub mod config;
pub mod deploy;
pub mod files;
pub mod policy;
pub mod yaml;

/// Everything a repository says, with spans.
#[derive(Clone, Debug)]
pub struct Inventory {
    /// Paths of every file read, for spans.
    pub sources: SourceMap,
    /// `zones/zonegate.yaml`.
    pub settings: Settings,
    /// CMDB hosts, in file order.
    pub hosts: Vec<Host>,
    /// `zones/services/*.yaml`, sorted by file name.
    pub services: Vec<Service>,
    /// `zones/records/*.yaml`, sorted by file name then position.
    pub records: Vec<RecordEntry>,
    /// `zones/templates/zone.j2`, when present: its file and text.
    pub template: Option<(FileId, String)>,
}

/// The tool could not read the repository.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// What was being read.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The inputs are malformed; every problem found is listed.
    #[error("{} input error(s)", diagnostics.len())]
    Invalid {
        /// The problems, each with its location.
        diagnostics: Vec<Diagnostic>,
        /// Paths for the diagnostics' spans.
        sources: SourceMap,
    },
}

/// Resolved `zones/zonegate.yaml`.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The file itself.
    pub file: FileId,
    /// The domain short host names are qualified with (`<host>.<dc>.<domain>`).
    pub domain: Name,
    /// Datacenters, in configuration order.
    pub datacenters: Vec<Datacenter>,
    /// Zones to generate (forward and reverse), in configuration order.
    pub zones: Vec<ZoneSettings>,
    /// SOA fields shared by every zone.
    pub soa: SoaSettings,
    /// Apex NS records of every zone.
    pub nameservers: Vec<(Name, Span)>,
    /// Default TTLs per kind of record.
    pub ttl: TtlSettings,
    /// How SOA serials are chosen.
    pub serial: SerialPolicy,
    /// Which hosts get records.
    pub generate: GenerateSettings,
    /// Where the CMDB export is and how to read it.
    pub cmdb: CmdbSource,
    /// Output directory, relative to the repository root.
    pub output: PathBuf,
    /// Per-rule severity overrides, by rule id.
    pub rules: Vec<(String, Severity, Span)>,
    /// Thresholds used by check rules.
    pub limits: Limits,
    /// What the merge bot requires (`policy:`).
    pub policy: policy::Policy,
    /// Deploy targets (`deploy:`).
    pub deploy: deploy::DeploySettings,
}

/// A datacenter.
#[derive(Clone, Debug)]
pub struct Datacenter {
    /// Short name, lower case (`ash`).
    pub name: String,
    /// Where it was declared.
    pub span: Span,
}

/// One zone to generate.
#[derive(Clone, Debug)]
pub struct ZoneSettings {
    /// Apex name (for a reverse zone, derived from the configured prefix).
    pub origin: Name,
    /// Where it was declared.
    pub span: Span,
}

/// SOA fields shared by every zone.
#[derive(Clone, Debug)]
pub struct SoaSettings {
    /// MNAME.
    pub primary: Name,
    /// RNAME, already in name form (`hostmaster.example.net.`).
    pub contact: Name,
    /// Refresh, seconds.
    pub refresh: u32,
    /// Retry, seconds.
    pub retry: u32,
    /// Expire, seconds.
    pub expire: u32,
    /// Negative-caching TTL, seconds.
    pub minimum: u32,
    /// TTL of the SOA record itself.
    pub ttl: u32,
    /// Where the SOA block was written (or the settings file when defaulted).
    pub span: Span,
}

/// Default TTLs.
#[derive(Clone, Copy, Debug)]
pub struct TtlSettings {
    /// `$TTL` and anything without a more specific default.
    pub default: u32,
    /// Host A/AAAA records.
    pub host: u32,
    /// Host PTR records.
    pub ptr: u32,
    /// SRV records (unless the service sets its own).
    pub srv: u32,
    /// Apex NS records.
    pub ns: u32,
}

/// How the SOA serial is chosen when a zone's content changed (RFC 1982 arithmetic throughout:
/// the new serial is always greater than the previous one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SerialPolicy {
    /// `YYYYMMDDnn`: today's date with a two-digit counter (the BIND convention).
    Date,
    /// Previous serial plus one.
    Counter,
    /// Seconds since the Unix epoch.
    Unixtime,
}

/// Which CMDB statuses produce records.
#[derive(Clone, Debug)]
pub struct GenerateSettings {
    /// Statuses that get A/AAAA/PTR (default `in_use`, `provisioning`).
    pub address_statuses: Vec<String>,
    /// Statuses that become SRV targets (default `in_use`).
    pub srv_statuses: Vec<String>,
    /// Statuses known to get no records (default `decommissioned`, `decommissioning`, `spare`,
    /// `offline`, `failed`, `inventory`); a host with a status in none of the three lists is
    /// reported (`unknown-status`), since it was most likely meant to be published.
    pub unpublished_statuses: Vec<String>,
}

/// The CMDB export's location and format.
#[derive(Clone, Debug)]
pub struct CmdbSource {
    /// Path relative to the repository root.
    pub path: PathBuf,
    /// How to parse it.
    pub format: CmdbFormat,
}

/// CMDB export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdbFormat {
    /// Header-driven CSV.
    Csv,
    /// A JSON array of host objects with the CSV's column names as keys.
    Json,
    /// A NetBox export of devices with their IP addresses (see `cmdb.rs`).
    Netbox,
}

/// Thresholds for check rules.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest acceptable CNAME chain (default 8, as resolvers give up around there).
    pub max_cname_chain: usize,
    /// Largest RRset (default 100, BIND 9.18.28+ `max-records-per-type`).
    pub max_rrset_records: usize,
    /// EDNS UDP payload an answer must fit (default 1232, DNS flag day 2020).
    pub udp_payload: usize,
}

/// One CMDB host, as exported.
#[derive(Clone, Debug)]
pub struct Host {
    /// Host name, lower-cased, without the trailing dot of an absolute name; short (`db1`) or
    /// fully qualified (`db1.ash.example.net`).
    pub hostname: String,
    /// Datacenter short name, lower-cased.
    pub datacenter: String,
    /// Addresses, in export order (IPv4 and IPv6).
    pub addresses: Vec<IpAddr>,
    /// Lifecycle status, lower-cased (`in_use`, `provisioning`, `decommissioned`, ...).
    pub status: String,
    /// Service roles.
    pub roles: Vec<String>,
    /// Where it was read from: the hostname field of its CSV row, or its JSON object.
    pub span: Span,
}

/// One `zones/services/*.yaml` file.
#[derive(Clone, Debug)]
pub struct Service {
    /// Service name (`playlist`): the SRV label is `_<name>`.
    pub name: String,
    /// CMDB role whose hosts are the SRV targets (defaults to `name`).
    pub role: String,
    /// Transport label (`tcp`, `udp`, `tls`): the SRV name is `_<name>._<protocol>.<dc>.<domain>`.
    pub protocol: String,
    /// Port.
    pub port: u16,
    /// SRV priority.
    pub priority: u16,
    /// SRV weight.
    pub weight: u16,
    /// TTL, when not the settings' SRV default.
    pub ttl: Option<u32>,
    /// Also publish `_<name>._<protocol>.<domain>` with the targets of every datacenter.
    pub global: bool,
    /// Datacenters where the service must have at least one host.
    pub required_in: Vec<(String, Span)>,
    /// Owning team, informational.
    pub owner: Option<String>,
    /// The file (line 1) or the `service:` key.
    pub span: Span,
}

/// One hand-edited record from `zones/records/*.yaml`.
#[derive(Clone, Debug)]
pub struct RecordEntry {
    /// Owner as written: relative to the domain, `@`, or absolute with a trailing dot.
    pub name: String,
    /// Where the owner was written.
    pub name_span: Span,
    /// TTL, when given.
    pub ttl: Option<u32>,
    /// Type-specific data, names still as written.
    pub data: EntryData,
    /// The entry (its first key).
    pub span: Span,
}

/// A name as written in YAML, with its span; resolved against the domain in `model`.
#[derive(Clone, Debug)]
pub struct WrittenName {
    /// The text.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// Type-specific data of a hand-edited record.
#[derive(Clone, Debug)]
pub enum EntryData {
    /// `address: 192.0.2.1`
    A(std::net::Ipv4Addr),
    /// `address: 2001:db8::1`
    Aaaa(std::net::Ipv6Addr),
    /// `target: edge.lon.example.net.`
    Cname(WrittenName),
    /// `target: ns1.example.net.` (a delegation when the owner is below the zone apex)
    Ns(WrittenName),
    /// `target: host.example.net.`
    Ptr(WrittenName),
    /// `preference: 10`, `exchange: mx1.example.net.`
    Mx {
        /// Preference.
        preference: u16,
        /// Mail host.
        exchange: WrittenName,
    },
    /// `priority`, `weight`, `port`, `target`
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host.
        target: WrittenName,
    },
    /// `text: "v=spf1 -all"` or a list of strings.
    Txt(Vec<String>),
    /// `flags`, `tag`, `value`
    Caa {
        /// Flags.
        flags: u8,
        /// `issue`, `issuewild` or `iodef`.
        tag: String,
        /// Value.
        value: String,
    },
}

impl EntryData {
    /// The record type this entry produces.
    pub const fn record_type(&self) -> RecordType {
        match self {
            EntryData::A(_) => RecordType::A,
            EntryData::Aaaa(_) => RecordType::Aaaa,
            EntryData::Cname(_) => RecordType::Cname,
            EntryData::Ns(_) => RecordType::Ns,
            EntryData::Ptr(_) => RecordType::Ptr,
            EntryData::Mx { .. } => RecordType::Mx,
            EntryData::Srv { .. } => RecordType::Srv,
            EntryData::Txt(_) => RecordType::Txt,
            EntryData::Caa { .. } => RecordType::Caa,
        }
    }
}

/// Reads the repository in `files`.
///
/// All input errors across all files are collected before returning [`Error::Invalid`].
pub fn load(files: &dyn files::Files) -> Result<Inventory, Error> {
    config::load(files)
}
