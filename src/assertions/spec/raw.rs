//! The raw YAML shapes of an assertion file, as serde reads them (spans kept, unknown keys
//! denied), with the hand-written deserializers and their JSON Schemas. [`super::resolve`]
//! turns them into [`super::Spec`]s.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use crate::inventory::yaml;

/// One assertion: a query and what its answer must be. Values may use `{{ variable }}` and
/// `{{ variable.field }}` of the `for_each` variables.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Assertion")]
pub(super) struct RawAssertion {
    /// What the assertion checks, in words (shown when it fails).
    #[schemars(with = "Scalar")]
    pub(super) it: Spanned<Scalar>,
    /// Variables, in order, each bound to a collection; the assertion runs once per
    /// combination: `{ dc: datacenters }`.
    #[serde(default)]
    #[schemars(with = "Option<RawForEach>")]
    pub(super) for_each: Option<Spanned<RawForEach>>,
    /// The name to ask for, absolute: `www.example.net.`.
    #[schemars(with = "Scalar")]
    pub(super) query: Spanned<Scalar>,
    /// The query type (default A).
    #[serde(rename = "type", default)]
    #[schemars(with = "Option<Scalar>")]
    pub(super) record_type: Option<Spanned<Scalar>>,
    /// `nxdomain`, `nodata`, `refused`, or a mapping of matchers.
    #[schemars(with = "RawExpect")]
    pub(super) expect: Spanned<RawExpect>,
}

/// The JSON Schema of an `assertions/*.yaml` file, generated from the types it is parsed into.
pub(crate) fn schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<Vec<RawAssertion>>()
}

/// Any YAML scalar, as text (numbers and booleans too, so `port: 443` and `port: "{{ s.port }}"`
/// are the same shape).
pub(super) struct Scalar(pub(super) String);

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
pub(super) struct Values(pub(super) Vec<Spanned<Scalar>>);

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
pub(super) struct RawForEach(pub(super) Vec<(Spanned<String>, RawSource)>);

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
pub(super) enum RawSource {
    Name(Spanned<String>),
    List(Spanned<Vec<String>>),
    Detailed(Box<Spanned<RawSourceMapping>>),
}

/// A filtered collection.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SourceMapping")]
pub(super) struct RawSourceMapping {
    /// The collection: `datacenters`, `services`, `hosts`, `records`, or `<variable>.hosts`, ...
    #[schemars(with = "String")]
    pub(super) from: Spanned<String>,
    /// Field -> accepted value or values: `{ status: in_use, role: web }`.
    #[serde(rename = "where", default)]
    pub(super) filters: Option<RawWhere>,
    /// At most this many items, evenly spaced through the collection.
    #[serde(default)]
    #[schemars(with = "Option<usize>")]
    pub(super) sample: Option<Spanned<usize>>,
}

/// `where`: field -> value or list of values, in the order written.
pub(super) struct RawWhere(pub(super) Vec<(Spanned<String>, Values)>);

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
pub(super) enum RawExpect {
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
pub(super) struct RawMatchers {
    /// A/AAAA: the address or addresses.
    #[schemars(with = "Option<Values>")]
    pub(super) address: Option<Spanned<Values>>,
    /// CNAME, NS, PTR, SRV target (and MX exchange).
    #[schemars(with = "Option<Values>")]
    pub(super) target: Option<Spanned<Values>>,
    /// SRV port.
    #[schemars(with = "Option<Values>")]
    pub(super) port: Option<Spanned<Values>>,
    /// SRV priority.
    #[schemars(with = "Option<Values>")]
    pub(super) priority: Option<Spanned<Values>>,
    /// SRV weight.
    #[schemars(with = "Option<Values>")]
    pub(super) weight: Option<Spanned<Values>>,
    /// MX exchange.
    #[schemars(with = "Option<Values>")]
    pub(super) exchange: Option<Spanned<Values>>,
    /// MX preference.
    #[schemars(with = "Option<Values>")]
    pub(super) preference: Option<Spanned<Values>>,
    /// TXT: the strings joined.
    #[schemars(with = "Option<Values>")]
    pub(super) data: Option<Spanned<Values>>,
    /// TTL (units allowed: 5m).
    #[schemars(with = "Option<Values>")]
    pub(super) ttl: Option<Spanned<Values>>,
    /// At least this many records match.
    #[schemars(with = "Option<Scalar>")]
    pub(super) at_least: Option<Spanned<Scalar>>,
    /// At most this many records match.
    #[schemars(with = "Option<Scalar>")]
    pub(super) at_most: Option<Spanned<Scalar>>,
    /// Exactly this many records match.
    #[schemars(with = "Option<Scalar>")]
    pub(super) exactly: Option<Spanned<Scalar>>,
    /// No record of the type beyond the ones the filters describe.
    #[schemars(with = "Option<bool>")]
    pub(super) only: Option<Spanned<bool>>,
    /// Match the authority section (checked with `--server` only).
    #[schemars(with = "Option<bool>")]
    pub(super) in_authority: Option<Spanned<bool>>,
    /// Match the additional section (checked with `--server` only).
    #[schemars(with = "Option<bool>")]
    pub(super) in_additional: Option<Spanned<bool>>,
    /// Addresses or names reached by following CNAMEs.
    #[schemars(with = "Option<Values>")]
    pub(super) resolves_to: Option<Spanned<Values>>,
    /// Every CNAME/SRV/MX/NS/PTR target has an A or AAAA record.
    #[schemars(with = "Option<bool>")]
    pub(super) targets_resolve: Option<Spanned<bool>>,
    /// The SRV targets are exactly the SRV-status hosts with this role (in the query's
    /// datacenter, or `{ role, datacenter }`).
    #[schemars(with = "Option<RawCoversRole>")]
    pub(super) covers_role: Option<Spanned<RawCoversRole>>,
    /// No address of the name (CNAMEs followed) inside these prefixes.
    #[schemars(with = "Option<Values>")]
    pub(super) none_in: Option<Spanned<Values>>,
    /// The name is not an alias.
    #[schemars(with = "Option<bool>")]
    pub(super) not_cname: Option<Spanned<bool>>,
}

/// `covers_role: web` or `covers_role: { role: web, datacenter: ams }`.
pub(super) enum RawCoversRole {
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
pub(super) struct RawCoversRoleMapping {
    /// The CMDB role.
    #[schemars(with = "Scalar")]
    pub(super) role: Spanned<Scalar>,
    /// The datacenter, or `all` (default: the datacenter in the query name).
    #[serde(default)]
    #[schemars(with = "Option<Scalar>")]
    pub(super) datacenter: Option<Spanned<Scalar>>,
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
