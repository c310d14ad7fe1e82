//! Assertion results as text for people, JSON, JUnit XML and GitHub Actions annotations.
//!
//! Every failed assertion is reported at the line of its list item in the assertion file, with
//! the query, each failed matcher's expected and actual values, the response, and the trace of
//! the model's resolution naming the YAML line or CMDB row behind every record.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::coverage::Coverage;
use super::resolver::{Answer, ResponseRecord};
use super::{Assertion, Outcome, TraceLine, Verdict, record_text, summary_line};
use crate::diagnostic::{Diagnostic, Severity, SourceMap, Span};
use crate::report::{escape_data, escape_property};
use crate::rules::assertions::ASSERTION_FAILED;

/// Everything a report needs.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    /// The assertions, in run order.
    pub assertions: &'a [Assertion],
    /// Their outcomes, index for index.
    pub outcomes: &'a [Outcome],
    /// Paths for spans.
    pub sources: &'a SourceMap,
    /// What answered: `the in-memory resolver` or `server 127.0.0.1:53`.
    pub backend: &'a str,
    /// Coverage, when asked for.
    pub coverage: Option<&'a Coverage>,
}

/// Counts of each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Assertions run.
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
}

impl Report<'_> {
    /// Counts the verdicts.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            total: self.outcomes.len(),
            ..Summary::default()
        };
        for outcome in self.outcomes {
            match outcome.verdict {
                Verdict::Pass => summary.passed += 1,
                Verdict::Fail => summary.failed += 1,
                Verdict::Skip => summary.skipped += 1,
            }
        }
        summary
    }

    fn each(&self) -> impl Iterator<Item = (&Assertion, &Outcome)> {
        self.assertions.iter().zip(self.outcomes)
    }

    fn locate(&self, span: Span) -> String {
        self.sources.locate(span).to_string()
    }
}

/// The human report: each failure in full, each skip in one line (unless `quiet`), a summary.
pub fn human(out: &mut dyn Write, report: &Report<'_>, quiet: bool) -> io::Result<()> {
    for (assertion, outcome) in report.each() {
        match outcome.verdict {
            Verdict::Pass => {}
            Verdict::Skip => {
                if !quiet {
                    writeln!(
                        out,
                        "{}: skipped: {} ({})",
                        report.locate(assertion.span),
                        assertion.title(),
                        outcome.skipped.unwrap_or("not evaluated")
                    )?;
                }
            }
            Verdict::Fail => failure(out, report, assertion, outcome)?,
        }
    }
    if let Some(coverage) = report.coverage {
        human_coverage(out, report, coverage)?;
    }
    if !quiet {
        let summary = report.summary();
        writeln!(
            out,
            "{} assertion(s) against {}: {} passed, {} failed, {} skipped",
            summary.total, report.backend, summary.passed, summary.failed, summary.skipped
        )?;
    }
    Ok(())
}

fn failure(
    out: &mut dyn Write,
    report: &Report<'_>,
    assertion: &Assertion,
    outcome: &Outcome,
) -> io::Result<()> {
    writeln!(
        out,
        "{}: error[{}]: {}",
        report.locate(assertion.span),
        ASSERTION_FAILED,
        assertion.title()
    )?;
    writeln!(
        out,
        "  query: {} {}",
        assertion.query, assertion.record_type
    )?;
    for mismatch in &outcome.mismatches {
        writeln!(out, "  expected: {}", mismatch.expected)?;
        writeln!(out, "  actual: {}", mismatch.actual)?;
    }
    if let Some(response) = &outcome.response {
        writeln!(out, "  response: {}", summary_line(response))?;
        for (section, records) in sections(response) {
            for record in records {
                writeln!(out, "    {section}: {}", record_text(record))?;
            }
        }
    }
    if !outcome.trace.is_empty() {
        writeln!(out, "  trace (the zones as built from the inputs):")?;
        let mut last_query = "";
        for line in &outcome.trace {
            if line.query != last_query {
                writeln!(out, "    {}", line.query)?;
                last_query = &line.query;
            }
            match &line.zone {
                Some(zone) => writeln!(out, "      zone {zone}: {}", line.event)?,
                None => writeln!(out, "      {}", line.event)?,
            }
            for record in &line.records {
                match record.provenance {
                    Some(provenance) => writeln!(
                        out,
                        "        {}  ({})",
                        record.text,
                        report.locate(provenance.span)
                    )?,
                    None => writeln!(out, "        {}", record.text)?,
                }
            }
        }
    }
    Ok(())
}

fn sections<'r>(response: &'r Answer<'_>) -> [(&'static str, &'r [ResponseRecord<'r>]); 3] {
    [
        ("answer", &response.answer),
        ("authority", &response.authority),
        ("additional", &response.additional),
    ]
}

fn human_coverage(out: &mut dyn Write, report: &Report<'_>, coverage: &Coverage) -> io::Result<()> {
    let [services, datacenters, records] = coverage.totals();
    writeln!(
        out,
        "coverage: {}/{} services, {}/{} datacenters, {}/{} hand-edited records",
        services.0, services.1, datacenters.0, datacenters.1, records.0, records.1
    )?;
    let missing = |items: &[super::coverage::Covered]| {
        items
            .iter()
            .filter(|item| !item.covered)
            .map(|item| item.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if services.0 < services.1 {
        writeln!(
            out,
            "  services no assertion touches: {}",
            missing(&coverage.services)
        )?;
    }
    if datacenters.0 < datacenters.1 {
        writeln!(
            out,
            "  datacenters no assertion touches: {}",
            missing(&coverage.datacenters)
        )?;
    }
    if records.0 < records.1 {
        writeln!(out, "  hand-edited records no assertion touches:")?;
        for record in coverage.records.iter().filter(|record| !record.covered) {
            writeln!(out, "    {}: {}", report.locate(record.span), record.record)?;
        }
    }
    Ok(())
}

/// The JSON report: a summary, every result (responses and traces for failures), coverage.
pub fn json(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let results: Vec<serde_json::Value> = report
        .each()
        .map(|(assertion, outcome)| {
            let location = report.sources.locate(assertion.span);
            let bindings: BTreeMap<&str, &str> = assertion
                .bindings
                .iter()
                .map(|(variable, value)| (variable.as_str(), value.as_str()))
                .collect();
            let mut result = serde_json::json!({
                "it": assertion.title(),
                "file": location.path,
                "line": location.line,
                "column": location.column,
                "query": assertion.query,
                "type": assertion.record_type,
                "bindings": bindings,
                "verdict": outcome.verdict,
            });
            if let Some(object) = result.as_object_mut() {
                if !outcome.mismatches.is_empty() {
                    object.insert("mismatches".into(), serde_json::json!(outcome.mismatches));
                }
                if let Some(reason) = outcome.skipped {
                    object.insert("skipped".into(), reason.into());
                }
                if let Some(response) = &outcome.response {
                    object.insert("response".into(), response_json(response));
                }
                if !outcome.trace.is_empty() {
                    object.insert("trace".into(), trace_json(report, &outcome.trace));
                }
            }
            result
        })
        .collect();
    let mut document = serde_json::json!({
        "backend": report.backend,
        "summary": report.summary(),
        "results": results,
        "errors": [],
    });
    if let (Some(coverage), Some(object)) = (report.coverage, document.as_object_mut()) {
        let mut value = serde_json::json!(coverage);
        if let Some(records) = value.get_mut("records").and_then(|v| v.as_array_mut()) {
            for (record, covered) in records.iter_mut().zip(&coverage.records) {
                if let Some(record) = record.as_object_mut() {
                    record.insert("location".into(), report.locate(covered.span).into());
                }
            }
        }
        object.insert("coverage".into(), value);
    }
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
}

/// The JSON report of a suite that could not run: the summary of nothing, no results, and in
/// `errors` the input problems that stopped it (each with the fields of a `check --format json`
/// finding), so a CI reporter reading stdout sees why rather than nothing.
pub fn json_input_errors(
    out: &mut dyn Write,
    problems: &[Diagnostic],
    sources: &SourceMap,
) -> io::Result<()> {
    let document = serde_json::json!({
        "summary": Summary::default(),
        "results": [],
        "errors": crate::report::json_value(problems, sources),
    });
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
}

fn response_json(response: &Answer<'_>) -> serde_json::Value {
    let texts = |records: &[ResponseRecord<'_>]| -> Vec<String> {
        records.iter().map(record_text).collect()
    };
    serde_json::json!({
        "rcode": response.rcode,
        "authoritative": response.authoritative,
        "answer": texts(&response.answer),
        "authority": texts(&response.authority),
        "additional": texts(&response.additional),
    })
}

fn trace_json(report: &Report<'_>, trace: &[TraceLine]) -> serde_json::Value {
    trace
        .iter()
        .map(|line| {
            serde_json::json!({
                "query": line.query,
                "zone": line.zone,
                "event": line.event,
                "records": line.records.iter().map(|record| serde_json::json!({
                    "record": record.text,
                    "source": record.provenance.map(|p| report.locate(p.span)),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// GitHub Actions workflow commands: an `::error` annotation at each failed assertion's line.
pub fn github(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    for (assertion, outcome) in report.each() {
        if outcome.verdict != Verdict::Fail {
            continue;
        }
        let location = report.sources.locate(assertion.span);
        let mut message = format!("{} {}", assertion.query, assertion.record_type);
        for mismatch in &outcome.mismatches {
            let _ = write!(
                message,
                "\nexpected: {}\nactual: {}",
                mismatch.expected, mismatch.actual
            );
        }
        for line in &outcome.trace {
            for record in &line.records {
                if let Some(provenance) = record.provenance {
                    let _ = write!(
                        message,
                        "\n{} ({})",
                        record.text,
                        report.locate(provenance.span)
                    );
                }
            }
        }
        writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            escape_property(
                &report
                    .sources
                    .workspace_path(assertion.span.file)
                    .display()
                    .to_string()
            ),
            location.line,
            location.column,
            escape_property(&format!("assertion failed: {}", assertion.title())),
            escape_data(&message)
        )?;
    }
    let summary = report.summary();
    writeln!(
        out,
        "{} assertion(s) against {}: {} passed, {} failed, {} skipped",
        summary.total, report.backend, summary.passed, summary.failed, summary.skipped
    )
}

/// JUnit XML: one test suite per assertion file, one test case per assertion.
pub fn junit(out: &mut dyn Write, report: &Report<'_>) -> io::Result<()> {
    let mut files: BTreeMap<String, Vec<(&Assertion, &Outcome)>> = BTreeMap::new();
    for (assertion, outcome) in report.each() {
        files
            .entry(
                report
                    .sources
                    .path(assertion.span.file)
                    .display()
                    .to_string(),
            )
            .or_default()
            .push((assertion, outcome));
    }
    let summary = report.summary();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="zonegate test" tests="{}" failures="{}" skipped="{}">"#,
        summary.total, summary.failed, summary.skipped
    )?;
    for (path, cases) in &files {
        let failures = cases
            .iter()
            .filter(|(_, o)| o.verdict == Verdict::Fail)
            .count();
        let skipped = cases
            .iter()
            .filter(|(_, o)| o.verdict == Verdict::Skip)
            .count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failures}" skipped="{skipped}">"#,
            xml(path),
            cases.len()
        )?;
        let class = classname(path);
        for (assertion, outcome) in cases {
            write!(
                out,
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}""#,
                xml(assertion.title()),
                xml(&class),
                xml(path),
                assertion.span.line
            )?;
            match outcome.verdict {
                Verdict::Pass => writeln!(out, "/>")?,
                Verdict::Skip => {
                    writeln!(out, ">")?;
                    writeln!(
                        out,
                        r#"      <skipped message="{}"/>"#,
                        xml(outcome.skipped.unwrap_or("not evaluated"))
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
                Verdict::Fail => {
                    writeln!(out, ">")?;
                    let first = outcome
                        .mismatches
                        .first()
                        .map(|m| format!("expected {}; actual {}", m.expected, m.actual))
                        .unwrap_or_default();
                    let mut text = Vec::new();
                    failure(&mut text, report, assertion, outcome)?;
                    writeln!(
                        out,
                        r#"      <failure message="{}" type="{}">{}</failure>"#,
                        xml(&first),
                        ASSERTION_FAILED,
                        xml(&String::from_utf8_lossy(&text))
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// JUnit XML of a suite that could not run: one test suite per file with problems (in the order
/// given), one test case per problem with an `<error>` whose type is the rule and whose text is
/// the problem as the terminal shows it. JUnit readers count these as errors, not failures: the
/// suite was never evaluated. A problem with no file is in a suite named `zonegate`.
pub fn junit_input_errors(
    out: &mut dyn Write,
    problems: &[Diagnostic],
    sources: &SourceMap,
) -> io::Result<()> {
    let mut files: Vec<(String, Vec<&Diagnostic>)> = Vec::new();
    for problem in problems {
        let path = problem.span.map_or_else(
            || "zonegate".to_owned(),
            |span| sources.path(span.file).display().to_string(),
        );
        match files.iter_mut().find(|(known, _)| *known == path) {
            Some((_, cases)) => cases.push(problem),
            None => files.push((path, vec![problem])),
        }
    }
    let errors = |cases: &[&Diagnostic]| {
        cases
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
            .count()
    };
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="zonegate test" tests="{}" failures="0" errors="{}" skipped="0">"#,
        problems.len(),
        errors(&problems.iter().collect::<Vec<_>>())
    )?;
    for (path, cases) in &files {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="0" errors="{}" skipped="0">"#,
            xml(path),
            cases.len(),
            errors(cases)
        )?;
        for problem in cases {
            let (name, line) = match problem.span {
                Some(span) if span.line > 0 => (
                    format!("{}: {}", sources.locate(span), problem.rule.id()),
                    format!(r#" file="{}" line="{}""#, xml(path), span.line),
                ),
                Some(_) => (
                    format!("{path}: {}", problem.rule.id()),
                    format!(r#" file="{}""#, xml(path)),
                ),
                None => (problem.rule.id().to_owned(), String::new()),
            };
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{}"{line}>"#,
                xml(&name),
                xml(&classname(path))
            )?;
            let text = problem.display(sources).to_string();
            // Only errors stop a run; a warning among them is reported, not counted.
            if problem.severity == Severity::Error {
                writeln!(
                    out,
                    r#"      <error message="{}" type="{}">{}</error>"#,
                    xml(&problem.message),
                    xml(problem.rule.id()),
                    xml(&text)
                )?;
            } else {
                writeln!(out, "      <system-out>{}</system-out>", xml(&text))?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// A JUnit class name for a file: its path without the YAML extension, dots for slashes.
fn classname(path: &str) -> String {
    path.trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .replace('/', ".")
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry.
fn xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' | '\t' | '\r' => escaped.push(character),
            c if (c as u32) < 0x20 => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    // The cases the integration tests cannot reach from a repository: a problem with no file, a
    // whole-file one, and a warning among errors (reported, not counted as an error).
    #[test]
    fn junit_input_errors_place_every_problem_and_count_only_errors() {
        let mut sources = SourceMap::default();
        let file = sources.add("assertions/a & b.yaml");
        let problems = [
            Diagnostic::error(
                crate::rules::input::YAML_SYNTAX,
                Some(Span::file(file)),
                "the file is <empty>",
            ),
            Diagnostic::warning(
                crate::rules::build::UNKNOWN_ROLE,
                Some(Span::new(file, 2, 3)),
                "role `x`",
            ),
            Diagnostic::error(
                crate::rules::input::UNREADABLE_FILE,
                None,
                "no assertions/ directory",
            ),
        ];
        let mut out = Vec::new();
        junit_input_errors(&mut out, &problems, &sources).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="zonegate test" tests="3" failures="0" errors="2" skipped="0">
          <testsuite name="assertions/a &amp; b.yaml" tests="2" failures="0" errors="1" skipped="0">
            <testcase name="assertions/a &amp; b.yaml: yaml-syntax" classname="assertions.a &amp; b" file="assertions/a &amp; b.yaml">
              <error message="the file is &lt;empty&gt;" type="yaml-syntax">assertions/a &amp; b.yaml: error[yaml-syntax]: the file is &lt;empty&gt;</error>
            </testcase>
            <testcase name="assertions/a &amp; b.yaml:2:3: unknown-role" classname="assertions.a &amp; b" file="assertions/a &amp; b.yaml" line="2">
              <system-out>assertions/a &amp; b.yaml:2:3: warning[unknown-role]: role `x`</system-out>
            </testcase>
          </testsuite>
          <testsuite name="zonegate" tests="1" failures="0" errors="1" skipped="0">
            <testcase name="unreadable-file" classname="zonegate">
              <error message="no assertions/ directory" type="unreadable-file">error[unreadable-file]: no assertions/ directory</error>
            </testcase>
          </testsuite>
        </testsuites>
        "#);
    }
}
