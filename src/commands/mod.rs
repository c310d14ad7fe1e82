//! The commands: each runs the pipeline stages it needs and reports.
//!
//! One file per command; a command uses the stages through [`pipeline`] (load + build + check,
//! render + verify + publish, build two revisions), never through another command.
//!
//! Commands write data to `out` and progress and logs to `err` (both passed in, so tests capture
//! them), return [`Outcome::Findings`] when a check or test failed, and `Err` when the tool could
//! not do its job or the input is malformed. Only `main` turns these into exit codes. [`run`]
//! runs the [`Invocation`] `cli` resolved a command line into.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::diagnostic::{self, Diagnostic, SourceMap};
use crate::inventory;
use crate::serial::Clock;

pub mod bot;
pub mod check;
pub mod deploy;
pub mod diff;
pub mod download;
pub mod explain;
pub mod init;
pub mod man;
pub mod pipeline;
pub mod pr;
pub mod regen;
pub mod render;
pub mod schema;
pub mod test;

/// A command with its options: what `cli` resolves a command line into and [`run`] runs.
#[derive(Debug)]
pub enum Invocation {
    /// `zonegate render`.
    Render(render::Options),
    /// `zonegate check`.
    Check(check::Options),
    /// `zonegate test`.
    Test(test::Options),
    /// `zonegate diff`.
    Diff(diff::Options),
    /// `zonegate bot`.
    Bot(bot::Options),
    /// `zonegate pr ...`.
    Pr {
        /// What to do.
        action: pr::Action,
        /// The SSH key the record is signed with (`--signing-key`).
        signing_key: Option<PathBuf>,
    },
    /// `zonegate deploy`.
    Deploy(deploy::Options),
    /// `zonegate regen`.
    Regen(regen::Options),
    /// `zonegate init`.
    Init(init::Options),
    /// `zonegate explain`.
    Explain(explain::Request),
    /// `zonegate schema`.
    Schema(crate::schema::Kind),
    /// `zonegate completions`: print this script.
    Completions(Vec<u8>),
    /// `zonegate man`: these pages (file name, roff; the main page first).
    Man {
        /// The pages.
        pages: Vec<(String, Vec<u8>)>,
        /// Write every page here instead of printing the main one.
        directory: Option<PathBuf>,
    },
}

/// Runs `invocation`.
pub fn run(
    context: &Context,
    invocation: Invocation,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    match invocation {
        Invocation::Render(options) => render::run(context, &options, out, err),
        Invocation::Check(options) => check::run(context, &options, out, err),
        Invocation::Test(options) => test::run(context, &options, out, err),
        Invocation::Diff(options) => diff::run(context, &options, out, err),
        Invocation::Bot(options) => bot::run(context, options, out, err),
        Invocation::Pr {
            action,
            signing_key,
        } => pr::run(context, &action, signing_key.as_deref(), out),
        Invocation::Deploy(options) => deploy::run(context, &options, out, err),
        Invocation::Regen(options) => regen::run(context, &options, out, err),
        Invocation::Init(options) => init::run(&options, context.quiet, out, err),
        Invocation::Explain(request) => explain::run(&request, out),
        Invocation::Schema(kind) => schema::run(kind, out),
        Invocation::Completions(script) => {
            out.write_all(&script)?;
            Ok(Outcome::Clean)
        }
        Invocation::Man { pages, directory } => man::run(&pages, directory.as_deref(), out),
    }
}

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

/// The command line that prints a difference whole, for a shortened report's note: `root` as
/// `--repo` unless it is the current directory, the revisions as given (no `--head` for the
/// working tree), each word quoted for a POSIX shell.
pub fn rerun_command(root: &Path, base: &str, head: Option<&str>) -> String {
    let mut command = String::from("zonegate");
    if root != Path::new(".") {
        command.push_str(" --repo ");
        command.push_str(&shell_word(&root.to_string_lossy()));
    }
    command.push_str(" diff --base ");
    command.push_str(&shell_word(base));
    if let Some(head) = head {
        command.push_str(" --head ");
        command.push_str(&shell_word(head));
    }
    command
}

/// `word` as one word of a POSIX shell command (bash, zsh, dash): as it is when it holds only
/// characters no shell treats specially, otherwise in single quotes. `^` and `~` are quoted too:
/// zsh's extended globbing gives them meaning (`HEAD^1` would be a pattern).
pub fn shell_word(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b'-' | b'_' | b'.' | b'/' | b':' | b'@' | b'%' | b'+' | b'=' | b','
                )
        });
    if plain {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', "'\\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn words_a_shell_would_change_are_quoted() {
        assert_eq!(shell_word("main"), "main");
        assert_eq!(shell_word("origin/release-1.2"), "origin/release-1.2");
        // zsh with extended globbing reads ^ and ~ as patterns.
        assert_eq!(shell_word("HEAD^1"), "'HEAD^1'");
        assert_eq!(shell_word("HEAD~2"), "'HEAD~2'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$(rm -rf /)"), "'$(rm -rf /)'");
    }
}
