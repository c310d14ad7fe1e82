//! `assertions/*.yaml`: the assertion language, parsed with spans (IO edge: reads the files
//! through [`Files`], so the same code reads a working tree or a git tree).
//!
//! A file is one YAML list; each item is one assertion:
//!
//! ```yaml
//! - it: playlist is discoverable in {{ dc }}
//!   for_each: { dc: datacenters }
//!   query: _playlist._tcp.{{ dc }}.example.net.
//!   type: SRV
//!   expect: { at_least: 2, targets_resolve: true }
//! ```
//!
//! This module parses and validates what can be validated without the inventory: keys (unknown
//! ones are rejected with a did-you-mean hint), value shapes, template syntax, that every
//! `{{ variable }}` is bound by `for_each` and that its field exists. Values stay [`Template`]s
//! here; [`super::expand`] renders them for every binding and checks the rendered values.
//! Nothing here interprets DNS.
//!
//! Templates are a deliberately tiny language: `{{ variable }}` and `{{ variable.field }}`, no
//! filters, loops or expressions. A full template engine (minijinja is a dependency already) would
//! make assertions harder to read in review and its errors harder to locate, and expansion runs
//! once per binding (a hundred thousand times for a large suite), where a pre-parsed list of
//! literal and variable parts costs a few string pushes.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, FileId, SourceMap, Span};
use crate::inventory::files::{Files, YamlEntry};
use crate::inventory::yaml::{self, INVALID_VALUE, span_of};
use crate::model::suggest;

/// Where assertion files live, relative to the repository root.
pub const DIRECTORY: &str = "assertions";

/// A template problem (unknown variable or field, bad syntax).
pub const TEMPLATE: &str = "assertion-template";

/// One assertion as written: templates not yet rendered.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The list item (its first key): where a failure is annotated.
    pub span: Span,
    /// `it`: what the assertion checks, in words.
    pub it: Template,
    /// `for_each`: variables in the order written; the assertion runs once per combination.
    pub for_each: Vec<Loop>,
    /// `query`: the name to ask for.
    pub query: Template,
    /// `type`: the query type (default A).
    pub record_type: Option<Template>,
    /// `expect`.
    pub expect: ExpectSpec,
}

/// A string with `{{ variable }}` and `{{ variable.field }}` parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Literal text and variables, in order.
    pub parts: Vec<Part>,
    /// Where the value was written.
    pub span: Span,
}

/// A piece of a [`Template`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// `{{ variable }}` (the item's default field) or `{{ variable.field }}`.
    Variable {
        /// The `for_each` variable.
        name: String,
        /// The field, if one was named.
        field: Option<String>,
    },
}

impl fmt::Display for Template {
    /// The template as written (`_web._tcp.{{ dc }}.example.net.`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) => f.write_str(text)?,
                Part::Variable { name, field: None } => write!(f, "{{{{ {name} }}}}")?,
                Part::Variable {
                    name,
                    field: Some(field),
                } => write!(f, "{{{{ {name}.{field} }}}}")?,
            }
        }
        Ok(())
    }
}

impl Template {
    /// True when the template has no variables.
    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|part| matches!(part, Part::Text(_)))
    }
}

/// One `for_each` variable.
#[derive(Clone, Debug)]
pub struct Loop {
    /// Variable name.
    pub variable: String,
    /// Where it was written.
    pub span: Span,
    /// What it ranges over.
    pub source: Source,
}

/// What a `for_each` variable ranges over.
#[derive(Clone, Debug)]
pub struct Source {
    /// The collection.
    pub collection: Collection,
    /// `where`: field -> accepted values (templates, rendered with the earlier variables).
    pub filters: Vec<Filter>,
    /// `sample: N`: at most N items, evenly spaced through the collection (deterministic).
    pub sample: Option<usize>,
}

/// One `where` condition.
#[derive(Clone, Debug)]
pub struct Filter {
    /// The item field compared (for hosts, `role` tests membership in the roles).
    pub field: String,
    /// Accepted values.
    pub values: Vec<Template>,
    /// Where the condition was written.
    pub span: Span,
}

/// The collections `for_each` ranges over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Collection {
    /// `datacenters`: every configured datacenter.
    Datacenters,
    /// `services`: every service in `zones/services/`.
    Services,
    /// `hosts`: every CMDB host, whatever its status.
    Hosts,
    /// `records`: every hand-edited record in `zones/records/`.
    Records,
    /// A literal list: `for_each: { name: [www.example.net., api.example.net.] }`.
    Values(Vec<String>),
    /// `<service>.datacenters`: where the service has an SRV RRset.
    ServiceDatacenters(String),
    /// `<service>.hosts`: the service's SRV targets in every datacenter.
    ServiceHosts(String),
    /// `<datacenter>.hosts`: the CMDB hosts in the datacenter.
    DatacenterHosts(String),
    /// `<host>.addresses`: the host's addresses.
    HostAddresses(String),
}

/// The kind of item a variable holds, which decides its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A datacenter.
    Datacenter,
    /// A service.
    Service,
    /// A CMDB host.
    Host,
    /// One address of a host.
    Address,
    /// A hand-edited record.
    Record,
    /// A literal value.
    Value,
}

impl Kind {
    /// The fields `{{ variable.field }}` may name; the first is what `{{ variable }}` renders.
    pub const fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Datacenter => &["name"],
            Kind::Service => &[
                "name", "role", "protocol", "port", "priority", "weight", "srv", "global", "owner",
            ],
            Kind::Host => &[
                "name",
                "hostname",
                "datacenter",
                "status",
                "role",
                "ipv4",
                "ipv6",
            ],
            Kind::Address => &["ip", "type", "reverse", "host"],
            Kind::Record => &["name", "type", "target", "address", "ttl"],
            Kind::Value => &["value"],
        }
    }

    const fn noun(self) -> &'static str {
        match self {
            Kind::Datacenter => "datacenter",
            Kind::Service => "service",
            Kind::Host => "host",
            Kind::Address => "address",
            Kind::Record => "record",
            Kind::Value => "value",
        }
    }
}

impl Collection {
    /// The kind of the items.
    pub const fn kind(&self) -> Kind {
        match self {
            Collection::Datacenters | Collection::ServiceDatacenters(_) => Kind::Datacenter,
            Collection::Services => Kind::Service,
            Collection::Hosts | Collection::ServiceHosts(_) | Collection::DatacenterHosts(_) => {
                Kind::Host
            }
            Collection::HostAddresses(_) => Kind::Address,
            Collection::Records => Kind::Record,
            Collection::Values(_) => Kind::Value,
        }
    }
}

/// What an assertion expects of the response.
#[derive(Clone, Debug)]
pub enum ExpectSpec {
    /// `expect: nxdomain`: the name does not exist.
    NxDomain,
    /// `expect: nodata`: the name exists without records of the type (NOERROR, SOA in
    /// authority; RFC 2308 section 2.2).
    NoData,
    /// `expect: refused`: the server refuses (the name is in no zone it serves).
    Refused,
    /// A mapping of matchers.
    Records(Box<Matchers>),
}

/// The matchers of an `expect` mapping, as written.
#[derive(Clone, Debug, Default)]
#[allow(clippy::struct_excessive_bools)] // Each flag is a YAML key of its own.
pub struct Matchers {
    /// `address`: A/AAAA data.
    pub address: Vec<Template>,
    /// `target`: CNAME, NS, PTR, SRV target (and MX exchange).
    pub target: Vec<Template>,
    /// `port` (SRV).
    pub port: Vec<Template>,
    /// `priority` (SRV).
    pub priority: Vec<Template>,
    /// `weight` (SRV).
    pub weight: Vec<Template>,
    /// `exchange` (MX).
    pub exchange: Vec<Template>,
    /// `preference` (MX).
    pub preference: Vec<Template>,
    /// `data` (TXT: the strings concatenated).
    pub data: Vec<Template>,
    /// `ttl`.
    pub ttl: Vec<Template>,
    /// `at_least`.
    pub at_least: Option<Template>,
    /// `at_most`.
    pub at_most: Option<Template>,
    /// `exactly`.
    pub exactly: Option<Template>,
    /// `only: true`: no record beyond the ones the filters describe.
    pub only: bool,
    /// `in_authority: true`: match the authority section (live servers only).
    pub in_authority: bool,
    /// `in_additional: true`: match the additional section (live servers only).
    pub in_additional: bool,
    /// `resolves_to`: addresses or names reached by following CNAMEs.
    pub resolves_to: Vec<Template>,
    /// `targets_resolve: true`: every CNAME/SRV/MX/NS/PTR target has an address.
    pub targets_resolve: bool,
    /// `covers_role`: the SRV targets are exactly the role's SRV-status hosts.
    pub covers_role: Option<CoversRoleSpec>,
    /// `none_in`: no address of the name inside these prefixes.
    pub none_in: Vec<Template>,
    /// `not_cname: true`: the name is not an alias.
    pub not_cname: bool,
    /// Where each written matcher key is, by key, for error messages.
    pub spans: Vec<(&'static str, Span)>,
}

/// `covers_role: web` or `covers_role: { role: web, datacenter: ams }`.
#[derive(Clone, Debug)]
pub struct CoversRoleSpec {
    /// The CMDB role.
    pub role: Template,
    /// The datacenter (`all` for every one); inferred from the query name when absent.
    pub datacenter: Option<Template>,
}

impl Matchers {
    /// The span of matcher `key`, or `fallback`.
    pub fn span(&self, key: &str, fallback: Span) -> Span {
        self.spans
            .iter()
            .find(|(name, _)| *name == key)
            .map_or(fallback, |(_, span)| *span)
    }
}

/// Reads and parses every `assertions/*.yaml` (and `.yml`) file in `files`, registering each
/// in `sources`. Problems in the files come back as diagnostics (all of them, across files);
/// `Err` only when a file cannot be read.
pub fn load(
    files: &dyn Files,
    sources: &mut SourceMap,
) -> Result<(Vec<Spec>, Vec<Diagnostic>), crate::inventory::Error> {
    let mut specs = Vec::new();
    let mut diagnostics = Vec::new();
    for entry in crate::inventory::files::yaml_directory(files, DIRECTORY)? {
        match entry {
            YamlEntry::Read { path, bytes } => {
                let file = sources.add(&path);
                parse(&bytes, file, &mut specs, &mut diagnostics);
            }
            YamlEntry::Unreadable { path, reason } => {
                let file = sources.add(&path);
                diagnostics.push(crate::inventory::files::unreadable(file, &path, &reason));
            }
        }
    }
    Ok((specs, diagnostics))
}

/// Parses one assertion file (its bytes, registered as `file`), appending what it holds.
pub fn parse(bytes: &[u8], file: FileId, specs: &mut Vec<Spec>, diagnostics: &mut Vec<Diagnostic>) {
    let raw = match yaml::parse::<Vec<Spanned<RawAssertion>>>(bytes, file) {
        Ok(raw) => raw,
        Err(diagnostic) => {
            if !parse_items_alone(bytes, file, specs, diagnostics) {
                diagnostics.push(with_shape_hint(diagnostic));
            }
            return;
        }
    };
    for item in raw {
        let span = span_of(&item, file);
        if let Some(spec) = resolve(item.value, span, file, diagnostics) {
            specs.push(spec);
        }
    }
}

/// Most list items re-parsed one at a time, for a file that failed as a whole.
const MAX_ITEMS_REPARSED: usize = 500;

/// After a file failed to parse, parses each item alone so one typo does not hide the problems
/// of the others: every top-level item (a line starting with `-` at column 1) is parsed with the
/// lines before it blanked, so every line and column stays where it was written, and the items
/// that parse are checked as usual. Returns false, reporting nothing, when that cannot work: a
/// flow-style list, an alias from one item to another, a huge file, or when every item parses
/// alone (the problem is between items); the caller then reports the whole-file error.
fn parse_items_alone(
    bytes: &[u8],
    file: FileId,
    specs: &mut Vec<Spec>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut starts: Vec<usize> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with('-') {
            starts.push(offset);
        }
        offset += line.len();
    }
    if starts.len() < 2 || starts.len() > MAX_ITEMS_REPARSED {
        return false;
    }
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    for (index, &start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(text.len());
        let mut chunk: String = text[..start]
            .chars()
            .filter(|character| *character == '\n')
            .collect();
        chunk.push_str(&text[start..end]);
        match yaml::parse::<Vec<Spanned<RawAssertion>>>(chunk.as_bytes(), file) {
            Ok(items) => parsed.extend(items),
            Err(diagnostic)
                if diagnostic.message.contains("anchor")
                    || diagnostic.message.contains("alias") =>
            {
                return false;
            }
            Err(diagnostic) => problems.push(with_shape_hint(diagnostic)),
        }
    }
    if problems.is_empty() {
        return false;
    }
    diagnostics.extend(problems);
    for item in parsed {
        let span = span_of(&item, file);
        if let Some(spec) = resolve(item.value, span, file, diagnostics) {
            specs.push(spec);
        }
    }
    true
}

fn with_shape_hint(diagnostic: Diagnostic) -> Diagnostic {
    let shape = diagnostic.code != yaml::UNKNOWN_KEY
        && (diagnostic.message.contains("sequence") || diagnostic.code == yaml::MISSING_KEY);
    if shape {
        diagnostic.with_hint(
            "an assertion file is a YAML list; each item is a mapping with `it`, `query`, `type` (default A) and `expect`",
        )
    } else {
        diagnostic
    }
}

// ---------------------------------------------------------------------------------------------
// Raw YAML shapes.

/// One assertion: a query and what its answer must be. Values may use `{{ variable }}` and
/// `{{ variable.field }}` of the `for_each` variables.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Assertion")]
struct RawAssertion {
    /// What the assertion checks, in words (shown when it fails).
    #[schemars(with = "Scalar")]
    it: Spanned<Scalar>,
    /// Variables, in order, each bound to a collection; the assertion runs once per
    /// combination: `{ dc: datacenters }`.
    #[serde(default)]
    #[schemars(with = "Option<RawForEach>")]
    for_each: Option<Spanned<RawForEach>>,
    /// The name to ask for, absolute: `www.example.net.`.
    #[schemars(with = "Scalar")]
    query: Spanned<Scalar>,
    /// The query type (default A).
    #[serde(rename = "type", default)]
    #[schemars(with = "Option<Scalar>")]
    record_type: Option<Spanned<Scalar>>,
    /// `nxdomain`, `nodata`, `refused`, or a mapping of matchers.
    #[schemars(with = "RawExpect")]
    expect: Spanned<RawExpect>,
}

/// The JSON Schema of an `assertions/*.yaml` file, generated from the types it is parsed into.
pub(crate) fn schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<Vec<RawAssertion>>()
}

/// Any YAML scalar, as text (numbers and booleans too, so `port: 443` and `port: "{{ s.port }}"`
/// are the same shape).
struct Scalar(String);

impl JsonSchema for Scalar {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Scalar, E> {
                Ok(Scalar(value.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Scalar, E> {
                Ok(Scalar(value.to_string()))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Scalar, E> {
                Ok(Scalar(value.to_string()))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Scalar, E> {
                Ok(Scalar(value.to_string()))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Scalar, E> {
                Ok(Scalar(value.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// One scalar or a list of scalars.
struct Values(Vec<Spanned<Scalar>>);

impl JsonSchema for Values {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Values".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                { "type": "array", "items": { "type": ["string", "number", "boolean"] } }
            ]
        })
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A list keeps each item's location; a lone scalar is located by the caller's
        /// `Spanned<Values>`.
        struct ValuesVisitor;
        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Scalar>>()? {
                    items.push(item);
                }
                Ok(Values(items))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Values, E> {
                Ok(Values(vec![unlocated(value.to_owned())]))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Values, E> {
                Ok(Values(vec![unlocated(value.to_string())]))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Values, E> {
                Ok(Values(vec![unlocated(value.to_string())]))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Values, E> {
                Ok(Values(vec![unlocated(value.to_string())]))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Values, E> {
                Ok(Values(vec![unlocated(value.to_string())]))
            }
        }
        deserializer.deserialize_any(ValuesVisitor)
    }
}

fn unlocated(text: String) -> Spanned<Scalar> {
    Spanned::new(
        Scalar(text),
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

/// `for_each`: a mapping of variable -> source, in the order written.
struct RawForEach(Vec<(Spanned<String>, RawSource)>);

impl JsonSchema for RawForEach {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ForEach".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": "^\\s*[a-z_][a-z0-9_]*\\s*$" },
            "additionalProperties": generator.subschema_for::<RawSource>()
        })
    }
}

impl<'de> Deserialize<'de> for RawForEach {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ForEachVisitor;
        impl<'de> Visitor<'de> for ForEachVisitor {
            type Value = RawForEach;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a mapping of variable names to collections, e.g. `{ dc: datacenters }`",
                )
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawForEach, A::Error> {
                let mut variables = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let source = map.next_value::<RawSource>()?;
                    variables.push((key, source));
                }
                Ok(RawForEach(variables))
            }
        }
        deserializer.deserialize_map(ForEachVisitor)
    }
}

/// The schema of a `for_each` source, matching its hand-written deserializer.
impl JsonSchema for RawSource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Source".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "a collection (datacenters, services, hosts, records, <variable>.datacenters, <variable>.hosts, <variable>.addresses), a list of values, or { from, where, sample }",
            "anyOf": [
                {
                    "type": "string",
                    "examples": ["datacenters", "services", "hosts", "records"]
                },
                {
                    "type": "array",
                    "minItems": 1,
                    "items": { "type": ["string", "number", "boolean"] }
                },
                generator.subschema_for::<RawSourceMapping>()
            ]
        })
    }
}

/// `datacenters` or `{ from: hosts, where: { status: in_use }, sample: 10 }`.
enum RawSource {
    Name(Spanned<String>),
    List(Spanned<Vec<String>>),
    Detailed(Box<Spanned<RawSourceMapping>>),
}

/// A filtered collection.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SourceMapping")]
struct RawSourceMapping {
    /// The collection: `datacenters`, `services`, `hosts`, `records`, or `<variable>.hosts`, ...
    #[schemars(with = "String")]
    from: Spanned<String>,
    /// Field -> accepted value or values: `{ status: in_use, role: web }`.
    #[serde(rename = "where", default)]
    filters: Option<RawWhere>,
    /// At most this many items, evenly spaced through the collection.
    #[serde(default)]
    #[schemars(with = "Option<usize>")]
    sample: Option<Spanned<usize>>,
}

/// `where`: field -> value or list of values, in the order written.
struct RawWhere(Vec<(Spanned<String>, Values)>);

impl JsonSchema for RawWhere {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Where".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<Values>()
        })
    }
}

impl<'de> Deserialize<'de> for RawWhere {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WhereVisitor;
        impl<'de> Visitor<'de> for WhereVisitor {
            type Value = RawWhere;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of fields to values, e.g. `{ status: in_use }`")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<RawWhere, A::Error> {
                let mut conditions = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    conditions.push((key, map.next_value::<Values>()?));
                }
                Ok(RawWhere(conditions))
            }
        }
        deserializer.deserialize_map(WhereVisitor)
    }
}

impl<'de> Deserialize<'de> for RawSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `Spanned<T>` reaches us as a map for both shapes; look at the value inside.
        let spanned = Spanned::<SourceShape>::deserialize(deserializer)?;
        Ok(match spanned.value {
            SourceShape::Name(name) => {
                RawSource::Name(Spanned::new(name, spanned.referenced, spanned.defined))
            }
            SourceShape::List(values) => {
                RawSource::List(Spanned::new(values, spanned.referenced, spanned.defined))
            }
            SourceShape::Mapping(mapping) => RawSource::Detailed(Box::new(Spanned::new(
                *mapping,
                spanned.referenced,
                spanned.defined,
            ))),
        })
    }
}

enum SourceShape {
    Name(String),
    List(Vec<String>),
    Mapping(Box<RawSourceMapping>),
}

impl<'de> Deserialize<'de> for SourceShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShapeVisitor;
        impl<'de> Visitor<'de> for ShapeVisitor {
            type Value = SourceShape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a collection (`datacenters`, `services`, `hosts`, `<variable>.hosts`, ...) or a mapping with `from`, `where` and `sample`")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<SourceShape, E> {
                Ok(SourceShape::Name(value.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<SourceShape, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element::<Scalar>()? {
                    values.push(value.0);
                }
                Ok(SourceShape::List(values))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<SourceShape, A::Error> {
                RawSourceMapping::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|mapping| SourceShape::Mapping(Box::new(mapping)))
            }
        }
        deserializer.deserialize_any(ShapeVisitor)
    }
}

/// The schema of `expect`, matching its deserializer and the keywords [`resolve`] accepts (in
/// any case).
impl JsonSchema for RawExpect {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Expect".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let keywords = ["nxdomain", "nodata", "refused"];
        schemars::json_schema!({
            "anyOf": [
                { "type": "string", "enum": keywords },
                { "type": "string", "pattern": yaml::case_insensitive(&keywords) },
                generator.subschema_for::<RawMatchers>()
            ]
        })
    }
}

/// `expect`: a keyword or a mapping of matchers.
enum RawExpect {
    Keyword(String),
    Matchers(Box<RawMatchers>),
}

impl<'de> Deserialize<'de> for RawExpect {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpectVisitor;
        impl<'de> Visitor<'de> for ExpectVisitor {
            type Value = RawExpect;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`nxdomain`, `nodata`, `refused` or a mapping of matchers")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawExpect, E> {
                Ok(RawExpect::Keyword(value.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawExpect, A::Error> {
                RawMatchers::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|matchers| RawExpect::Matchers(Box::new(matchers)))
            }
        }
        deserializer.deserialize_any(ExpectVisitor)
    }
}

/// Matchers: filters on the answer records (a record matches when it has each given field with
/// one of the listed values), counts, and properties of the whole answer.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Matchers")]
struct RawMatchers {
    /// A/AAAA: the address or addresses.
    #[schemars(with = "Option<Values>")]
    address: Option<Spanned<Values>>,
    /// CNAME, NS, PTR, SRV target (and MX exchange).
    #[schemars(with = "Option<Values>")]
    target: Option<Spanned<Values>>,
    /// SRV port.
    #[schemars(with = "Option<Values>")]
    port: Option<Spanned<Values>>,
    /// SRV priority.
    #[schemars(with = "Option<Values>")]
    priority: Option<Spanned<Values>>,
    /// SRV weight.
    #[schemars(with = "Option<Values>")]
    weight: Option<Spanned<Values>>,
    /// MX exchange.
    #[schemars(with = "Option<Values>")]
    exchange: Option<Spanned<Values>>,
    /// MX preference.
    #[schemars(with = "Option<Values>")]
    preference: Option<Spanned<Values>>,
    /// TXT: the strings joined.
    #[schemars(with = "Option<Values>")]
    data: Option<Spanned<Values>>,
    /// TTL (units allowed: 5m).
    #[schemars(with = "Option<Values>")]
    ttl: Option<Spanned<Values>>,
    /// At least this many records match.
    #[schemars(with = "Option<Scalar>")]
    at_least: Option<Spanned<Scalar>>,
    /// At most this many records match.
    #[schemars(with = "Option<Scalar>")]
    at_most: Option<Spanned<Scalar>>,
    /// Exactly this many records match.
    #[schemars(with = "Option<Scalar>")]
    exactly: Option<Spanned<Scalar>>,
    /// No record of the type beyond the ones the filters describe.
    #[schemars(with = "Option<bool>")]
    only: Option<Spanned<bool>>,
    /// Match the authority section (checked with `--server` only).
    #[schemars(with = "Option<bool>")]
    in_authority: Option<Spanned<bool>>,
    /// Match the additional section (checked with `--server` only).
    #[schemars(with = "Option<bool>")]
    in_additional: Option<Spanned<bool>>,
    /// Addresses or names reached by following CNAMEs.
    #[schemars(with = "Option<Values>")]
    resolves_to: Option<Spanned<Values>>,
    /// Every CNAME/SRV/MX/NS/PTR target has an A or AAAA record.
    #[schemars(with = "Option<bool>")]
    targets_resolve: Option<Spanned<bool>>,
    /// The SRV targets are exactly the SRV-status hosts with this role (in the query's
    /// datacenter, or `{ role, datacenter }`).
    #[schemars(with = "Option<RawCoversRole>")]
    covers_role: Option<Spanned<RawCoversRole>>,
    /// No address of the name (CNAMEs followed) inside these prefixes.
    #[schemars(with = "Option<Values>")]
    none_in: Option<Spanned<Values>>,
    /// The name is not an alias.
    #[schemars(with = "Option<bool>")]
    not_cname: Option<Spanned<bool>>,
}

/// `covers_role: web` or `covers_role: { role: web, datacenter: ams }`.
enum RawCoversRole {
    Role(String),
    Detailed {
        role: Spanned<Scalar>,
        datacenter: Option<Spanned<Scalar>>,
    },
}

/// `covers_role` with an explicit datacenter.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CoversRoleMapping")]
struct RawCoversRoleMapping {
    /// The CMDB role.
    #[schemars(with = "Scalar")]
    role: Spanned<Scalar>,
    /// The datacenter, or `all` (default: the datacenter in the query name).
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    datacenter: Option<Spanned<Scalar>>,
}

impl JsonSchema for RawCoversRole {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CoversRole".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "type": "string" },
                generator.subschema_for::<RawCoversRoleMapping>()
            ]
        })
    }
}

impl<'de> Deserialize<'de> for RawCoversRole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CoversVisitor;
        impl<'de> Visitor<'de> for CoversVisitor {
            type Value = RawCoversRole;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a role name or a mapping with `role` and `datacenter`")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawCoversRole, E> {
                Ok(RawCoversRole::Role(value.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawCoversRole, A::Error> {
                let mapping =
                    RawCoversRoleMapping::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawCoversRole::Detailed {
                    role: mapping.role,
                    datacenter: mapping.datacenter,
                })
            }
        }
        deserializer.deserialize_any(CoversVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Raw -> Spec, with the static checks.

/// Variables bound so far, with their kinds.
type Scope = Vec<(String, Kind)>;

fn resolve(
    raw: RawAssertion,
    span: Span,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Spec> {
    let errors_before = diagnostics.len();
    let mut scope: Scope = Vec::new();
    let mut loops = Vec::new();
    if let Some(for_each) = raw.for_each {
        if for_each.value.0.is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    INVALID_VALUE,
                    Some(span_of(&for_each, file)),
                    "`for_each` is empty",
                )
                .with_hint("bind at least one variable, e.g. `for_each: { dc: datacenters }`"),
            );
        }
        for (variable, source) in for_each.value.0 {
            let variable_span = span_of(&variable, file);
            let name = variable.value.trim().to_owned();
            if !is_identifier(&name) {
                diagnostics.push(
                    Diagnostic::error(
                        INVALID_VALUE,
                        Some(variable_span),
                        format!("`{name}` is not a valid variable name"),
                    )
                    .with_hint("use lower-case letters, digits and `_`, starting with a letter"),
                );
                continue;
            }
            if scope.iter().any(|(bound, _)| *bound == name) {
                diagnostics.push(Diagnostic::error(
                    INVALID_VALUE,
                    Some(variable_span),
                    format!("variable `{name}` is bound twice"),
                ));
                continue;
            }
            let Some(source) = resolve_source(source, file, &scope, diagnostics) else {
                continue;
            };
            scope.push((name.clone(), source.collection.kind()));
            loops.push(Loop {
                variable: name,
                span: variable_span,
                source,
            });
        }
    }

    let mut template = |value: Spanned<Scalar>| -> Option<Template> {
        let span = located(&value, file, span);
        match parse_template(&value.value.0, span, &scope) {
            Ok(template) => Some(template),
            Err(diagnostic) => {
                diagnostics.push(*diagnostic);
                None
            }
        }
    };
    let it = template(raw.it);
    let query = template(raw.query);
    let record_type = raw.record_type.map(&mut template);
    let expect_span = span_of(&raw.expect, file);
    let expect = match raw.expect.value {
        RawExpect::Keyword(keyword) => match keyword.trim().to_ascii_lowercase().as_str() {
            "nxdomain" => Some(ExpectSpec::NxDomain),
            "nodata" => Some(ExpectSpec::NoData),
            "refused" => Some(ExpectSpec::Refused),
            other => {
                let mut diagnostic = Diagnostic::error(
                    INVALID_VALUE,
                    Some(expect_span),
                    format!("unknown expectation `{other}`"),
                );
                if let Some(close) = suggest(other, ["nxdomain", "nodata", "refused"]) {
                    diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
                }
                diagnostics.push(diagnostic.with_hint(
                    "expected `nxdomain`, `nodata`, `refused` or a mapping of matchers such as `{ address: 192.0.2.1 }`",
                ));
                None
            }
        },
        RawExpect::Matchers(raw) => Some(ExpectSpec::Records(Box::new(resolve_matchers(
            *raw,
            file,
            expect_span,
            &mut template,
        )))),
    };
    if diagnostics.len() > errors_before {
        return None;
    }
    Some(Spec {
        span,
        it: it?,
        for_each: loops,
        query: query?,
        record_type: record_type.flatten(),
        expect: expect?,
    })
}

fn resolve_matchers(
    raw: RawMatchers,
    file: FileId,
    fallback: Span,
    template: &mut dyn FnMut(Spanned<Scalar>) -> Option<Template>,
) -> Matchers {
    let mut matchers = Matchers::default();
    let mut spans = Vec::new();
    let mut list = |key: &'static str,
                    value: Option<Spanned<Values>>,
                    spans: &mut Vec<(&'static str, Span)>|
     -> Vec<Template> {
        let Some(value) = value else {
            return Vec::new();
        };
        let key_span = span_of(&value, file);
        spans.push((key, key_span));
        value
            .value
            .0
            .into_iter()
            .filter_map(|item| {
                let item = if item.referenced == serde_saphyr::Location::UNKNOWN {
                    let location = value.referenced;
                    Spanned::new(item.value, location, location)
                } else {
                    item
                };
                template(item)
            })
            .collect()
    };
    matchers.address = list("address", raw.address, &mut spans);
    matchers.target = list("target", raw.target, &mut spans);
    matchers.port = list("port", raw.port, &mut spans);
    matchers.priority = list("priority", raw.priority, &mut spans);
    matchers.weight = list("weight", raw.weight, &mut spans);
    matchers.exchange = list("exchange", raw.exchange, &mut spans);
    matchers.preference = list("preference", raw.preference, &mut spans);
    matchers.data = list("data", raw.data, &mut spans);
    matchers.ttl = list("ttl", raw.ttl, &mut spans);
    matchers.resolves_to = list("resolves_to", raw.resolves_to, &mut spans);
    matchers.none_in = list("none_in", raw.none_in, &mut spans);
    let mut single = |key: &'static str,
                      value: Option<Spanned<Scalar>>,
                      spans: &mut Vec<(&'static str, Span)>| {
        let value = value?;
        spans.push((key, span_of(&value, file)));
        template(value)
    };
    matchers.at_least = single("at_least", raw.at_least, &mut spans);
    matchers.at_most = single("at_most", raw.at_most, &mut spans);
    matchers.exactly = single("exactly", raw.exactly, &mut spans);
    if let Some(covers) = raw.covers_role {
        let covers_span = span_of(&covers, file);
        spans.push(("covers_role", covers_span));
        matchers.covers_role = match covers.value {
            RawCoversRole::Role(role) => template(Spanned::new(
                Scalar(role),
                covers.referenced,
                covers.defined,
            ))
            .map(|role| CoversRoleSpec {
                role,
                datacenter: None,
            }),
            RawCoversRole::Detailed { role, datacenter } => {
                let role = template(role);
                let datacenter = datacenter.map(&mut *template);
                role.map(|role| CoversRoleSpec {
                    role,
                    datacenter: datacenter.flatten(),
                })
            }
        };
    }
    let mut flag = |key: &'static str, value: Option<Spanned<bool>>| {
        value.is_some_and(|value| {
            spans.push((key, span_of(&value, file)));
            value.value
        })
    };
    matchers.only = flag("only", raw.only);
    matchers.in_authority = flag("in_authority", raw.in_authority);
    matchers.in_additional = flag("in_additional", raw.in_additional);
    matchers.targets_resolve = flag("targets_resolve", raw.targets_resolve);
    matchers.not_cname = flag("not_cname", raw.not_cname);
    if spans.is_empty() {
        spans.push(("expect", fallback));
    }
    matchers.spans = spans;
    matchers
}

fn resolve_source(
    raw: RawSource,
    file: FileId,
    scope: &Scope,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Source> {
    let (name, filters, sample) = match raw {
        RawSource::List(values) => {
            if values.value.is_empty() {
                diagnostics.push(Diagnostic::error(
                    INVALID_VALUE,
                    Some(span_of(&values, file)),
                    "the list is empty; the assertion would never run",
                ));
                return None;
            }
            return Some(Source {
                collection: Collection::Values(values.value),
                filters: Vec::new(),
                sample: None,
            });
        }
        RawSource::Name(name) => (name, None, None),
        RawSource::Detailed(mapping) => {
            let mapping = mapping.value;
            (mapping.from, mapping.filters, mapping.sample)
        }
    };
    let span = span_of(&name, file);
    let collection = collection(name.value.trim(), span, scope).map_err(|diagnostic| {
        diagnostics.push(*diagnostic);
    });
    let collection = collection.ok()?;
    let kind = collection.kind();
    let mut resolved_filters = Vec::new();
    for (field, values) in filters.map(|filters| filters.0).unwrap_or_default() {
        let field_span = span_of(&field, file);
        let field_name = field.value.trim().to_owned();
        if !kind.fields().contains(&field_name.as_str()) {
            diagnostics.push(unknown_field(kind, &field_name, field_span));
            continue;
        }
        let mut templates = Vec::new();
        for value in values.0 {
            let value_span = located(&value, file, field_span);
            match parse_template(&value.value.0, value_span, scope) {
                Ok(template) => templates.push(template),
                Err(diagnostic) => diagnostics.push(*diagnostic),
            }
        }
        resolved_filters.push(Filter {
            field: field_name,
            values: templates,
            span: field_span,
        });
    }
    let sample = match sample {
        Some(sample) if sample.value == 0 => {
            diagnostics.push(Diagnostic::error(
                INVALID_VALUE,
                Some(span_of(&sample, file)),
                "`sample: 0` selects nothing",
            ));
            return None;
        }
        Some(sample) => Some(sample.value),
        None => None,
    };
    Some(Source {
        collection,
        filters: resolved_filters,
        sample,
    })
}

/// Parses a collection name: `datacenters`, `services`, `hosts` or `<variable>.<collection>`.
fn collection(text: &str, span: Span, scope: &Scope) -> Result<Collection, Box<Diagnostic>> {
    const TOP: [&str; 4] = ["datacenters", "services", "hosts", "records"];
    match text {
        "datacenters" => return Ok(Collection::Datacenters),
        "services" => return Ok(Collection::Services),
        "hosts" => return Ok(Collection::Hosts),
        "records" => return Ok(Collection::Records),
        _ => {}
    }
    let Some((variable, member)) = text.split_once('.') else {
        let mut diagnostic = Diagnostic::error(
            INVALID_VALUE,
            Some(span),
            format!("unknown collection `{text}`"),
        );
        if let Some(close) = suggest(text, TOP) {
            diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
        }
        return Err(Box::new(diagnostic.with_hint(
            "expected `datacenters`, `services`, `hosts`, `records`, a list of values, or `<variable>.datacenters`, `<variable>.hosts`, `<variable>.addresses` of an earlier variable",
        )));
    };
    let Some((_, kind)) = scope.iter().find(|(bound, _)| bound == variable) else {
        return Err(Box::new(unknown_variable(variable, span, scope)));
    };
    let variable = variable.to_owned();
    let (collection, allowed): (Option<Collection>, &[&str]) = match kind {
        Kind::Service => (
            match member {
                "datacenters" => Some(Collection::ServiceDatacenters(variable.clone())),
                "hosts" => Some(Collection::ServiceHosts(variable.clone())),
                _ => None,
            },
            &["datacenters", "hosts"],
        ),
        Kind::Datacenter => (
            (member == "hosts").then(|| Collection::DatacenterHosts(variable.clone())),
            &["hosts"],
        ),
        Kind::Host => (
            (member == "addresses").then(|| Collection::HostAddresses(variable.clone())),
            &["addresses"],
        ),
        Kind::Address | Kind::Record | Kind::Value => (None, &[]),
    };
    collection.ok_or_else(|| {
        Box::new(
            Diagnostic::error(
                INVALID_VALUE,
                Some(span),
                format!("a {} has no collection `{member}`", kind.noun()),
            )
            .with_hint(if allowed.is_empty() {
                format!("`{variable}` is a {}; it has no collections", kind.noun())
            } else {
                format!(
                    "`{variable}` is a {}; it has: {}",
                    kind.noun(),
                    allowed.join(", ")
                )
            }),
        )
    })
}

/// Parses `{{ variable }}` and `{{ variable.field }}` parts, checking each against `scope`.
fn parse_template(text: &str, span: Span, scope: &Scope) -> Result<Template, Box<Diagnostic>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(Box::new(
                Diagnostic::error(TEMPLATE, Some(span), format!("unclosed `{{{{` in `{text}`"))
                    .with_hint("write `{{ variable }}` or `{{ variable.field }}`"),
            ));
        };
        let expression = after[..end].trim();
        let (name, field) = match expression.split_once('.') {
            Some((name, field)) => (name.trim(), Some(field.trim())),
            None => (expression, None),
        };
        if !is_identifier(name) || field.is_some_and(|field| !is_identifier(field)) {
            return Err(Box::new(
                Diagnostic::error(
                    TEMPLATE,
                    Some(span),
                    format!("`{{{{ {expression} }}}}` is not a variable reference"),
                )
                .with_hint("templates support `{{ variable }}` and `{{ variable.field }}` only (no filters or expressions)"),
            ));
        }
        let Some((_, kind)) = scope.iter().find(|(bound, _)| bound == name) else {
            return Err(Box::new(unknown_variable(name, span, scope)));
        };
        if let Some(field) = field
            && !kind.fields().contains(&field)
        {
            return Err(Box::new(unknown_field(*kind, field, span)));
        }
        parts.push(Part::Variable {
            name: name.to_owned(),
            field: field.map(str::to_owned),
        });
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_owned()));
    }
    Ok(Template { parts, span })
}

fn unknown_variable(name: &str, span: Span, scope: &Scope) -> Diagnostic {
    let mut diagnostic =
        Diagnostic::error(TEMPLATE, Some(span), format!("unknown variable `{name}`"));
    if let Some(close) = suggest(name, scope.iter().map(|(bound, _)| bound.as_str())) {
        diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
    }
    if scope.is_empty() {
        diagnostic.with_hint("bind variables with `for_each`, e.g. `for_each: { dc: datacenters }`")
    } else {
        diagnostic.with_hint(format!(
            "variables bound here: {}",
            scope
                .iter()
                .map(|(bound, _)| bound.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

fn unknown_field(kind: Kind, field: &str, span: Span) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        TEMPLATE,
        Some(span),
        format!("a {} has no field `{field}`", kind.noun()),
    );
    if let Some(close) = suggest(field, kind.fields().iter().copied()) {
        diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
    }
    diagnostic.with_hint(format!(
        "{} fields: {}",
        kind.noun(),
        kind.fields().join(", ")
    ))
}

fn is_identifier(text: &str) -> bool {
    let mut characters = text.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && characters.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The span of a value, or `fallback` when the parser could not locate it.
fn located<T>(value: &Spanned<T>, file: FileId, fallback: Span) -> Span {
    if value.referenced == serde_saphyr::Location::UNKNOWN {
        fallback
    } else {
        span_of(value, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` as `assertions/sample.yaml`: the specs' debug form, or the diagnostics.
    fn check(text: &str) -> String {
        let mut sources = SourceMap::default();
        let file = sources.add("assertions/sample.yaml");
        let mut specs = Vec::new();
        let mut diagnostics = Vec::new();
        parse(text.as_bytes(), file, &mut specs, &mut diagnostics);
        if diagnostics.is_empty() {
            return specs
                .iter()
                .map(|spec| {
                    format!(
                        "{}:{} it={:?} query={:?} type={:?} loops={:?} expect={}",
                        spec.span.line,
                        spec.span.column,
                        show(&spec.it),
                        show(&spec.query),
                        spec.record_type.as_ref().map(show),
                        spec.for_each
                            .iter()
                            .map(|each| format!(
                                "{}@{}:{}<-{:?}",
                                each.variable,
                                each.span.line,
                                each.span.column,
                                each.source.collection
                            ))
                            .collect::<Vec<_>>(),
                        match &spec.expect {
                            ExpectSpec::Records(matchers) => format!(
                                "{:?}",
                                matchers
                                    .spans
                                    .iter()
                                    .map(|(key, span)| format!(
                                        "{key}@{}:{}",
                                        span.line, span.column
                                    ))
                                    .collect::<Vec<_>>()
                            ),
                            other => format!("{other:?}"),
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        diagnostics
            .iter()
            .map(|d| d.display(&sources).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn show(template: &Template) -> String {
        template
            .parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Variable { name, field: None } => format!("<{name}>"),
                Part::Variable {
                    name,
                    field: Some(field),
                } => format!("<{name}.{field}>"),
            })
            .collect()
    }

    #[test]
    fn a_full_assertion_keeps_spans_and_templates() {
        insta::assert_snapshot!(check(
            "- it: web in {{ dc }}
  for_each: { dc: datacenters }
  query: _web._tcp.{{ dc }}.example.com.
  type: SRV
  expect:
    at_least: 2
    port: [443, \"{{ dc }}\"]
    covers_role: web
- it: gone
  query: old1.ams.example.com.
  expect: nxdomain
"
        ), @r#"
        1:3 it="web in <dc>" query="_web._tcp.<dc>.example.com." type=Some("SRV") loops=["dc@2:15<-Datacenters"] expect=["port@7:11", "at_least@6:15", "covers_role@8:18"]
        9:3 it="gone" query="old1.ams.example.com." type=None loops=[] expect=NxDomain
        "#);
    }

    #[test]
    fn every_error_is_located_with_a_hint() {
        insta::assert_snapshot!(check("- it: x\n  qurey: www.example.com.\n  expect: nxdomain\n"), @"
        assertions/sample.yaml:2:3: error[unknown-key]: unknown key `qurey`
          hint: did you mean `query`?
          hint: expected one of: it, for_each, query, type, expect
        ");
        insta::assert_snapshot!(check("- it: x\n  query: www.example.com.\n  expect: { adress: 192.0.2.1 }\n"), @"
        assertions/sample.yaml:3:13: error[unknown-key]: unknown key `adress`
          hint: did you mean `address`?
          hint: expected one of: address, target, port, priority, weight, exchange, preference, data, ttl, at_least, at_most, exactly, only, in_authority, in_additional, resolves_to, targets_resolve, covers_role, none_in, not_cname
        ");
        insta::assert_snapshot!(check("- it: x\n  query: www.example.com.\n  expect: nxdomian\n"), @"
        assertions/sample.yaml:3:11: error[invalid-value]: unknown expectation `nxdomian`
          hint: did you mean `nxdomain`?
          hint: expected `nxdomain`, `nodata`, `refused` or a mapping of matchers such as `{ address: 192.0.2.1 }`
        ");
        insta::assert_snapshot!(check("- it: x\n  for_each: { dc: datacenters }\n  query: www.{{ dcc }}.example.com.\n  expect: nodata\n"), @"
        assertions/sample.yaml:3:10: error[assertion-template]: unknown variable `dcc`
          hint: did you mean `dc`?
          hint: variables bound here: dc
        ");
        insta::assert_snapshot!(check("- it: x\n  for_each: { h: hosts }\n  query: \"{{ h.adress }}\"\n  expect: nodata\n"), @"
        assertions/sample.yaml:3:10: error[assertion-template]: a host has no field `adress`
          hint: host fields: name, hostname, datacenter, status, role, ipv4, ipv6
        ");
        insta::assert_snapshot!(check("- it: x\n  for_each: { dc: datacentres }\n  query: x.example.com.\n  expect: nodata\n"), @"
        assertions/sample.yaml:2:19: error[invalid-value]: unknown collection `datacentres`
          hint: did you mean `datacenters`?
          hint: expected `datacenters`, `services`, `hosts`, `records`, a list of values, or `<variable>.datacenters`, `<variable>.hosts`, `<variable>.addresses` of an earlier variable
        ");
        insta::assert_snapshot!(check("- it: x\n  for_each: { dc: datacenters, h: dc.addresses }\n  query: x.example.com.\n  expect: nodata\n"), @"
        assertions/sample.yaml:2:35: error[invalid-value]: a datacenter has no collection `addresses`
          hint: `dc` is a datacenter; it has: hosts
        ");
        insta::assert_snapshot!(check("- it: x\n  query: \"{{ dc | upper }}\"\n  expect: nodata\n"), @"
        assertions/sample.yaml:2:10: error[assertion-template]: `{{ dc | upper }}` is not a variable reference
          hint: templates support `{{ variable }}` and `{{ variable.field }}` only (no filters or expressions)
        ");
        insta::assert_snapshot!(check("- it: x\n  query: \"{{ dc\"\n  expect: nodata\n"), @"
        assertions/sample.yaml:2:10: error[assertion-template]: unclosed `{{` in `{{ dc`
          hint: write `{{ variable }}` or `{{ variable.field }}`
        ");
        insta::assert_snapshot!(check("- it: x\n  for_each:\n    h: { from: hosts, where: { stauts: in_use }, sample: 3 }\n  query: \"{{ h }}\"\n  expect: nodata\n"), @"
        assertions/sample.yaml:3:32: error[assertion-template]: a host has no field `stauts`
          hint: did you mean `status`?
          hint: host fields: name, hostname, datacenter, status, role, ipv4, ipv6
        ");
        insta::assert_snapshot!(check("- it: x\n  for_each:\n    h: { from: hosts, sampel: 3 }\n  query: \"{{ h }}\"\n  expect: nodata\n"), @"
        assertions/sample.yaml:3:23: error[unknown-key]: unknown key `sampel`
          hint: did you mean `sample`?
          hint: expected one of: from, where, sample
        ");
        insta::assert_snapshot!(check("- it: x\n  query: www.example.com.\n  expect: { only: maybe }\n"), @"assertions/sample.yaml:3:19: error[invalid-value]: invalid boolean");
        insta::assert_snapshot!(check("it: x\nquery: www.example.com.\n"), @"
        assertions/sample.yaml:1:1: error[invalid-value]: expected sequence start
          hint: an assertion file is a YAML list; each item is a mapping with `it`, `query`, `type` (default A) and `expect`
        ");
        insta::assert_snapshot!(check("- it: x\n  query: www.example.com.\n"), @"
        assertions/sample.yaml:2:3: error[missing-key]: missing required key `expect`
          hint: an assertion file is a YAML list; each item is a mapping with `it`, `query`, `type` (default A) and `expect`
        ");
        insta::assert_snapshot!(check("- it: x\n  query: www.example.com.\n  expect: { covers_role: { role: web, dc: ams } }\n"), @"
        assertions/sample.yaml:3:39: error[unknown-key]: unknown key `dc`
          hint: expected one of: role, datacenter
        ");
    }

    #[test]
    fn each_item_is_checked_even_when_the_file_does_not_parse() {
        insta::assert_snapshot!(check(
            "- it: a\n  qurey: x.example.com.\n  expect: nxdomain\n# a comment\n- it: b\n  query: x.example.com.\n  expect: nxdomian\n- it: c\n  query: y.example.com.\n  expect: { at_leats: 1 }\n"
        ), @"
        assertions/sample.yaml:2:3: error[unknown-key]: unknown key `qurey`
          hint: did you mean `query`?
          hint: expected one of: it, for_each, query, type, expect
        assertions/sample.yaml:10:13: error[unknown-key]: unknown key `at_leats`
          hint: did you mean `at_least`?
          hint: expected one of: address, target, port, priority, weight, exchange, preference, data, ttl, at_least, at_most, exactly, only, in_authority, in_additional, resolves_to, targets_resolve, covers_role, none_in, not_cname
        assertions/sample.yaml:7:11: error[invalid-value]: unknown expectation `nxdomian`
          hint: did you mean `nxdomain`?
          hint: expected `nxdomain`, `nodata`, `refused` or a mapping of matchers such as `{ address: 192.0.2.1 }`
        ");
        // An alias from one item to another cannot be parsed item by item: one error.
        insta::assert_snapshot!(check(
            "- &base { it: a, query: x.example.com., expect: nxdomain }\n- <<: *base\n  qurey: y.example.com.\n"
        ), @"
        assertions/sample.yaml:3:3: error[unknown-key]: unknown key `qurey`
          hint: did you mean `query`?
          hint: expected one of: it, for_each, query, type, expect
        ");
    }
}
