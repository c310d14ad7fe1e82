//! `zonegate test`: the assertions in `assertions/` against the in-memory resolver, or against a
//! live server with `--server`; reports in the requested format, a JUnit file on request, and
//! coverage.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::pipeline::load_and_check;
use super::{Context, Outcome, print_input_errors};
use crate::assertions::live::{self, AddressError, Server};
use crate::assertions::report::{self, Report};
use crate::assertions::resolver::Resolver;
use crate::assertions::{self, Backend, QueryError, Verdict, coverage};
use crate::diagnostic::{self, Diagnostic, SourceMap};
use crate::dns::record_type::RecordType;
use crate::filesystem;
use crate::git::Repo;
use crate::inventory;
use crate::inventory::files::Directory;

/// Report formats of `zonegate test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Failures in full, then a summary.
    Human,
    /// One JSON document.
    Json,
    /// GitHub Actions annotations.
    Github,
    /// JUnit XML on stdout.
    Junit,
}

/// Options of `zonegate test`.
#[derive(Clone, Debug)]
pub struct Options {
    /// CMDB export overriding the configured one.
    pub cmdb: Option<PathBuf>,
    /// Report format on stdout.
    pub format: Format,
    /// Also write JUnit XML here.
    pub junit: Option<PathBuf>,
    /// Report coverage.
    pub coverage: bool,
    /// Query this server (`ADDR[:PORT]`) instead of the in-memory resolver.
    pub server: Option<String>,
    /// Per-try timeout for the live server.
    pub timeout: Duration,
    /// Tries per query for the live server.
    pub tries: usize,
    /// The most assertions `for_each` may expand to (`--max-assertions`).
    pub max_assertions: u64,
}

/// `zonegate test` could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--server` is not an address.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The live server does not answer at all.
    #[error("server {server} does not answer a query for the SOA of {zone}")]
    Unreachable {
        /// The server.
        server: String,
        /// The zone asked for.
        zone: String,
        /// Why.
        #[source]
        source: QueryError,
    },
    /// The JUnit file could not be written.
    #[error("cannot write the JUnit report {}", path.display())]
    Junit {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: filesystem::Error,
    },
}

/// Runs `test`.
pub fn run(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, super::Error> {
    let checked = match load_and_check(context, options.cmdb.as_deref()) {
        Ok(checked) => checked,
        Err(inventory::Error::Invalid {
            diagnostics,
            mut sources,
        }) => {
            sources.set_workspace_prefix(Repo::workspace_prefix(&context.root));
            return Err(refuse(context, options, out, err, diagnostics, &sources));
        }
        Err(error) => return Err(print_input_errors(error, err)),
    };
    let mut sources = checked.inventory.sources.clone();
    // Annotations name files from the workspace's top, where GitHub looks for them.
    sources.set_workspace_prefix(Repo::workspace_prefix(&context.root));
    let files = Directory::new(&context.root);
    let (assertions, problems) = assertions::load(
        &files,
        &checked.inventory,
        &mut sources,
        options.max_assertions,
    )
    .map_err(super::Error::Read)?;
    if !problems.is_empty() {
        return Err(refuse(context, options, out, err, problems, &sources));
    }
    if assertions.is_empty() {
        writeln!(
            err,
            "no assertions in {}/ (see README.md, \"Assertions\")",
            assertions::spec::DIRECTORY
        )?;
        return Ok(Outcome::Clean);
    }

    let resolver = Resolver::new(&checked.zones);
    // A bar on a terminal when the run is long enough to wait for (a live server, a big suite).
    let bar = (context.progress && (options.server.is_some() || assertions.len() > 50_000))
        .then(|| indicatif::ProgressBar::new(assertions.len() as u64));
    let done = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let (mut outcomes, backend_name) = match &options.server {
        None => (
            assertions::run_observed(&assertions, &resolver, &done),
            "the in-memory resolver".to_owned(),
        ),
        Some(text) => {
            let address = live::parse_address(text).map_err(Error::from)?;
            let server = Server::new(
                address,
                live::Options {
                    timeout: options.timeout,
                    tries: options.tries,
                    ..live::Options::default()
                },
            );
            // The domain's own zone if there is one: the zone an operator expects to be served.
            let domain = &checked.inventory.settings.domain;
            let probe = checked
                .zones
                .zones
                .iter()
                .find(|zone| zone.origin == *domain)
                .or_else(|| checked.zones.zones.first());
            if let Some(zone) = probe {
                server
                    .query(&zone.origin, RecordType::Soa)
                    .map_err(|source| Error::Unreachable {
                        server: address.to_string(),
                        zone: zone.origin.to_string(),
                        source,
                    })?;
            }
            (
                assertions::run_observed(&assertions, &server, &done),
                format!("server {address}"),
            )
        }
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    assertions::explain_failures(&resolver, &mut outcomes);
    let coverage = options
        .coverage
        .then(|| coverage::compute(&resolver, &checked.inventory, &assertions, &outcomes));
    let report = Report {
        assertions: &assertions,
        outcomes: &outcomes,
        sources: &sources,
        backend: &backend_name,
        coverage: coverage.as_ref(),
    };
    match options.format {
        Format::Human => report::human(out, &report, context.quiet)?,
        Format::Json => report::json(out, &report)?,
        Format::Github => report::github(out, &report)?,
        Format::Junit => report::junit(out, &report)?,
    }
    if let Some(path) = &options.junit {
        write_junit(path, &context.root, |out| report::junit(out, &report)).map_err(|source| {
            Error::Junit {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok(
        if outcomes
            .iter()
            .any(|outcome| outcome.verdict == Verdict::Fail)
        {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
    )
}

/// Malformed input (the zones' or the assertions'): the suite does not run, and its problems
/// are reported where its results would have been, so a CI reporter shows why instead of
/// nothing. The terminal's `path:line:col` lines go to `err` (for `--format github`, the
/// annotations on `out` are the log's lines), JSON or JUnit to `out` as asked, and the JUnit
/// file, when asked for, holds them as error test cases.
fn refuse(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
    mut problems: Vec<Diagnostic>,
    sources: &SourceMap,
) -> super::Error {
    diagnostic::sort(&mut problems);
    let printed = match options.format {
        Format::Github => {
            crate::report::write(out, crate::report::Format::Github, &problems, sources)
        }
        Format::Human => super::print_human(err, &problems, sources),
        Format::Json => super::print_human(err, &problems, sources)
            .and_then(|()| report::json_input_errors(out, &problems, sources)),
        Format::Junit => super::print_human(err, &problems, sources)
            .and_then(|()| report::junit_input_errors(out, &problems, sources)),
    };
    if let Err(error) = printed {
        return super::Error::Write(error);
    }
    if let Some(path) = &options.junit {
        let written = write_junit(path, &context.root, |out| {
            report::junit_input_errors(out, &problems, sources)
        });
        if let Err(source) = written {
            return Error::Junit {
                path: path.clone(),
                source,
            }
            .into();
        }
    }
    super::Error::Input {
        count: problems.len(),
    }
}

/// Writes the JUnit report atomically ([`DirectoryHandle::replace`](crate::filesystem::DirectoryHandle::replace)),
/// so a CI reader never sees half a file.
///
/// The path is usually inside a checkout, where a pull request could have committed a symbolic
/// link at it, at the temporary file beside it or as one of its parents, to make CI overwrite a
/// file elsewhere: a parent inside the repository must not lead out of it, the temporary file
/// is created afresh (the entry there removed, never written through) and the rename replaces a
/// link at `path` itself.
fn write_junit(
    path: &std::path::Path,
    repository: &std::path::Path,
    junit: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), filesystem::Error> {
    let (directory, name) = filesystem::open_parent(path, false, Some(repository))?;
    directory
        .replace(name, |out| {
            junit(out).map_err(filesystem::io_error("write", path))
        })
        .map(drop)
        .map_err(filesystem::WriteError::into_error)
}
