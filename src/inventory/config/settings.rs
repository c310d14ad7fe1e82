//! `zones/zonegate.yaml`: the raw settings as serde reads them (with the hand-written
//! deserializer of `cmdb:` and the schemas), resolved into [`Settings`]: names parsed, reverse
//! zones derived from their prefixes, repository paths kept inside the repository, the rule ids
//! of `check.rules` held to the registry (`rules::RULES`), defaults applied.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use super::format_from_extension;
use crate::diagnostic::{Diagnostic, FileId, Severity, Span, suggest};
use crate::dns::name::Name;
use crate::inventory::yaml::{Duration, Ttl, span_of};
use crate::inventory::{
    CmdbFormat, CmdbSource, Datacenter, GenerateSettings, Limits, SerialPolicy, Settings,
    SoaSettings, TtlSettings, ZoneSettings,
};
use crate::rules::input::INVALID_VALUE;
use crate::rules::{self, RULES, Stage};

/// Settings of a zones repository (`zones/zonegate.yaml`). Formats: docs/formats.md.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Settings")]
pub(super) struct RawSettings {
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
    #[schemars(with = "Option<crate::inventory::policy::RawPolicy>")]
    policy: Option<Spanned<crate::inventory::policy::RawPolicy>>,
    /// Where `zonegate deploy` installs the zones.
    #[serde(default)]
    #[schemars(with = "Option<crate::inventory::deploy::RawDeploy>")]
    deploy: Option<Spanned<crate::inventory::deploy::RawDeploy>>,
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

/// `check.rules`: only the ids `check.rules` accepts (see [`validate_overrides`]), each to a
/// severity.
fn rule_severities_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let ids: Vec<&str> = crate::rules::RULES
        .iter()
        .filter(|rule| rule.is_configurable())
        .map(|rule| rule.id())
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

pub(super) fn resolve_settings(
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
    diagnostics.extend(validate_overrides(&rules));
    let policy = crate::inventory::policy::resolve(raw.policy, file, diagnostics);
    let deploy = crate::inventory::deploy::resolve(raw.deploy, file, diagnostics);

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

fn lower_all(values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|value| value.trim().to_ascii_lowercase())
        .collect()
}
/// Checks the rule ids of `check.rules` against the registry: every id must name a rule, and
/// only the rules about the built zones can be reconfigured. Each problem is an input error located at the override.
fn validate_overrides(overrides: &[(String, Severity, Span)]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (id, _, span) in overrides {
        match rules::rule(id) {
            None => {
                let hint = suggest(id, RULES.iter().map(|rule| rule.id())).map_or_else(
                    || "`zonegate check --format sarif` lists every rule id".to_owned(),
                    |close| format!("did you mean `{close}`?"),
                );
                diagnostics.push(
                    Diagnostic::error(
                        rules::input::UNKNOWN_KEY,
                        Some(*span),
                        format!("unknown rule `{id}` in `check.rules`"),
                    )
                    .with_hint(hint),
                );
            }
            Some(rule) if !rule.is_configurable() => {
                let why = match rule.stage() {
                    Stage::Render => {
                        "guards what is served: a zone whose text does not hold its records is never written"
                    }
                    Stage::Deploy => "has its own policy (`deploy.stale_serial`)",
                    Stage::Test => {
                        "reports an assertion that does not hold, which `zonegate test` decides"
                    }
                    Stage::Merge => "reports a CODEOWNERS line the merge bot skips",
                    Stage::Input | Stage::Build | Stage::Check => {
                        "reports malformed input, which always stops the run"
                    }
                };
                diagnostics.push(
                    Diagnostic::error(
                        rules::input::INVALID_VALUE,
                        Some(*span),
                        format!("`{id}` {why}; its severity cannot be changed"),
                    )
                    .with_hint("remove it from `check.rules`"),
                );
            }
            Some(_) => {}
        }
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_overrides_name_a_configurable_rule() {
        let span = |line| Span::new(FileId(0), line, 3);
        let problems = validate_overrides(&[
            ("cname-and-other-date".into(), Severity::Off, span(3)),
            ("yaml-syntax".into(), Severity::Warning, span(4)),
            ("ttl-mismatch".into(), Severity::Warning, span(5)),
        ]);
        let text: Vec<String> = problems
            .iter()
            .map(|d| format!("{} {} {:?}", d.rule, d.message, d.hints))
            .collect();
        insta::assert_debug_snapshot!(text, @r#"
        [
            "unknown-key unknown rule `cname-and-other-date` in `check.rules` [\"did you mean `cname-and-other-data`?\"]",
            "invalid-value `yaml-syntax` reports malformed input, which always stops the run; its severity cannot be changed [\"remove it from `check.rules`\"]",
        ]
        "#);
    }

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
