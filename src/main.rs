//! The `zonegate` binary: parse arguments, read the clock once, run a command, map the result to
//! an exit code (0 clean, 1 findings, 2 bad input or failure; a closed stdout pipe is 0).
#![allow(clippy::print_stderr)] // The one place that reports top-level errors.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use zonegate::cli;
use zonegate::commands::{self, Context, Outcome};
use zonegate::serial::Clock;

mod memory;

#[global_allocator]
static ALLOCATOR: memory::Budgeted = memory::Budgeted;

/// What `zonegate --version` prints after the name: the package version and the commit it was
/// built from (`0.1.0 (commit 6868eb4a1c2f 2026-12-04)`, see build.rs). Only the binary reads the
/// commit, so a new commit rebuilds this file and not the library.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("ZONEGATE_BUILD_COMMIT"),
    ")"
);

fn main() -> ExitCode {
    if let Err(message) = memory::set_budget_from_environment() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let args = match cli::parse(VERSION) {
        Ok(args) => args,
        Err(status) => return ExitCode::from(status),
    };
    let resolved = args.resolve(&|name| std::env::var(name).ok());
    let context = Context {
        root: resolved.repo,
        clock: read_clock(),
        quiet: resolved.quiet,
        progress: !resolved.quiet && io::stderr().is_terminal(),
    };
    // The commands style what a person reads; each stream keeps the styles only where colour is
    // wanted (a terminal, neither NO_COLOR nor CLICOLOR=0; or CLICOLOR_FORCE) and drops them
    // otherwise.
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(anstream::AutoStream::auto(stdout.lock()));
    let mut err = anstream::AutoStream::auto(io::stderr());
    let result = commands::run(&context, resolved.invocation, &mut out, &mut err);
    let flushed = out.flush();
    match (result, flushed) {
        (Err(commands::Error::Write(error)), _) | (_, Err(error))
            if error.kind() == io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        (Ok(Outcome::Clean), _) => ExitCode::SUCCESS,
        (Ok(Outcome::Findings), _) => ExitCode::from(1),
        (Err(error), _) => {
            eprintln!("error: {}", chain(&error));
            ExitCode::from(2)
        }
    }
}

/// The run's one reading of the clock. `SOURCE_DATE_EPOCH` (reproducible-builds.org) fixes it,
/// for reproducible output and tests.
#[allow(clippy::disallowed_methods)] // The one place that reads the clock.
fn read_clock() -> Clock {
    let fixed = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|value| value.trim().parse::<u64>().ok());
    let unix_seconds = fixed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    });
    Clock { unix_seconds }
}

/// `error: cause: cause`, like anyhow's `{:#}`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
