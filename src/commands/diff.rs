//! `zonegate diff --base REV [--head REV]`: build two revisions and print their record-level
//! difference with its blast radius.
//!
//! Revisions are read straight from git objects (no checkout, no temporary clone). Without
//! `--head` the head is the working tree, as `git diff REV` compares REV with the working tree;
//! `--head HEAD` compares with the last commit. Both revisions are loaded and built in parallel.

use std::io::Write;

use super::pipeline::{build_revisions, revision_files};
use super::{Context, Error, Outcome, print_human, rerun_command};
use crate::diff::{self, Side, markdown, report};
use crate::git::Repo;
use crate::inventory;
use crate::inventory::files::{Directory, Files};

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
    let (base, head) = build_revisions(context, &base_files, head_files.as_ref());
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
