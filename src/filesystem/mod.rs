//! IO edge: the one file-system layer under the output directory (`output`), a deploy target's
//! zone and state directories (`deploy::target`), the JUnit report (`commands::test`) and
//! `init`'s scaffold. (Git objects are written by libgit2; the `man` pages and `regen`'s
//! downloaded export are written on their own.)
//!
//! It owns the primitives those callers once wrote each for themselves: a directory handle
//! through which every entry is opened, created, renamed, linked and removed relative to the
//! directory's descriptor (openat-style, so a path cannot be redirected between two steps) and
//! never through a symbolic link; directories opened by path without a link leading them out
//! of the repository (`resolve.rs`); files created with `O_EXCL` (after removing whatever entry
//! was there, never its target, where a file is written afresh); one atomic replacement (a
//! fresh temporary file, synced, renamed over the old one, the directory synced); one directory
//! sync; one writer that counts and hashes what passes; one exclusive lock ([`lock`]); and one
//! error type that names the path.
#![allow(clippy::disallowed_methods)] // IO edge: the layer every file write goes through.

mod lock;
mod resolve;

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags};
use sha2::{Digest, Sha256};

pub use lock::{FileLock, lock};

/// A file-system operation failed; every variant names the path it was about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operation on `path` failed.
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
    /// A path inside the repository leads out of it through a symbolic link (one a pull request
    /// could have committed).
    #[error("{} leads outside the repository through the symbolic link {} (to {}); zonegate writes only inside the repository there", path.display(), link.display(), target.display())]
    LeadsOutside {
        /// The path as given.
        path: PathBuf,
        /// The link.
        link: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// An entry zonegate creates and uses itself (a lock, staging or retired directory, a
    /// deployed zone file, a state file) is a symbolic link: planted, never followed.
    #[error("refusing to use {}: it is a symbolic link (to {}), and zonegate never follows a link there; remove it", path.display(), target.display())]
    SymbolicLink {
        /// The entry.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// An entry zonegate reads as a file is something else (a FIFO, a device, a directory).
    #[error("refusing to read {}: it is not a regular file", path.display())]
    NotRegular {
        /// The entry.
        path: PathBuf,
    },
    /// The path has no final name (`/`, `..`), so there is no entry to create beside its
    /// siblings.
    #[error("{} has no name of its own (such as `out`); name it", path.display())]
    Unnamed {
        /// The path as given.
        path: PathBuf,
    },
    /// Another process holds the lock and the caller asked not to wait.
    #[error("{} is locked by another process ({holder})", path.display())]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// What the lock file says about its holder (`pid 4242`, or `holder unknown`).
        holder: String,
    },
}

impl Error {
    /// Why the operation failed, without the path: for messages that name the path already.
    pub fn reason(&self) -> String {
        match self {
            Self::Io { source, .. } => source.to_string(),
            other => other.to_string(),
        }
    }
}

/// Why a write whose content comes from the caller's `fill` failed.
#[derive(Debug)]
pub enum WriteError<E> {
    /// `fill` failed.
    Fill(E),
    /// The file could not be created, written or synced.
    Filesystem(Error),
}

impl<E> From<Error> for WriteError<E> {
    fn from(error: Error) -> Self {
        Self::Filesystem(error)
    }
}

impl WriteError<Error> {
    /// The error, whichever side it came from.
    pub fn into_error(self) -> Error {
        match self {
            Self::Fill(error) | Self::Filesystem(error) => error,
        }
    }
}

/// The error for `action` on `path`, as a closure for `map_err`.
pub fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// What a write produced: the size and the SHA-256 of the bytes that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex (as `sha256sum` prints it).
    pub sha256: String,
}

/// Which file an entry is (device and inode): two names with one identity are one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    /// The identity of the open `file`.
    pub fn of(file: &File) -> io::Result<Self> {
        let stat = rustix::fs::fstat(file)?;
        Ok(Self::from_stat(&stat))
    }

    fn from_stat(stat: &rustix::fs::Stat) -> Self {
        Self {
            device: stat.st_dev,
            inode: stat.st_ino,
        }
    }
}

/// An open directory: every entry is reached relative to its descriptor.
#[derive(Debug)]
pub struct DirectoryHandle {
    descriptor: OwnedFd,
    path: PathBuf,
}

impl DirectoryHandle {
    /// Opens the directory at `path`. When `path` is inside `repository`, no symbolic link may
    /// lead it out ([`Error::LeadsOutside`]); none is followed after that check (see
    /// `resolve.rs`).
    pub fn open(path: &Path, repository: Option<&Path>) -> Result<Self, Error> {
        Self::open_if_exists(path, repository)?
            .ok_or_else(|| io_error("open", path)(io::ErrorKind::NotFound.into()))
    }

    /// [`DirectoryHandle::open`]; `None` when the directory does not exist.
    pub fn open_if_exists(path: &Path, repository: Option<&Path>) -> Result<Option<Self>, Error> {
        resolve::open_directory(path, false, repository, path)
    }

    /// [`DirectoryHandle::open`], creating the directory and its missing parents first.
    pub fn create_all(path: &Path, repository: Option<&Path>) -> Result<Self, Error> {
        resolve::open_directory(path, true, repository, path)?
            .ok_or_else(|| io_error("create", path)(io::ErrorKind::NotFound.into()))
    }

    /// The directory's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` inside this directory, for messages.
    pub fn join(&self, name: impl AsRef<OsStr>) -> PathBuf {
        self.path.join(name.as_ref())
    }

    /// Another handle on the same directory.
    pub fn try_clone(&self) -> Result<Self, Error> {
        Ok(Self {
            descriptor: self
                .descriptor
                .try_clone()
                .map_err(io_error("open", &self.path))?,
            path: self.path.clone(),
        })
    }

    /// What `name` is, without following a symbolic link; `None` when there is no such entry.
    pub fn kind(&self, name: impl AsRef<OsStr>) -> Result<Option<EntryKind>, Error> {
        Ok(self.lstat(name.as_ref())?.map(|stat| EntryKind::of(&stat)))
    }

    /// What `name` is; `None` when there is no such entry, and [`Error::SymbolicLink`] when
    /// it is a link: for the entries zonegate creates and uses itself.
    pub fn entry(&self, name: impl AsRef<OsStr>) -> Result<Option<EntryKind>, Error> {
        let name = name.as_ref();
        match self.kind(name)? {
            Some(EntryKind::SymbolicLink) => Err(self.symbolic_link(name)),
            kind => Ok(kind),
        }
    }

    /// The identity of the entry `name` (a link's own, not its target's); `None` when there is
    /// no such entry.
    pub fn identity(&self, name: impl AsRef<OsStr>) -> Result<Option<FileIdentity>, Error> {
        Ok(self
            .lstat(name.as_ref())?
            .map(|stat| FileIdentity::from_stat(&stat)))
    }

    /// `name`'s status, not following a link; `None` when there is no such entry.
    fn lstat(&self, name: &OsStr) -> Result<Option<rustix::fs::Stat>, Error> {
        match rustix::fs::statat(&self.descriptor, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(stat)),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(errno) => Err(io_error("inspect", &self.join(name))(errno.into())),
        }
    }

    /// Opens the subdirectory `name` without following a link; `None` when it does not exist.
    pub fn open_directory(&self, name: impl AsRef<OsStr>) -> Result<Option<Self>, Error> {
        let name = name.as_ref();
        match rustix::fs::openat(
            &self.descriptor,
            name,
            directory_flags() | OFlags::NOFOLLOW,
            Mode::empty(),
        ) {
            Ok(descriptor) => Ok(Some(Self {
                descriptor,
                path: self.join(name),
            })),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(errno) => Err(self.open_error(name, errno)),
        }
    }

    /// Creates the subdirectory `name` (which must not exist) and opens it.
    pub fn create_directory(&self, name: impl AsRef<OsStr>) -> Result<Self, Error> {
        let name = name.as_ref();
        rustix::fs::mkdirat(&self.descriptor, name, Mode::from_raw_mode(0o777))
            .map_err(|errno| io_error("create", &self.join(name))(errno.into()))?;
        self.open_directory(name)?
            .ok_or_else(|| io_error("open", &self.join(name))(io::ErrorKind::NotFound.into()))
    }

    /// Creates the file `name`, which must not exist (`O_EXCL`: not even as a symbolic link).
    pub fn create_file(&self, name: impl AsRef<OsStr>) -> Result<File, Error> {
        let name = name.as_ref();
        rustix::fs::openat(
            &self.descriptor,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        )
        .map(File::from)
        .map_err(|errno| io_error("create", &self.join(name))(errno.into()))
    }

    /// Creates the file `name` afresh: an entry already there (a leftover of a killed run, or a
    /// planted link) is removed first, never written through.
    pub fn create_file_replacing(&self, name: impl AsRef<OsStr>) -> Result<File, Error> {
        let name = name.as_ref();
        self.remove_file(name)?;
        self.create_file(name)
    }

    /// Opens the regular file `name` for reading, without following a link; `None` when it
    /// does not exist. A link is [`Error::SymbolicLink`], anything but a regular file
    /// [`Error::NotRegular`] (opened without blocking, so a FIFO cannot hang the open).
    pub fn open_file(&self, name: impl AsRef<OsStr>) -> Result<Option<File>, Error> {
        let name = name.as_ref();
        let descriptor = match rustix::fs::openat(
            &self.descriptor,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(descriptor) => descriptor,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(errno) => return Err(self.open_error(name, errno)),
        };
        let stat = rustix::fs::fstat(&descriptor)
            .map_err(|errno| io_error("inspect", &self.join(name))(errno.into()))?;
        if EntryKind::of(&stat) != EntryKind::File {
            return Err(Error::NotRegular {
                path: self.join(name),
            });
        }
        Ok(Some(File::from(descriptor)))
    }

    /// Reads all of `name`; `None` when it does not exist.
    pub fn read(&self, name: impl AsRef<OsStr>) -> Result<Option<Vec<u8>>, Error> {
        let name = name.as_ref();
        let Some(mut file) = self.open_file(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(io_error("read", &self.join(name)))?;
        Ok(Some(bytes))
    }

    /// The size and SHA-256 of `name`; `None` when it does not exist.
    pub fn digest(&self, name: impl AsRef<OsStr>) -> Result<Option<FileDigest>, Error> {
        let name = name.as_ref();
        let Some(file) = self.open_file(name)? else {
            return Ok(None);
        };
        hash_contents(file)
            .map(Some)
            .map_err(io_error("read", &self.join(name)))
    }

    /// Creates `name` afresh (see [`DirectoryHandle::create_file_replacing`]), lets `fill`
    /// write it through a buffer that counts and hashes what passes, and syncs it.
    pub fn write_file<E>(
        &self,
        name: impl AsRef<OsStr>,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<FileDigest, WriteError<E>> {
        let name = name.as_ref();
        let path = self.join(name);
        let created = self.create_file_replacing(name)?;
        let mut writer = HashingWriter::new(BufWriter::with_capacity(1 << 18, created));
        fill(&mut writer).map_err(WriteError::Fill)?;
        let (buffer, digest) = writer.finish();
        let written = buffer
            .into_inner()
            .map_err(|error| io_error("write", &path)(error.into_error()))?;
        written.sync_all().map_err(io_error("sync", &path))?;
        Ok(digest)
    }

    /// Writes `bytes` as the file `name`, created afresh and synced.
    pub fn write_bytes(&self, name: impl AsRef<OsStr>, bytes: &[u8]) -> Result<(), Error> {
        let name = name.as_ref();
        let path = self.join(name);
        self.write_file(name, |out| {
            out.write_all(bytes).map_err(io_error("write", &path))
        })
        .map(drop)
        .map_err(WriteError::into_error)
    }

    /// Replaces `name` atomically: `fill` writes a temporary file beside it (`.NAME.zonegate-new`,
    /// created afresh), which is synced and renamed over `name`, then the directory is synced.
    /// A reader sees the old file or the new one, never a part; on failure the old file stays
    /// and the temporary file is removed.
    pub fn replace<E>(
        &self,
        name: impl AsRef<OsStr>,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<FileDigest, WriteError<E>> {
        let name = name.as_ref();
        let temporary = temporary_name(name);
        self.write_file(&temporary, fill)
            .and_then(|digest| {
                self.rename(&temporary, name)?;
                self.sync()?;
                Ok(digest)
            })
            .inspect_err(|_| drop(self.remove_file(&temporary)))
    }

    /// [`DirectoryHandle::replace`] with bytes in memory.
    pub fn replace_bytes(&self, name: impl AsRef<OsStr>, bytes: &[u8]) -> Result<(), Error> {
        let name = name.as_ref();
        let path = self.join(name);
        self.replace(name, |out| {
            out.write_all(bytes).map_err(io_error("write", &path))
        })
        .map(drop)
        .map_err(WriteError::into_error)
    }

    /// Copies `name` into a new file `destination` in `target` (a fresh inode with a fresh
    /// modification time), synced.
    pub fn copy_file(
        &self,
        name: impl AsRef<OsStr>,
        target: &Self,
        destination: impl AsRef<OsStr>,
    ) -> Result<(), Error> {
        let name = name.as_ref();
        let source = self.join(name);
        let mut file = self
            .open_file(name)?
            .ok_or_else(|| io_error("open", &source)(io::ErrorKind::NotFound.into()))?;
        target
            .write_file(destination, |out| {
                io::copy(&mut file, out)
                    .map(drop)
                    .map_err(io_error("copy", &source))
            })
            .map(drop)
            .map_err(WriteError::into_error)
    }

    /// Renames `from` to `to` inside this directory (replacing `to`, even a symbolic link there,
    /// never its target).
    pub fn rename(&self, from: impl AsRef<OsStr>, to: impl AsRef<OsStr>) -> Result<(), Error> {
        let from = from.as_ref();
        rustix::fs::renameat(&self.descriptor, from, &self.descriptor, to.as_ref())
            .map_err(|errno| io_error("rename", &self.join(from))(errno.into()))
    }

    /// Exchanges the entries `a` and `b` in one step (Linux `renameat2(RENAME_EXCHANGE)`). The
    /// raw error lets the caller fall back where the kernel or filesystem cannot.
    pub fn exchange(&self, a: impl AsRef<OsStr>, b: impl AsRef<OsStr>) -> io::Result<()> {
        rustix::fs::renameat_with(
            &self.descriptor,
            a.as_ref(),
            &self.descriptor,
            b.as_ref(),
            RenameFlags::EXCHANGE,
        )
        .map_err(io::Error::from)
    }

    /// Hard-links `name` as `destination` in `target`; a symbolic link is linked as itself.
    pub fn hard_link(
        &self,
        name: impl AsRef<OsStr>,
        target: &Self,
        destination: impl AsRef<OsStr>,
    ) -> Result<(), Error> {
        let name = name.as_ref();
        rustix::fs::linkat(
            &self.descriptor,
            name,
            &target.descriptor,
            destination.as_ref(),
            AtFlags::empty(),
        )
        .map_err(|errno| io_error("link", &self.join(name))(errno.into()))
    }

    /// Removes the entry `name` (a link itself, not its target); no error when it is absent.
    pub fn remove_file(&self, name: impl AsRef<OsStr>) -> Result<(), Error> {
        let name = name.as_ref();
        match rustix::fs::unlinkat(&self.descriptor, name, AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
            Err(errno) => Err(io_error("remove", &self.join(name))(errno.into())),
        }
    }

    /// Removes `name` and everything below it, following no symbolic link; no error when it is
    /// absent.
    pub fn remove_tree(&self, name: impl AsRef<OsStr>) -> Result<(), Error> {
        let name = name.as_ref();
        match self.kind(name)? {
            None => Ok(()),
            Some(EntryKind::Directory) => {
                // Opened without following a link: a directory swapped for one meanwhile fails
                // to open instead of having its target emptied.
                let directory = match rustix::fs::openat(
                    &self.descriptor,
                    name,
                    directory_flags() | OFlags::NOFOLLOW,
                    Mode::empty(),
                ) {
                    Ok(descriptor) => Self {
                        descriptor,
                        path: self.join(name),
                    },
                    Err(rustix::io::Errno::NOENT) => return Ok(()),
                    Err(errno) => return Err(io_error("open", &self.join(name))(errno.into())),
                };
                for entry in directory.names()? {
                    directory.remove_tree(&entry)?;
                }
                match rustix::fs::unlinkat(&self.descriptor, name, AtFlags::REMOVEDIR) {
                    Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
                    Err(errno) => Err(io_error("remove", &self.join(name))(errno.into())),
                }
            }
            Some(_) => self.remove_file(name),
        }
    }

    /// The names of the entries in this directory (without `.` and `..`), sorted.
    pub fn names(&self) -> Result<Vec<OsString>, Error> {
        let read = |errno: rustix::io::Errno| io_error("read", &self.path)(errno.into());
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.descriptor).map_err(read)? {
            let entry = entry.map_err(read)?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(OsStr::from_bytes(name).to_os_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// The error for opening `name` without following a link: a link is named as one (Linux
    /// says `ELOOP`, or `ENOTDIR` when a directory was asked for).
    fn open_error(&self, name: &OsStr, errno: rustix::io::Errno) -> Error {
        if matches!(errno, rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR)
            && matches!(self.kind(name), Ok(Some(EntryKind::SymbolicLink)))
        {
            self.symbolic_link(name)
        } else {
            io_error("open", &self.join(name))(errno.into())
        }
    }

    /// [`Error::SymbolicLink`] for the entry `name`, with where it points.
    fn symbolic_link(&self, name: &OsStr) -> Error {
        let target = rustix::fs::readlinkat(&self.descriptor, name, Vec::new())
            .map(|target| PathBuf::from(OsStr::from_bytes(target.as_bytes())))
            .unwrap_or_default();
        Error::SymbolicLink {
            path: self.join(name),
            target,
        }
    }

    /// Flushes the directory's entries (creations, renames, removals) to disk.
    pub fn sync(&self) -> Result<(), Error> {
        rustix::fs::fsync(&self.descriptor)
            .map_err(|errno| io_error("sync", &self.path)(errno.into()))
    }
}

/// What a directory entry is, its symbolic links not followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    SymbolicLink,
    /// A FIFO, socket or device.
    Other,
}

impl EntryKind {
    fn of(stat: &rustix::fs::Stat) -> Self {
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => Self::File,
            FileType::Directory => Self::Directory,
            FileType::Symlink => Self::SymbolicLink,
            _ => Self::Other,
        }
    }
}

/// Counts and hashes what is written through it.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Writes through to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer (not flushed) and what passed.
    pub fn finish(self) -> (W, FileDigest) {
        let digest = FileDigest {
            bytes: self.bytes,
            sha256: format!("{:x}", self.hasher.finalize()),
        };
        (self.inner, digest)
    }
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

/// Opens the directory that holds `path` (creating it and its parents with `create`) and
/// returns it with `path`'s final name, through which the entry itself is reached. When `path`
/// is inside `repository`, no symbolic link may lead its parent out (see
/// [`DirectoryHandle::open`]); errors name `path`.
pub fn open_parent<'a>(
    path: &'a Path,
    create: bool,
    repository: Option<&Path>,
) -> Result<(DirectoryHandle, &'a OsStr), Error> {
    let name = path.file_name().ok_or_else(|| Error::Unnamed {
        path: path.to_path_buf(),
    })?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let directory = resolve::open_directory(parent, create, repository, path)?
        .ok_or_else(|| io_error("open", parent)(io::ErrorKind::NotFound.into()))?;
    Ok((directory, name))
}

/// Creates the file at `path`, which must not exist (`O_EXCL`), with `bytes`, synced.
pub fn create_new_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let (directory, name) = open_parent(path, false, None)?;
    let mut file = directory.create_file(name)?;
    file.write_all(bytes).map_err(io_error("write", path))?;
    file.sync_all().map_err(io_error("sync", path))
}

/// The temporary name [`DirectoryHandle::replace`] writes `name` under.
pub fn temporary_name(name: &OsStr) -> OsString {
    let mut temporary = OsString::from(".");
    temporary.push(name);
    temporary.push(".zonegate-new");
    temporary
}

fn directory_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC
}

/// The size and SHA-256 of what `reader` holds.
pub fn hash_contents(mut reader: impl Read) -> io::Result<FileDigest> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 18];
    let mut bytes = 0_u64;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                hasher.update(&buffer[..read]);
                bytes += read as u64;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(FileDigest {
        bytes,
        sha256: format!("{:x}", hasher.finalize()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// A directory holding `link` (to a file outside), `linked-directory` (to a directory
    /// outside) and `fifo`; returns it and the outside directory.
    fn planted() -> (tempfile::TempDir, tempfile::TempDir) {
        let temp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "secret").unwrap();
        symlink(outside.path().join("secret"), temp.path().join("link")).unwrap();
        symlink(outside.path(), temp.path().join("linked-directory")).unwrap();
        let directory = DirectoryHandle::open(temp.path(), None).unwrap();
        rustix::fs::mknodat(
            &directory.descriptor,
            "fifo",
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        (temp, outside)
    }

    #[test]
    fn links_are_refused_by_name_and_a_fifo_is_not_read() {
        let (temp, outside) = planted();
        let directory = DirectoryHandle::open(temp.path(), None).unwrap();
        let refused = |error: Error| match error {
            Error::SymbolicLink { path, target } => (path, target),
            other => panic!("{other}"),
        };
        assert_eq!(
            refused(directory.open_file("link").unwrap_err()),
            (temp.path().join("link"), outside.path().join("secret"))
        );
        assert_eq!(
            refused(directory.entry("link").unwrap_err()).0,
            temp.path().join("link")
        );
        assert_eq!(
            refused(directory.open_directory("linked-directory").unwrap_err()).0,
            temp.path().join("linked-directory")
        );
        assert!(matches!(
            directory.open_file("fifo"),
            Err(Error::NotRegular { .. })
        ));
        assert!(directory.open_file("missing").unwrap().is_none());
    }

    #[test]
    fn writing_and_replacing_never_write_through_a_planted_link() {
        let (temp, outside) = planted();
        let directory = DirectoryHandle::open(temp.path(), None).unwrap();
        symlink(
            outside.path().join("secret"),
            temp.path().join(temporary_name("report.xml".as_ref())),
        )
        .unwrap();
        symlink(
            outside.path().join("secret"),
            temp.path().join("report.xml"),
        )
        .unwrap();
        directory.replace_bytes("report.xml", b"report").unwrap();
        directory.write_bytes("link", b"fresh").unwrap();
        assert_eq!(
            fs::read_to_string(outside.path().join("secret")).unwrap(),
            "secret"
        );
        assert_eq!(
            fs::read_to_string(temp.path().join("report.xml")).unwrap(),
            "report"
        );
        assert!(
            !fs::symlink_metadata(temp.path().join("link"))
                .unwrap()
                .is_symlink()
        );
        assert!(
            fs::symlink_metadata(temp.path().join(temporary_name("report.xml".as_ref()))).is_err()
        );
        assert!(matches!(
            directory.create_file("report.xml"),
            Err(Error::Io {
                action: "create",
                ..
            })
        ));
    }

    #[test]
    fn removing_a_tree_removes_links_in_it_not_their_targets() {
        let (temp, outside) = planted();
        let directory = DirectoryHandle::open(temp.path(), None).unwrap();
        let tree = directory.create_directory("tree").unwrap();
        symlink(outside.path(), temp.path().join("tree/into-outside")).unwrap();
        tree.write_bytes("file", b"x").unwrap();
        directory.remove_tree("tree").unwrap();
        directory.remove_tree("linked-directory").unwrap();
        directory.remove_tree("tree").unwrap();
        assert!(directory.kind("tree").unwrap().is_none());
        assert!(directory.kind("linked-directory").unwrap().is_none());
        assert!(outside.path().join("secret").is_file());
    }
}
