//! The repository's `post-receive` hook, run after the bot moves a branch on the local forge
//! (IO edge: runs a process).
//!
//! A push runs `hooks/post-receive` on the server; the bot moves the base branch inside the
//! repository, where no push happens, so the README's deploy recipe would never see a bot merge.
//! [`post_receive`] runs the hook as `git receive-pack` does (githooks(5)): in the git directory
//! of a bare repository (the work tree's root otherwise), with `GIT_DIR` set, one
//! `<old> SP <new> SP <ref> LF` line per updated reference on its standard input. Unlike git it
//! has a deadline: when the hook (or anything it started) runs past it, its process group is
//! killed. Its output (standard output and error together, as a pusher sees it) goes to an
//! unnamed temporary file, not a pipe, so a daemon the hook leaves behind holding its output
//! cannot stall the bot; the last [`OUTPUT_KEPT`] bytes are reported.

use std::fmt::Write as _;
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Most bytes of the hook's output kept (its end).
pub const OUTPUT_KEPT: usize = 64 * 1024;

/// Where a repository's hooks run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookSite {
    /// The hook's path (`hooks/post-receive`, or below `core.hooksPath`).
    pub path: PathBuf,
    /// The repository's git directory (`GIT_DIR`).
    pub git_dir: PathBuf,
    /// Where the hook runs: the git directory of a bare repository, else the work tree's root.
    pub working_directory: PathBuf,
}

/// One reference the hook is told about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefUpdate {
    /// The commit it pointed at (hex).
    pub old: String,
    /// The commit it points at now (hex).
    pub new: String,
    /// Its full name (`refs/heads/main`).
    pub reference: String,
}

/// How a hook run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookEnd {
    /// There is no hook (git runs none either).
    Absent,
    /// The file exists but is not executable: git ignores it, and so does the bot (it says so).
    NotExecutable,
    /// It could not be started (a bad `#!` line, say).
    NotStarted(String),
    /// It exited with this code.
    Exited(i32),
    /// A signal ended it.
    Signalled(i32),
    /// It ran past the deadline, and its process group was killed.
    TimedOut,
}

/// What running the hook did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookRun {
    /// The hook.
    pub path: PathBuf,
    /// How it ended.
    pub end: HookEnd,
    /// Its output (standard output and error, interleaved as written), at most the last
    /// [`OUTPUT_KEPT`] bytes, lossily UTF-8.
    pub output: String,
    /// How long it ran.
    pub elapsed: Duration,
}

impl HookRun {
    /// It ran and exited 0, or there is nothing to run.
    pub fn succeeded(&self) -> bool {
        matches!(self.end, HookEnd::Absent | HookEnd::Exited(0))
    }

    /// One line: `hooks/post-receive exited 0 after 2.1 s`.
    pub fn summary(&self) -> String {
        let path = self.path.display();
        let seconds = self.elapsed.as_secs_f64();
        match &self.end {
            HookEnd::Absent => format!("no {path}"),
            HookEnd::NotExecutable => format!("{path} is not executable; not run (as git would)"),
            HookEnd::NotStarted(why) => format!("{path} could not be started: {why}"),
            HookEnd::Exited(code) => format!("{path} exited {code} after {seconds:.1} s"),
            HookEnd::Signalled(signal) => {
                format!("{path} was ended by signal {signal} after {seconds:.1} s")
            }
            HookEnd::TimedOut => format!(
                "{path} did not finish within {seconds:.0} s; it and everything it started were killed"
            ),
        }
    }
}

/// Runs the `post-receive` hook at `site` for `updates`, for at most `deadline`.
///
/// # Errors
/// Only when the temporary file for its output cannot be made; everything the hook does is in
/// the [`HookRun`].
pub fn post_receive(
    site: &HookSite,
    updates: &[RefUpdate],
    deadline: Duration,
) -> std::io::Result<HookRun> {
    let mut run = HookRun {
        path: site.path.clone(),
        end: HookEnd::Absent,
        output: String::new(),
        elapsed: Duration::ZERO,
    };
    let Ok(metadata) = std::fs::metadata(&site.path) else {
        return Ok(run);
    };
    if !metadata.is_file() || !is_executable(&metadata) {
        run.end = HookEnd::NotExecutable;
        return Ok(run);
    }
    let mut command = Command::new(&site.path);
    command
        .current_dir(&site.working_directory)
        .env("GIT_DIR", &site.git_dir);
    let mut input = String::new();
    for update in updates {
        let _ = writeln!(input, "{} {} {}", update.old, update.new, update.reference);
    }
    let bounded = run_bounded(command, input.as_bytes(), deadline)?;
    run.end = bounded.end;
    run.output = bounded.output;
    run.elapsed = bounded.elapsed;
    Ok(run)
}

/// What [`run_bounded`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bounded {
    /// How it ended ([`HookEnd::Absent`] and [`HookEnd::NotExecutable`] never).
    pub(crate) end: HookEnd,
    /// Its standard output and error together, the last [`OUTPUT_KEPT`] bytes.
    pub(crate) output: String,
    /// How long it ran.
    pub(crate) elapsed: Duration,
}

/// Runs `command` in its own process group with `input` on its standard input and its output in
/// an unnamed temporary file; past `deadline` the group is killed.
pub(crate) fn run_bounded(
    mut command: Command,
    input: &[u8],
    deadline: Duration,
) -> std::io::Result<Bounded> {
    let mut output = tempfile::tempfile()?;
    let started = Instant::now();
    let child = command
        .stdin(Stdio::piped())
        .stdout(output.try_clone()?)
        .stderr(output.try_clone()?)
        // Its own process group, so the deadline ends whatever it started too.
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            return Ok(Bounded {
                end: HookEnd::NotStarted(error.to_string()),
                output: String::new(),
                elapsed: started.elapsed(),
            });
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A process that does not read its input may have exited already: nothing is lost.
        let _ = stdin.write_all(input);
    }
    let ends = started + deadline;
    let end = loop {
        match child.try_wait() {
            Ok(Some(status)) => break ended(status),
            Ok(None) if Instant::now() >= ends => {
                kill_group(child.id());
                let _ = child.wait();
                break HookEnd::TimedOut;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(error) => {
                kill_group(child.id());
                let _ = child.wait();
                break HookEnd::NotStarted(format!("cannot wait for it: {error}"));
            }
        }
    };
    let elapsed = started.elapsed();
    Ok(Bounded {
        end,
        output: tail(&mut output)?,
        elapsed,
    })
}

fn ended(status: ExitStatus) -> HookEnd {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => HookEnd::Exited(code),
        (None, Some(signal)) => HookEnd::Signalled(signal),
        (None, None) => HookEnd::Exited(-1),
    }
}

fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    metadata.permissions().mode() & 0o111 != 0
}

/// The last [`OUTPUT_KEPT`] bytes of `file`.
fn tail(file: &mut std::fs::File) -> std::io::Result<String> {
    let length = file.seek(std::io::SeekFrom::End(0))?;
    let kept = length.min(OUTPUT_KEPT as u64);
    file.seek(std::io::SeekFrom::Start(length - kept))?;
    let mut bytes = Vec::with_capacity(OUTPUT_KEPT);
    file.take(kept).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals the process group the hook leads (it was
        // started with `process_group(0)`); no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// The hook `name` of the repository at `git_dir` (bare when `work_tree` is `None`): below
/// `core.hooksPath` when set (relative to where hooks run, as git resolves it), else
/// `<git_dir>/hooks`.
pub fn site(
    git_dir: &Path,
    work_tree: Option<&Path>,
    hooks_path: Option<&Path>,
    name: &str,
) -> HookSite {
    let working_directory = work_tree.unwrap_or(git_dir).to_path_buf();
    let hooks = match hooks_path {
        Some(path) if path.is_absolute() => path.to_path_buf(),
        Some(path) => working_directory.join(path),
        None => git_dir.join("hooks"),
    };
    HookSite {
        path: hooks.join(name),
        git_dir: git_dir.to_path_buf(),
        working_directory,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // The tests write hooks.

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn hook(script: &str) -> (tempfile::TempDir, HookSite) {
        let dir = tempfile::tempdir().unwrap();
        let site = site(dir.path(), None, None, "post-receive");
        std::fs::create_dir_all(dir.path().join("hooks")).unwrap();
        std::fs::write(&site.path, script).unwrap();
        std::fs::set_permissions(&site.path, std::fs::Permissions::from_mode(0o755)).unwrap();
        (dir, site)
    }

    /// [`post_receive`], again while the hook is "text file busy": another test's fork may hold
    /// the just-written script open for writing until its exec closes it.
    fn run_hook(site: &HookSite, deadline: Duration) -> HookRun {
        for _ in 0..50 {
            let run = post_receive(site, &[update()], deadline).unwrap();
            match &run.end {
                HookEnd::NotStarted(why) if why.contains("busy") => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => return run,
            }
        }
        panic!("{} stayed busy", site.path.display());
    }

    fn update() -> RefUpdate {
        RefUpdate {
            old: "a".repeat(40),
            new: "b".repeat(40),
            reference: "refs/heads/main".into(),
        }
    }

    #[test]
    fn the_hook_gets_gits_input_in_the_git_directory_and_its_output_is_kept() {
        let (dir, site) = hook(
            "#!/bin/sh\nread -r old new ref\necho \"$old $new $ref in $(pwd) GIT_DIR=$GIT_DIR\"\necho oops >&2\nexit 3\n",
        );
        let run = run_hook(&site, Duration::from_secs(30));
        assert_eq!(run.end, HookEnd::Exited(3));
        assert!(!run.succeeded());
        let directory = dir.path().canonicalize().unwrap();
        assert_eq!(
            run.output,
            format!(
                "{} {} refs/heads/main in {} GIT_DIR={}\noops\n",
                "a".repeat(40),
                "b".repeat(40),
                directory.display(),
                dir.path().display()
            )
        );
    }

    #[test]
    fn a_hook_past_its_deadline_is_killed_with_what_it_started() {
        let (dir, site) =
            hook("#!/bin/sh\nsleep 60 &\necho $! > child.pid\necho started\nsleep 60\n");
        let run = run_hook(&site, Duration::from_millis(500));
        assert_eq!(run.end, HookEnd::TimedOut);
        assert_eq!(run.output, "started\n");
        assert!(run.elapsed < Duration::from_secs(10));
        let child: i32 = std::fs::read_to_string(dir.path().join("child.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The background sleep was in the hook's process group: it is gone (or a zombie being
        // reaped by init), not sleeping on.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let state = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let running = state
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('S'));
            if !running {
                break;
            }
            assert!(Instant::now() < deadline, "{child} still sleeps: {state}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn a_missing_or_non_executable_hook_is_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let site = site(dir.path(), None, None, "post-receive");
        let run = run_hook(&site, Duration::from_secs(1));
        assert_eq!(run.end, HookEnd::Absent);
        assert!(run.succeeded());
        std::fs::create_dir_all(dir.path().join("hooks")).unwrap();
        std::fs::write(&site.path, "#!/bin/sh\ntouch ran\n").unwrap();
        let run = run_hook(&site, Duration::from_secs(1));
        assert_eq!(run.end, HookEnd::NotExecutable);
        assert!(!dir.path().join("ran").exists());
    }

    #[test]
    fn only_the_end_of_a_long_output_is_kept() {
        let (_dir, site) = hook("#!/bin/sh\nyes x | head -c 200000\necho end\n");
        let run = run_hook(&site, Duration::from_secs(30));
        assert_eq!(run.end, HookEnd::Exited(0));
        assert_eq!(run.output.len(), OUTPUT_KEPT);
        assert!(run.output.ends_with("x\nend\n"));
    }

    #[test]
    fn core_hooks_path_is_resolved_as_git_does() {
        let git_dir = Path::new("/srv/zones.git");
        assert_eq!(
            site(git_dir, None, Some(Path::new("custom")), "post-receive").path,
            Path::new("/srv/zones.git/custom/post-receive")
        );
        assert_eq!(
            site(
                git_dir,
                Some(Path::new("/srv/work")),
                Some(Path::new("/etc/hooks")),
                "post-receive"
            )
            .path,
            Path::new("/etc/hooks/post-receive")
        );
        assert_eq!(
            site(git_dir, None, None, "post-receive").path,
            Path::new("/srv/zones.git/hooks/post-receive")
        );
    }
}
