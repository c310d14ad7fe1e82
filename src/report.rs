//! Placeholder until the check branch lands.
#![allow(missing_docs, unreachable_pub)]
use crate::check::Rule;
use crate::diagnostic::{Diagnostic, SourceMap};
use std::io;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}
pub fn write(
    out: &mut dyn io::Write,
    _format: Format,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    _rules: &[Rule],
) -> io::Result<()> {
    for d in diagnostics {
        writeln!(out, "{}", d.display(sources))?;
    }
    Ok(())
}
