//! Templates: `{{ variable }}` and `{{ variable.field }}` parts between literal text, parsed
//! once and checked against the `for_each` variables in scope.

use std::fmt;

use super::Kind;
use crate::diagnostic::suggest;
use crate::diagnostic::{Diagnostic, Span};
use crate::rules::assertions::ASSERTION_TEMPLATE;

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

/// Variables bound so far, with their kinds.
pub(super) type Scope = Vec<(String, Kind)>;

/// Parses `{{ variable }}` and `{{ variable.field }}` parts, checking each against `scope`.
pub(super) fn parse_template(
    text: &str,
    span: Span,
    scope: &Scope,
) -> Result<Template, Box<Diagnostic>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(Box::new(
                Diagnostic::error(
                    ASSERTION_TEMPLATE,
                    Some(span),
                    format!("unclosed `{{{{` in `{text}`"),
                )
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
                    ASSERTION_TEMPLATE,
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

pub(super) fn unknown_variable(name: &str, span: Span, scope: &Scope) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        ASSERTION_TEMPLATE,
        Some(span),
        format!("unknown variable `{name}`"),
    );
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

pub(super) fn unknown_field(kind: Kind, field: &str, span: Span) -> Diagnostic {
    let mut diagnostic = Diagnostic::error(
        ASSERTION_TEMPLATE,
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

pub(super) fn is_identifier(text: &str) -> bool {
    let mut characters = text.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && characters.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
