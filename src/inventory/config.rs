//! Reads `zones/zonegate.yaml`, `zones/services/*.yaml`, `zones/records/*.yaml` and the optional
//! template, and calls the CMDB reader; resolves raw YAML into the [`Settings`], [`Service`] and
//! [`RecordEntry`] types (names parsed, durations in seconds, defaults applied).
//!
//! Every problem in every file is collected before returning [`Error::Invalid`]. Semantic checks
//! that need the whole inventory (unknown datacenters, duplicate hosts) belong to `model`.
#![allow(clippy::disallowed_methods)] // IO edge: opens a `--cmdb` override given on the command line.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use super::files::{Files, YamlEntry};
use super::yaml::{self, Duration, INVALID_VALUE, MISSING_KEY, OneOrMany, Ttl, span_of};
use super::{
    CmdbFormat, CmdbSource, Datacenter, EntryData, Error, GenerateSettings, Host, Inventory,
    Limits, RecordEntry, SerialPolicy, Service, Settings, SoaSettings, TtlSettings, WrittenName,
    ZoneSettings, cmdb,
};
use crate::diagnostic::{Diagnostic, FileId, Severity, SourceMap, Span};
use crate::model::name::Name;
use crate::model::record::RecordType;

/// Where the settings live, relative to the repository root.
pub const SETTINGS_PATH: &str = "zones/zonegate.yaml";

/// Overrides for [`load_with`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Read this CMDB export instead of the configured one (`regen --cmdb`, benchmarks). Shown
    /// in diagnostics as given.
    pub cmdb: Option<PathBuf>,
}

/// Reads the repository in `files` with the configured CMDB.
pub fn load(files: &dyn Files) -> Result<Inventory, Error> {
    load_with(files, &LoadOptions::default())
}

/// Reads the repository in `files`.
pub fn load_with(files: &dyn Files, options: &LoadOptions) -> Result<Inventory, Error> {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();

    let Some(settings_bytes) = read_file(files, SETTINGS_PATH)? else {
        return Err(Error::Read {
            path: files.locate(SETTINGS_PATH),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no zones/zonegate.yaml here; the repository root is the directory that holds zones/ (see --repo); `zonegate init` starts a new repository",
            ),
        });
    };
    let settings_file = sources.add(SETTINGS_PATH);
    let settings = match yaml::parse::<RawSettings>(&settings_bytes, settings_file) {
        Ok(raw) => resolve_settings(raw, settings_file, &mut diagnostics),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    };

    let services = read_services(files, &mut sources, &mut diagnostics, settings.as_ref())?;
    let record_files = yaml_files(files, "zones/records", &mut sources, &mut diagnostics)?;

    let template = match read_file(files, TEMPLATE_PATH)? {
        Some(bytes) => {
            let file = sources.add(TEMPLATE_PATH);
            if bytes.len() > yaml::MAX_FILE_BYTES {
                diagnostics.push(yaml::too_large(file));
                None
            } else if let Ok(text) = String::from_utf8(bytes) {
                Some((file, text))
            } else {
                diagnostics.push(Diagnostic::error(
                    yaml::YAML_SYNTAX,
                    Some(Span::new(file, 1, 1)),
                    "the template is not valid UTF-8",
                ));
                None
            }
        }
        None => None,
    };

    // The CMDB and the records files are independent and each can be large (a million-record
    // estate has a few MiB of each), so they are parsed side by side. File ids are handed out
    // first, in the order a sequential read would, so every span stays the same.
    let cmdb_file = settings
        .as_ref()
        .map(|settings| sources.add(cmdb_display_path(settings, options)));
    let ((records, record_diagnostics), cmdb) = rayon::join(
        || parse_records(record_files),
        || -> Result<_, Error> {
            let mut hosts = Vec::new();
            let mut cmdb_diagnostics = Vec::new();
            if let (Some(settings), Some(file)) = (&settings, cmdb_file) {
                read_cmdb(
                    files,
                    settings,
                    options,
                    file,
                    &mut hosts,
                    &mut cmdb_diagnostics,
                )?;
            }
            Ok((hosts, cmdb_diagnostics))
        },
    );
    diagnostics.extend(record_diagnostics);
    let (hosts, cmdb_diagnostics) = cmdb?;
    diagnostics.extend(cmdb_diagnostics);

    match settings {
        Some(settings) if diagnostics.iter().all(|d| d.severity != Severity::Error) => {
            Ok(Inventory {
                sources,
                settings,
                hosts,
                services,
                records,
                template,
            })
        }
        _ => Err(Error::Invalid {
            diagnostics,
            sources,
        }),
    }
}

/// The JSON Schema of `zones/zonegate.yaml`, generated from the types it is parsed into.
pub(crate) fn settings_schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<RawSettings>()
}

/// The JSON Schema of a `zones/services/*.yaml` file.
pub(crate) fn service_schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<RawService>()
}

/// The JSON Schema of a `zones/records/*.yaml` file.
pub(crate) fn records_schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<RawRecordsFile>()
}

/// Where a repository may override the zone-file template.
pub const TEMPLATE_PATH: &str = "zones/templates/zone.j2";

fn read_file(files: &dyn Files, path: &str) -> Result<Option<Vec<u8>>, Error> {
    yaml::read_limited(files, path).map_err(|source| Error::Read {
        path: files.locate(path),
        source,
    })
}

/// How the CMDB export is named in diagnostics: the `--cmdb` override as given, or the
/// configured path.
fn cmdb_display_path(settings: &Settings, options: &LoadOptions) -> PathBuf {
    options
        .cmdb
        .clone()
        .unwrap_or_else(|| settings.cmdb.path.clone())
}

/// Streams the CMDB export, registered as `file`: the configured one from the repository, or
/// the `--cmdb` override from disk.
fn read_cmdb(
    files: &dyn Files,
    settings: &Settings,
    options: &LoadOptions,
    file: FileId,
    hosts: &mut Vec<Host>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    let read_error = |path: PathBuf| move |source| Error::Read { path, source };
    if let Some(path) = &options.cmdb {
        let format = format_from_extension(path).unwrap_or(settings.cmdb.format);
        let reader = std::fs::File::open(path).map_err(read_error(path.clone()))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
        return cmdb::read(&mut reader, format, file, hosts, diagnostics)
            .map_err(read_error(path.clone()));
    }
    let relative = settings.cmdb.path.to_string_lossy().replace('\\', "/");
    let located = files.locate(&relative);
    let Some(mut reader) = files.open(&relative).map_err(read_error(located.clone()))? else {
        return Err(Error::Read {
            path: located,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the CMDB export configured as `cmdb` in zones/zonegate.yaml does not exist",
            ),
        });
    };
    cmdb::read(&mut reader, settings.cmdb.format, file, hosts, diagnostics)
        .map_err(read_error(located))
}

// ---------------------------------------------------------------------------------------------
// zonegate.yaml

/// Settings of a zones repository (`zones/zonegate.yaml`). Formats: docs/formats.md.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Settings")]
struct RawSettings {
    /// The domain hosts are named under (`<host>.<datacenter>.<domain>`), absolute: `example.net.`.
    #[schemars(with = "String")]
    domain: Spanned<String>,
    /// The datacenters, each a single DNS label: `[ash, lon]`.
    #[schemars(with = "Vec<String>", length(min = 1))]
    datacenters: Vec<Spanned<String>>,
    /// The zones zonegate manages; every record goes to the most specific one that contains it.
    zones: RawZones,
    /// The name servers of every zone (NS at the apex), absolute names.
    #[schemars(with = "Vec<String>", length(min = 1))]
    nameservers: Vec<Spanned<String>>,
    /// SOA fields; all optional.
    #[serde(default)]
    #[schemars(with = "Option<RawSoa>")]
    soa: Option<Spanned<RawSoa>>,
    /// Default TTLs by kind of record.
    #[serde(default)]
    ttl: RawTtl,
    /// How SOA serials move when a zone changes (default `date`: YYYYMMDDnn).
    #[serde(default)]
    serial: Option<RawSerial>,
    /// Which CMDB statuses get records.
    #[serde(default)]
    generate: RawGenerate,
    /// The CMDB export, relative to `zones/` (default `cmdb/servers.csv`): a path, or
    /// `{ path, format }`.
    #[serde(default)]
    #[schemars(with = "Option<RawCmdb>")]
    cmdb: Option<Spanned<RawCmdb>>,
    /// Where `render` writes the zone files, relative to the repository root (default `out`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    output: Option<Spanned<String>>,
    /// Rule severities and limits of `zonegate check`.
    #[serde(default)]
    check: RawCheck,
    /// What the merge bot requires before it merges.
    #[serde(default)]
    #[schemars(with = "Option<super::policy::RawPolicy>")]
    policy: Option<Spanned<super::policy::RawPolicy>>,
    /// Where `zonegate deploy` installs the zones.
    #[serde(default)]
    #[schemars(with = "Option<super::deploy::RawDeploy>")]
    deploy: Option<Spanned<super::deploy::RawDeploy>>,
}

/// The managed zones.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Zones")]
struct RawZones {
    /// Forward zones, absolute names: `[example.net.]`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    forward: Vec<Spanned<String>>,
    /// Reverse zones as address prefixes: IPv4 octet-aligned (`10.0.0.0/8`), IPv6
    /// nibble-aligned (`2001:db8::/32`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    reverse: Vec<Spanned<String>>,
}

/// SOA fields other than the serial.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Soa")]
struct RawSoa {
    /// The primary name server (MNAME); default: the first of `nameservers`.
    #[schemars(with = "Option<String>")]
    primary: Option<Spanned<String>>,
    /// The contact mailbox (RNAME): `hostmaster@example.net` or `hostmaster.example.net.`;
    /// default `hostmaster.<domain>`.
    #[schemars(with = "Option<String>")]
    contact: Option<Spanned<String>>,
    /// Default 1h.
    refresh: Option<Duration>,
    /// Default 10m.
    retry: Option<Duration>,
    /// Default 2w.
    expire: Option<Duration>,
    /// The negative-caching TTL (RFC 2308); default 5m.
    minimum: Option<Ttl>,
    /// The TTL of the SOA record itself; default `ttl.default`.
    ttl: Option<Ttl>,
}

/// Default TTLs.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Ttl")]
struct RawTtl {
    /// Hand-edited records without a `ttl` (default 1h).
    default: Option<Ttl>,
    /// A and AAAA records of CMDB hosts (default 1h).
    host: Option<Ttl>,
    /// PTR records (default 1h).
    ptr: Option<Ttl>,
    /// Generated SRV records (default 5m).
    srv: Option<Ttl>,
    /// NS records at the apex (default 1d).
    ns: Option<Ttl>,
}

/// The serial policy: `date` (YYYYMMDDnn), `counter` or `unixtime`.
#[derive(Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Serial")]
enum RawSerial {
    Date,
    Counter,
    Unixtime,
}

/// Which CMDB statuses get records.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Generate")]
#[allow(clippy::struct_field_names)] // The fields are the YAML keys, `*_statuses` all three.
struct RawGenerate {
    /// Statuses whose hosts get A/AAAA/PTR records (default `[in_use, provisioning]`).
    address_statuses: Option<Vec<String>>,
    /// Statuses whose hosts become SRV targets (default `[in_use]`).
    srv_statuses: Option<Vec<String>>,
    /// Statuses whose hosts get no records, on purpose (default `[decommissioned,
    /// decommissioning, spare, offline, failed, inventory]`); a host with a status in none of
    /// the three lists is reported (`unknown-status`).
    unpublished_statuses: Option<Vec<String>>,
}

/// `cmdb: path` or `cmdb: { path, format }`.
struct RawCmdb {
    path: String,
    format: Option<CmdbFormat>,
}

/// Settings of `zonegate check`.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Check")]
struct RawCheck {
    /// Rule id -> `error`, `warning` or `off` (`zonegate explain --all` lists the ids).
    #[serde(default)]
    #[schemars(schema_with = "rule_severities_schema")]
    rules: BTreeMap<String, Spanned<Severity>>,
    /// Longest CNAME chain before `cname-chain-too-long` (default 8).
    max_cname_chain: Option<usize>,
    /// Most records in one RRset before `rrset-too-large` (default 100).
    max_rrset_records: Option<usize>,
    /// The EDNS payload size `answer-too-large-for-udp` measures against (default 1232).
    udp_payload: Option<usize>,
}

/// `check.rules`: only the ids `check.rules` accepts (see `check::validate_overrides`), each to a
/// severity.
fn rule_severities_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let ids: Vec<&str> = crate::check::RULES
        .iter()
        .filter(|rule| rule.is_configurable())
        .map(|rule| rule.id)
        .collect();
    schemars::json_schema!({
        "type": "object",
        "propertyNames": { "enum": ids },
        "additionalProperties": { "enum": ["error", "warning", "off"] }
    })
}

/// The schema of `cmdb:`, matching its hand-written deserializer.
impl JsonSchema for RawCmdb {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cmdb".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "the CMDB export, relative to zones/: a path (format from the extension, .csv or .json), or { path, format }",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": {
                        "path": { "type": "string" },
                        "format": { "enum": ["csv", "json", "netbox"] }
                    },
                    "required": ["path"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl<'de> Deserialize<'de> for RawCmdb {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CmdbVisitor;
        impl<'de> Visitor<'de> for CmdbVisitor {
            type Value = RawCmdb;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path, or a mapping with `path` and `format` (csv, json or netbox)")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawCmdb, E> {
                Ok(RawCmdb {
                    path: value.to_owned(),
                    format: None,
                })
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawCmdb, A::Error> {
                let mut path = None;
                let mut format = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "path" => path = Some(map.next_value::<String>()?),
                        "format" => {
                            let value = map.next_value::<String>()?;
                            format = Some(match value.as_str() {
                                "csv" => CmdbFormat::Csv,
                                "json" => CmdbFormat::Json,
                                "netbox" => CmdbFormat::Netbox,
                                other => {
                                    return Err(de::Error::custom(format!(
                                        "unknown CMDB format `{other}`, expected one of csv, json, netbox"
                                    )));
                                }
                            });
                        }
                        other => return Err(de::Error::unknown_field(other, &["path", "format"])),
                    }
                }
                let path = path.ok_or_else(|| de::Error::missing_field("path"))?;
                Ok(RawCmdb { path, format })
            }
        }
        deserializer.deserialize_any(CmdbVisitor)
    }
}

fn resolve_settings(
    raw: RawSettings,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Settings> {
    let error_count = diagnostics.len();
    let mut invalid = |span: Span, message: String| {
        diagnostics.push(Diagnostic::error(INVALID_VALUE, Some(span), message));
    };

    let domain = absolute_name(&raw.domain, file, "domain", &mut invalid);

    let mut datacenters = Vec::new();
    let mut seen = HashSet::new();
    for dc in &raw.datacenters {
        let span = span_of(dc, file);
        let name = dc.value.trim().to_ascii_lowercase();
        if Name::parse_fqdn(&name).map(|parsed| parsed.label_count()) != Ok(1) {
            invalid(
                span,
                format!(
                    "datacenter `{}` must be a single DNS label (letters, digits, `-`)",
                    dc.value
                ),
            );
        } else if !seen.insert(name.clone()) {
            invalid(span, format!("datacenter `{name}` is declared twice"));
        } else {
            datacenters.push(Datacenter { name, span });
        }
    }
    if raw.datacenters.is_empty() {
        invalid(
            Span::new(file, 1, 1),
            "`datacenters` is empty; declare at least one datacenter".into(),
        );
    }

    let mut zones = Vec::new();
    for zone in &raw.zones.forward {
        if let Some(origin) = absolute_name(zone, file, "zone", &mut invalid) {
            zones.push(ZoneSettings {
                origin,
                span: span_of(zone, file),
            });
        }
    }
    for prefix in &raw.zones.reverse {
        match reverse_origin(&prefix.value) {
            Ok(origin) => zones.push(ZoneSettings {
                origin,
                span: span_of(prefix, file),
            }),
            Err(message) => invalid(span_of(prefix, file), message),
        }
    }
    let mut origins = HashSet::new();
    for zone in &zones {
        if !origins.insert(zone.origin.clone()) {
            invalid(
                zone.span,
                format!("zone `{}` is configured twice", zone.origin),
            );
        }
    }
    if zones.is_empty() {
        invalid(
            Span::new(file, 1, 1),
            "no zones configured; list them under `zones.forward` and `zones.reverse`".into(),
        );
    }

    let nameservers: Vec<(Name, Span)> = raw
        .nameservers
        .iter()
        .filter_map(|ns| {
            absolute_name(ns, file, "name server", &mut invalid)
                .map(|name| (name, span_of(ns, file)))
        })
        .collect();
    if raw.nameservers.is_empty() {
        invalid(
            Span::new(file, 1, 1),
            "`nameservers` is empty; every zone needs NS records".into(),
        );
    }

    let ttl = TtlSettings {
        default: raw.ttl.default.map_or(3600, |d| d.0),
        host: raw.ttl.host.map_or(3600, |d| d.0),
        ptr: raw.ttl.ptr.map_or(3600, |d| d.0),
        srv: raw.ttl.srv.map_or(300, |d| d.0),
        ns: raw.ttl.ns.map_or(86_400, |d| d.0),
    };

    let soa_span = raw
        .soa
        .as_ref()
        .map_or(Span::new(file, 1, 1), |soa| span_of(soa, file));
    let raw_soa = raw.soa.map(|soa| soa.value);
    let primary = match raw_soa.as_ref().and_then(|soa| soa.primary.as_ref()) {
        Some(primary) => absolute_name(primary, file, "SOA primary", &mut invalid),
        None => nameservers.first().map(|(name, _)| name.clone()),
    };
    let contact = match (
        raw_soa.as_ref().and_then(|soa| soa.contact.as_ref()),
        &domain,
    ) {
        (Some(contact), _) => match contact_name(&contact.value) {
            Ok(name) => Some(name),
            Err(message) => {
                invalid(span_of(contact, file), message);
                None
            }
        },
        (None, Some(domain)) => domain.prepend("hostmaster").ok(),
        (None, None) => None,
    };
    let soa_value = |pick: fn(&RawSoa) -> Option<Duration>, default: u32| {
        raw_soa.as_ref().and_then(pick).map_or(default, |d| d.0)
    };

    let limits = Limits {
        max_cname_chain: raw.check.max_cname_chain.unwrap_or(8),
        max_rrset_records: raw.check.max_rrset_records.unwrap_or(100),
        udp_payload: raw.check.udp_payload.unwrap_or(1232),
    };
    let rules = raw
        .check
        .rules
        .iter()
        .map(|(id, severity)| (id.clone(), severity.value, span_of(severity, file)))
        .collect();

    let cmdb_span = raw.cmdb.as_ref().map(|cmdb| span_of(cmdb, file));
    let (cmdb_path, cmdb_format) = match raw.cmdb.map(|cmdb| cmdb.value) {
        Some(RawCmdb { path, format }) => {
            let format = format.or_else(|| format_from_extension(Path::new(&path)));
            (path, format)
        }
        None => ("cmdb/servers.csv".to_owned(), Some(CmdbFormat::Csv)),
    };
    if !stays_inside(&cmdb_path) {
        invalid(
            cmdb_span.unwrap_or(Span::new(file, 1, 1)),
            format!("CMDB path `{cmdb_path}` must stay inside zones/ (no `..`, not absolute)"),
        );
    }
    let cmdb_format = cmdb_format.unwrap_or_else(|| {
        invalid(
            cmdb_span.unwrap_or(Span::new(file, 1, 1)),
            format!("cannot tell the format of `{cmdb_path}` from its extension; write `cmdb: {{ path: ..., format: csv|json|netbox }}`"),
        );
        CmdbFormat::Csv
    });

    let output = match raw.output {
        Some(output) => {
            let trimmed = output.value.trim_start_matches("./");
            if !stays_inside(&output.value) || trimmed.is_empty() || trimmed == "." {
                invalid(
                    span_of(&output, file),
                    format!(
                        "output directory `{}` must be a directory inside the repository (relative, no `..`); use `render --output DIR` to write elsewhere",
                        output.value
                    ),
                );
            }
            PathBuf::from(output.value)
        }
        None => PathBuf::from("out"),
    };
    let rules: Vec<(String, Severity, Span)> = rules;
    diagnostics.extend(crate::check::validate_overrides(&rules));
    let policy = super::policy::resolve(raw.policy, file, diagnostics);
    let deploy = super::deploy::resolve(raw.deploy, file, diagnostics);

    if diagnostics.len() > error_count {
        return None;
    }
    Some(Settings {
        file,
        domain: domain?,
        datacenters,
        zones,
        soa: SoaSettings {
            primary: primary?,
            contact: contact?,
            refresh: soa_value(|soa| soa.refresh, 3600),
            retry: soa_value(|soa| soa.retry, 600),
            expire: soa_value(|soa| soa.expire, 1_209_600),
            minimum: soa_value(|soa| soa.minimum.map(|ttl| Duration(ttl.0)), 300),
            ttl: soa_value(|soa| soa.ttl.map(|ttl| Duration(ttl.0)), ttl.default),
            span: soa_span,
        },
        nameservers,
        ttl,
        serial: match raw.serial {
            None | Some(RawSerial::Date) => SerialPolicy::Date,
            Some(RawSerial::Counter) => SerialPolicy::Counter,
            Some(RawSerial::Unixtime) => SerialPolicy::Unixtime,
        },
        generate: GenerateSettings {
            address_statuses: lower_all(
                raw.generate
                    .address_statuses
                    .unwrap_or_else(|| vec!["in_use".into(), "provisioning".into()]),
            ),
            srv_statuses: lower_all(
                raw.generate
                    .srv_statuses
                    .unwrap_or_else(|| vec!["in_use".into()]),
            ),
            unpublished_statuses: lower_all(raw.generate.unpublished_statuses.unwrap_or_else(
                || {
                    [
                        "decommissioned",
                        "decommissioning",
                        "spare",
                        "offline",
                        "failed",
                        "inventory",
                    ]
                    .map(String::from)
                    .to_vec()
                },
            )),
        },
        cmdb: CmdbSource {
            path: PathBuf::from("zones").join(cmdb_path),
            format: cmdb_format,
        },
        output,
        rules,
        limits,
        policy,
        deploy,
    })
}

fn absolute_name(
    value: &Spanned<String>,
    file: FileId,
    what: &str,
    invalid: &mut impl FnMut(Span, String),
) -> Option<Name> {
    match Name::parse_absolute(value.value.trim()) {
        Ok(name) => Some(name),
        Err(error) => {
            invalid(
                span_of(value, file),
                format!("{what} `{}`: {error}", value.value),
            );
            None
        }
    }
}

/// `10.0.0.0/8` -> `10.in-addr.arpa.`; `2001:db8::/32` -> `8.b.d.0.1.0.0.2.ip6.arpa.`.
fn reverse_origin(prefix: &str) -> Result<Name, String> {
    let network: IpNet = prefix.trim().parse().map_err(|_| {
        format!("`{prefix}` is not an address prefix; expected e.g. 10.0.0.0/8 or 2001:db8::/32")
    })?;
    if network.network() != network.addr() {
        return Err(format!(
            "`{prefix}` has host bits set; the network is {}/{}",
            network.network(),
            network.prefix_len()
        ));
    }
    let mut labels: Vec<String> = Vec::new();
    match network.network() {
        IpAddr::V4(address) => {
            if !network.prefix_len().is_multiple_of(8) {
                return Err(format!(
                    "IPv4 reverse zones must be octet-aligned (/8, /16, /24); `{prefix}` is not (RFC 2317 classless delegation is not supported)"
                ));
            }
            labels.extend(
                address.octets()[..usize::from(network.prefix_len() / 8)]
                    .iter()
                    .map(u8::to_string),
            );
            labels.reverse();
            labels.push("in-addr.arpa.".into());
        }
        IpAddr::V6(address) => {
            if !network.prefix_len().is_multiple_of(4) {
                return Err(format!(
                    "IPv6 reverse zones must be nibble-aligned (a multiple of /4); `{prefix}` is not"
                ));
            }
            let nibbles: Vec<String> = address
                .octets()
                .iter()
                .flat_map(|byte| [byte >> 4, byte & 0x0f])
                .map(|n| format!("{n:x}"))
                .collect();
            labels.extend(
                nibbles[..usize::from(network.prefix_len() / 4)]
                    .iter()
                    .cloned(),
            );
            labels.reverse();
            labels.push("ip6.arpa.".into());
        }
    }
    Name::parse_absolute(&labels.join(".")).map_err(|error| error.to_string())
}

/// `hostmaster@example.net` or `hostmaster.example.net.` -> the RNAME `hostmaster.example.net.`.
fn contact_name(text: &str) -> Result<Name, String> {
    let text = text.trim();
    let Some((local, domain)) = text.split_once('@') else {
        return Name::parse_absolute(text)
            .map_err(|error| format!("SOA contact `{text}`: {error}"));
    };
    if local.contains('.') {
        return Err(format!(
            "SOA contact `{text}`: a dot in the mailbox part would need an escaped dot in the RNAME; use a mailbox without dots such as hostmaster@"
        ));
    }
    let domain = domain.trim_end_matches('.');
    Name::parse_absolute(&format!("{local}.{domain}."))
        .map_err(|error| format!("SOA contact `{text}`: {error}"))
}

/// True when `path`, relative to some directory, names something inside it: not absolute and
/// no `..` component, whether it is written with `/` or `\` (which the reader also accepts as a
/// separator, so `..\..\etc\passwd` must not slip through).
fn stays_inside(path: &str) -> bool {
    let normalised = path.replace('\\', "/");
    !normalised.starts_with('/')
        && !Path::new(&normalised).is_absolute()
        && !normalised.split('/').any(|part| part == "..")
}

fn format_from_extension(path: &Path) -> Option<CmdbFormat> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" => Some(CmdbFormat::Csv),
        "json" => Some(CmdbFormat::Json),
        _ => None,
    }
}

fn lower_all(values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|value| value.trim().to_ascii_lowercase())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// zones/services/*.yaml

/// A service (`zones/services/<name>.yaml`): SRV records `_<name>._<protocol>.<dc>.<domain>.` for
/// every datacenter with an SRV-status host carrying its role. The file name is the service name.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
struct RawService {
    /// The port the SRV records point at.
    port: u16,
    /// `tcp` (default), `udp`, `tls` or `sctp`.
    #[serde(default)]
    #[schemars(with = "Option<String>", extend("enum" = ["tcp", "udp", "tls", "sctp", null]))]
    protocol: Option<Spanned<String>>,
    /// SRV priority (default 10).
    #[serde(default)]
    priority: Option<u16>,
    /// SRV weight (default 10).
    #[serde(default)]
    weight: Option<u16>,
    /// TTL of the SRV records (default `ttl.srv`).
    #[serde(default)]
    ttl: Option<Ttl>,
    /// The CMDB role whose hosts are the targets (default: the service name).
    #[serde(default)]
    role: Option<String>,
    /// Also publish `_<name>._<protocol>.<domain>.` with the targets of every datacenter.
    #[serde(default)]
    global: bool,
    /// Datacenters where the service must have a target: `all` or a list
    /// (`service-missing-in-datacenter` otherwise).
    #[serde(default)]
    #[schemars(with = "Option<RequiredIn>")]
    required_in: Option<Spanned<RequiredIn>>,
    /// The team that owns the service.
    #[serde(default)]
    owner: Option<String>,
    /// What the service is, for people.
    #[serde(default)]
    description: Option<String>,
}

/// `required_in: all` or `required_in: [ash, lon]`.
enum RequiredIn {
    All,
    Some(Vec<Spanned<String>>),
}

/// The schema of `required_in`, matching its hand-written deserializer.
impl JsonSchema for RequiredIn {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RequiredIn".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "const": "all" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

impl<'de> Deserialize<'de> for RequiredIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RequiredInVisitor;
        impl<'de> Visitor<'de> for RequiredInVisitor {
            type Value = RequiredIn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`all` or a list of datacenters")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<RequiredIn, E> {
                if value == "all" {
                    Ok(RequiredIn::All)
                } else {
                    Err(E::custom(format!(
                        "expected `all` or a list of datacenters, found `{value}`"
                    )))
                }
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RequiredIn, A::Error> {
                let mut datacenters = Vec::new();
                while let Some(datacenter) = seq.next_element::<Spanned<String>>()? {
                    datacenters.push(datacenter);
                }
                Ok(RequiredIn::Some(datacenters))
            }
        }
        deserializer.deserialize_any(RequiredInVisitor)
    }
}

fn read_services(
    files: &dyn Files,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
    settings: Option<&Settings>,
) -> Result<Vec<Service>, Error> {
    let mut services = Vec::new();
    for (file, path, bytes) in yaml_files(files, "zones/services", sources, diagnostics)? {
        let stem = Path::new(&path)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        if Name::parse_fqdn(&stem).map(|name| name.label_count()) != Ok(1) || stem.contains('_') {
            diagnostics.push(
                Diagnostic::error(INVALID_VALUE, Some(Span::file(file)), format!("service name `{stem}` (the file name) is not a valid DNS label"))
                    .with_hint("name the file after the service, with letters, digits and `-` only: zones/services/playlist.yaml"),
            );
            continue;
        }
        let raw = match yaml::parse::<RawService>(&bytes, file) {
            Ok(raw) => raw,
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                continue;
            }
        };
        let protocol = match &raw.protocol {
            None => "tcp".to_owned(),
            Some(protocol) if ["tcp", "udp", "tls", "sctp"].contains(&protocol.value.as_str()) => {
                protocol.value.clone()
            }
            Some(protocol) => {
                diagnostics.push(Diagnostic::error(
                    INVALID_VALUE,
                    Some(span_of(protocol, file)),
                    format!(
                        "protocol `{}` is not one of tcp, udp, tls, sctp",
                        protocol.value
                    ),
                ));
                continue;
            }
        };
        let required_in = match raw.required_in {
            None => Vec::new(),
            Some(Spanned {
                value: RequiredIn::All,
                referenced,
                ..
            }) => settings
                .map(|settings| {
                    settings
                        .datacenters
                        .iter()
                        .map(|dc| (dc.name.clone(), yaml::span(&referenced, file)))
                        .collect()
                })
                .unwrap_or_default(),
            Some(Spanned {
                value: RequiredIn::Some(datacenters),
                ..
            }) => datacenters
                .iter()
                .map(|dc| (dc.value.trim().to_ascii_lowercase(), span_of(dc, file)))
                .collect(),
        };
        let _ = raw.description;
        services.push(Service {
            role: raw
                .role
                .map_or_else(|| stem.clone(), |role| role.trim().to_ascii_lowercase()),
            name: stem.to_ascii_lowercase(),
            protocol,
            port: raw.port,
            priority: raw.priority.unwrap_or(10),
            weight: raw.weight.unwrap_or(10),
            ttl: raw.ttl.map(|ttl| ttl.0),
            global: raw.global,
            required_in,
            owner: raw.owner,
            span: Span::new(file, 1, 1),
        });
    }
    Ok(services)
}

// ---------------------------------------------------------------------------------------------
// zones/records/*.yaml

/// Hand-edited records (`zones/records/*.yaml`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RecordsFile")]
struct RawRecordsFile {
    /// The team that owns these records.
    #[serde(default)]
    owner: Option<String>,
    /// The records.
    #[schemars(with = "Vec<RawRecord>")]
    records: Vec<Spanned<RawRecord>>,
}

/// One record. `name` is relative to the domain (`www`, `@` for the apex) or absolute
/// (`www.example.net.`); which other keys apply depends on `type`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = record_type_fields)]
#[schemars(rename = "Record")]
struct RawRecord {
    /// Owner name: relative to the domain, `@` for the apex, or absolute with a trailing dot.
    #[schemars(with = "String")]
    name: Spanned<String>,
    /// A, AAAA, CNAME, MX, NS, PTR, SRV, TXT or CAA.
    #[serde(rename = "type")]
    #[schemars(with = "String")]
    record_type: Spanned<String>,
    /// TTL (default `ttl.default`).
    ttl: Option<Ttl>,
    /// A note for people; not published.
    comment: Option<String>,
    /// A and AAAA: the IP address.
    #[schemars(with = "Option<String>")]
    address: Option<Spanned<String>>,
    /// CNAME, NS, PTR, SRV: the target name (absolute with a trailing dot, or relative to the
    /// domain).
    #[schemars(with = "Option<String>")]
    target: Option<Spanned<String>>,
    /// MX: the preference.
    preference: Option<u16>,
    /// MX: the mail exchanger.
    #[schemars(with = "Option<String>")]
    exchange: Option<Spanned<String>>,
    /// SRV: priority.
    priority: Option<u16>,
    /// SRV: weight.
    weight: Option<u16>,
    /// SRV: port.
    port: Option<u16>,
    /// TXT: one string or a list of strings.
    text: Option<OneOrMany>,
    /// CAA: flags (default 0).
    flags: Option<u8>,
    /// CAA: `issue`, `issuewild` or `iodef` (RFC 8659).
    #[schemars(with = "Option<String>")]
    tag: Option<Spanned<String>>,
    /// CAA: the value.
    value: Option<String>,
}

/// The type-specific keys of each record type: required, then optional. `None` for SOA, which
/// comes from zonegate.yaml. [`resolve_record`] enforces this table and the schema states it.
fn record_fields(
    record_type: RecordType,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match record_type {
        RecordType::A | RecordType::Aaaa => (&["address"], &[]),
        RecordType::Cname | RecordType::Ns | RecordType::Ptr => (&["target"], &[]),
        RecordType::Mx => (&["preference", "exchange"], &[]),
        RecordType::Srv => (&["priority", "weight", "port", "target"], &[]),
        RecordType::Txt => (&["text"], &[]),
        RecordType::Caa => (&["tag", "value"], &["flags"]),
        RecordType::Soa => return None,
    })
}

/// Adds to the record schema what [`resolve_record`] checks per type: the allowed types (any
/// case, as `RecordType::parse` reads them), and for each type its required keys and no key of
/// another type.
fn record_type_fields(schema: &mut schemars::Schema) {
    const COMMON: [&str; 4] = ["name", "type", "ttl", "comment"];
    let mut types = Vec::new();
    let mut conditions = Vec::new();
    for record_type in RecordType::ALL {
        let Some((required, optional)) = record_fields(record_type) else {
            continue;
        };
        types.push(record_type.as_str());
        let allowed: Vec<&str> = COMMON
            .iter()
            .chain(required)
            .chain(optional)
            .copied()
            .collect();
        conditions.push(serde_json::json!({
            "if": {
                "properties": { "type": { "pattern": yaml::case_insensitive(&[record_type.as_str()]) } },
                "required": ["type"]
            },
            "then": { "required": required, "propertyNames": { "enum": allowed } },
        }));
    }
    if let Some(properties) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        properties.insert(
            "type".into(),
            serde_json::json!({
                "description": "A, AAAA, CNAME, MX, NS, PTR, SRV, TXT or CAA",
                "type": "string",
                "anyOf": [ { "enum": types }, { "pattern": yaml::case_insensitive(&types) } ]
            }),
        );
    }
    schema.insert("allOf".into(), serde_json::Value::Array(conditions));
}

impl RawRecord {
    /// The type-specific fields that were written, by name.
    fn present_fields(&self) -> Vec<&'static str> {
        [
            ("address", self.address.is_some()),
            ("target", self.target.is_some()),
            ("preference", self.preference.is_some()),
            ("exchange", self.exchange.is_some()),
            ("priority", self.priority.is_some()),
            ("weight", self.weight.is_some()),
            ("port", self.port.is_some()),
            ("text", self.text.is_some()),
            ("flags", self.flags.is_some()),
            ("tag", self.tag.is_some()),
            ("value", self.value.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect()
    }
}

/// Parses the records files: their entries and the problems found, in file order.
fn parse_records(
    record_files: Vec<(FileId, String, Vec<u8>)>,
) -> (Vec<RecordEntry>, Vec<Diagnostic>) {
    let mut entries = Vec::new();
    let mut diagnostics = Vec::new();
    for (file, _, bytes) in record_files {
        match yaml::parse::<RawRecordsFile>(&bytes, file) {
            Ok(raw) => {
                let _ = raw.owner;
                for record in &raw.records {
                    match resolve_record(&record.value, span_of(record, file), file) {
                        Ok(entry) => entries.push(entry),
                        Err(diagnostic) => diagnostics.push(diagnostic),
                    }
                }
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    (entries, diagnostics)
}

/// The most octets of data a TXT or CAA record may hold so that it fits in a DNS message
/// whatever its name: 65535 (RFC 1035's 16-bit lengths) less the header (12), the question (a
/// name of up to 255 octets and 4), and the answer's compressed owner (2), type, class, TTL and
/// RDLENGTH (10). BIND refuses to load a zone with a record that could not be sent.
const MAX_RDATA_OCTETS: usize = 65_535 - 12 - 255 - 4 - 2 - 10;

fn too_long_for_a_record(record_type: RecordType, octets: usize, span: Span) -> Diagnostic {
    Diagnostic::error(
        INVALID_VALUE,
        Some(span),
        format!(
            "this {record_type} record's data is {octets} octets; at most {MAX_RDATA_OCTETS} fit in a DNS message (RFC 1035), and servers refuse to load the zone"
        ),
    )
    .with_hint("shorten the text, or split it over several records")
}

fn resolve_record(raw: &RawRecord, span: Span, file: FileId) -> Result<RecordEntry, Diagnostic> {
    let type_span = span_of(&raw.record_type, file);
    let Some(record_type) = RecordType::parse(raw.record_type.value.trim()) else {
        return Err(Diagnostic::error(
            INVALID_VALUE,
            Some(type_span),
            format!("unknown record type `{}`", raw.record_type.value),
        )
        .with_hint("expected one of: A, AAAA, CNAME, MX, NS, PTR, SRV, TXT, CAA"));
    };
    let Some((required, optional)) = record_fields(record_type) else {
        return Err(Diagnostic::error(
            INVALID_VALUE,
            Some(type_span),
            "SOA records come from zonegate.yaml, not from record files",
        )
        .with_hint("set SOA fields under `soa:` in zones/zonegate.yaml"));
    };
    let allowed = || {
        let mut fields: Vec<&str> = ["name", "type", "ttl", "comment"].to_vec();
        fields.extend(required);
        fields.extend(optional);
        fields.join(", ")
    };
    let present = raw.present_fields();
    if let Some(extra) = present
        .iter()
        .find(|field| !required.contains(field) && !optional.contains(field))
    {
        return Err(Diagnostic::error(
            INVALID_VALUE,
            Some(span),
            format!("`{extra}` does not apply to {record_type} records"),
        )
        .with_hint(format!("{record_type} records take: {}", allowed())));
    }
    if let Some(missing) = required.iter().find(|field| !present.contains(field)) {
        return Err(Diagnostic::error(
            MISSING_KEY,
            Some(span),
            format!(
                "{record_type} record `{}` needs `{missing}`",
                raw.name.value
            ),
        )
        .with_hint(format!("{record_type} records take: {}", allowed())));
    }
    let written = |value: &Option<Spanned<String>>| {
        value
            .as_ref()
            .map(|value| WrittenName {
                text: value.value.trim().to_owned(),
                span: span_of(value, file),
            })
            .expect("checked present")
    };
    let address = |value: &Option<Spanned<String>>| -> Result<IpAddr, Diagnostic> {
        let value = value.as_ref().expect("checked present");
        value.value.trim().parse::<IpAddr>().map_err(|_| {
            Diagnostic::error(
                INVALID_VALUE,
                Some(span_of(value, file)),
                format!("`{}` is not an IP address", value.value),
            )
        })
    };
    let data = match record_type {
        RecordType::A => match address(&raw.address)? {
            IpAddr::V4(v4) => EntryData::A(v4),
            IpAddr::V6(_) => {
                return Err(wrong_family(
                    raw,
                    file,
                    "an A record needs an IPv4 address; use type AAAA for IPv6",
                ));
            }
        },
        RecordType::Aaaa => match address(&raw.address)? {
            IpAddr::V6(v6) => EntryData::Aaaa(v6),
            IpAddr::V4(_) => {
                return Err(wrong_family(
                    raw,
                    file,
                    "an AAAA record needs an IPv6 address; use type A for IPv4",
                ));
            }
        },
        RecordType::Cname => EntryData::Cname(written(&raw.target)),
        RecordType::Ns => EntryData::Ns(written(&raw.target)),
        RecordType::Ptr => EntryData::Ptr(written(&raw.target)),
        RecordType::Mx => EntryData::Mx {
            preference: raw.preference.unwrap_or_default(),
            exchange: written(&raw.exchange),
        },
        RecordType::Srv => EntryData::Srv {
            priority: raw.priority.unwrap_or_default(),
            weight: raw.weight.unwrap_or_default(),
            port: raw.port.unwrap_or_default(),
            target: written(&raw.target),
        },
        RecordType::Txt => {
            let strings = raw.text.clone().map(|text| text.0).unwrap_or_default();
            // On the wire each string of at most 255 octets takes one more for its length.
            let octets: usize = strings
                .iter()
                .map(|string| string.len() + string.len().div_ceil(255).max(1))
                .sum();
            if octets > MAX_RDATA_OCTETS {
                return Err(too_long_for_a_record(record_type, octets, span));
            }
            EntryData::Txt(strings)
        }
        RecordType::Caa => {
            let tag = raw.tag.as_ref().expect("checked present");
            let tag_text = tag.value.trim().to_ascii_lowercase();
            if !["issue", "issuewild", "iodef"].contains(&tag_text.as_str()) {
                return Err(Diagnostic::error(
                    INVALID_VALUE,
                    Some(span_of(tag, file)),
                    format!(
                        "CAA tag `{}` is not issue, issuewild or iodef (RFC 8659)",
                        tag.value
                    ),
                ));
            }
            let value = raw.value.clone().unwrap_or_default();
            let octets = 2 + tag_text.len() + value.len();
            if octets > MAX_RDATA_OCTETS {
                return Err(too_long_for_a_record(record_type, octets, span));
            }
            EntryData::Caa {
                flags: raw.flags.unwrap_or(0),
                tag: tag_text,
                value,
            }
        }
        RecordType::Soa => unreachable!("rejected above"),
    };
    let _ = &raw.comment;
    Ok(RecordEntry {
        name: raw.name.value.trim().to_owned(),
        name_span: span_of(&raw.name, file),
        ttl: raw.ttl.map(|ttl| ttl.0),
        data,
        span,
    })
}

fn wrong_family(raw: &RawRecord, file: FileId, message: &str) -> Diagnostic {
    let span = raw.address.as_ref().map(|address| span_of(address, file));
    Diagnostic::error(INVALID_VALUE, span, message)
}

/// The YAML files of `directory`, sorted by name, each registered in `sources` (in that order,
/// so file ids do not depend on what else is read): its file id, path and bytes. An entry named
/// like one that cannot be read (a FIFO, a directory, a link out of the repository) is
/// reported in `diagnostics`, never skipped.
fn yaml_files(
    files: &dyn Files,
    directory: &str,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<(FileId, String, Vec<u8>)>, Error> {
    let mut found = Vec::new();
    for entry in super::files::yaml_directory(files, directory)? {
        match entry {
            YamlEntry::Read { path, bytes } => found.push((sources.add(&path), path, bytes)),
            YamlEntry::Unreadable { path, reason } => {
                let file = sources.add(&path);
                diagnostics.push(super::files::unreadable(file, &path, &reason));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_origins_from_prefixes() {
        assert_eq!(
            reverse_origin("10.0.0.0/8").unwrap().to_string(),
            "10.in-addr.arpa."
        );
        assert_eq!(
            reverse_origin("192.168.4.0/24").unwrap().to_string(),
            "4.168.192.in-addr.arpa."
        );
        assert_eq!(
            reverse_origin("2001:db8::/32").unwrap().to_string(),
            "8.b.d.0.1.0.0.2.ip6.arpa."
        );
        assert!(
            reverse_origin("10.0.0.0/12")
                .unwrap_err()
                .contains("octet-aligned")
        );
        assert!(
            reverse_origin("10.0.0.1/8")
                .unwrap_err()
                .contains("host bits")
        );
        assert!(
            reverse_origin("2001:db8::/30")
                .unwrap_err()
                .contains("nibble-aligned")
        );
        assert!(
            reverse_origin("ten")
                .unwrap_err()
                .contains("not an address prefix")
        );
    }

    #[test]
    fn contacts_in_both_forms() {
        assert_eq!(
            contact_name("hostmaster@example.net").unwrap().to_string(),
            "hostmaster.example.net."
        );
        assert_eq!(
            contact_name("hostmaster.example.net.").unwrap().to_string(),
            "hostmaster.example.net."
        );
        assert!(
            contact_name("john.doe@example.net")
                .unwrap_err()
                .contains("escaped dot")
        );
    }
}
