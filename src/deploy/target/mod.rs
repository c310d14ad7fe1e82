//! IO edge: installing a plan on one target, verifying it live, and rolling it back.
//!
//! Files: every zone file is written to a temporary file in the zone directory, synced and
//! renamed over the old one, then the directory is synced, so the server only ever opens a
//! complete old file or a complete new one. Beside the zone directory, the target's state
//! directory holds:
//!
//! - `lock`: one deploy at a time ([`filesystem::lock`]; the holder's pid is written in it);
//! - `deployed.json`: what zonegate installed last ([`State`]);
//! - `previous/`: the files the last deploy replaced (the rollback set, kept after success);
//! - `journal.json`: written before the first file is replaced and removed when the deploy is
//!   committed or rolled back. A journal found by the next deploy means a deploy was killed; it
//!   is rolled back first ([`TargetLock::recover`]).
//!
//! Steps after the files: an optional checker, the reload command, polling the served SOA
//! serials, the live assertions (a hook the command supplies), NOTIFY to each secondary and
//! polling their serials. Any failure restores the previous files, reloads, and confirms the old
//! serials are served again.
//!
//! This module has the paths, the lock, what is deployed and [`TargetLock::apply`]; `journal.rs`
//! the journal, the previous set and the rollback; `commands.rs` the checker and reload
//! commands; `server.rs` the served serials and NOTIFY.
#![allow(clippy::disallowed_methods)] // IO edge: writes zone directories and runs server commands.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use serde::Serialize;

use super::{Deployed, DeployedZone, InstalledZone, Plan, PlannedZone, Served, State};
use crate::filesystem::{self, DirectoryHandle, FileLock, WriteError, temporary_name};
use crate::inventory::deploy::{Command, DeployTarget};

mod commands;
mod journal;
mod server;

use journal::{Journal, JournalZone};
use server::{describe_serials, notify_and_wait, served, wait_for_serials};

/// In the state directory: what zonegate installed last.
const STATE_FILE: &str = "deployed.json";
/// In the state directory: the deploy in progress.
const JOURNAL_FILE: &str = "journal.json";
/// In the state directory: the files the last deploy replaced.
const PREVIOUS_DIRECTORY: &str = "previous";
/// In the state directory: the output of the last command run.
const COMMAND_LOG: &str = "command.log";

/// The deploy could not get started on a target (exit 2). Failures while applying are not
/// errors: they are rolled back and reported in a [`Report`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory of the state or zone directory could not be read or written.
    #[error(transparent)]
    Filesystem(#[from] filesystem::Error),
    /// `deployed.json` or `journal.json` is not what zonegate writes.
    #[error("cannot parse {}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Another deploy holds the target's lock and `--no-wait` was given.
    #[error("another deploy to target `{target}` is running ({holder}); not waiting (--no-wait)")]
    Busy {
        /// The target.
        target: String,
        /// What the lock file says about its holder.
        holder: String,
    },
}

/// Where a target's files are, resolved against the repository root.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The zone directory the server reads.
    pub zone_directory: PathBuf,
    /// The lock, journal, state and previous set.
    pub state_directory: PathBuf,
    /// The repository root: a directory inside it must not lead out through a symbolic link.
    repository: PathBuf,
}

impl Paths {
    /// Resolves the configured directories (relative ones against `root`).
    pub fn new(target: &DeployTarget, root: &Path) -> Self {
        let zone_directory = root.join(&target.zone_directory);
        let state_directory = if let Some(directory) = &target.state_directory {
            root.join(directory)
        } else {
            let name = zone_directory.file_name().map_or_else(
                || "zones".into(),
                |name| name.to_string_lossy().into_owned(),
            );
            let parent = zone_directory
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            parent.join(format!(".{name}.zonegate-deploy"))
        };
        Self {
            zone_directory,
            state_directory,
            repository: root.to_path_buf(),
        }
    }

    /// The zone directory; `None` when it does not exist.
    fn zones(&self) -> Result<Option<DirectoryHandle>, filesystem::Error> {
        DirectoryHandle::open_if_exists(&self.zone_directory, Some(&self.repository))
    }

    /// The state directory; `None` when it does not exist.
    fn state(&self) -> Result<Option<DirectoryHandle>, filesystem::Error> {
        DirectoryHandle::open_if_exists(&self.state_directory, Some(&self.repository))
    }

    /// Where a zone file is staged before it is renamed into place, for messages and commands.
    fn staged(&self, file: &str) -> PathBuf {
        self.zone_directory.join(temporary_name(file.as_ref()))
    }
}

/// Reads what is deployed on a target: the state file, the files in the zone directory, and
/// (when the target has a server) the served serial of every zone in `origins` and in the state.
pub fn read_deployed(
    target: &DeployTarget,
    paths: &Paths,
    origins: &[(String, String)],
) -> Result<Deployed, Error> {
    let state = match paths.state()? {
        Some(directory) => read_state(&directory)?,
        None => State::default(),
    };
    let zone_directory = paths.zones()?;
    let mut all: Vec<(String, Option<String>)> = origins
        .iter()
        .map(|(origin, file)| (origin.clone(), Some(file.clone())))
        .collect();
    for installed in &state.zones {
        if !all.iter().any(|(origin, _)| *origin == installed.origin) {
            all.push((installed.origin.clone(), None));
        }
    }
    // Zones are independent: hash the files and ask the server in parallel, so hundreds of
    // reverse zones (or a server that does not answer) cost one timeout, not hundreds.
    let zones: Vec<DeployedZone> = all
        .into_par_iter()
        .map(|(origin, file)| {
            let installed = state
                .zones
                .iter()
                .find(|zone| zone.origin == origin)
                .cloned();
            let file = file.or_else(|| installed.as_ref().map(|zone| zone.file.clone()));
            let file_sha256 = match (&file, &zone_directory) {
                (Some(file), Some(directory)) => {
                    directory.digest(file)?.map(|digest| digest.sha256)
                }
                _ => None,
            };
            let served = match target.server {
                Some(server) => served(server, &origin, Duration::from_secs(3)),
                None => Served::Unknown,
            };
            Ok(DeployedZone {
                origin,
                installed,
                file_sha256,
                served,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(Deployed { zones })
}

/// Exclusive hold on a target for one deploy.
#[derive(Debug)]
pub struct TargetLock {
    paths: Paths,
    /// The state directory, which holds the lock.
    state: DirectoryHandle,
    _lock: FileLock,
}

/// Takes the target's lock. When another deploy holds it: with `wait`, calls `waiting` with
/// the holder's description and blocks until it is released; without, returns
/// [`Error::Busy`].
pub fn lock(
    target: &DeployTarget,
    paths: &Paths,
    wait: bool,
    waiting: impl FnOnce(&str),
) -> Result<TargetLock, Error> {
    let state = DirectoryHandle::create_all(&paths.state_directory, Some(&paths.repository))?;
    let lock = match filesystem::lock(&state, "lock", wait, waiting) {
        Ok(lock) => lock,
        Err(filesystem::Error::Busy { holder, .. }) => {
            return Err(Error::Busy {
                target: target.name.clone(),
                holder,
            });
        }
        Err(error) => return Err(error.into()),
    };
    Ok(TargetLock {
        paths: paths.clone(),
        state,
        _lock: lock,
    })
}

/// A zone file to install, with the plan entry it implements.
#[derive(Clone, Debug)]
pub struct NewZone {
    /// The plan's decision (origin, file, serial).
    pub planned: PlannedZone,
    /// Hash of the content without the serial.
    pub content_hash: String,
}

/// Writes a zone's master file with the planned serial into `out` (the command renders straight
/// into the staged file, so a large zone never exists as one string).
pub type WriteZone<'a> = &'a dyn Fn(&PlannedZone, &mut dyn Write) -> Result<(), String>;

/// The verdict of the live assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveVerdict {
    /// Every assertion passed against the server.
    Passed {
        /// How many assertions ran.
        count: usize,
    },
    /// Some failed.
    Failed {
        /// How many.
        failed: usize,
        /// The report to show, line by line.
        lines: Vec<String>,
    },
    /// Not run, and why (said in the report; never counted as a pass).
    NotRun(String),
}

/// Runs the repository's assertions against a live server (supplied by the command).
pub type LiveAssertions<'a> = &'a dyn Fn(SocketAddr) -> LiveVerdict;

/// What a deploy to one target did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Steps completed, in order, one line each.
    pub steps: Vec<String>,
    /// Checks that were not made, and why (never counted as passed).
    pub notes: Vec<String>,
    /// The step that failed and why; `None` for success.
    pub failure: Option<String>,
    /// What the rollback did, when one ran.
    pub rollback: Option<Rollback>,
}

impl Report {
    /// The deploy succeeded.
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
    }
}

/// What a rollback did.
#[derive(Clone, Debug, Default)]
pub struct Rollback {
    /// One line per step.
    pub steps: Vec<String>,
    /// Problems the rollback met; empty when the previous zones are confirmed served.
    pub problems: Vec<String>,
}

impl TargetLock {
    /// The target's paths.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Installs `zones` (the plan's changes), verifies them live and notifies secondaries; on
    /// any failure restores the previous files. `plan` gives the zones that did not change, for
    /// the report.
    pub fn apply(
        &self,
        target: &DeployTarget,
        plan: &Plan,
        zones: &[NewZone],
        write_zone: WriteZone<'_>,
        live: Option<LiveAssertions<'_>>,
        log: &mut dyn Write,
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        let unchanged = plan.zones.len() - zones.len();
        if zones.is_empty() {
            report
                .steps
                .push(format!("nothing to deploy: {unchanged} zone(s) unchanged"));
            return Ok(report);
        }

        // 1. Stage every new file next to its destination; check it there.
        let zone_directory = match self.paths.zones() {
            Ok(Some(directory)) => Ok(directory),
            Ok(None) => Err(format!(
                "write {}: the zone directory does not exist",
                self.paths.zone_directory.display()
            )),
            Err(error) => Err(format!(
                "write {}: {}",
                self.paths.zone_directory.display(),
                error.reason()
            )),
        };
        let staged = zone_directory.and_then(|directory| {
            self.stage(target, &directory, zones, write_zone, log)
                .inspect_err(|_| drop(remove_staged_files(&directory)))
                .map(|digests| (directory, digests))
        });
        let (zone_directory, digests) = match staged {
            Ok(staged) => staged,
            Err(failure) => {
                report.failure = Some(failure);
                report.rollback = Some(Rollback {
                    steps: vec!["nothing was installed; removed the staged files".to_owned()],
                    problems: Vec::new(),
                });
                return Ok(report);
            }
        };
        report.steps.push(format!(
            "wrote and synced {} zone file(s) beside the old ones{}",
            zones.len(),
            if target.check.as_ref().is_some_and(Command::is_per_zone) {
                ", checker passed"
            } else {
                ""
            }
        ));

        // 2. Keep the files being replaced, then say what is about to happen.
        let journal = Journal {
            pid: std::process::id(),
            zones: zones
                .iter()
                .map(|zone| JournalZone {
                    origin: zone.planned.origin.clone(),
                    file: zone.planned.file.clone(),
                    existed: matches!(zone_directory.kind(&zone.planned.file), Ok(Some(_))),
                    served_before: match zone.planned.served {
                        Served::Serial(serial) => Some(serial),
                        _ => None,
                    },
                    serial: zone.planned.serial,
                })
                .collect(),
        };
        self.keep_previous(&zone_directory, &journal)
            .inspect_err(|_| drop(remove_staged_files(&zone_directory)))?;
        write_json(&self.state, JOURNAL_FILE, &journal)?;

        // 3. Install: one rename per file, then sync the directory.
        if let Err(failure) = install(&zone_directory, zones) {
            return Ok(self.fail(target, &journal, report, failure, log));
        }
        report.steps.push(format!(
            "installed {} zone file(s) in {} (previous set in {})",
            zones.len(),
            self.paths.zone_directory.display(),
            self.state.join(PREVIOUS_DIRECTORY).display()
        ));

        // 4. A whole-configuration checker (no {file}), then the reload.
        if let Some(check) = target.check.as_ref().filter(|check| !check.is_per_zone()) {
            if let Err(failure) = self.run(target, check, None, log) {
                return Ok(self.fail(target, &journal, report, format!("check: {failure}"), log));
            }
            report.steps.push("checker passed".to_owned());
        }
        if let Some(reload) = &target.reload {
            if let Err(failure) =
                self.run_for_zones(target, reload, zones.iter().map(|z| &z.planned), log)
            {
                return Ok(self.fail(target, &journal, report, format!("reload: {failure}"), log));
            }
            let times = if reload.is_per_zone() {
                format!(", once for each of {} zone(s)", zones.len())
            } else {
                String::new()
            };
            report
                .steps
                .push(format!("reloaded (`{}`{times})", reload.argv.join(" ")));
        }

        // 5. The primary must serve every new serial.
        if let Some(server) = target.server {
            let expected: Vec<(&str, u32)> = zones
                .iter()
                .map(|zone| (zone.planned.origin.as_str(), zone.planned.serial))
                .collect();
            let _ = writeln!(
                log,
                "{}: waiting for {server} to serve the new serials",
                target.name
            );
            if let Err(failure) = wait_for_serials(server, &expected, target.deadlines.serial) {
                return Ok(self.fail(target, &journal, report, failure, log));
            }
            report.steps.push(format!(
                "{server} serves the new serials ({})",
                describe_serials(&expected)
            ));

            // 6. The assertions, against the live server.
            match live.map_or_else(
                || LiveVerdict::NotRun("no assertion runner was supplied".to_owned()),
                |live| live(server),
            ) {
                LiveVerdict::Passed { count } => report
                    .steps
                    .push(format!("{count} assertion(s) passed against {server}")),
                LiveVerdict::NotRun(why) => {
                    report.notes.push(format!("live assertions not run: {why}"));
                }
                LiveVerdict::Failed { failed, lines } => {
                    let failure = format!(
                        "{failed} assertion(s) failed against {server}:\n    {}",
                        lines.join("\n    ")
                    );
                    return Ok(self.fail(target, &journal, report, failure, log));
                }
            }

            // 7. NOTIFY each secondary and wait for it to transfer.
            for secondary in &target.secondaries {
                let _ = writeln!(log, "{}: notifying {secondary}", target.name);
                if let Err(failure) =
                    notify_and_wait(*secondary, &expected, target.deadlines.notify)
                {
                    return Ok(self.fail(target, &journal, report, failure, log));
                }
                report
                    .steps
                    .push(format!("notified {secondary}; it serves the new serials"));
            }
        }

        // 8. Commit: record what is installed, then drop the journal.
        let mut state = read_state(&self.state)?;
        for (zone, sha256) in zones.iter().zip(digests) {
            let entry = InstalledZone {
                origin: zone.planned.origin.clone(),
                file: zone.planned.file.clone(),
                serial: zone.planned.serial,
                highest_serial: zone.planned.serial,
                content_hash: zone.content_hash.clone(),
                sha256,
            };
            match state
                .zones
                .iter_mut()
                .find(|old| old.origin == entry.origin)
            {
                Some(old) => *old = entry,
                None => state.zones.push(entry),
            }
        }
        state.zones.sort_by(|a, b| a.origin.cmp(&b.origin));
        write_json(&self.state, STATE_FILE, &state)?;
        self.state.remove_file(JOURNAL_FILE)?;
        if unchanged > 0 {
            report.steps.push(format!("{unchanged} zone(s) unchanged"));
        }
        Ok(report)
    }

    fn stage(
        &self,
        target: &DeployTarget,
        zone_directory: &DirectoryHandle,
        zones: &[NewZone],
        write_zone: WriteZone<'_>,
        log: &mut dyn Write,
    ) -> Result<Vec<String>, String> {
        let _ = writeln!(
            log,
            "{}: writing {} zone file(s) to {}",
            target.name,
            zones.len(),
            self.paths.zone_directory.display()
        );
        let mut digests = Vec::with_capacity(zones.len());
        for zone in zones {
            let staged = self.paths.staged(&zone.planned.file);
            let digest = zone_directory
                .write_file(temporary_name(zone.planned.file.as_ref()), |out| {
                    write_zone(&zone.planned, out)
                })
                .map_err(|failure| {
                    let why = match failure {
                        WriteError::Fill(why) => why,
                        WriteError::Filesystem(error) => error.reason(),
                    };
                    format!("write {}: {why}", staged.display())
                })?;
            digests.push(digest.sha256);
        }
        if let Some(check) = target.check.as_ref().filter(|check| check.is_per_zone()) {
            for zone in zones {
                let staged = self.paths.staged(&zone.planned.file);
                self.run(target, check, Some((&zone.planned, &staged)), log)
                    .map_err(|failure| format!("check {}: {failure}", zone.planned.origin))?;
            }
        }
        Ok(digests)
    }
}

/// Installs the staged files: one rename per file, then the directory is synced.
fn install(zone_directory: &DirectoryHandle, zones: &[NewZone]) -> Result<(), String> {
    for zone in zones {
        let staged = temporary_name(zone.planned.file.as_ref());
        zone_directory
            .rename(&staged, &zone.planned.file)
            .map_err(|error| {
                format!(
                    "rename {} into place: {}",
                    zone_directory.join(&staged).display(),
                    error.reason()
                )
            })?;
    }
    zone_directory.sync().map_err(|error| {
        format!(
            "sync {}: {}",
            zone_directory.path().display(),
            error.reason()
        )
    })
}

/// Reads `deployed.json`; empty when absent.
fn read_state(state: &DirectoryHandle) -> Result<State, Error> {
    match state.read(STATE_FILE)? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::Corrupt {
            path: state.join(STATE_FILE),
            source,
        }),
        None => Ok(State::default()),
    }
}

/// Removes `.<file>.zonegate-new` leftovers of a killed deploy from the zone directory.
fn remove_staged_files(zone_directory: &DirectoryHandle) -> Result<(), Error> {
    for name in zone_directory.names()? {
        let text = name.to_string_lossy();
        if text.starts_with('.') && text.ends_with(".zonegate-new") {
            zone_directory.remove_file(&name)?;
        }
    }
    Ok(())
}

/// Writes JSON as `name` in the state directory, atomically.
fn write_json<T: Serialize>(state: &DirectoryHandle, name: &str, value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).expect("state always serialises");
    text.push('\n');
    state.replace_bytes(name, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::Action;
    use crate::diagnostic::{FileId, Span};
    use crate::inventory::deploy::{Deadlines, TargetKind};
    use std::fs;
    use std::io;

    fn dir_target(zone_directory: &Path, reload: Option<Vec<&str>>) -> DeployTarget {
        DeployTarget {
            name: "local".into(),
            kind: TargetKind::Dir,
            zone_directory: zone_directory.to_path_buf(),
            file_name: "{zone}.zone".into(),
            state_directory: None,
            check: None,
            reload: reload.map(|argv| Command {
                argv: argv.into_iter().map(str::to_owned).collect(),
                span: Span::new(FileId(0), 1, 1),
            }),
            server: None,
            secondaries: Vec::new(),
            deadlines: Deadlines {
                command: 5,
                serial: 1,
                notify: 1,
            },
            span: Span::new(FileId(0), 1, 1),
        }
    }

    /// Writes `text-of-<origin>-<serial>` as the zone file.
    fn write_text(zone: &PlannedZone, out: &mut dyn Write) -> Result<(), String> {
        writeln!(out, "text-of-{}-{}", zone.origin, zone.serial).map_err(|error| error.to_string())
    }

    fn new_zone(origin: &str, serial: u32, text: &str) -> NewZone {
        NewZone {
            planned: PlannedZone {
                origin: origin.into(),
                file: format!("{origin}zone"),
                action: Action::Update,
                served: Served::Unknown,
                installed_serial: None,
                serial,
                bumped: false,
                stale: false,
            },
            content_hash: format!("hash-{text}"),
        }
    }

    fn plan_of(zones: &[NewZone]) -> Plan {
        Plan {
            zones: zones.iter().map(|zone| zone.planned.clone()).collect(),
            orphans: Vec::new(),
        }
    }

    #[test]
    fn a_directory_target_installs_records_state_and_keeps_the_previous_set() {
        let temp = tempfile::tempdir().unwrap();
        let zones_dir = temp.path().join("zones");
        fs::create_dir(&zones_dir).unwrap();
        let target = dir_target(&zones_dir, None);
        let paths = Paths::new(&target, temp.path());
        assert_eq!(
            paths.state_directory,
            temp.path().join(".zones.zonegate-deploy")
        );
        let lock = lock(&target, &paths, true, |_| {}).unwrap();

        let first = [new_zone("a.example.", 1, "one\n")];
        let report = lock
            .apply(
                &target,
                &plan_of(&first),
                &first,
                &write_text,
                None,
                &mut io::sink(),
            )
            .unwrap();
        assert!(report.succeeded(), "{report:?}");
        assert_eq!(
            fs::read(zones_dir.join("a.example.zone")).unwrap(),
            b"text-of-a.example.-1\n"
        );

        let second = [new_zone("a.example.", 2, "two\n")];
        lock.apply(
            &target,
            &plan_of(&second),
            &second,
            &write_text,
            None,
            &mut io::sink(),
        )
        .unwrap();
        assert_eq!(
            fs::read(zones_dir.join("a.example.zone")).unwrap(),
            b"text-of-a.example.-2\n"
        );
        assert_eq!(
            fs::read(
                paths
                    .state_directory
                    .join(PREVIOUS_DIRECTORY)
                    .join("a.example.zone")
            )
            .unwrap(),
            b"text-of-a.example.-1\n",
            "the replaced file is kept for rollback"
        );
        let state = read_state(&paths.state().unwrap().unwrap()).unwrap();
        assert_eq!(state.zones[0].serial, 2);
        assert!(!paths.state_directory.join(JOURNAL_FILE).exists());
        let deployed = read_deployed(
            &target,
            &paths,
            &[("a.example.".into(), "a.example.zone".into())],
        )
        .unwrap();
        assert_eq!(
            deployed.zones[0].file_sha256.as_deref(),
            Some(state.zones[0].sha256.as_str())
        );
    }

    #[test]
    fn a_failing_reload_restores_the_previous_files() {
        let temp = tempfile::tempdir().unwrap();
        let zones_dir = temp.path().join("zones");
        fs::create_dir(&zones_dir).unwrap();
        fs::write(zones_dir.join("a.example.zone"), "old\n").unwrap();
        let target = dir_target(
            &zones_dir,
            Some(vec!["sh", "-c", "echo the server said no >&2; exit 3"]),
        );
        let paths = Paths::new(&target, temp.path());
        let lock = lock(&target, &paths, true, |_| {}).unwrap();
        let zones = [
            new_zone("a.example.", 5, "new\n"),
            new_zone("b.example.", 1, "brand new\n"),
        ];
        let report = lock
            .apply(
                &target,
                &plan_of(&zones),
                &zones,
                &write_text,
                None,
                &mut io::sink(),
            )
            .unwrap();
        let failure = report.failure.clone().unwrap();
        assert!(
            failure.starts_with(
                "reload: `sh -c echo the server said no >&2; exit 3` failed (exit status: 3)"
            ),
            "{failure}"
        );
        assert!(failure.contains("the server said no"), "{failure}");
        let rollback = report.rollback.unwrap();
        assert!(
            !rollback.problems.is_empty(),
            "the rollback's reload fails too: {rollback:?}"
        );
        assert_eq!(
            fs::read(zones_dir.join("a.example.zone")).unwrap(),
            b"old\n"
        );
        assert!(
            !zones_dir.join("b.example.zone").exists(),
            "a zone that did not exist is removed again"
        );
    }

    #[test]
    fn a_killed_deploy_is_rolled_back_by_the_next_one() {
        let temp = tempfile::tempdir().unwrap();
        let zones_dir = temp.path().join("zones");
        fs::create_dir(&zones_dir).unwrap();
        fs::write(zones_dir.join("a.example.zone"), "new, never verified\n").unwrap();
        fs::write(zones_dir.join(".a.example.zone.zonegate-new"), "half").unwrap();
        let target = dir_target(&zones_dir, None);
        let paths = Paths::new(&target, temp.path());
        fs::create_dir_all(paths.state_directory.join(PREVIOUS_DIRECTORY)).unwrap();
        fs::write(
            paths
                .state_directory
                .join(PREVIOUS_DIRECTORY)
                .join("a.example.zone"),
            "old\n",
        )
        .unwrap();
        let journal = Journal {
            pid: 4242,
            zones: vec![JournalZone {
                origin: "a.example.".into(),
                file: "a.example.zone".into(),
                existed: true,
                served_before: None,
                serial: 9,
            }],
        };
        write_json(
            &DirectoryHandle::open(&paths.state_directory, None).unwrap(),
            JOURNAL_FILE,
            &journal,
        )
        .unwrap();
        let lock = lock(&target, &paths, true, |_| {}).unwrap();
        let mut log = Vec::new();
        let rollback = lock.recover(&target, &mut log).unwrap().unwrap();
        assert!(rollback.problems.is_empty(), "{rollback:?}");
        assert_eq!(
            fs::read(zones_dir.join("a.example.zone")).unwrap(),
            b"old\n"
        );
        assert!(!zones_dir.join(".a.example.zone.zonegate-new").exists());
        assert!(!paths.state_directory.join(JOURNAL_FILE).exists());
        assert!(
            String::from_utf8(log)
                .unwrap()
                .contains("interrupted deploy (pid 4242)")
        );
        assert!(
            lock.recover(&target, &mut io::sink()).unwrap().is_none(),
            "nothing left to recover"
        );
    }

    #[test]
    fn a_command_past_its_deadline_is_killed_and_fails_the_deploy() {
        let temp = tempfile::tempdir().unwrap();
        let zones_dir = temp.path().join("zones");
        fs::create_dir(&zones_dir).unwrap();
        let mut target = dir_target(&zones_dir, Some(vec!["sleep", "600"]));
        target.deadlines.command = 1;
        let paths = Paths::new(&target, temp.path());
        let lock = lock(&target, &paths, true, |_| {}).unwrap();
        let zones = [new_zone("a.example.", 1, "one\n")];
        let report = lock
            .apply(
                &target,
                &plan_of(&zones),
                &zones,
                &write_text,
                None,
                &mut io::sink(),
            )
            .unwrap();
        assert_eq!(
            report.failure.as_deref(),
            Some("reload: `sleep 600` did not finish within 1s and was killed")
        );
        assert!(
            !zones_dir.join("a.example.zone").exists(),
            "the new zone is removed again"
        );
    }

    #[test]
    fn a_second_deploy_waits_or_refuses() {
        let temp = tempfile::tempdir().unwrap();
        let target = dir_target(&temp.path().join("zones"), None);
        let paths = Paths::new(&target, temp.path());
        let _held = lock(&target, &paths, true, |_| {}).unwrap();
        let error = lock(&target, &paths, false, |_| {}).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "another deploy to target `local` is running (pid {}); not waiting (--no-wait)",
                std::process::id()
            )
        );
    }
}
