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

use serde_saphyr::Spanned;

use crate::diagnostic::{Diagnostic, FileId, SourceMap, Span};
use crate::inventory::files::{Files, YamlEntry};
use crate::inventory::yaml::{self, span_of};
use crate::rules::input::{MISSING_KEY, UNKNOWN_KEY};

mod raw;
mod resolve;
mod template;

use raw::RawAssertion;
pub(crate) use raw::schema;
use resolve::resolve;
pub use template::{Part, Template};

/// Where assertion files live, relative to the repository root.
pub const DIRECTORY: &str = "assertions";

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
    let shape = diagnostic.rule != UNKNOWN_KEY
        && (diagnostic.message.contains("sequence") || diagnostic.rule == MISSING_KEY);
    if shape {
        diagnostic.with_hint(
            "an assertion file is a YAML list; each item is a mapping with `it`, `query`, `type` (default A) and `expect`",
        )
    } else {
        diagnostic
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
