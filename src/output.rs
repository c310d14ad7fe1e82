//! IO edge: the output directory of rendered zones and its manifest.
//!
//! The directory is replaced as a whole: the new set is written into a sibling staging
//! directory, synced, and swapped in with one `renameat2(RENAME_EXCHANGE)`; a reader (named,
//! knotd, a deploy) sees the complete old set or the complete new set, never a mix or a
//! half-written file, and a failed or killed run leaves the previous set in place. The next run
//! removes any leftovers. Zones whose content did not change are hard-linked from the previous
//! set, so their bytes and mtimes stay as they were, once their file is verified to be what the
//! manifest records (size and SHA-256, [`OutputLock::verify`]); a damaged one is rendered again.
//! When nothing changed at all and every file is intact, nothing is touched. One run at a time
//! holds an exclusive lock on a sibling lock file.
#![allow(clippy::disallowed_methods)] // IO edge: writes the output directory.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use crate::filesystem::{self, DirectoryHandle, FileDigest, FileIdentity, FileLock, WriteError};

/// The tool could not read or write the output directory.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error(transparent)]
    Filesystem(#[from] filesystem::Error),
    /// The configured output directory holds something that is not zonegate output; replacing
    /// it could destroy data.
    #[error("refusing to replace {}: it is not empty and has no manifest.json, so it does not look like zonegate output", path.display())]
    NotOutput {
        /// The directory.
        path: PathBuf,
    },
    /// The previous manifest lists a zone file that is not a plain file name (`../x`): it was
    /// not written by zonegate, and following it could write outside the directory.
    #[error("{} lists `{file}` for zone `{origin}`, which is not a plain file name; refusing to trust it (remove the output directory to start afresh)", path.display())]
    ManifestEntry {
        /// The manifest.
        path: PathBuf,
        /// The zone's origin as listed.
        origin: String,
        /// The file name as listed.
        file: String,
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
        /// Files of unchanged zones that were not as the manifest records and were rendered
        /// again (also in `written`).
        repaired: Vec<Repaired>,
    },
}

/// An unchanged zone whose file was damaged and rendered again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repaired {
    /// The file name.
    pub file: String,
    /// What was wrong with it.
    pub damage: String,
}

/// How a file of the current set compares with its manifest entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Held {
    /// As the manifest records it: a regular file of the same size and SHA-256. Carried over
    /// by linking this very file ([`Staging::carry_over`]).
    Intact(FileIdentity),
    /// Not as recorded (missing, a link, another size or another content): it must be
    /// rendered again; the text says what was wrong.
    Damaged(String),
}

/// Exclusive hold on an output directory for one run.
///
/// Dropping it releases the lock. A run that leaves no output directory behind (a first run
/// that failed) also removes the lock file, so a rejected run leaves no trace; a run waiting on
/// that file notices it was removed and takes the lock again on a fresh one.
#[derive(Debug)]
pub struct OutputLock {
    directory: PathBuf,
    /// The directory that holds the output directory, its staging and retired siblings and
    /// the lock file; every one of them is reached through it by name.
    parent: DirectoryHandle,
    name: OsString,
    staging: OsString,
    retired: OsString,
    lock: FileLock,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Still holding the lock here (the file is closed after this body), so no other run can
        // be between "locked" and "checked the path" on this inode.
        if matches!(self.parent.kind(&self.name), Ok(None)) {
            let _ = self.lock.remove();
        }
    }
}

/// Takes the output directory's lock, waiting for another run to finish, and cleans up after
/// any earlier run that was killed.
///
/// When `directory` is inside `repository`, no symbolic link may lead it out; the output
/// directory, its lock, staging and retired siblings are never followed when they are links
/// (a pull request could have committed them): each is refused with an error that names it.
/// `waiting` is called once if another process holds the lock.
pub fn lock(
    directory: &Path,
    repository: &Path,
    waiting: impl FnOnce(),
) -> Result<OutputLock, Error> {
    let (parent, name) = filesystem::open_parent(directory, true, Some(repository))?;
    let name = name.to_os_string();
    let sibling = |suffix: &str| {
        let mut sibling = OsString::from(".");
        sibling.push(&name);
        sibling.push(suffix);
        sibling
    };
    let lock = filesystem::lock(&parent, sibling(".zonegate-lock"), true, |_| waiting())?;
    let output = OutputLock {
        directory: directory.to_path_buf(),
        staging: sibling(".zonegate-new"),
        retired: sibling(".zonegate-old"),
        name,
        parent,
        lock,
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
        match self.current()? {
            Some(current) => read_manifest(&current),
            None => Ok(None),
        }
    }

    /// Checks the current set's file of each entry against the manifest's record of it (the
    /// size, then the SHA-256 of the content: a file damaged without changing its size differs
    /// only there), in parallel; `None` entries are skipped. Only an intact file may be carried
    /// over into the next set.
    pub fn verify(&self, entries: &[Option<&ManifestZone>]) -> Result<Vec<Option<Held>>, Error> {
        let current = self.current()?;
        Ok(entries
            .par_iter()
            .map(|entry| {
                entry.map(|entry| match &current {
                    Some(current) => verify(current, entry),
                    None => Held::Damaged("missing".to_owned()),
                })
            })
            .collect())
    }

    /// Starts the next set in a staging directory beside the output directory. Nothing a reader
    /// can see changes until [`Staging::commit`]; dropping the staging removes it.
    pub fn stage(&self) -> Result<Staging<'_>, Error> {
        let current = self.current()?;
        if let Some(current) = &current
            && read_manifest(current)?.is_none()
            && !current.names()?.is_empty()
        {
            return Err(Error::NotOutput {
                path: self.directory.clone(),
            });
        }
        let directory = self.parent.create_directory(&self.staging)?;
        Ok(Staging {
            output: self,
            directory,
            current,
            committed: false,
        })
    }

    /// Replaces the directory's content with `files` and `manifest`, atomically; a file whose
    /// manifest entry is unchanged is carried over. For small sets held in memory; `render`
    /// streams through [`OutputLock::stage`].
    pub fn publish(&self, files: &[ZoneFile], manifest: &Manifest) -> Result<Published, Error> {
        let previous = self.previous_manifest()?;
        let unchanged: Vec<Option<&ManifestZone>> = files
            .iter()
            .map(|file| {
                let entry = manifest.zones.iter().find(|zone| zone.file == file.file)?;
                previous
                    .as_ref()
                    .filter(|previous| previous.zones.contains(entry))
                    .map(|_| entry)
            })
            .collect();
        let held = self.verify(&unchanged)?;
        if previous.as_ref() == Some(manifest)
            && held
                .iter()
                .all(|held| matches!(held, Some(Held::Intact(_))))
        {
            return Ok(Published::Unchanged);
        }
        let staging = self.stage()?;
        let mut written = Vec::new();
        let mut repaired = Vec::new();
        for (file, held) in files.iter().zip(held) {
            match held {
                Some(Held::Intact(identity)) if staging.carry_over(&file.file, identity) => {
                    continue;
                }
                Some(Held::Damaged(damage)) => repaired.push(Repaired {
                    file: file.file.clone(),
                    damage,
                }),
                _ => {}
            }
            staging.write(&file.file, |out| {
                out.write_all(file.text.as_bytes()).map_err(|source| {
                    Error::from(filesystem::io_error(
                        "write",
                        &staging.directory.join(&file.file),
                    )(source))
                })
            })?;
            written.push(file.file.clone());
        }
        staging.commit(manifest)?;
        Ok(Published::Replaced { written, repaired })
    }

    /// The current set's directory, when there is one.
    fn current(&self) -> Result<Option<DirectoryHandle>, Error> {
        Ok(self.parent.open_directory(&self.name)?)
    }

    /// Puts the staging directory in place of the output directory.
    fn swap(&self) -> Result<(), Error> {
        let parent = &self.parent;
        if parent.entry(&self.name)?.is_some() {
            if parent.exchange(&self.staging, &self.name).is_err() {
                // No RENAME_EXCHANGE (old kernel, some filesystems): two renames, with a window
                // where the directory is absent; `recover` repairs a crash inside it.
                parent.rename(&self.name, &self.retired)?;
                parent.rename(&self.staging, &self.name)?;
                parent.remove_tree(&self.retired)?;
            } else {
                // The staging path now holds the previous set.
                parent.remove_tree(&self.staging)?;
            }
        } else {
            parent.rename(&self.staging, &self.name)?;
        }
        parent.sync()?;
        Ok(())
    }

    /// Cleans up after a run that was killed: an interrupted fallback swap is completed
    /// backwards (the previous set returns), stale staging directories are removed.
    fn recover(&self) -> Result<(), Error> {
        let parent = &self.parent;
        // Links are refused before anything moves: a planted `.out.zonegate-old` link would
        // otherwise be renamed into place as the output directory.
        let current = parent.entry(&self.name)?;
        let staged = parent.entry(&self.staging)?;
        let retired = parent.entry(&self.retired)?;
        if current.is_none() && retired.is_some() {
            parent.rename(&self.retired, &self.name)?;
        } else if retired.is_some() {
            parent.remove_tree(&self.retired)?;
        }
        if staged.is_some() {
            parent.remove_tree(&self.staging)?;
        }
        Ok(())
    }
}

/// The next set of files, being written beside the output directory.
#[derive(Debug)]
pub struct Staging<'a> {
    output: &'a OutputLock,
    directory: DirectoryHandle,
    /// The current set, which unchanged files are carried over from.
    current: Option<DirectoryHandle>,
    committed: bool,
}

impl Staging<'_> {
    /// Creates `file` in the staging directory and lets `fill` write it through a buffer that
    /// counts and hashes what passes; the file is synced before this returns.
    pub fn write<E: From<Error>>(
        &self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<FileDigest, E> {
        self.directory
            .write_file(name, fill)
            .map_err(|failure| match failure {
                WriteError::Fill(error) => error,
                WriteError::Filesystem(error) => E::from(Error::from(error)),
            })
    }

    /// Hard-links `file` from the current set into the staging directory, keeping its bytes,
    /// inode and mtime, when it is still the file [`OutputLock::verify`] found intact
    /// (`identity`). False when that is not possible (the caller then writes it).
    pub fn carry_over(&self, file: &str, identity: FileIdentity) -> bool {
        let Some(current) = &self.current else {
            return false;
        };
        if current.hard_link(file, &self.directory, file).is_err() {
            return false;
        }
        // Replaced between the check and the link: not the file that was verified.
        if matches!(self.directory.identity(file), Ok(Some(linked)) if linked == identity) {
            true
        } else {
            let _ = self.directory.remove_file(file);
            false
        }
    }

    /// Writes `manifest`, syncs, and swaps the staging directory in as the output directory in
    /// one atomic step.
    pub fn commit(mut self, manifest: &Manifest) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(manifest).expect("manifests always serialise");
        text.push('\n');
        self.directory
            .write_bytes("manifest.json", text.as_bytes())?;
        self.directory.sync()?;
        self.output.swap()?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // A failed run leaves the current set as it was; the next run would clean up too.
            let _ = self.output.parent.remove_tree(&self.output.staging);
        }
    }
}

/// Compares `entry`'s file in the current set with what the manifest records.
fn verify(current: &DirectoryHandle, entry: &ManifestZone) -> Held {
    let file = match current.open_file(&entry.file) {
        Ok(Some(file)) => file,
        Ok(None) => return Held::Damaged("missing".to_owned()),
        Err(filesystem::Error::SymbolicLink { target, .. }) => {
            return Held::Damaged(format!("it is a symbolic link (to {})", target.display()));
        }
        Err(filesystem::Error::NotRegular { .. }) => {
            return Held::Damaged("it is not a regular file".to_owned());
        }
        Err(error) => return Held::Damaged(error.to_string()),
    };
    let read = || -> std::io::Result<Held> {
        let size = file.metadata()?.len();
        if size != entry.bytes {
            return Ok(Held::Damaged(format!(
                "{size} bytes where manifest.json records {}",
                entry.bytes
            )));
        }
        let identity = FileIdentity::of(&file)?;
        let digest = filesystem::hash_contents(&file)?;
        Ok(
            if digest.sha256 == entry.sha256 && digest.bytes == entry.bytes {
                Held::Intact(identity)
            } else {
                Held::Damaged(
                    "its content differs from the sha256 manifest.json records".to_owned(),
                )
            },
        )
    };
    read().unwrap_or_else(|error| Held::Damaged(format!("cannot be read ({error})")))
}

/// Reads `manifest.json` from `directory`, `None` when absent.
fn read_manifest(directory: &DirectoryHandle) -> Result<Option<Manifest>, Error> {
    let path = directory.join("manifest.json");
    let Some(bytes) = directory.read("manifest.json")? else {
        return Ok(None);
    };
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|source| Error::Manifest {
        path: path.clone(),
        source,
    })?;
    // Zone file names are plain names (derived from origins, which cannot hold `/` or start
    // with a dot); anything else would make `holds`, `carry_over` and `write` reach outside the
    // directory.
    if let Some(zone) = manifest.zones.iter().find(|zone| {
        zone.file.is_empty()
            || zone.file.contains(['/', '\\', '\0'])
            || zone.file.starts_with('.')
            || zone.file == "manifest.json"
    }) {
        return Err(Error::ManifestEntry {
            path,
            origin: zone.origin.clone(),
            file: zone.file.clone(),
        });
    }
    Ok(Some(manifest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    fn sha256_of(text: &str) -> String {
        filesystem::hash_contents(text.as_bytes()).unwrap().sha256
    }

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
            sha256: sha256_of(text),
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
        let output = lock(&out, temp.path(), || {}).unwrap();
        assert_eq!(output.previous_manifest().unwrap(), None);

        let (files, first) = manifest(1, "first\n");
        assert_eq!(
            output.publish(&files, &first).unwrap(),
            Published::Replaced {
                written: vec!["example.net.zone".into()],
                repaired: Vec::new(),
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
        let output = lock(&out, temp.path(), || {}).unwrap();
        let (mut files, mut first) = manifest(1, "same\n");
        files.push(ZoneFile {
            file: "other.zone".into(),
            text: "a\n".into(),
        });
        let mut other = first.zones[0].clone();
        other.file = "other.zone".into();
        other.bytes = 2;
        other.sha256 = sha256_of("a\n");
        first.zones.push(other.clone());
        output.publish(&files, &first).unwrap();
        let inode = fs::metadata(out.join("example.net.zone")).unwrap().ino();

        files[1].text = "b\n".into();
        let mut second = first.clone();
        second.zones[1].content_hash = "changed".into();
        second.zones[1].sha256 = sha256_of("b\n");
        let published = output.publish(&files, &second).unwrap();
        assert_eq!(
            published,
            Published::Replaced {
                written: vec!["other.zone".into()],
                repaired: Vec::new(),
            }
        );
        assert_eq!(
            fs::metadata(out.join("example.net.zone")).unwrap().ino(),
            inode
        );
        assert_eq!(fs::read_to_string(out.join("other.zone")).unwrap(), "b\n");
    }

    // Regression (issue 12 item 7): only the size was compared, so a file damaged without
    // changing its size was carried over as it was.
    #[test]
    fn a_file_damaged_without_changing_its_size_is_written_again() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let output = lock(&out, temp.path(), || {}).unwrap();
        let (files, first) = manifest(1, "first\n");
        output.publish(&files, &first).unwrap();
        fs::write(out.join("example.net.zone"), "fir5t\n").unwrap();
        assert_eq!(
            output.publish(&files, &first).unwrap(),
            Published::Replaced {
                written: vec!["example.net.zone".into()],
                repaired: vec![Repaired {
                    file: "example.net.zone".into(),
                    damage: "its content differs from the sha256 manifest.json records".into(),
                }],
            }
        );
        assert_eq!(
            fs::read_to_string(out.join("example.net.zone")).unwrap(),
            "first\n"
        );
        assert_eq!(
            output.publish(&files, &first).unwrap(),
            Published::Unchanged
        );
    }

    #[test]
    fn a_file_replaced_after_it_was_verified_is_not_carried_over() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let output = lock(&out, temp.path(), || {}).unwrap();
        let (files, first) = manifest(1, "first\n");
        output.publish(&files, &first).unwrap();
        let held = output.verify(&[Some(&first.zones[0])]).unwrap();
        let Some(Held::Intact(identity)) = held[0] else {
            panic!("{held:?}");
        };
        // The same bytes under a new inode: not the file that was verified.
        fs::write(out.join("replacement"), "first\n").unwrap();
        fs::rename(out.join("replacement"), out.join("example.net.zone")).unwrap();
        let staging = output.stage().unwrap();
        assert!(!staging.carry_over("example.net.zone", identity));
        assert!(
            staging
                .directory
                .kind("example.net.zone")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn refuses_to_replace_a_directory_that_is_not_output() {
        let temp = tempfile::tempdir().unwrap();
        let precious = temp.path().join("etc");
        fs::create_dir(&precious).unwrap();
        fs::write(precious.join("named.conf"), "keep me").unwrap();
        let output = lock(&precious, temp.path(), || {}).unwrap();
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

    // Regression (security review): a manifest naming `../` files made an unchanged zone be
    // written or hard-linked outside the output directory.
    #[test]
    fn a_manifest_naming_files_outside_the_directory_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        let output = lock(&out, temp.path(), || {}).unwrap();
        let (files, first) = manifest(1, "x\n");
        output.publish(&files, &first).unwrap();
        for file in ["../escape.zone", "example.net.zone/../../x", ".hidden.zone"] {
            let mut tampered = first.clone();
            tampered.zones[0].file = file.to_owned();
            fs::write(
                out.join("manifest.json"),
                serde_json::to_vec(&tampered).unwrap(),
            )
            .unwrap();
            let error = output.previous_manifest().unwrap_err();
            assert!(
                matches!(&error, Error::ManifestEntry { file: listed, .. } if listed == file),
                "{error}"
            );
            assert!(output.publish(&files, &first).is_err());
        }
        assert!(!temp.path().join("escape.zone").exists());
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
        let output = lock(&out, temp.path(), || {}).unwrap();
        assert!(out.join("manifest.json").exists(), "previous set restored");
        assert!(
            !temp.path().join(".out.zonegate-new").exists(),
            "staging removed"
        );
        assert_eq!(output.previous_manifest().unwrap().unwrap().zones.len(), 0);
    }
}
