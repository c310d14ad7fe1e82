//! The one exclusive lock: `flock(2)` on a lock file, held by one process at a time (the render
//! of an output directory, the deploy to a target).
//!
//! A lock is on an inode, not on a path. A process that waits for the lock on the file it opened
//! may wake to find that file removed or replaced (the previous holder removes it when it leaves
//! nothing behind; an operator may clean up): its lock then protects nothing, since the next
//! process opens the file at the path. So after taking the lock, the holder checks that the path
//! still names the file it locked, and takes the lock again on the new file when it does not.

use std::ffi::{OsStr, OsString};
use std::fs::{File, TryLockError};
use std::io::Read;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;

use rustix::fs::{AtFlags, Mode, OFlags};

use super::{DirectoryHandle, Error, io_error};

/// An exclusive lock on a lock file, released when dropped.
#[derive(Debug)]
pub struct FileLock {
    #[allow(dead_code)] // Held open for its lock; closing it releases the lock.
    file: File,
    directory: DirectoryHandle,
    name: OsString,
}

impl FileLock {
    /// The lock file's path.
    pub fn path(&self) -> PathBuf {
        self.directory.join(&self.name)
    }

    /// Removes the lock file while the lock is still held, so no other process can be between
    /// "locked" and "checked the path" on this inode; a process waiting on it takes the lock
    /// again on a fresh file.
    pub fn remove(&self) -> Result<(), Error> {
        self.directory.remove_file(&self.name)
    }
}

/// Takes the exclusive lock on `name` in `directory`, creating the file when missing.
///
/// When another process holds it: with `wait`, calls `waiting` once with what the lock file says
/// about its holder (`pid 4242`) and blocks until it is released; without, returns
/// [`Error::Busy`]. The holder's pid is written into the file for the next one's message.
pub fn lock(
    directory: &DirectoryHandle,
    name: impl AsRef<OsStr>,
    wait: bool,
    waiting: impl FnOnce(&str),
) -> Result<FileLock, Error> {
    let name = name.as_ref();
    let path = directory.join(name);
    let mut waiting = Some(waiting);
    loop {
        let mut file = rustix::fs::openat(
            &directory.descriptor,
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )
        .map(File::from)
        .map_err(|errno| directory.open_error(name, errno))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = holder(&mut file);
                if !wait {
                    return Err(Error::Busy { path, holder });
                }
                if let Some(waiting) = waiting.take() {
                    waiting(&holder);
                }
                file.lock().map_err(io_error("lock", &path))?;
            }
            Err(TryLockError::Error(source)) => return Err(io_error("lock", &path)(source)),
        }
        // The holder waited for may have removed or replaced the file: then this lock is on an
        // orphaned inode and protects nothing, so take it again on the file now at the path.
        if names_the_file(directory, name, &file) {
            record_holder(&file);
            return Ok(FileLock {
                file,
                directory: directory.try_clone()?,
                name: name.to_os_string(),
            });
        }
    }
}

/// True when `name` in `directory` is still the inode `file` has open.
fn names_the_file(directory: &DirectoryHandle, name: &OsStr, file: &File) -> bool {
    match (
        file.metadata(),
        rustix::fs::statat(&directory.descriptor, name, AtFlags::SYMLINK_NOFOLLOW),
    ) {
        (Ok(open), Ok(named)) => open.dev() == named.st_dev && open.ino() == named.st_ino,
        _ => false,
    }
}

/// What the lock file says about its holder.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.take(256).read_to_string(&mut text);
    match text.trim() {
        "" => "holder unknown".to_owned(),
        text => text.to_owned(),
    }
}

/// Writes `pid N` into the lock file (best effort: the text only improves another process's
/// message).
fn record_holder(file: &File) {
    let text = format!("pid {}", std::process::id());
    let _ = file
        .set_len(0)
        .and_then(|()| file.write_all_at(text.as_bytes(), 0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, BufRead, BufReader, Write};
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    const DIRECTORY_VARIABLE: &str = "ZONEGATE_LOCK_TEST_DIRECTORY";

    /// The next line of the second process's output that starts with `prefix`, within a
    /// deadline.
    fn expect_line(lines: &mpsc::Receiver<String>, prefix: &str) -> String {
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("the second process did not say `{prefix}` in 30 s"));
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }

    #[test]
    fn a_waiter_whose_lock_file_is_replaced_takes_the_lock_on_the_new_file() {
        let temp = tempfile::tempdir().unwrap();
        let directory = DirectoryHandle::open(temp.path(), None).unwrap();
        let first = lock(&directory, "lock", true, |_| {}).unwrap();

        let mut second = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "filesystem::lock::tests::second_process",
                "--ignored",
                "--nocapture",
            ])
            .env(DIRECTORY_VARIABLE, temp.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, lines) = mpsc::channel();
        let output = second.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let holder = expect_line(&lines, "waiting: ");
        assert_eq!(holder, format!("pid {}", std::process::id()));

        // While the second process waits on the old inode, the file at the path is replaced
        // (as a run that leaves no output behind removes it, or an operator cleans up), then
        // the first holder lets go.
        let replacement = temp.path().join("lock.replacement");
        File::create(&replacement).unwrap();
        std::fs::rename(&replacement, temp.path().join("lock")).unwrap();
        drop(first);

        let locked = expect_line(&lines, "locked: inode ");
        let at_path = std::fs::metadata(temp.path().join("lock")).unwrap().ino();
        let probe = File::options()
            .read(true)
            .write(true)
            .open(temp.path().join("lock"))
            .unwrap();
        let taken = probe.try_lock();
        drop(second.stdin.take());
        let status = second.wait().unwrap();
        assert!(
            matches!(taken, Err(TryLockError::WouldBlock)),
            "the second process holds a lock on a dead inode: the file at the path is free"
        );
        assert_eq!(locked, at_path.to_string());
        assert!(status.success(), "{status}");
        probe
            .try_lock()
            .expect("released when the second process exits");
    }

    /// The second process of the test above: waits for the lock, says so, and holds it until
    /// its standard input closes.
    #[test]
    #[ignore = "run as a second process by a_waiter_whose_lock_file_is_replaced_takes_the_lock_on_the_new_file"]
    fn second_process() {
        let Some(path) = std::env::var_os(DIRECTORY_VARIABLE) else {
            return;
        };
        let directory = DirectoryHandle::open(Path::new(&path), None).unwrap();
        let held = lock(&directory, "lock", true, |holder| {
            let mut out = io::stdout();
            let _ = writeln!(out, "waiting: {holder}");
            let _ = out.flush();
        })
        .unwrap();
        let mut out = io::stdout();
        let _ = writeln!(out, "locked: inode {}", held.file.metadata().unwrap().ino());
        let _ = out.flush();
        let _ = io::stdin().read_to_end(&mut Vec::new());
    }

    #[test]
    fn without_waiting_a_held_lock_is_busy_with_its_holder() {
        let temp = tempfile::tempdir().unwrap();
        let directory = DirectoryHandle::open(temp.path(), None).unwrap();
        let held = lock(&directory, "lock", true, |_| {}).unwrap();
        let error = lock(&directory, "lock", false, |_| panic!("does not wait")).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{} is locked by another process (pid {})",
                held.path().display(),
                std::process::id()
            )
        );
        held.remove().unwrap();
        assert!(!temp.path().join("lock").exists());
        drop(held);
        lock(&directory, "lock", false, |_| {}).unwrap();
    }
}
