//! The pipeline as the commands run it: load + build + check ([`load_and_check`]), build a
//! revision or two ([`build`], [`build_revisions`]) and read its file facts
//! ([`revision_files`]), and render + verify + publish ([`rendering`]). Every command strings these together; no command imports another.

use std::path::Path;

use crate::diagnostic::{self, Diagnostic};
use crate::diff::RevisionFiles;
use crate::inventory::config::LoadOptions;
use crate::inventory::files::{Directory, Files, YamlEntry};
use crate::inventory::{self, Inventory};
use crate::model::{self, zone::ZoneSet};

use super::Context;

pub mod rendering;

pub(crate) use rendering::Template;
pub use rendering::{Publication, ZonePlan, plan, publish, render_all, verify_templates};

/// Everything up to and including `check`, shared by render, check, test and deploy.
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
/// own format (see [`super::print_input_errors`]).
pub fn load_and_check(context: &Context, cmdb: Option<&Path>) -> Result<Checked, inventory::Error> {
    let progress = Progress::new(context.progress);
    progress.stage("reading the repository");
    let options = LoadOptions {
        cmdb: cmdb.map(Path::to_path_buf),
    };
    let inventory = inventory::config::load_with(&Directory::new(&context.root), &options)
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

/// A revision, loaded and built.
#[derive(Debug)]
pub struct Built {
    /// Its inventory.
    pub inventory: Inventory,
    /// Its zones.
    pub zones: ZoneSet,
    /// Findings from building them (the check rules are not run).
    pub diagnostics: Vec<Diagnostic>,
}

/// Loads and builds the repository in `files` (no check rules: a difference needs the zones
/// only).
pub fn build(files: &dyn Files) -> Result<Built, inventory::Error> {
    build_with(files, &LoadOptions::default())
}

/// [`build`] with load options (another CMDB export).
pub fn build_with(files: &dyn Files, options: &LoadOptions) -> Result<Built, inventory::Error> {
    let inventory = inventory::config::load_with(files, options)?;
    let (zones, diagnostics) = model::build(&inventory);
    Ok(Built {
        inventory,
        zones,
        diagnostics,
    })
}

/// Builds two revisions in parallel, with a spinner on a terminal.
pub fn build_revisions(
    context: &Context,
    base: &dyn Files,
    head: &dyn Files,
) -> (
    Result<Built, inventory::Error>,
    Result<Built, inventory::Error>,
) {
    let progress = Progress::new(context.progress);
    progress.stage("reading and building both revisions");
    let built = rayon::join(|| build(base), || build(head));
    progress.finish();
    built
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

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // Reads the sources of the commands.

    use std::path::Path;

    /// The files of `src/commands/` that are commands (not this module, not the parent, not
    /// regen's download edge).
    fn commands() -> Vec<String> {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let mut names: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .filter_map(|entry| {
                let path = entry.unwrap().path();
                let stem = path.file_stem()?.to_str()?.to_owned();
                (path.extension()? == "rs" && !["mod", "download"].contains(&stem.as_str()))
                    .then_some(stem)
            })
            .collect();
        names.sort();
        names
    }

    /// The commands `source` names through `super::` or `commands::`.
    fn imported(source: &str, commands: &[String]) -> Vec<String> {
        let mut named = Vec::new();
        for command in commands {
            let paths = [
                format!("super::{command}::"),
                format!("super::{command};"),
                format!("commands::{command}::"),
            ];
            let in_list = source.split("use super::{").skip(1).any(|list| {
                list.split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .any(|item| item.trim().split("::").next() == Some(command.as_str()))
            });
            if in_list || paths.iter().any(|path| source.contains(path.as_str())) {
                named.push(command.clone());
            }
        }
        named
    }

    #[test]
    fn no_command_imports_another() {
        let commands = commands();
        assert!(commands.len() >= 12, "{commands:?}");
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let mut found = Vec::new();
        for command in &commands {
            let source = std::fs::read_to_string(directory.join(format!("{command}.rs"))).unwrap();
            for other in imported(&source, &commands) {
                if &other != command {
                    found.push(format!("commands/{command}.rs uses commands::{other}"));
                }
            }
        }
        assert!(
            found.is_empty(),
            "shared stages belong in commands::pipeline: {found:?}"
        );
    }

    #[test]
    fn an_import_of_another_command_is_seen() {
        let commands = ["diff".to_owned(), "render".to_owned()];
        assert_eq!(
            imported("use super::diff::{Built, build};", &commands),
            ["diff"]
        );
        assert_eq!(
            imported("use super::{Context, render, print_human};", &commands),
            ["render"]
        );
        assert_eq!(
            imported("crate::commands::render::render_all(", &commands),
            ["render"]
        );
        assert!(imported("use super::pipeline::build;", &commands).is_empty());
    }
}
