//! Located findings about the user's data.
//!
//! A [`Diagnostic`] is something wrong (or worth a warning) *in the inputs*: a bad YAML value, a
//! CNAME beside other data, a failed assertion. It always names its [`Rule`] (declared once in
//! [`crate::rules`], so every code it can carry is registered and explainable) and, when one
//! exists, the [`Span`] of the YAML or CSV text that produced it. Tool failures (a file that cannot
//! be read) are `Error`s of the module that failed, never diagnostics.
//!
//! Spans are compact (`FileId` + line + column) because every generated record carries one; the
//! [`SourceMap`] turns a `FileId` back into a path when a diagnostic is printed.
//!
//! [`suggest`] picks the "did you mean" candidate for a misspelt key, name or rule id, for every
//! stage's hints.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::rules::Rule;

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A position in an input file: 1-based line and column.
///
/// `line == 0` means "the whole file" (used when a problem has no better place).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// 1-based line, or 0 for the whole file.
    pub line: u32,
    /// 1-based column, or 0 when unknown.
    pub column: u32,
}

impl Span {
    /// A span at `line:column` of `file`.
    pub const fn new(file: FileId, line: u32, column: u32) -> Self {
        Self { file, line, column }
    }

    /// The span of byte `offset` in `bytes`, the content of `file`: 1-based line and column,
    /// the column counted in bytes (the text may not be valid UTF-8 there).
    pub fn at_offset(file: FileId, bytes: &[u8], offset: usize) -> Self {
        let before = &bytes[..offset.min(bytes.len())];
        let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
        let column = before
            .iter()
            .rev()
            .take_while(|&&byte| byte != b'\n')
            .count()
            + 1;
        Self::new(file, line as u32, column as u32)
    }

    /// A span covering a whole file.
    pub const fn file(file: FileId) -> Self {
        Self {
            file,
            line: 0,
            column: 0,
        }
    }
}

/// The table of input files, so spans stay four words wide.
///
/// Paths are stored as the user should see them: relative to the repository root. The formats
/// GitHub reads (annotations, SARIF) want them relative to the workspace, the git work tree's
/// top level, which differs when the zones repository is a subfolder of it: see
/// [`SourceMap::set_workspace_prefix`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    paths: Vec<PathBuf>,
    /// The repository root's path from the workspace's top (`dns` for `dns/zones/...`); empty
    /// when the repository is the top.
    workspace_prefix: PathBuf,
}

impl SourceMap {
    /// Records where the repository root is inside the workspace (the git work tree's top
    /// level), for [`SourceMap::workspace_path`].
    pub fn set_workspace_prefix(&mut self, prefix: impl Into<PathBuf>) {
        self.workspace_prefix = prefix.into();
    }

    /// The path of `file` from the workspace's top: where GitHub looks for it when placing an
    /// annotation or a code-scanning alert.
    ///
    /// # Panics
    /// As [`SourceMap::path`].
    pub fn workspace_path(&self, file: FileId) -> PathBuf {
        self.workspace_prefix.join(self.path(file))
    }

    /// Registers `path` (as it should be displayed) and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>) -> FileId {
        let path = path.into();
        if let Some(index) = self.paths.iter().position(|known| *known == path) {
            return FileId(index as u32);
        }
        self.paths.push(path);
        FileId((self.paths.len() - 1) as u32)
    }

    /// The display path of `file`.
    ///
    /// # Panics
    /// Panics when `file` was not produced by this map; that is a programming error.
    pub fn path(&self, file: FileId) -> &Path {
        &self.paths[file.0 as usize]
    }

    /// The same map with the file displayed as `from` displayed as `to` instead (`regen` shows
    /// the export it was given under the path it gets in the repository).
    #[must_use]
    pub fn renamed(&self, from: &Path, to: impl Into<PathBuf>) -> SourceMap {
        let to = to.into();
        SourceMap {
            paths: self
                .paths
                .iter()
                .map(|path| {
                    if path == from {
                        to.clone()
                    } else {
                        path.clone()
                    }
                })
                .collect(),
            workspace_prefix: self.workspace_prefix.clone(),
        }
    }

    /// Formats `span` as `path:line:column` (or `path` for a whole-file span).
    pub fn locate(&self, span: Span) -> Location<'_> {
        Location {
            path: self.path(span.file),
            line: span.line,
            column: span.column,
        }
    }
}

/// A span resolved to its path, ready to print as `path:line:column`.
#[derive(Clone, Copy, Debug)]
pub struct Location<'a> {
    /// Display path of the file.
    pub path: &'a Path,
    /// 1-based line, 0 for the whole file.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        Ok(())
    }
}

/// How serious a finding is. `Off` only appears in configuration, never on an emitted diagnostic.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The rule is disabled.
    Off,
    /// Reported, but does not fail the run.
    Warning,
    /// Fails the run (exit 1), and `render` refuses to write zones.
    Error,
}

impl Severity {
    /// The lower-case name used in output and configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Off => "off",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A located finding about the user's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The rule it reports; its id (`cname-and-other-data`) is the code every format prints.
    pub rule: &'static Rule,
    /// What is wrong, lower-case, no trailing period.
    pub message: String,
    /// Where the offending data was written, when known.
    pub span: Option<Span>,
    /// Follow-up lines printed as `hint: ...` (what was expected, what to do).
    pub hints: Vec<String>,
    /// Other places involved (e.g. the other half of a conflict), each with a note.
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// An error-severity diagnostic.
    pub fn error(rule: &'static Rule, span: Option<Span>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            rule,
            message: message.into(),
            span,
            hints: Vec::new(),
            related: Vec::new(),
        }
    }

    /// A warning-severity diagnostic.
    pub fn warning(rule: &'static Rule, span: Option<Span>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(rule, span, message)
        }
    }

    /// Adds a `hint:` line.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Adds a related location.
    #[must_use]
    pub fn with_related(mut self, span: Span, note: impl Into<String>) -> Self {
        self.related.push((span, note.into()));
        self
    }

    /// Formats the diagnostic in the one-line-per-finding human format:
    /// `path:line:col: severity[code]: message`, then indented `hint:` and `note:` lines.
    pub fn display<'a>(&'a self, sources: &'a SourceMap) -> DisplayDiagnostic<'a> {
        DisplayDiagnostic {
            diagnostic: self,
            sources,
            styled: false,
        }
    }
}

/// See [`Diagnostic::display`].
pub struct DisplayDiagnostic<'a> {
    diagnostic: &'a Diagnostic,
    sources: &'a SourceMap,
    styled: bool,
}

impl DisplayDiagnostic<'_> {
    /// With the labels styled for a terminal (ANSI: `error[ID]` bold red, `warning[ID]` bold
    /// yellow, `note:` bold green, `hint:` bold cyan), for the streams a person reads. The
    /// binary's stdout and stderr drop the styles unless colour is wanted there (a terminal,
    /// and neither `NO_COLOR` nor `CLICOLOR=0`; or `CLICOLOR_FORCE`).
    #[must_use]
    pub fn styled(mut self) -> Self {
        self.styled = true;
        self
    }

    fn style(&self, style: anstyle::Style) -> anstyle::Style {
        if self.styled {
            style
        } else {
            anstyle::Style::new()
        }
    }
}

/// The label styles of [`DisplayDiagnostic::styled`].
const ERROR_STYLE: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();
const WARNING_STYLE: anstyle::Style = anstyle::AnsiColor::Yellow.on_default().bold();
const NOTE_STYLE: anstyle::Style = anstyle::AnsiColor::Green.on_default().bold();
const HINT_STYLE: anstyle::Style = anstyle::AnsiColor::Cyan.on_default().bold();

impl fmt::Display for DisplayDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diagnostic;
        if let Some(span) = d.span {
            write!(f, "{}: ", self.sources.locate(span))?;
        }
        let label = self.style(match d.severity {
            Severity::Error => ERROR_STYLE,
            Severity::Warning | Severity::Off => WARNING_STYLE,
        });
        write!(
            f,
            "{label}{}[{}]{label:#}: {}",
            d.severity, d.rule, d.message
        )?;
        let note = self.style(NOTE_STYLE);
        for (span, text) in &d.related {
            write!(
                f,
                "\n  {note}note:{note:#} {}: {text}",
                self.sources.locate(*span)
            )?;
        }
        let hint = self.style(HINT_STYLE);
        for text in &d.hints {
            write!(f, "\n  {hint}hint:{hint:#} {text}")?;
        }
        Ok(())
    }
}

/// Sorts diagnostics for stable output: by file, line, column, then code and message.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| (a.span, a.rule, &a.message).cmp(&(b.span, b.rule, &b.message)));
}

/// True when any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// The closest candidate to `word` by edit distance, if close enough to be a likely typo.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance <= 2.max(candidate.len() / 4) && *distance < candidate.len()
        })
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_location_code_hints_and_notes() {
        let mut sources = SourceMap::default();
        let records = sources.add("zones/records/edge.yaml");
        let cmdb = sources.add("zones/cmdb/servers.csv");
        let diagnostic = Diagnostic::error(
            crate::rules::check::CNAME_AND_OTHER_DATA,
            Some(Span::new(records, 12, 7)),
            "www has CNAME and A records",
        )
        .with_related(Span::new(cmdb, 4, 1), "the A record comes from here")
        .with_hint("remove the A record or the CNAME");
        insta::assert_snapshot!(diagnostic.display(&sources).to_string(), @r"
        zones/records/edge.yaml:12:7: error[cname-and-other-data]: www has CNAME and A records
          note: zones/cmdb/servers.csv:4:1: the A record comes from here
          hint: remove the A record or the CNAME
        ");
    }

    #[test]
    fn whole_file_span_prints_only_the_path() {
        let mut sources = SourceMap::default();
        let file = sources.add("zones/zonegate.yaml");
        assert_eq!(
            sources.locate(Span::file(file)).to_string(),
            "zones/zonegate.yaml"
        );
        assert_eq!(
            sources.add("zones/zonegate.yaml"),
            file,
            "paths are interned"
        );
    }

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(suggest("playlst", ["playlist", "search"]), Some("playlist"));
        assert_eq!(suggest("zzz", ["playlist", "search"]), None);
    }
}
