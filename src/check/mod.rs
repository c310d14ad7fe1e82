//! Placeholder until the check branch lands.
#![allow(missing_docs, unreachable_pub)]
use crate::diagnostic::{Diagnostic, Severity};
use crate::inventory::Settings;
use crate::model::zone::ZoneSet;
pub struct Rule {
    pub id: &'static str,
    pub default_severity: Severity,
}
pub static RULES: &[Rule] = &[];
pub fn run(_zones: &ZoneSet, _settings: &Settings) -> Vec<Diagnostic> {
    Vec::new()
}
pub fn apply_severities(diagnostics: Vec<Diagnostic>, _settings: &Settings) -> Vec<Diagnostic> {
    diagnostics
}
