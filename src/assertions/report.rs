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
use crate::diagnostic::{SourceMap, Span};
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
            escape_property(&location.path.display().to_string()),
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
        let classname = path
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .replace('/', ".");
        for (assertion, outcome) in cases {
            write!(
                out,
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}""#,
                xml(assertion.title()),
                xml(&classname),
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
