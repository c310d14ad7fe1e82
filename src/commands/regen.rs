//! `zonegate regen --cmdb FILE|URL`: propose a new CMDB export as one pull request.
//!
//! Reads the export (a URL is downloaded first, within deadlines, into a private temporary
//! file: [`super::download`]), builds the default branch as it is and as it would be with the
//! export, and when records change commits the export on the regeneration branch (one commit on
//! top of the default branch, replaced by each run) and opens or updates the one pull request
//! from it, with the diff as its comment. When nothing changes, or the same export is already proposed, it
//! writes nothing and says so, so cron can run it every few minutes.
//!
//! Forges: the local forge (pull requests recorded in the git repository; the commit is written
//! there) and GitHub (the commit is made through the Git Data API, on the default branch's tip,
//! which the local repository must have; the diff is the pull request's body). Nothing is
//! checked out.
#![allow(clippy::disallowed_methods)] // IO edge: reads the export given on the command line.

use std::io::Write;
use std::path::PathBuf;

use super::ForgeChoice;
use super::download;
use super::pipeline::{build, build_with, with_check};
use super::{Context, Error, Outcome, print_input_errors, shell_word};
use crate::diagnostic::Severity;
use crate::diff::{self, Diff, Side, markdown, report};
use crate::git::{Identity, Repo};
use crate::inventory::config::LoadOptions;
use crate::inventory::files::Files;
use crate::merge::forge::Forge;
use crate::merge::github::{GitHub, Proposal, Proposed};
use crate::merge::local::{Local, NewPull};
use crate::regen;

/// The comment marker of regeneration pull requests (one comment, updated in place).
pub const COMMENT_MARKER: &str = "<!-- zonegate:regen -->";

/// Options of `zonegate regen`.
#[derive(Debug)]
pub struct Options {
    /// Where to propose. On GitHub the commit is made through the Git Data API on the default
    /// branch's tip, which must also be in the local repository (fetch before running).
    pub forge: ForgeChoice,
    /// The new export: a file, or an http(s) URL to download.
    pub cmdb: PathBuf,
    /// How long downloading a URL may take.
    pub download: download::Deadlines,
    /// The branch proposals live on.
    pub branch: String,
    /// Say what would happen; write nothing.
    pub dry_run: bool,
}

/// Runs `regen`.
pub fn run(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let repo = Repo::discover(&context.root)?;
    if options.dry_run {
        repo.write_to_memory()?;
    }
    let now = i64::try_from(context.clock.unix_seconds).unwrap_or(i64::MAX);
    let local = Local::new(repo.clone(), now);
    let github = match &options.forge {
        ForgeChoice::Local => None,
        ForgeChoice::GitHub {
            api,
            repository,
            token,
        } => {
            let token = token.clone().ok_or_else(|| {
                Error::Forge(crate::merge::forge::Error::Configuration(
                    "no GitHub token: set ZONEGATE_TOKEN or GITHUB_TOKEN".to_owned(),
                ))
            })?;
            Some(GitHub::new(api, repository, token)?)
        }
    };
    let forge: &dyn Forge = match &github {
        Some(github) => github,
        None => &local,
    };
    let base = forge.default_branch()?;
    let base_commit = match &github {
        None => repo
            .branch_tip(&base)?
            .ok_or_else(|| Error::Usage(format!("the default branch `{base}` does not exist")))?,
        Some(github) => {
            let tip = github.branch_tip(&base)?;
            match repo.resolve(&tip) {
                Ok(commit) if repo.has_commit(commit) => commit,
                _ => {
                    return Err(Error::Usage(format!(
                        "{base} on GitHub is at {tip}, which the local repository does not have; fetch first"
                    )));
                }
            }
        }
    };
    let base_tree = repo.commit_tree(base_commit)?;
    let base_files = repo.files(base_tree, &base)?;
    // An export given as a URL is fetched once into a private temporary file (removed on
    // return) and then read like any other.
    let fetched = download::fetch(&options.cmdb, &options.download)?;
    let cmdb = fetched.path().to_path_buf();
    let new_export = std::fs::read(&cmdb).map_err(|source| {
        Error::Read(crate::inventory::Error::Read {
            path: cmdb.clone(),
            source,
        })
    })?;

    let base_side = build(&base_files).map_err(|error| print_input_errors(error, err))?;
    let export_path = base_side
        .inventory
        .settings
        .cmdb
        .path
        .to_string_lossy()
        .replace('\\', "/");
    let export_name = download::name(&options.cmdb);
    if base_files.read(&export_path).ok().flatten().as_deref() == Some(new_export.as_slice()) {
        writeln!(
            out,
            "nothing changed: {} is the export on {base} ({export_path}); no commit, no pull request",
            download::shown(&options.cmdb)
        )?;
        return Ok(Outcome::Clean);
    }

    // The head side: the same tree with the new export (malformed input stops here, exit 2).
    let head_side = build_with(
        &base_files,
        &LoadOptions {
            cmdb: Some(cmdb.clone()),
        },
    )
    .map_err(|error| print_input_errors(error, err))?;
    let (base_view, head_view) = (
        Side {
            inventory: &base_side.inventory,
            zones: &base_side.zones,
        },
        Side {
            inventory: &head_side.inventory,
            zones: &head_side.zones,
        },
    );
    let difference = diff::diff(base_view, head_view);
    // The export's findings name it by the path it gets on the branch, not the file given.
    let shown_sources = head_side.inventory.sources.renamed(&cmdb, &export_path);
    let check = check_findings(
        head_side.diagnostics,
        &head_side.inventory,
        &head_side.zones,
        &shown_sources,
    );
    let base_errors = check_findings(
        base_side.diagnostics.clone(),
        &base_side.inventory,
        &base_side.zones,
        &base_side.inventory.sources,
    )
    .errors
    .len();
    // An export whose rows fail check may change no record (a duplicate address makes none);
    // it is still proposed, so the pull request says what is wrong with it.
    if !regen::changes_records(&difference) && check.errors.len() <= base_errors {
        writeln!(
            out,
            "the export differs from {base}:{export_path}, but no record changes; no commit, no pull request"
        )?;
        return Ok(Outcome::Clean);
    }
    let summary = regen::summarise(&difference, &export_name, &check);
    let outcome = if check.errors.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    };
    // The regeneration commit replaces the export and nothing else: no file fact changes.
    let unchanged = diff::RevisionFiles::default();
    let large = diff::large_changes(
        &difference,
        base_view,
        head_view,
        diff::large::FilePair {
            base: &unchanged,
            head: &unchanged,
        },
        &base_side.inventory.settings.policy,
    );
    let alert = if check.errors.is_empty() {
        String::new()
    } else {
        format!(
            "**The new export fails `check`: {} error(s); the bot will not merge this as it is.** They are listed at the end.\n\n",
            check.errors.len()
        )
    };
    let rerun = rerun_command(context, &options.branch, github.is_some());
    let comment = proposal_text(
        &alert,
        &difference,
        &report::Labels {
            base: &base,
            head: &options.branch,
            large_changes: &large,
            rerun: Some(&rerun),
        },
        &summary,
    );

    if let Some(github) = &github {
        if options.dry_run {
            writeln!(out, "{}\n\n{}", summary.title, summary.body)?;
            writeln!(
                out,
                "dry run: would commit the export on {} through the GitHub API and open or update its pull request",
                options.branch
            )?;
            return Ok(outcome);
        }
        let text = std::str::from_utf8(&new_export).map_err(|_| {
            Error::Usage(format!(
                "{} is not UTF-8 text; GitHub proposals carry text exports",
                download::shown(&options.cmdb)
            ))
        })?;
        let message = format!("{}\n\n{}", summary.title, summary.body);
        let proposed = github.propose(&Proposal {
            base: &base,
            base_sha: &base_commit.to_string(),
            branch: &options.branch,
            path: &repo.path_in_git(&export_path),
            content: text,
            blob_sha: &Repo::blob_id(&new_export)?.to_string(),
            message: &message,
            title: &summary.title,
            body: &comment,
        })?;
        let (verb, number) = match proposed {
            Proposed::Opened(number) => ("opened", number),
            Proposed::Updated(number) => ("updated", number),
            Proposed::Unchanged(number) => ("already proposed in", number),
        };
        writeln!(
            out,
            "{verb} pull request #{number} ({} -> {base}): {}",
            options.branch, summary.title
        )?;
        return Ok(outcome);
    }
    let forge = &local;

    // Already proposed: the branch holds this very export on top of the current base.
    let branch_tip = repo.branch_tip(&options.branch)?;
    let proposed = match branch_tip {
        Some(tip) => {
            let files = repo.files(repo.commit_tree(tip)?, &options.branch)?;
            repo.commit_parents(tip)? == [base_commit]
                && files.read(&export_path).ok().flatten().as_deref() == Some(new_export.as_slice())
        }
        None => false,
    };
    if options.dry_run {
        writeln!(out, "{}\n\n{}", summary.title, summary.body)?;
        writeln!(
            out,
            "dry run: {}",
            if proposed {
                "already proposed; nothing would change"
            } else {
                "would commit the export on the branch and open or update its pull request"
            }
        )?;
        return Ok(outcome);
    }
    if !proposed {
        let tree = repo.replace_file(base_tree, &export_path, &new_export)?;
        let identity = Identity {
            name: "zonegate".to_owned(),
            email: "zonegate@zonegate.invalid".to_owned(),
            unix_seconds: now,
        };
        let message = format!("{}\n\n{}", summary.title, summary.body);
        let commit = repo.commit(tree, &[base_commit], &message, &identity)?;
        if !repo.set_branch(&options.branch, branch_tip, commit, "zonegate regen")? {
            return Err(Error::Usage(format!(
                "branch {} moved while regen was writing it; run again",
                options.branch
            )));
        }
        writeln!(
            out,
            "committed {commit} on {}: {}",
            options.branch, summary.title
        )?;
    }

    let existing = forge
        .open_pull_requests(&base)?
        .into_iter()
        .find(|pull| pull.head_ref == options.branch);
    let number = match &existing {
        Some(pull) => {
            if pull.title != summary.title {
                forge.set_title(pull.number, "zonegate", &summary.title)?;
            }
            pull.number
        }
        None => forge.create_pull(&NewPull {
            title: &summary.title,
            author: "zonegate",
            head: &options.branch,
            base: &base,
            draft: false,
            labels: &[],
        })?,
    };
    let pull = forge.pull_request(number)?;
    forge.upsert_comment(&pull, COMMENT_MARKER, &comment)?;
    writeln!(
        out,
        "{} pull request #{number} ({} -> {base})",
        match (&existing, proposed) {
            (None, _) => "opened",
            (Some(_), true) => "already proposed in",
            (Some(_), false) => "updated",
        },
        options.branch
    )?;
    Ok(outcome)
}

/// What `check` finds in a side built with `build_diagnostics`, errors printed with `sources`.
fn check_findings(
    build_diagnostics: Vec<crate::diagnostic::Diagnostic>,
    inventory: &crate::inventory::Inventory,
    zones: &crate::model::zone::ZoneSet,
    sources: &crate::diagnostic::SourceMap,
) -> regen::CheckFindings {
    let mut findings = regen::CheckFindings::default();
    for diagnostic in with_check(build_diagnostics, zones, inventory) {
        match diagnostic.severity {
            Severity::Error => findings
                .errors
                .push(diagnostic.display(sources).to_string()),
            Severity::Warning => findings.warnings += 1,
            Severity::Off => {}
        }
    }
    findings
}

/// The pull request's one comment (local forge) or its body (GitHub): the marker, `alert` (the
/// check errors' warning, or nothing), the Markdown diff and the commit message's summary,
/// together within what GitHub accepts in a body.
fn proposal_text(
    alert: &str,
    difference: &Diff,
    labels: &report::Labels<'_>,
    summary: &regen::Summary,
) -> String {
    let summary_block = format!(
        "```\n{}\n{}```\n",
        summary.title,
        summary.body.replace("```", "'''")
    );
    let budget = markdown::COMMENT_BUDGET
        .saturating_sub(COMMENT_MARKER.len() + 2 + alert.len() + summary_block.len());
    let report = markdown::markdown(difference, labels, budget);
    format!("{COMMENT_MARKER}\n{alert}{report}\n{summary_block}")
}

/// The command that prints a proposal's whole difference: the branch's commit against its
/// parent, the default branch's tip it was made on (in a clone of a GitHub repository, after a
/// fetch).
fn rerun_command(context: &Context, branch: &str, on_github: bool) -> String {
    if on_github {
        let remote = format!("origin/{branch}");
        return format!(
            "git fetch origin && zonegate diff --base {} --head {}",
            shell_word(&format!("{remote}^1")),
            shell_word(&remote)
        );
    }
    super::rerun_command(&context.root, &format!("{branch}^1"), Some(branch))
}
