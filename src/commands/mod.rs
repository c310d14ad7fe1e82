//! The commands: each runs the pipeline stages it needs and reports.
//!
//! Commands write data to `out` and progress and logs to `err` (both passed in, so tests capture
//! them), return [`Outcome::Findings`] when a check or test failed, and `Err` when the tool could
//! not do its job or the input is malformed. Only `main` turns these into exit codes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::diagnostic::{self, Diagnostic, SourceMap};
use crate::inventory::{self, Inventory};
use crate::model::{self, zone::ZoneSet};
use crate::serial::Clock;

pub mod bot;
pub mod check;
pub mod deploy;
pub mod diff;
pub mod download;
pub mod explain;
pub mod init;
pub mod pr;
pub mod regen;
pub mod render;
pub mod schema;
pub mod test;

/// How a command ended when it could do its job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing failed.
    Clean,
    /// A check, test or policy failed (exit 1).
    Findings,
}

/// The tool could not do its job, or the input is malformed (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The repository could not be read.
    #[error(transparent)]
    Read(#[from] inventory::Error),
    /// The input is malformed; the problems were already printed.
    #[error("{count} input error(s); nothing was written")]
    Input {
        /// How many problems were printed.
        count: usize,
    },
    /// The output directory could not be written.
    #[error(transparent)]
    Output(#[from] crate::output::Error),
    /// A zone could not be rendered (template failure, or its file could not be written).
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    /// `zonegate test` could not reach its server or write its report.
    #[error(transparent)]
    Test(#[from] test::Error),
    /// A deploy target's state could not be read or written, or its lock taken.
    #[error(transparent)]
    Deploy(#[from] crate::deploy::target::Error),
    /// The command line asks for something the repository does not have.
    #[error("{0}")]
    Usage(String),
    /// Writing to stdout or stderr failed.
    #[error("cannot write output")]
    Write(#[from] io::Error),
    /// The git repository could not be read or written.
    #[error(transparent)]
    Git(#[from] crate::git::Error),
    /// The forge (GitHub, or the local forge's records) failed.
    #[error(transparent)]
    Forge(#[from] crate::merge::forge::Error),
    /// `regen` could not download its export.
    #[error(transparent)]
    Download(#[from] download::Error),
    /// The merge bot could not evaluate a pull request.
    #[error("{0}")]
    Bot(String),
    /// `explain` was asked about a rule id that does not exist.
    #[error("{}", unknown_rule(.id, .suggestions))]
    UnknownRule {
        /// The id as given.
        id: String,
        /// Close ids, best first.
        suggestions: Vec<&'static str>,
    },
    /// `init` found files it would have to overwrite; it wrote nothing.
    #[error(transparent)]
    Init(#[from] init::Error),
}

fn unknown_rule(id: &str, suggestions: &[&str]) -> String {
    use std::fmt::Write as _;
    let mut text = format!("unknown rule `{id}`");
    if !suggestions.is_empty() {
        let quoted: Vec<String> = suggestions.iter().map(|id| format!("`{id}`")).collect();
        let _ = write!(text, "; did you mean {}?", quoted.join(", "));
    }
    text.push_str(" (`zonegate explain --all` lists every rule)");
    text
}

/// What every command gets besides its own arguments.
#[derive(Clone, Debug)]
pub struct Context {
    /// Repository root.
    pub root: PathBuf,
    /// The moment of the run (serials).
    pub clock: Clock,
    /// Suppress summaries and progress.
    pub quiet: bool,
    /// Draw a progress bar (stderr is a terminal and not quiet).
    pub progress: bool,
}

/// Where pull requests are, for the commands that read or open them (`bot`, `regen`).
#[derive(Debug)]
pub enum ForgeChoice {
    /// Recorded in the repository itself (`refs/zonegate/pulls/N`, see `merge::local`).
    Local,
    /// On GitHub (or GitHub Enterprise Server).
    GitHub {
        /// API base URL (`https://api.github.com`, `https://HOST/api/v3`).
        api: String,
        /// `owner/name`.
        repository: String,
        /// From `ZONEGATE_TOKEN` or `GITHUB_TOKEN`.
        token: Option<crate::merge::github::Token>,
    },
}

/// Frees `value` on a thread of its own. A million records are a million deallocations, which
/// the command need not wait for: it is done, and usually the process exits before they are.
pub fn release_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

/// Everything up to and including `check`, shared by render, check, test, diff and deploy.
#[derive(Debug)]
pub struct Checked {
    /// What the repository says.
    pub inventory: Inventory,
    /// The zones built from it.
    pub zones: ZoneSet,
    /// Findings from building and checking, severities applied, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads the repository, builds the zones and runs every check rule.
///
/// Malformed input comes back as [`inventory::Error::Invalid`] for the caller to print in its
/// own format (see [`print_input_errors`]).
pub fn load_and_check(context: &Context, cmdb: Option<&Path>) -> Result<Checked, inventory::Error> {
    let progress = Progress::new(context.progress);
    progress.stage("reading the repository");
    let options = inventory::config::LoadOptions {
        cmdb: cmdb.map(Path::to_path_buf),
    };
    let inventory =
        inventory::config::load_with(&inventory::files::Directory::new(&context.root), &options)
            .inspect_err(|_| progress.finish())?;
    progress.stage("generating records");
    let (zones, diagnostics) = model::build(&inventory);
    progress.stage("checking");
    let diagnostics = with_check(diagnostics, &zones, &inventory);
    progress.finish();
    Ok(Checked {
        inventory,
        zones,
        diagnostics,
    })
}

/// The findings of building (`build_diagnostics`) plus every check rule over `zones`,
/// severities applied, sorted: what `check` reports.
pub fn with_check(
    mut build_diagnostics: Vec<Diagnostic>,
    zones: &ZoneSet,
    inventory: &Inventory,
) -> Vec<Diagnostic> {
    build_diagnostics.extend(crate::check::run(zones, &inventory.settings));
    let mut diagnostics = crate::check::apply_severities(build_diagnostics, &inventory.settings);
    diagnostic::sort(&mut diagnostics);
    diagnostics
}

/// Turns a load failure into the command's error, printing malformed-input diagnostics to `err`
/// first.
pub fn print_input_errors(error: inventory::Error, err: &mut dyn Write) -> Error {
    match error {
        inventory::Error::Invalid {
            mut diagnostics,
            sources,
        } => {
            diagnostic::sort(&mut diagnostics);
            if let Err(error) = print_human(err, &diagnostics, &sources) {
                return Error::Write(error);
            }
            Error::Input {
                count: diagnostics.len(),
            }
        }
        error @ inventory::Error::Read { .. } => Error::Read(error),
    }
}

/// Prints diagnostics one per line (with hint and note lines), their labels styled for a
/// terminal ([`DisplayDiagnostic::styled`](crate::diagnostic::DisplayDiagnostic::styled): the
/// binary's streams keep the styles only where colour is wanted).
pub fn print_human(
    out: &mut dyn Write,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        writeln!(out, "{}", diagnostic.display(sources).styled())?;
    }
    Ok(())
}

/// The `zonegate explain` hint after findings: names the rule of the first error (or of the
/// first warning when there is no error), so the next command is one copy away.
pub fn explain_hint(diagnostics: &[Diagnostic]) -> Option<String> {
    let first = diagnostics
        .iter()
        .find(|diagnostic| diagnostic.severity == diagnostic::Severity::Error)
        .or_else(|| diagnostics.first())?;
    Some(format!(
        "hint: `zonegate explain {}` says why the rule matters and how to fix a finding",
        first.rule
    ))
}

/// A spinner with the current stage on a terminal; nothing otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    fn stage(&self, message: &'static str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
