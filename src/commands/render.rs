//! `zonegate render`: check, then write the zone files and manifest atomically.

use std::io::Write;
use std::path::PathBuf;

use super::pipeline::{Publication, load_and_check, plan, publish};
use super::{Context, Error, Outcome, print_human, print_input_errors};
use crate::diagnostic::{self, Severity};
use crate::output::{self, Manifest, Published, Repaired};

/// Options of `zonegate render`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Output directory; `None` for the configured one.
    pub output: Option<PathBuf>,
    /// CMDB export overriding the configured one.
    pub cmdb: Option<PathBuf>,
    /// Print the manifest as JSON instead of the human summary.
    pub json: bool,
}

/// Runs `render`.
pub fn run(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let checked = load_and_check(context, options.cmdb.as_deref())
        .map_err(|error| print_input_errors(error, err))?;
    let sources = &checked.inventory.sources;
    print_human(err, &checked.diagnostics, sources)?;
    if diagnostic::has_errors(&checked.diagnostics) {
        let errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        writeln!(
            err,
            "render refused: {errors} error(s) found by check; nothing was written"
        )?;
        writeln!(
            err,
            "hint: `zonegate check` lists the findings alone (also as JSON, GitHub annotations or SARIF)"
        )?;
        if let Some(hint) = super::explain_hint(&checked.diagnostics) {
            writeln!(err, "{hint}")?;
        }
        return Ok(Outcome::Findings);
    }

    let directory = options
        .output
        .clone()
        .unwrap_or_else(|| context.root.join(&checked.inventory.settings.output));
    let lock = output::lock(&directory, &context.root, || {
        let _ = writeln!(
            err,
            "waiting for another zonegate run to finish with {}",
            directory.display()
        );
    })?;
    let previous = lock.previous_manifest()?;
    let plan = plan(
        &checked.inventory,
        &checked.zones,
        previous.as_ref(),
        context.clock,
    );
    let (manifest, published) = match publish(&lock, &checked.inventory, &checked.zones, plan)? {
        Publication::Published(manifest, published) => (manifest, published),
        Publication::Refused(findings) => {
            print_human(err, &findings, sources)?;
            writeln!(
                err,
                "render refused: the rendered text of {} zone(s) does not hold exactly their records; nothing was written",
                findings.len()
            )?;
            if let Some(hint) = super::explain_hint(&findings) {
                writeln!(err, "{hint}")?;
            }
            return Ok(Outcome::Findings);
        }
    };
    let (written, repaired): (&[String], &[Repaired]) = match &published {
        Published::Unchanged => (&[], &[]),
        Published::Replaced { written, repaired } => (written, repaired),
    };
    for repaired in repaired {
        writeln!(
            err,
            "repaired {}: {}; rendered it again",
            directory.join(&repaired.file).display(),
            repaired.damage
        )?;
    }

    if options.json {
        let repaired: Vec<&str> = repaired.iter().map(|zone| zone.file.as_str()).collect();
        let report = serde_json::json!({
            "directory": directory,
            "manifest": manifest,
            "written": written,
            "repaired": repaired,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).expect("JSON values serialise")
        )?;
    } else if !context.quiet {
        write_summary(out, &directory, &manifest, &published)?;
    }
    super::release_in_background(checked);
    Ok(Outcome::Clean)
}

fn write_summary(
    out: &mut dyn Write,
    directory: &std::path::Path,
    manifest: &Manifest,
    published: &Published,
) -> std::io::Result<()> {
    let width = manifest
        .zones
        .iter()
        .map(|zone| zone.origin.len())
        .max()
        .unwrap_or(0);
    for zone in &manifest.zones {
        let state = match published {
            Published::Replaced { repaired, .. }
                if repaired.iter().any(|repaired| repaired.file == zone.file) =>
            {
                "repaired"
            }
            Published::Replaced { written, .. } if written.contains(&zone.file) => "written",
            _ => "unchanged",
        };
        writeln!(
            out,
            "{:<width$}  {:>9} records  serial {:>10}  {state}",
            zone.origin, zone.records, zone.serial
        )?;
    }
    match published {
        Published::Unchanged => {
            writeln!(out, "{}: up to date, nothing written", directory.display())
        }
        Published::Replaced { written, .. } => writeln!(
            out,
            "{}: {} zone file(s) written, {} unchanged",
            directory.display(),
            written.len(),
            manifest.zones.len() - written.len()
        ),
    }
}
