//! `zonegate check`: every rule over the zone set, printed in the requested format.
//!
//! Exit status (through [`Outcome`] and [`Error`]): 0 when no finding is an error (warnings
//! alone pass), 1 when a rule found an error, 2 when the input is malformed. Findings go to
//! stdout in every format; in the human format a one-line count follows on stderr (`no findings
//! in 3 zone(s), 33 record(s)` on a clean run). Malformed input is printed to stderr in the
//! human format and to stdout in the machine formats, so a pull request gets annotations for a
//! YAML typo as for a CNAME conflict.

use std::io::Write;
use std::path::PathBuf;

use super::pipeline::{load_and_check, verify_templates};
use super::{Context, Error, Outcome, print_input_errors};
use crate::git::Repo;
use crate::report::{self, Format};
use crate::{diagnostic, inventory};

/// Options of `zonegate check`.
#[derive(Clone, Debug)]
pub struct Options {
    /// CMDB export overriding the configured one.
    pub cmdb: Option<PathBuf>,
    /// Output format.
    pub format: Format,
}

/// Runs `check`.
pub fn run(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let mut checked = match load_and_check(context, options.cmdb.as_deref()) {
        Ok(checked) => checked,
        // Malformed input is reported in the requested format too, so a pull request gets
        // annotations for a YAML typo just as for a CNAME conflict.
        Err(inventory::Error::Invalid {
            mut diagnostics,
            mut sources,
        }) if options.format != Format::Human => {
            diagnostic::sort(&mut diagnostics);
            sources.set_workspace_prefix(Repo::workspace_prefix(&context.root));
            report::write(out, options.format, &diagnostics, &sources)?;
            return Err(Error::Input {
                count: diagnostics.len(),
            });
        }
        Err(error) => return Err(print_input_errors(error, err)),
    };
    // The template too: the text it makes of every zone must hold exactly the zone's records,
    // or `render` would refuse it, so the pull-request gate refuses it first.
    let findings = verify_templates(&checked.inventory, &checked.zones, context.clock)?;
    if !findings.is_empty() {
        checked.diagnostics.extend(findings);
        diagnostic::sort(&mut checked.diagnostics);
    }
    if options.format != Format::Human {
        checked
            .inventory
            .sources
            .set_workspace_prefix(Repo::workspace_prefix(&context.root));
    }
    report::write(
        out,
        options.format,
        &checked.diagnostics,
        &checked.inventory.sources,
    )?;
    // Findings are the data (stdout); the count is for the person at the terminal (stderr),
    // a clean run included, so it is seen to have checked something (`--quiet` says nothing).
    if options.format == Format::Human && !context.quiet {
        let summary =
            report::summary(&checked.diagnostics).unwrap_or_else(|| "no findings".to_owned());
        let zones = checked.zones.zones.len();
        let records = checked.zones.record_count();
        writeln!(err, "{summary} in {zones} zone(s), {records} record(s)")?;
        if let Some(hint) = super::explain_hint(&checked.diagnostics) {
            writeln!(err, "{hint}")?;
        }
    }
    let outcome = if diagnostic::has_errors(&checked.diagnostics) {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    super::release_in_background(checked);
    Ok(outcome)
}
