//! The target's commands (checker, reload): run without a shell, placeholders filled in, output
//! to `command.log`, killed with their process group at the command deadline.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{COMMAND_LOG, TargetLock};
use crate::deploy::PlannedZone;
use crate::inventory::deploy::{Command, DeployTarget};

impl TargetLock {
    /// Runs `command` once, or once per zone when it names a zone.
    pub(super) fn run_for_zones<'z>(
        &self,
        target: &DeployTarget,
        command: &Command,
        zones: impl Iterator<Item = &'z PlannedZone>,
        log: &mut dyn Write,
    ) -> Result<(), String> {
        if command.is_per_zone() {
            for zone in zones {
                let file = self.paths.zone_directory.join(&zone.file);
                self.run(target, command, Some((zone, &file)), log)?;
            }
            Ok(())
        } else {
            self.run(target, command, None, log)
        }
    }

    /// Runs one command (no shell) with its placeholders filled in, within the command
    /// deadline. Its output goes to `command.log` in the state directory (a file, not a pipe,
    /// so a command that leaves a daemon holding its stdout cannot block the deploy); the last
    /// lines are quoted on failure.
    pub(super) fn run(
        &self,
        target: &DeployTarget,
        command: &Command,
        zone: Option<(&PlannedZone, &Path)>,
        log: &mut dyn Write,
    ) -> Result<(), String> {
        use std::os::unix::process::CommandExt;
        let argv: Vec<String> = command
            .argv
            .iter()
            .map(|word| {
                let mut word = word.replace(
                    "{directory}",
                    &self.paths.zone_directory.display().to_string(),
                );
                if let Some((zone, file)) = zone {
                    word = word
                        .replace("{zone}", zone.origin.trim_end_matches('.'))
                        .replace("{origin}", &zone.origin)
                        .replace("{file}", &file.display().to_string());
                }
                word
            })
            .collect();
        let shown = argv.join(" ");
        let _ = writeln!(log, "{}: running {shown}", target.name);
        let log_path = self.state.join(COMMAND_LOG);
        let output = self
            .state
            .create_file_replacing(COMMAND_LOG)
            .map_err(|error| format!("cannot create {}: {}", log_path.display(), error.reason()))?;
        let errors = output
            .try_clone()
            .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
        let mut child = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(std::process::Stdio::null())
            .stdout(output)
            .stderr(errors)
            // Its own process group, so a deadline kills whatever it started too.
            .process_group(0)
            .spawn()
            .map_err(|error| format!("cannot run `{shown}`: {error}"))?;
        let deadline = Instant::now() + Duration::from_secs(u64::from(target.deadlines.command));
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    kill_group(child.id());
                    let _ = child.wait();
                    return Err(format!(
                        "`{shown}` did not finish within {}s and was killed",
                        target.deadlines.command
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(error) => return Err(format!("cannot wait for `{shown}`: {error}")),
            }
        };
        if status.success() {
            return Ok(());
        }
        let text = self
            .state
            .read(COMMAND_LOG)
            .ok()
            .flatten()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        let tail: Vec<&str> = text
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let mut message = format!("`{shown}` failed ({status})");
        for line in tail {
            let _ = write!(message, "\n      {line}");
        }
        Err(message)
    }
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}
