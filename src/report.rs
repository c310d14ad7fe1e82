//! Findings as text for people and formats for machines: human, JSON, GitHub workflow commands
//! and SARIF 2.1.0.
//!
//! Every format carries the same facts per finding: path, line and column (when known),
//! severity, rule id, message, hints and related locations. Paths are relative to the
//! repository root, as the [`SourceMap`] holds them; in the formats GitHub reads (annotations,
//! SARIF) relative to the workspace's top instead ([`SourceMap::workspace_path`]), so GitHub
//! places them on the pull request's files when the zones repository is a subfolder. Output
//! goes to the writer it is given (stdout: this is the command's data); summaries and progress
//! are the caller's business, on stderr. The human format's labels are styled (ANSI); the binary's streams keep the styles
//! only on a terminal that wants colour (not `NO_COLOR`, not `CLICOLOR=0`; or `CLICOLOR_FORCE`),
//! so a pipe or a file gets plain text that diffs cleanly.

use std::fmt::Write as _;
use std::io;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity, SourceMap, Span};
use crate::rules::{RULES, Rule, Stage};

/// An output format for findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `path:line:col: severity[rule]: message`, then indented `note:` and `hint:` lines, the
    /// labels styled for a terminal.
    Human,
    /// A JSON array of findings (see [`write`]).
    Json,
    /// GitHub Actions workflow commands: `::error file=...,line=...,col=...,title=...::message`.
    Github,
    /// SARIF 2.1.0 with the rule registry as `tool.driver.rules`, for GitHub code scanning.
    Sarif,
}

/// Writes `diagnostics` (already sorted) to `out` in `format`. The SARIF driver describes every
/// rule of the registry ([`RULES`]).
///
/// JSON: `[{"path", "line", "column", "severity", "code", "message", "hints": [..],
/// "related": [{"path", "line", "column", "message"}]}]`, with `null` for an unknown path, line
/// or column (line and column are 1-based).
pub fn write(
    out: &mut dyn io::Write,
    format: Format,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
) -> io::Result<()> {
    match format {
        // For a person: labels styled for a terminal (the binary's stdout drops the styles
        // where colour is not wanted).
        Format::Human => {
            for diagnostic in diagnostics {
                writeln!(out, "{}", diagnostic.display(sources).styled())?;
            }
            Ok(())
        }
        Format::Json => {
            let findings: Vec<JsonFinding<'_>> = diagnostics
                .iter()
                .map(|diagnostic| JsonFinding::new(diagnostic, sources))
                .collect();
            serde_json::to_writer_pretty(&mut *out, &findings)?;
            writeln!(out)
        }
        Format::Github => {
            for diagnostic in diagnostics {
                writeln!(out, "{}", github_command(diagnostic, sources))?;
            }
            Ok(())
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif_log(diagnostics, sources))?;
            writeln!(out)
        }
    }
}

/// The findings with [`Format::Json`]'s fields (an array; keys in the order of a
/// [`serde_json::Value`]), for a document that carries them beside other things (`test --format
/// json` on malformed input).
pub fn json_value(diagnostics: &[Diagnostic], sources: &SourceMap) -> serde_json::Value {
    diagnostics
        .iter()
        .map(|diagnostic| serde_json::json!(JsonFinding::new(diagnostic, sources)))
        .collect()
}

/// `2 errors, 1 warning` (or `None` when there is nothing to report), for a summary line.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => None,
        (errors, 0) => Some(plural(errors, "error")),
        (0, warnings) => Some(plural(warnings, "warning")),
        (errors, warnings) => Some(format!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    severity: Severity,
    code: &'a str,
    message: &'a str,
    hints: &'a [String],
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: String,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

impl<'a> JsonFinding<'a> {
    fn new(diagnostic: &'a Diagnostic, sources: &SourceMap) -> Self {
        let (path, line, column) = match diagnostic.span {
            Some(span) => {
                let (path, line, column) = location(span, sources);
                (Some(path), line, column)
            }
            None => (None, None, None),
        };
        Self {
            path,
            line,
            column,
            severity: diagnostic.severity,
            code: diagnostic.rule.id(),
            message: &diagnostic.message,
            hints: &diagnostic.hints,
            related: diagnostic
                .related
                .iter()
                .map(|(span, message)| {
                    let (path, line, column) = location(*span, sources);
                    JsonRelated {
                        path,
                        line,
                        column,
                        message,
                    }
                })
                .collect(),
        }
    }
}

/// Display path, and line and column when known (0 means unknown in a [`Span`]).
fn location(span: Span, sources: &SourceMap) -> (String, Option<u32>, Option<u32>) {
    position(sources.path(span.file).display().to_string(), span)
}

/// As [`location`], with the path from the workspace's top, where GitHub resolves the paths of
/// annotations and code-scanning alerts.
fn workspace_location(span: Span, sources: &SourceMap) -> (String, Option<u32>, Option<u32>) {
    position(
        sources.workspace_path(span.file).display().to_string(),
        span,
    )
}

fn position(path: String, span: Span) -> (String, Option<u32>, Option<u32>) {
    let line = (span.line > 0).then_some(span.line);
    let column = (span.line > 0 && span.column > 0).then_some(span.column);
    (path, line, column)
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands

/// One `::error` or `::warning` workflow command. The message carries the notes and hints on
/// further lines (GitHub shows them in the annotation).
fn github_command(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning | Severity::Off => "warning",
    };
    let mut properties: Vec<String> = Vec::new();
    if let Some(span) = diagnostic.span {
        let (path, line, column) = workspace_location(span, sources);
        properties.push(format!("file={}", escape_property(&path)));
        if let Some(line) = line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = column {
            properties.push(format!("col={column}"));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("zonegate {}", diagnostic.rule))
    ));
    let mut message = diagnostic.message.clone();
    for (span, note) in &diagnostic.related {
        let _ = write!(message, "\nnote: {}: {note}", sources.locate(*span));
    }
    for hint in &diagnostic.hints {
        let _ = write!(message, "\nhint: {hint}");
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// Escapes a workflow command's message, as the GitHub Actions toolkit does (`escapeData`):
/// `%`, CR and LF.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command property value (`escapeProperty`): as data, plus `:` and `,`.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

// ---------------------------------------------------------------------------------------------
// SARIF 2.1.0

/// Where each rule's page is in this repository: `docs/rules/<id>.md`, the text of `zonegate
/// explain <id>` (kept equal by `tests/rule_docs.rs`).
pub const RULE_DOCUMENTATION: &str = "docs/rules";

/// The page of rule `id` on GitHub, as SARIF's `helpUri` (code scanning links it from every
/// alert): at the release tag of `version`, whose text matches the binary's, or on the default
/// branch for a development build (`0.3.0-dev`), which has no tag.
pub fn rule_documentation_url(id: &str, version: &str) -> String {
    let repository = env!("CARGO_PKG_REPOSITORY")
        .trim_end_matches('/')
        .trim_end_matches(".git");
    let revision = if version.contains('-') {
        "main".to_owned()
    } else {
        format!("v{version}")
    };
    format!("{repository}/blob/{revision}/{RULE_DOCUMENTATION}/{id}.md")
}

/// The JSON schema of SARIF 2.1.0 (OASIS standard, errata 01).
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [SarifRun<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRun<'a> {
    tool: SarifTool<'a>,
    /// serde-saphyr and the CMDB readers count columns in characters.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct SarifTool<'a> {
    driver: SarifDriver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifDriver<'a> {
    name: &'static str,
    semantic_version: &'static str,
    rules: Vec<SarifRule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule<'a> {
    id: &'a str,
    name: String,
    short_description: SarifText,
    full_description: SarifText,
    help_uri: String,
    help: SarifHelp,
    default_configuration: SarifConfiguration,
    properties: SarifRuleProperties,
}

#[derive(Serialize)]
struct SarifText {
    text: String,
}

#[derive(Serialize)]
struct SarifHelp {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct SarifConfiguration {
    level: &'static str,
}

#[derive(Serialize)]
struct SarifRuleProperties {
    tags: [&'static str; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: SarifText,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: SarifPhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<SarifText>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysicalLocation {
    artifact_location: SarifArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<SarifRegion>,
}

#[derive(Serialize)]
struct SarifArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

fn sarif_log<'a>(diagnostics: &'a [Diagnostic], sources: &SourceMap) -> SarifLog<'a> {
    let driver = SarifDriver {
        name: "zonegate",
        semantic_version: env!("CARGO_PKG_VERSION"),
        rules: RULES.iter().copied().map(sarif_rule).collect(),
    };
    let results = diagnostics
        .iter()
        .map(|diagnostic| {
            let mut text = diagnostic.message.clone();
            for hint in &diagnostic.hints {
                let _ = write!(text, "\nhint: {hint}");
            }
            SarifResult {
                rule_id: diagnostic.rule.id(),
                rule_index: RULES.iter().position(|rule| *rule == diagnostic.rule),
                level: sarif_level(diagnostic.severity),
                message: SarifText { text },
                locations: diagnostic
                    .span
                    .map(|span| sarif_location(span, sources, None, None))
                    .into_iter()
                    .collect(),
                related_locations: diagnostic
                    .related
                    .iter()
                    .enumerate()
                    .map(|(index, (span, note))| {
                        sarif_location(*span, sources, Some(index + 1), Some(note.clone()))
                    })
                    .collect(),
            }
        })
        .collect();
    SarifLog {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [SarifRun {
            tool: SarifTool { driver },
            column_kind: "unicodeCodePoints",
            results,
        }],
    }
}

fn sarif_rule(rule: &'static Rule) -> SarifRule<'static> {
    let help = rule.explain();
    SarifRule {
        id: rule.id(),
        name: pascal_case(rule.id()),
        short_description: SarifText {
            text: rule.summary().to_owned(),
        },
        full_description: SarifText {
            text: what_it_does(&help),
        },
        help_uri: rule_documentation_url(rule.id(), env!("CARGO_PKG_VERSION")),
        help: SarifHelp {
            text: help.clone(),
            markdown: help,
        },
        default_configuration: SarifConfiguration {
            level: sarif_level(rule.default_severity()),
        },
        properties: SarifRuleProperties {
            tags: [match rule.stage() {
                Stage::Input => "input",
                Stage::Build => "build",
                Stage::Check => "check",
                Stage::Render => "render",
                Stage::Deploy => "deploy",
                Stage::Test => "test",
                Stage::Merge => "merge",
            }],
        },
    }
}

fn sarif_location(
    span: Span,
    sources: &SourceMap,
    id: Option<usize>,
    note: Option<String>,
) -> SarifLocation {
    let (path, line, column) = workspace_location(span, sources);
    SarifLocation {
        id,
        physical_location: SarifPhysicalLocation {
            artifact_location: SarifArtifactLocation {
                uri: uri_reference(&path),
            },
            region: line.map(|start_line| SarifRegion {
                start_line,
                start_column: column,
            }),
        },
        message: note.map(|text| SarifText { text }),
    }
}

const fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Off => "none",
    }
}

/// The "What it does" section of a rule's explanation, as one paragraph.
fn what_it_does(explanation: &str) -> String {
    let section = explanation
        .split_once("## What it does\n")
        .map_or(explanation, |(_, rest)| rest);
    let section = section.split("\n## ").next().unwrap_or(section);
    section.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `cname-and-other-data` -> `CnameAndOtherData` (SARIF `reportingDescriptor.name`).
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A relative path as a URI reference: unreserved characters and `/` as they are, every other
/// byte percent-encoded (RFC 3986), so `web service.yaml` becomes `web%20service.yaml`.
fn uri_reference(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(byte as char);
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings() -> (Vec<Diagnostic>, SourceMap) {
        let mut sources = SourceMap::default();
        let records = sources.add("zones/records/shop, 100%.yaml");
        let cmdb = sources.add("zones/cmdb/servers.csv");
        let settings = sources.add("zones/zonegate.yaml");
        let diagnostics = vec![
            Diagnostic::error(
                crate::rules::check::CNAME_AND_OTHER_DATA,
                Some(Span::new(records, 2, 5)),
                "`shop.example.net.` has a CNAME and other data (TXT); a CNAME must be the only record at its name",
            )
            .with_related(Span::new(records, 3, 5), "the TXT record at `shop.example.net.` comes from here")
            .with_hint("move the TXT record(s) to `web1.ams.example.net.`"),
            Diagnostic::warning(
                crate::rules::build::UNKNOWN_ROLE,
                Some(Span::new(cmdb, 8, 1)),
                "role `postgress` of host `db1` names no service in zones/services/",
            )
            .with_hint("did you mean `postgres`?"),
            Diagnostic::error(
                crate::rules::input::YAML_SYNTAX,
                Some(Span::file(settings)),
                "the file is empty",
            ),
        ];
        (diagnostics, sources)
    }

    fn render(format: Format) -> String {
        let (diagnostics, sources) = findings();
        let mut out = Vec::new();
        write(&mut out, format, &diagnostics, &sources).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn human_is_the_one_line_format_with_notes_and_hints() {
        let styled = render(Format::Human);
        assert!(
            styled.contains("\u{1b}[1m\u{1b}[33mwarning[unknown-role]\u{1b}[0m: "),
            "{styled:?}"
        );
        let plain = anstream::adapter::strip_str(&styled).to_string();
        insta::assert_snapshot!(plain, @r"
        zones/records/shop, 100%.yaml:2:5: error[cname-and-other-data]: `shop.example.net.` has a CNAME and other data (TXT); a CNAME must be the only record at its name
          note: zones/records/shop, 100%.yaml:3:5: the TXT record at `shop.example.net.` comes from here
          hint: move the TXT record(s) to `web1.ams.example.net.`
        zones/cmdb/servers.csv:8:1: warning[unknown-role]: role `postgress` of host `db1` names no service in zones/services/
          hint: did you mean `postgres`?
        zones/zonegate.yaml: error[yaml-syntax]: the file is empty
        ");
    }

    #[test]
    fn json_lists_every_field_with_nulls_for_unknown_positions() {
        insta::assert_snapshot!(render(Format::Json));
    }

    #[test]
    fn github_commands_escape_data_and_properties() {
        insta::assert_snapshot!(render(Format::Github), @"
        ::error file=zones/records/shop%2C 100%25.yaml,line=2,col=5,title=zonegate cname-and-other-data::`shop.example.net.` has a CNAME and other data (TXT); a CNAME must be the only record at its name%0Anote: zones/records/shop, 100%25.yaml:3:5: the TXT record at `shop.example.net.` comes from here%0Ahint: move the TXT record(s) to `web1.ams.example.net.`
        ::warning file=zones/cmdb/servers.csv,line=8,col=1,title=zonegate unknown-role::role `postgress` of host `db1` names no service in zones/services/%0Ahint: did you mean `postgres`?
        ::error file=zones/zonegate.yaml,title=zonegate yaml-syntax::the file is empty
        ");
        assert_eq!(escape_data("100%\r\nnext"), "100%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn sarif_has_the_schema_the_rule_registry_and_located_results() {
        let text = render(Format::Sarif);
        let log: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SARIF_SCHEMA);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["rules"].as_array().unwrap().len(), RULES.len());
        let results = log["runs"][0]["results"].as_array().unwrap();
        for result in results {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(driver["rules"][index]["id"], result["ruleId"]);
        }
        // The whole file: the rules are long, so snapshot one rule and the results.
        let rule = &driver["rules"][RULES
            .iter()
            .position(|rule| rule.id() == "cname-and-other-data")
            .unwrap()];
        insta::assert_json_snapshot!("sarif_rule", rule);
        insta::assert_json_snapshot!("sarif_results", results);
    }

    #[test]
    fn summaries_count_errors_and_warnings() {
        let (diagnostics, _) = findings();
        assert_eq!(
            summary(&diagnostics).as_deref(),
            Some("2 errors, 1 warning")
        );
        assert_eq!(summary(&diagnostics[1..2]).as_deref(), Some("1 warning"));
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn rule_pages_are_at_the_release_tag_or_on_main_for_a_development_build() {
        assert_eq!(
            rule_documentation_url("cname-loop", "0.4.1"),
            "https://github.com/zonegate/zonegate/blob/v0.4.1/docs/rules/cname-loop.md"
        );
        assert_eq!(
            rule_documentation_url("cname-loop", "0.5.0-dev"),
            "https://github.com/zonegate/zonegate/blob/main/docs/rules/cname-loop.md"
        );
    }

    #[test]
    fn uris_are_percent_encoded_and_names_pascal_cased() {
        assert_eq!(
            uri_reference("zones/services/web service.yaml"),
            "zones/services/web%20service.yaml"
        );
        assert_eq!(pascal_case("cname-and-other-data"), "CnameAndOtherData");
    }
}
