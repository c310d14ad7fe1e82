//! `zones/services/*.yaml`: one service per file, named after it, resolved into [`Service`]s.

use std::fmt;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use super::yaml_files;
use crate::diagnostic::{Diagnostic, SourceMap, Span};
use crate::dns::name::Name;
use crate::inventory::files::Files;
use crate::inventory::yaml::{self, Ttl, span_of};
use crate::inventory::{Error, Service, Settings};
use crate::rules::input::INVALID_VALUE;

/// A service (`zones/services/<name>.yaml`): SRV records `_<name>._<protocol>.<dc>.<domain>.` for
/// every datacenter with an SRV-status host carrying its role. The file name is the service name.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
pub(super) struct RawService {
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

pub(super) fn read_services(
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
