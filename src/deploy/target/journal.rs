//! The journal of a deploy and the rollback it drives: what is about to be replaced is kept in
//! `previous/` and recorded in `journal.json` before the first rename; a failure, or the next
//! deploy after a killed one, restores it from there, reloads and confirms the old serials.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::server::{describe_serials, wait_for_serials};
use super::{
    Error, JOURNAL_FILE, PREVIOUS_DIRECTORY, Report, Rollback, STATE_FILE, TargetLock, read_state,
    remove_staged_files, write_json,
};
use crate::deploy::{PlannedZone, Served};
use crate::filesystem::{self, DirectoryHandle, temporary_name};
use crate::inventory::deploy::DeployTarget;

/// One zone being replaced, as recorded in the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JournalZone {
    pub(super) origin: String,
    pub(super) file: String,
    /// A copy of the replaced file is in `previous/`; otherwise the zone file did not exist.
    pub(super) existed: bool,
    /// The serial served before the deploy, to confirm after restoring.
    pub(super) served_before: Option<u32>,
    /// The serial being installed.
    pub(super) serial: u32,
}

/// `journal.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Journal {
    /// The process that wrote it.
    pub(super) pid: u32,
    pub(super) zones: Vec<JournalZone>,
}

impl TargetLock {
    /// Rolls back a deploy that was killed (its journal is still there): restores the files it
    /// was replacing, reloads, and confirms the old serials. `Ok(None)` when there was nothing
    /// to recover.
    pub fn recover(
        &self,
        target: &DeployTarget,
        log: &mut dyn Write,
    ) -> Result<Option<Rollback>, Error> {
        if let Some(zones) = self.paths.zones()? {
            remove_staged_files(&zones)?;
        }
        let Some(bytes) = self.state.read(JOURNAL_FILE)? else {
            return Ok(None);
        };
        let journal: Journal = serde_json::from_slice(&bytes).map_err(|source| Error::Corrupt {
            path: self.state.join(JOURNAL_FILE),
            source,
        })?;
        let state = read_state(&self.state)?;
        let committed = journal.zones.iter().all(|zone| {
            state
                .zones
                .iter()
                .any(|installed| installed.origin == zone.origin && installed.serial == zone.serial)
        });
        if committed {
            // Killed after recording success, before removing the journal: nothing to undo.
            self.state.remove_file(JOURNAL_FILE)?;
            return Ok(None);
        }
        let _ = writeln!(
            log,
            "{}: recovering from an interrupted deploy (pid {}): restoring {} zone(s)",
            target.name,
            journal.pid,
            journal.zones.len()
        );
        Ok(Some(self.roll_back(target, &journal, log)))
    }

    /// Copies the files about to be replaced into `previous/` (a fresh set each deploy).
    pub(super) fn keep_previous(
        &self,
        zone_directory: &DirectoryHandle,
        journal: &Journal,
    ) -> Result<(), Error> {
        self.state.remove_tree(PREVIOUS_DIRECTORY)?;
        let previous = self.state.create_directory(PREVIOUS_DIRECTORY)?;
        for zone in journal.zones.iter().filter(|zone| zone.existed) {
            zone_directory.copy_file(&zone.file, &previous, &zone.file)?;
        }
        if let Some(state) = self.state.read(STATE_FILE)? {
            previous.write_bytes(STATE_FILE, &state)?;
        }
        previous.sync()?;
        self.state.sync()?;
        Ok(())
    }

    /// Records the failure, rolls back, and returns the finished report.
    pub(super) fn fail(
        &self,
        target: &DeployTarget,
        journal: &Journal,
        mut report: Report,
        failure: String,
        log: &mut dyn Write,
    ) -> Report {
        let _ = writeln!(log, "{}: failed: {failure}; rolling back", target.name);
        report.failure = Some(failure);
        report.rollback = Some(self.roll_back(target, journal, log));
        report
    }

    /// Restores every zone in the journal from `previous/` (or removes it when it is new),
    /// reloads, confirms the old serials, raises the recorded highest serials, and removes the
    /// journal.
    fn roll_back(&self, target: &DeployTarget, journal: &Journal, log: &mut dyn Write) -> Rollback {
        let mut rollback = Rollback::default();
        let restored = self.restore(journal, &mut rollback.problems);
        rollback.steps.push(format!(
            "restored {} zone file(s) from {}",
            restored,
            self.state.join(PREVIOUS_DIRECTORY).display()
        ));
        // A failed reload matters only if the server does not serve the previous zones: when
        // the failed step was the reload itself, the server never loaded the new files.
        let mut reload_failure = None;
        if let Some(reload) = &target.reload {
            let planned: Vec<PlannedZone> = journal
                .zones
                .iter()
                .map(|zone| PlannedZone {
                    origin: zone.origin.clone(),
                    file: zone.file.clone(),
                    action: crate::deploy::Action::Update,
                    served: Served::Unknown,
                    installed_serial: None,
                    serial: zone.served_before.unwrap_or(0),
                    bumped: false,
                    stale: false,
                })
                .collect();
            match self.run_for_zones(target, reload, planned.iter(), log) {
                Ok(()) => rollback.steps.push("reloaded".to_owned()),
                Err(failure) => reload_failure = Some(failure),
            }
        }
        if let Some(server) = target.server {
            let expected: Vec<(&str, u32)> = journal
                .zones
                .iter()
                .filter_map(|zone| {
                    zone.served_before
                        .map(|serial| (zone.origin.as_str(), serial))
                })
                .collect();
            match wait_for_serials(server, &expected, target.deadlines.serial) {
                Ok(()) if expected.is_empty() => {}
                Ok(()) => {
                    if let Some(failure) = reload_failure.take() {
                        let first_line = failure.lines().next().unwrap_or_default();
                        rollback.steps.push(format!(
                            "reloading failed again ({first_line}), but the previous serials are served"
                        ));
                    }
                    rollback.steps.push(format!(
                        "{server} serves the previous serials again ({})",
                        describe_serials(&expected)
                    ));
                }
                Err(failure) => rollback.problems.push(failure),
            }
        }
        if let Some(failure) = reload_failure {
            rollback.problems.push(format!("reload: {failure}"));
        }
        // The new serials may have been served and transferred: never reuse them.
        match read_state(&self.state) {
            Ok(mut state) => {
                for zone in &journal.zones {
                    if let Some(installed) =
                        state.zones.iter_mut().find(|z| z.origin == zone.origin)
                        && crate::serial::is_greater(zone.serial, installed.highest_serial)
                    {
                        installed.highest_serial = zone.serial;
                    }
                }
                if let Err(error) = write_json(&self.state, STATE_FILE, &state) {
                    rollback.problems.push(error.to_string());
                }
            }
            Err(error) => rollback.problems.push(error.to_string()),
        }
        if rollback.problems.is_empty() {
            if let Err(error) = self.state.remove_file(JOURNAL_FILE) {
                rollback.problems.push(error.to_string());
            }
        } else {
            rollback.problems.push(format!(
                "the journal stays in {} so the next deploy retries the rollback",
                self.state.join(JOURNAL_FILE).display()
            ));
        }
        rollback
    }

    /// Puts back every zone file of the journal: a fresh copy of the one in `previous/`, or
    /// none when the zone is new. Returns how many were restored; problems go to `problems`.
    fn restore(&self, journal: &Journal, problems: &mut Vec<String>) -> usize {
        let zone_directory = match self.paths.zones() {
            Ok(Some(directory)) => directory,
            Ok(None) => {
                problems.push(format!(
                    "cannot restore the zone files: {} does not exist",
                    self.paths.zone_directory.display()
                ));
                return 0;
            }
            Err(error) => {
                problems.push(format!("cannot restore the zone files: {error}"));
                return 0;
            }
        };
        let _ = remove_staged_files(&zone_directory);
        let previous = self
            .state
            .open_directory(PREVIOUS_DIRECTORY)
            .and_then(|previous| {
                previous.ok_or_else(|| {
                    filesystem::io_error("open", &self.state.join(PREVIOUS_DIRECTORY))(
                        std::io::ErrorKind::NotFound.into(),
                    )
                })
            });
        let mut restored = 0;
        for zone in &journal.zones {
            let result = if zone.existed {
                // A fresh copy, so its modification time is new: BIND and NSD skip reloading a
                // file whose mtime is not newer than what they loaded.
                let staged = temporary_name(zone.file.as_ref());
                match &previous {
                    Ok(previous) => previous
                        .copy_file(&zone.file, &zone_directory, &staged)
                        .and_then(|()| zone_directory.rename(&staged, &zone.file)),
                    Err(error) => Err(filesystem::io_error(
                        "open",
                        &self.state.join(PREVIOUS_DIRECTORY),
                    )(std::io::Error::other(error.reason()))),
                }
            } else {
                zone_directory.remove_file(&zone.file)
            };
            match result {
                Ok(()) => restored += 1,
                Err(error) => problems.push(format!(
                    "cannot restore {}: {}",
                    zone_directory.join(&zone.file).display(),
                    error.reason()
                )),
            }
        }
        if let Err(error) = zone_directory.sync() {
            problems.push(format!(
                "cannot sync {}: {}",
                self.paths.zone_directory.display(),
                error.reason()
            ));
        }
        restored
    }
}
