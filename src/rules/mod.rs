//! The rule registry: every code a [`Diagnostic`](crate::diagnostic::Diagnostic) can carry,
//! declared once with its documentation, as ruff declares its `Rule`s.
//!
//! A diagnostic's code is a `&'static` [`Rule`], and a `Rule` can only be made here: its fields
//! are private to this module, and the one way to write one is `declare_rules!` in a file of
//! this directory, which also puts it in that file's list. [`RULES`] is the concatenation of those
//! lists (a list left out of it is dead code, which the build refuses), so every code zonegate
//! emits is in the registry by construction: `zonegate explain`, the SARIF driver and
//! `check.rules` all see it. A code typed as a string cannot reach a diagnostic at all.
//!
//! One file per stage that reports: `input.rs` (malformed input: YAML, CMDB, unreadable files),
//! `build.rs` (found while `model` builds the records), `check.rs` (the rules `check` runs, one
//! file each there), `render.rs` (a rendered zone read back), `deploy.rs`, `assertions.rs` (a template that cannot be filled in, a failed
//! assertion) and `merge.rs` (the bot's CODEOWNERS). [`RULES`] keeps that order. Each rule's documentation is its doc comment in fixed
//! sections (What it does / Why it matters / Example / How to fix), also its run-time
//! explanation ([`Rule::explain`]).
//!
//! This module sits below every stage (it imports nothing of zonegate but `diagnostic`), does no
//! IO and reads no clock.

use std::fmt;

use crate::diagnostic::Severity;

/// Declares the rules of one stage's file, each a `pub const NAME: &Rule` whose doc comment is
/// also its run-time explanation, and `ALL`, the file's rules in declaration order.
///
/// The doc comment lines become both rustdoc and the explanation, so `zonegate explain`, the
/// SARIF `help` text and the API docs cannot drift apart.
macro_rules! declare_rules {
    ($(
        $(#[doc = $doc:literal])*
        pub const $name:ident = {
            id: $id:literal,
            severity: $severity:ident,
            stage: $stage:ident,
            summary: $summary:literal $(,)?
        };
    )+) => {
        $(
            $(#[doc = $doc])*
            pub const $name: &$crate::rules::Rule = &$crate::rules::Rule {
                id: $id,
                default_severity: $crate::diagnostic::Severity::$severity,
                stage: $crate::rules::Stage::$stage,
                summary: $summary,
                explanation: concat!($($doc, "\n"),*),
            };
        )+

        /// This file's rules, in declaration order (see [`RULES`](super::RULES)).
        pub(super) const ALL: &[&$crate::rules::Rule] = &[$($name),+];
    };
}

pub mod assertions;
pub mod build;
pub mod check;
pub mod deploy;
pub mod input;
pub mod merge;
pub mod render;

/// Every rule zonegate can emit: the input codes first, then the build codes, the check rules
/// in alphabetical order, the render and deploy codes, the assertion and bot codes.
pub static RULES: &[&Rule] = &REGISTRY;

/// The files' lists, in [`RULES`] order.
const FILES: &[&[&Rule]] = &[
    input::ALL,
    build::ALL,
    check::ALL,
    render::ALL,
    deploy::ALL,
    assertions::ALL,
    merge::ALL,
];

static REGISTRY: [&Rule; count(FILES)] = concatenate(FILES);

const fn count(files: &[&[&Rule]]) -> usize {
    let mut total = 0;
    let mut file = 0;
    while file < files.len() {
        total += files[file].len();
        file += 1;
    }
    total
}

const fn concatenate<const N: usize>(files: &[&[&'static Rule]]) -> [&'static Rule; N] {
    let mut all = [input::YAML_SYNTAX; N];
    let mut next = 0;
    let mut file = 0;
    while file < files.len() {
        let mut rule = 0;
        while rule < files[file].len() {
            all[next] = files[file][rule];
            next += 1;
            rule += 1;
        }
        file += 1;
    }
    assert!(next == N, "the registry's length is the sum of its files'");
    all
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| rule.id == id)
}

/// A rule: a stable id, its default severity and its documentation. Only `declare_rules!` in
/// this directory makes one, so every `&'static Rule` is in [`RULES`].
pub struct Rule {
    id: &'static str,
    default_severity: Severity,
    stage: Stage,
    summary: &'static str,
    explanation: &'static str,
}

impl Rule {
    /// Stable kebab-case id, named after the problem (`cname-and-other-data`).
    pub const fn id(&self) -> &'static str {
        self.id
    }

    /// Severity unless `check.rules` in `zonegate.yaml` says otherwise.
    pub const fn default_severity(&self) -> Severity {
        self.default_severity
    }

    /// Which stage reports it.
    pub const fn stage(&self) -> Stage {
        self.stage
    }

    /// One line: what is wrong when the rule fires (lower-case, no trailing period).
    pub const fn summary(&self) -> &'static str {
        self.summary
    }

    /// The explanation as Markdown, ready to print (`zonegate explain RULE`): the doc comment's
    /// sections without the one-space indent the doc comment wrote them with.
    pub fn explain(&self) -> String {
        doc_text(self.explanation)
    }

    /// True when `check.rules` may change the severity: only the findings about the built
    /// zones. Malformed input always stops the run, a rendered zone that does not hold its
    /// records is never written, deploy findings have their own policy (`deploy.stale_serial`),
    /// and a failed assertion or a CODEOWNERS problem is not a check.
    pub const fn is_configurable(&self) -> bool {
        matches!(self.stage, Stage::Build | Stage::Check)
    }
}

/// Rules are equal when their ids are: an id names one declaration.
impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Rule {}

impl PartialOrd for Rule {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Rules order by id, so findings sort by code as they did when the code was a string.
impl Ord for Rule {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(other.id)
    }
}

impl std::hash::Hash for Rule {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

/// The id alone: the documentation would drown every `Debug` of a diagnostic.
impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rule({:?})", self.id)
    }
}

/// The id, as every output format writes the code.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

/// Where a rule is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// `inventory` and `assertions::spec`: the input cannot be read at all (exit 2, severity
    /// fixed).
    Input,
    /// `model`: found while generating records.
    Build,
    /// `check`: a rule run over the built zones.
    Check,
    /// `render`: found reading a rendered zone back (render, check, deploy, the bot).
    Render,
    /// `deploy::plan`: found while planning a deploy against the served zones.
    Deploy,
    /// `assertions`: an assertion that does not hold (`zonegate test`, the bot, deploy).
    Test,
    /// `merge`: found by the merge bot in what it reads from the base branch.
    Merge,
}

/// A doc comment as Markdown: every line without the one-space indent `///` leaves (the
/// documentation of rules and of change classes).
pub fn doc_text(doc: &str) -> String {
    let mut text = String::with_capacity(doc.len());
    for line in doc.lines() {
        text.push_str(line.strip_prefix(' ').unwrap_or(line));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_id_is_unique_kebab_case_and_documented_in_fixed_sections() {
        let mut seen = std::collections::HashSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id), "{} declared twice", rule.id);
            assert!(
                rule.id
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte == b'-'),
                "{} is not kebab-case",
                rule.id
            );
            // Lower-case, no trailing period; a leading acronym (CNAME, SRV) keeps its case.
            let first_word = rule.summary.split(' ').next().unwrap_or_default();
            assert!(
                !rule.summary.ends_with('.')
                    && (first_word.starts_with(char::is_lowercase)
                        || first_word.chars().all(|c| c.is_ascii_uppercase())),
                "{}: summary style",
                rule.id
            );
            let text = rule.explain();
            assert!(text.starts_with("## What it does\n"), "{}: {text}", rule.id);
            let mut position = 0;
            for section in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## How to fix",
            ] {
                let found = text[position..]
                    .find(section)
                    .unwrap_or_else(|| panic!("{}: `{section}` missing or out of order", rule.id));
                position += found + section.len();
            }
        }
    }

    #[test]
    fn the_registry_is_every_file_in_order_and_finds_rules_by_id() {
        let ids: Vec<&str> = RULES.iter().map(|rule| rule.id).collect();
        let from_files: Vec<&str> = FILES
            .iter()
            .flat_map(|file| file.iter().map(|rule| rule.id))
            .collect();
        assert_eq!(ids, from_files);
        assert_eq!(rule("cname-loop"), Some(check::CNAME_LOOP));
        assert_eq!(rule("assertion-failed"), Some(assertions::ASSERTION_FAILED));
        assert_eq!(rule("no-such-rule"), None);
    }
}
