//! Raw assertion shapes -> [`Spec`]s, with the checks that need no inventory: variable names,
//! collections, `where` fields, `sample`, expectation keywords and every template.

use serde_saphyr::Spanned;

use super::raw::{RawAssertion, RawCoversRole, RawExpect, RawMatchers, RawSource, Scalar, Values};
use super::template::{Scope, is_identifier, parse_template, unknown_field, unknown_variable};
use super::{
    Collection, CoversRoleSpec, ExpectSpec, Filter, Kind, Loop, Matchers, Source, Spec, Template,
};
use crate::diagnostic::suggest;
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::inventory::yaml::span_of;
use crate::rules::input::INVALID_VALUE;

pub(super) fn resolve(
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
/// The span of a value, or `fallback` when the parser could not locate it.
fn located<T>(value: &Spanned<T>, file: FileId, fallback: Span) -> Span {
    if value.referenced == serde_saphyr::Location::UNKNOWN {
        fallback
    } else {
        span_of(value, file)
    }
}
