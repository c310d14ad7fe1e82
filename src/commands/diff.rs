//! `zonegate diff --base REV [--head REV]`: build two revisions and print their record-level
//! difference with its blast radius.
//!
//! Revisions are read straight from git objects (no checkout, no temporary clone). Without
//! `--head` the head is the working tree, as `git diff REV` compares REV with the working tree;
//! `--head HEAD` compares with the last commit. Both revisions are loaded and built in parallel.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use super::{Context, Error, Outcome, print_human};
use crate::diff::{self, RevisionFiles, Side, markdown, report};
use crate::git::Repo;
use crate::inventory::files::{Directory, Files, YamlEntry};
use crate::inventory::{self, Inventory};
use crate::model::{self, zone::ZoneSet};

/// Output formats of `diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Summary and records for people.
    Human,
    /// One JSON object.
    Json,
    /// A pull-request comment.
    Markdown,
}

/// Options of `zonegate diff`.
#[derive(Clone, Debug)]
pub struct Options {
    /// The base revision.
    pub base: String,
    /// The head revision; `None` for the working tree.
    pub head: Option<String>,
    /// Output format.
    pub format: Format,
    /// With [`Format::Markdown`]: the most bytes the report may take (`Some(0)`: no limit;
    /// `None`: [`markdown::COMMENT_BUDGET`], what fits a pull-request comment).
    pub max_bytes: Option<usize>,
}

/// A revision, loaded and built.
#[derive(Debug)]
pub struct Built {
    /// Its inventory.
    pub inventory: Inventory,
    /// Its zones.
    pub zones: ZoneSet,
    /// Findings from building them (the check rules are not run).
    pub diagnostics: Vec<crate::diagnostic::Diagnostic>,
}

/// Runs `diff`.
pub fn run(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let budget = markdown_budget(options)?;
    let repo = Repo::discover(&context.root)?;
    let base_commit = repo.resolve(&options.base)?;
    let base_tree = repo.commit_tree(base_commit)?;
    let base_files = repo.files(base_tree, &options.base)?;
    let base_root = repo.root_files(base_tree, &options.base);
    // The head's zones repository, and its git root for CODEOWNERS and the local forge's files.
    let (head_files, head_root, head_label): (Box<dyn Files>, Box<dyn Files>, String) =
        match &options.head {
            Some(head) => {
                let tree = repo.commit_tree(repo.resolve(head)?)?;
                (
                    Box::new(repo.files(tree, head)?),
                    Box::new(repo.root_files(tree, head)),
                    head.clone(),
                )
            }
            None => (
                Box::new(Directory::new(&context.root)),
                Box::new(Directory::new(
                    repo.work_tree().as_deref().unwrap_or(&context.root),
                )),
                "working tree".to_owned(),
            ),
        };
    let progress = super::Progress::new(context.progress);
    progress.stage("reading and building both revisions");
    let (base, head) = rayon::join(|| build(&base_files), || build(head_files.as_ref()));
    progress.finish();
    let base = base.map_err(|error| input_error(&options.base, error, err))?;
    let head = head.map_err(|error| input_error(&head_label, error, err))?;

    let (base_side, head_side) = (
        Side {
            inventory: &base.inventory,
            zones: &base.zones,
        },
        Side {
            inventory: &head.inventory,
            zones: &head.zones,
        },
    );
    let difference = diff::diff(base_side, head_side);
    let base_facts = revision_files(&base_root, &base_files)?;
    let head_facts = revision_files(head_root.as_ref(), head_files.as_ref())?;
    let large = diff::large_changes(
        &difference,
        base_side,
        head_side,
        diff::large::FilePair {
            base: &base_facts,
            head: &head_facts,
        },
        &base.inventory.settings.policy,
    );
    let rerun = rerun_command(&context.root, &options.base, options.head.as_deref());
    let labels = report::Labels {
        base: &options.base,
        head: &head_label,
        large_changes: &large,
        rerun: Some(&rerun),
    };
    match options.format {
        Format::Human => report::human(out, &difference, &labels)?,
        Format::Json => report::json(out, &difference, &labels)?,
        Format::Markdown => {
            out.write_all(markdown::markdown(&difference, &labels, budget).as_bytes())?;
        }
    }
    Ok(Outcome::Clean)
}

/// The Markdown report's budget in bytes, from `--max-bytes`.
fn markdown_budget(options: &Options) -> Result<usize, Error> {
    match (options.max_bytes, options.format) {
        (None, _) => Ok(markdown::COMMENT_BUDGET),
        (Some(_), Format::Human | Format::Json) => Err(Error::Usage(
            "--max-bytes bounds the Markdown report; use it with --format markdown".to_owned(),
        )),
        (Some(0), Format::Markdown) => Ok(usize::MAX),
        (Some(bytes), Format::Markdown) if bytes < markdown::MINIMUM_BUDGET => {
            Err(Error::Usage(format!(
                "--max-bytes {bytes} is too small: a report needs at least {} bytes (0 for no limit)",
                markdown::MINIMUM_BUDGET
            )))
        }
        (Some(bytes), Format::Markdown) => Ok(bytes),
    }
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

/// Loads and builds the repository in `files` (no check rules: the difference needs the zones
/// only).
pub fn build(files: &dyn Files) -> Result<Built, inventory::Error> {
    let inventory =
        inventory::config::load_with(files, &inventory::config::LoadOptions::default())?;
    let (zones, diagnostics) = model::build(&inventory);
    Ok(Built {
        inventory,
        zones,
        diagnostics,
    })
}

/// The file facts of one revision that its large changes and the bot need: CODEOWNERS, the local
/// forge's allowed signers and the freeze file from the git root (`root`), the assertions from the zones repository
/// (`repository`). An assertion file that cannot be read is left out here: loading the
/// assertions reports it.
pub fn revision_files(
    root: &dyn Files,
    repository: &dyn Files,
) -> Result<RevisionFiles, inventory::Error> {
    let read = |path: &str| {
        root.read(path)
            .map_err(|source| inventory::Error::Read {
                path: root.locate(path),
                source,
            })
            .map(|bytes| bytes.map(|bytes| (path.to_owned(), bytes)))
    };
    let mut codeowners = Vec::new();
    for path in crate::merge::codeowners::LOCATIONS {
        codeowners.extend(read(path)?);
    }
    let assertions = inventory::files::yaml_directory(repository, "assertions")?
        .into_iter()
        .filter_map(|entry| match entry {
            YamlEntry::Read { path, bytes } => Some((path, bytes)),
            YamlEntry::Unreadable { .. } => None,
        })
        .collect();
    Ok(RevisionFiles {
        codeowners,
        allowed_signers: read(crate::merge::ALLOWED_SIGNERS)?,
        assertions,
        freeze: read(crate::merge::FREEZE_FILE)?,
    })
}

/// Prints a revision's load failure, naming the revision, and returns the command's error.
fn input_error(revision: &str, error: inventory::Error, err: &mut dyn Write) -> Error {
    match error {
        inventory::Error::Invalid {
            mut diagnostics,
            sources,
        } => {
            crate::diagnostic::sort(&mut diagnostics);
            let printed = writeln!(err, "in revision {revision}:")
                .and_then(|()| print_human(err, &diagnostics, &sources));
            if let Err(error) = printed {
                return Error::Write(error);
            }
            Error::Input {
                count: diagnostics.len(),
            }
        }
        error @ inventory::Error::Read { .. } => Error::Read(error),
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
