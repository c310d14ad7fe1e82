//! IO edge: the output directory of rendered zones and its manifest.
//!
//! The directory is replaced as a whole: the new set is written into a sibling staging
//! directory, synced, and swapped in with one `renameat2(RENAME_EXCHANGE)`; a reader (named,
//! knotd, a deploy) sees the complete old set or the complete new set, never a mix or a
//! half-written file, and a failed or killed run leaves the previous set in place. The next run
//! removes any leftovers. Zones whose content did not change are hard-linked from the previous
//! set, so their bytes and mtimes stay as they were; when nothing changed at all, nothing is
//! touched. One run at a time holds an exclusive lock on a sibling lock file.
#![allow(clippy::disallowed_methods)] // IO edge: writes the output directory.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The tool could not read or write the output directory.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done (`create`, `write`, `rename` ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// The configured output directory holds something that is not zonegate output; replacing
    /// it could destroy data.
    #[error("refusing to replace {}: it is not empty and has no manifest.json, so it does not look like zonegate output", path.display())]
    NotOutput {
        /// The directory.
        path: PathBuf,
    },
    /// The previous manifest is unreadable.
    #[error("cannot parse {}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// `manifest.json`: what a render produced. No timestamps, so identical runs write identical bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `zonegate <version>`.
    pub generator: String,
    /// One entry per zone file, by origin in canonical order.
    pub zones: Vec<ManifestZone>,
}

/// One zone in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestZone {
    /// Origin, absolute.
    pub origin: String,
    /// File name inside the output directory.
    pub file: String,
    /// SOA serial written.
    pub serial: u32,
    /// Records in the zone, SOA included.
    pub records: usize,
    /// Records per type.
    pub by_type: BTreeMap<String, usize>,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// SHA-256 (hex) of everything but the serial; equal hashes mean equal content.
    pub content_hash: String,
    /// SHA-256 (hex) of the file itself, as `sha256sum` prints it.
    pub sha256: String,
}

impl ManifestZone {
    /// The file name for a zone origin: `example.net.zone`, `root.zone` for the root.
    pub fn file_name(origin: &str) -> String {
        match origin.trim_end_matches('.') {
            "" => "root.zone".to_owned(),
            name => format!("{name}.zone"),
        }
    }
}

/// A zone file ready to be written.
#[derive(Clone, Debug)]
pub struct ZoneFile {
    /// File name inside the output directory (from [`ManifestZone::file_name`]).
    pub file: String,
    /// Full text.
    pub text: String,
}

/// What [`OutputLock::publish`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Published {
    /// Every file and the manifest were already as rendered; nothing was written.
    Unchanged,
    /// The directory was replaced; these files have new content.
    Replaced {
        /// Files written (the rest were carried over unchanged).
        written: Vec<String>,
    },
}

/// Exclusive hold on an output directory for one run.
///
/// Dropping it releases the lock. A run that leaves no output directory behind (a first run
/// that failed) also removes the lock file, so a rejected run leaves no trace; a run waiting on
/// that file notices it was removed and takes the lock again on a fresh one.
#[derive(Debug)]
pub struct OutputLock {
    directory: PathBuf,
    staging: PathBuf,
    retired: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Still holding the lock here (the file is closed after this body), so no other run can
        // be between "locked" and "checked the path" on this inode.
        if !self.directory.exists() {
            let _ = fs::remove_file(&self.lock_path);
        }
    }
}

/// Takes the output directory's lock, waiting for another run to finish, and cleans up after
/// any earlier run that was killed.
///
/// `waiting` is called once if another process holds the lock.
pub fn lock(directory: &Path, waiting: impl FnOnce()) -> Result<OutputLock, Error> {
    let name = directory.file_name().map_or_else(
        || "out".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let parent = match directory.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_error("create", &parent))?;
    let lock_path = parent.join(format!(".{name}.zonegate-lock"));
    let mut waiting = Some(waiting);
    let lock_file = loop {
        let lock_file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_error("open", &lock_path))?;
        match lock_file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                if let Some(waiting) = waiting.take() {
                    waiting();
                }
                lock_file.lock().map_err(io_error("lock", &lock_path))?;
            }
            Err(fs::TryLockError::Error(source)) => {
                return Err(io_error("lock", &lock_path)(source));
            }
        }
        // The holder we waited for may have removed the file (see `Drop`): then this lock is
        // on an orphaned inode and protects nothing, so take it again on the file at the path.
        if same_file(&lock_file, &lock_path) {
            break lock_file;
        }
    };
    let output = OutputLock {
        directory: directory.to_path_buf(),
        staging: parent.join(format!(".{name}.zonegate-new")),
        retired: parent.join(format!(".{name}.zonegate-old")),
        lock_path,
        _lock: lock_file,
    };
    output.recover()?;
    Ok(output)
}

impl OutputLock {
    /// The output directory.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The manifest of the current set, if there is one.
    pub fn previous_manifest(&self) -> Result<Option<Manifest>, Error> {
        read_manifest(&self.directory)
    }

    /// True when the current set holds `entry`'s file with the size the manifest records, so it
    /// can be carried over into the next set as it is.
    pub fn holds(&self, entry: &ManifestZone) -> bool {
        fs::metadata(self.directory.join(&entry.file)).is_ok_and(|meta| meta.len() == entry.bytes)
    }

    /// Starts the next set in a staging directory beside the output directory. Nothing a reader
    /// can see changes until [`Staging::commit`]; dropping the staging removes it.
    pub fn stage(&self) -> Result<Staging<'_>, Error> {
        if self.directory.exists()
            && self.previous_manifest()?.is_none()
            && !is_empty_dir(&self.directory)?
        {
            return Err(Error::NotOutput {
                path: self.directory.clone(),
            });
        }
        fs::create_dir(&self.staging).map_err(io_error("create", &self.staging))?;
        Ok(Staging {
            output: self,
            committed: false,
        })
    }

    /// Replaces the directory's content with `files` and `manifest`, atomically; a file whose
    /// manifest entry is unchanged is carried over. For small sets held in memory; `render`
    /// streams through [`OutputLock::stage`].
    pub fn publish(&self, files: &[ZoneFile], manifest: &Manifest) -> Result<Published, Error> {
        let previous = self.previous_manifest()?;
        let unchanged = |file: &ZoneFile| -> bool {
            let entry = manifest.zones.iter().find(|zone| zone.file == file.file);
            match (&previous, entry) {
                (Some(previous), Some(entry)) => {
                    previous.zones.contains(entry) && self.holds(entry)
                }
                _ => false,
            }
        };
        if previous.as_ref() == Some(manifest) && files.iter().all(unchanged) {
            return Ok(Published::Unchanged);
        }
        let staging = self.stage()?;
        let mut written = Vec::new();
        for file in files {
            if unchanged(file) && staging.carry_over(&file.file) {
                continue;
            }
            staging.write(&file.file, |out| {
                out.write_all(file.text.as_bytes())
                    .map_err(io_error("write", &self.staging.join(&file.file)))
            })?;
            written.push(file.file.clone());
        }
        staging.commit(manifest)?;
        Ok(Published::Replaced { written })
    }

    /// Puts the staging directory in place of the output directory.
    fn swap(&self) -> Result<(), Error> {
        if self.directory.exists() {
            if exchange(&self.staging, &self.directory).is_err() {
                // No RENAME_EXCHANGE (old kernel, some filesystems): two renames, with a window
                // where the directory is absent; `recover` repairs a crash inside it.
                fs::rename(&self.directory, &self.retired)
                    .map_err(io_error("rename", &self.directory))?;
                fs::rename(&self.staging, &self.directory)
                    .map_err(io_error("rename", &self.staging))?;
                fs::remove_dir_all(&self.retired).map_err(io_error("remove", &self.retired))?;
            } else {
                // The staging path now holds the previous set.
                fs::remove_dir_all(&self.staging).map_err(io_error("remove", &self.staging))?;
            }
        } else {
            fs::rename(&self.staging, &self.directory)
                .map_err(io_error("rename", &self.staging))?;
        }
        if let Some(parent) = self
            .directory
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            sync_directory(parent)?;
        }
        Ok(())
    }

    /// Cleans up after a run that was killed: an interrupted fallback swap is completed
    /// backwards (the previous set returns), stale staging directories are removed.
    fn recover(&self) -> Result<(), Error> {
        if !self.directory.exists() && self.retired.exists() {
            fs::rename(&self.retired, &self.directory)
                .map_err(io_error("restore", &self.retired))?;
        }
        for stale in [&self.staging, &self.retired] {
            if stale.exists() {
                fs::remove_dir_all(stale).map_err(io_error("remove", stale))?;
            }
        }
        Ok(())
    }
}

/// The next set of files, being written beside the output directory.
#[derive(Debug)]
pub struct Staging<'a> {
    output: &'a OutputLock,
    committed: bool,
}

/// A file written into a [`Staging`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFile {
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of its content, lower-case hex (as `sha256sum` prints it).
    pub sha256: String,
}

impl Staging<'_> {
    /// Creates `file` in the staging directory and lets `fill` write it through a buffer that
    /// counts and hashes what passes; the file is synced before this returns.
    pub fn write<E: From<Error>>(
        &self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<WrittenFile, E> {
        let path = self.output.staging.join(name);
        let handle = File::create(&path).map_err(io_error("create", &path))?;
        let mut writer = HashingWriter {
            inner: io::BufWriter::with_capacity(1 << 18, handle),
            hasher: Sha256::new(),
            bytes: 0,
        };
        fill(&mut writer)?;
        let HashingWriter {
            inner,
            hasher,
            bytes,
        } = writer;
        let handle = inner
            .into_inner()
            .map_err(|error| io_error("write", &path)(error.into_error()))?;
        handle.sync_all().map_err(io_error("sync", &path))?;
        Ok(WrittenFile {
            bytes,
            sha256: crate::render::hex(&hasher.finalize()),
        })
    }

    /// Hard-links `file` from the current set into the staging directory, keeping its bytes,
    /// inode and mtime. False when that is not possible (the caller then writes it).
    pub fn carry_over(&self, file: &str) -> bool {
        fs::hard_link(
            self.output.directory.join(file),
            self.output.staging.join(file),
        )
        .is_ok()
    }

    /// Writes `manifest`, syncs, and swaps the staging directory in as the output directory in
    /// one atomic step.
    pub fn commit(mut self, manifest: &Manifest) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(manifest).expect("manifests always serialise");
        text.push('\n');
        write_synced(&self.output.staging.join("manifest.json"), text.as_bytes())?;
        sync_directory(&self.output.staging)?;
        self.output.swap()?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // A failed run leaves the current set as it was; the next run would clean up too.
            let _ = fs::remove_dir_all(&self.output.staging);
        }
    }
}

/// Counts and hashes what is written through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buffer)?;
        self.hasher.update(&buffer[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// True when `path` still names the file `file` has open.
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Reads `manifest.json` from `directory`, `None` when absent.
pub fn read_manifest(directory: &Path) -> Result<Option<Manifest>, Error> {
    let path = directory.join("manifest.json");
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| Error::Manifest { path, source }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error("read", &path)(error)),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut file = File::create(path).map_err(io_error("create", path))?;
    file.write_all(bytes).map_err(io_error("write", path))?;
    file.sync_all().map_err(io_error("sync", path))
}

fn sync_directory(path: &Path) -> Result<(), Error> {
    File::open(path)
        .and_then(|directory| directory.sync_all())
        .map_err(io_error("sync", path))
}

fn is_empty_dir(path: &Path) -> Result<bool, Error> {
    Ok(fs::read_dir(path)
        .map_err(io_error("read", path))?
        .next()
        .is_none())
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// Atomically exchanges two directory entries (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn manifest(serial: u32, text: &str) -> (Vec<ZoneFile>, Manifest) {
        let file = ZoneFile {
            file: "example.net.zone".into(),
            text: text.into(),
        };
        let zone = ManifestZone {
            origin: "example.net.".into(),
            file: file.file.clone(),
            serial,
            records: 1,
            by_type: BTreeMap::new(),
            bytes: text.len() as u64,
            content_hash: format!("hash-of-{text}"),
            sha256: String::new(),
        };
        (
            vec![file],
            Manifest {
                generator: "zonegate test".into(),
                zones: vec![zone],
            },
        )
    }

    #[test]
    fn publish_replaces_atomically_and_skips_unchanged_runs() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let output = lock(&out, || {}).unwrap();
        assert_eq!(output.previous_manifest().unwrap(), None);

        let (files, first) = manifest(1, "first\n");
        assert_eq!(
            output.publish(&files, &first).unwrap(),
            Published::Replaced {
                written: vec!["example.net.zone".into()]
            }
        );
        assert_eq!(
            fs::read_to_string(out.join("example.net.zone")).unwrap(),
            "first\n"
        );
        assert_eq!(output.previous_manifest().unwrap().as_ref(), Some(&first));
        let inode = fs::metadata(out.join("example.net.zone")).unwrap().ino();

        assert_eq!(
            output.publish(&files, &first).unwrap(),
            Published::Unchanged
        );
        assert_eq!(
            fs::metadata(out.join("example.net.zone")).unwrap().ino(),
            inode,
            "untouched"
        );

        let (files, second) = manifest(2, "second\n");
        output.publish(&files, &second).unwrap();
        assert_eq!(
            fs::read_to_string(out.join("example.net.zone")).unwrap(),
            "second\n"
        );
        let leftovers: Vec<_> = fs::read_dir(temp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(
            leftovers.len(),
            2,
            "only out/ and the lock file remain: {leftovers:?}"
        );
    }

    #[test]
    fn unchanged_zones_are_carried_over_by_hard_link() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let output = lock(&out, || {}).unwrap();
        let (mut files, mut first) = manifest(1, "same\n");
        files.push(ZoneFile {
            file: "other.zone".into(),
            text: "a\n".into(),
        });
        let mut other = first.zones[0].clone();
        other.file = "other.zone".into();
        other.bytes = 2;
        first.zones.push(other.clone());
        output.publish(&files, &first).unwrap();
        let inode = fs::metadata(out.join("example.net.zone")).unwrap().ino();

        files[1].text = "b\n".into();
        let mut second = first.clone();
        second.zones[1].content_hash = "changed".into();
        let published = output.publish(&files, &second).unwrap();
        assert_eq!(
            published,
            Published::Replaced {
                written: vec!["other.zone".into()]
            }
        );
        assert_eq!(
            fs::metadata(out.join("example.net.zone")).unwrap().ino(),
            inode
        );
        assert_eq!(fs::read_to_string(out.join("other.zone")).unwrap(), "b\n");
    }

    #[test]
    fn refuses_to_replace_a_directory_that_is_not_output() {
        let temp = tempfile::tempdir().unwrap();
        let precious = temp.path().join("etc");
        fs::create_dir(&precious).unwrap();
        fs::write(precious.join("named.conf"), "keep me").unwrap();
        let output = lock(&precious, || {}).unwrap();
        let (files, first) = manifest(1, "x\n");
        assert!(matches!(
            output.publish(&files, &first),
            Err(Error::NotOutput { .. })
        ));
        assert_eq!(
            fs::read_to_string(precious.join("named.conf")).unwrap(),
            "keep me"
        );
    }

    #[test]
    fn recovers_from_a_run_killed_mid_swap() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        // A killed fallback swap: the previous set was moved aside, the new one never arrived.
        fs::create_dir(temp.path().join(".out.zonegate-old")).unwrap();
        fs::write(
            temp.path().join(".out.zonegate-old/manifest.json"),
            "{\"generator\":\"g\",\"zones\":[]}",
        )
        .unwrap();
        fs::create_dir(temp.path().join(".out.zonegate-new")).unwrap();
        fs::write(temp.path().join(".out.zonegate-new/half.zone"), "half").unwrap();
        let output = lock(&out, || {}).unwrap();
        assert!(out.join("manifest.json").exists(), "previous set restored");
        assert!(
            !temp.path().join(".out.zonegate-new").exists(),
            "staging removed"
        );
        assert_eq!(output.previous_manifest().unwrap().unwrap().zones.len(), 0);
    }
}
