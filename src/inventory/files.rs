//! Where a repository's files come from: a directory on disk, or (for `diff` and the merge bot)
//! a git tree read straight from the object database.
//!
//! Paths are relative to the repository root and `/`-separated (`zones/services/web.yaml`),
//! the same on every source, so diagnostics read the same whichever source produced them.
//!
//! Both sources read the same things: regular files, and symbolic links that lead, inside the
//! repository, to one (followed). Anything else at a path zonegate reads, or named like a file
//! it would read in a directory it lists (a FIFO, a socket, a device, a directory, a link out
//! of the repository or to nothing, a git submodule, a name that is not UTF-8), is reported,
//! never skipped: a skipped file is records that vanish with exit 0. A FIFO is never opened the
//! usual way, which waits for a writer, forever in CI.
#![allow(clippy::disallowed_methods)] // IO edge: reads the working tree.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, FileId, Span};

/// A file named like an input that zonegate cannot read as one (see [`EntryKind::Unreadable`]).
pub const UNREADABLE_FILE: &str = "unreadable-file";

/// A read-only view of a zones repository.
pub trait Files: Sync {
    /// Opens `path` for streaming; `Ok(None)` when it does not exist. Anything but a regular
    /// file (or a link inside the repository to one) is an error saying what it is.
    fn open(&self, path: &str) -> io::Result<Option<Box<dyn Read + '_>>>;

    /// Every entry directly inside `directory` (not below it), sorted by name; empty when the
    /// directory does not exist.
    fn list(&self, directory: &str) -> io::Result<Vec<Entry>>;

    /// Where `path` is, for error messages: a filesystem path, or `REV:path` for a git tree.
    fn locate(&self, path: &str) -> PathBuf;

    /// Reads all of `path`; `Ok(None)` when it does not exist.
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(mut reader) = self.open(path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }
}

/// One entry of a directory, as [`Files::list`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The name; a name that is not UTF-8 is converted lossily (and is
    /// [`EntryKind::Unreadable`]).
    pub name: String,
    /// What the entry is, symbolic links followed.
    pub kind: EntryKind,
}

/// What a directory entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file, or a symbolic link that leads inside the repository to one.
    File,
    /// A directory, or a symbolic link that leads inside the repository to one.
    Directory,
    /// Something zonegate does not read, as a predicate for a sentence about it: "is a FIFO
    /// (named pipe), not a regular file", "is a git submodule, not a file".
    Unreadable(String),
}

impl Entry {
    /// A regular file called `name`.
    pub fn file(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: EntryKind::File,
        }
    }
}

/// What [`yaml_directory`] found for one entry named like a YAML file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum YamlEntry {
    /// A file, read: its path (relative to the repository root) and its bytes (at most
    /// [`yaml::MAX_FILE_BYTES`](super::yaml::MAX_FILE_BYTES) + 1, so the parser can say it is
    /// too large).
    Read {
        /// `directory/name`.
        path: String,
        /// The content.
        bytes: Vec<u8>,
    },
    /// An entry that cannot be read as a file: its path and why.
    Unreadable {
        /// `directory/name`.
        path: String,
        /// What [`Files::list`] said it is.
        reason: String,
    },
}

/// The most bytes of YAML read from one directory (`zones/records`, `zones/services`,
/// `assertions`): many files at the size limit each must not add up to unbounded memory either.
pub const MAX_DIRECTORY_BYTES: usize = 256 << 20;

/// The entries of `directory` named like YAML files (`*.yaml` or `*.yml`; hidden ones, such as
/// an editor's `.#web.yaml` lock, excepted), in name order: each file read, and each entry that
/// is not one (a directory, a FIFO, a link out of the repository, a git submodule, a name that
/// is not UTF-8) with the reason, for the caller to report with [`unreadable`].
pub fn yaml_directory(files: &dyn Files, directory: &str) -> Result<Vec<YamlEntry>, super::Error> {
    let read_error = |path: &str| {
        let path = files.locate(path);
        move |source| super::Error::Read { path, source }
    };
    let entries = files.list(directory).map_err(read_error(directory))?;
    let mut found = Vec::new();
    let mut total = 0;
    for entry in entries {
        let is_yaml = Path::new(&entry.name)
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml");
        if !is_yaml || entry.name.starts_with('.') {
            continue;
        }
        let path = format!("{directory}/{}", entry.name);
        let reason = match entry.kind {
            EntryKind::File => {
                // A file removed since it was listed is an error too: it was there.
                let bytes = super::yaml::read_limited(files, &path)
                    .map_err(read_error(&path))?
                    .ok_or_else(|| {
                        read_error(&path)(io::Error::new(
                            io::ErrorKind::NotFound,
                            "it was removed while zonegate was reading the directory",
                        ))
                    })?;
                total += bytes.len();
                if total > MAX_DIRECTORY_BYTES {
                    return Err(read_error(directory)(io::Error::other(format!(
                        "its YAML files add up to more than {} MiB, the most zonegate reads from one directory",
                        MAX_DIRECTORY_BYTES >> 20
                    ))));
                }
                found.push(YamlEntry::Read { path, bytes });
                continue;
            }
            EntryKind::Directory => "is a directory, not a file".to_owned(),
            EntryKind::Unreadable(reason) => reason,
        };
        found.push(YamlEntry::Unreadable { path, reason });
    }
    Ok(found)
}

/// The diagnostic for an entry `file` that [`yaml_directory`] could not read, because it
/// `reason` (a predicate: "is a FIFO (named pipe), not a regular file").
pub fn unreadable(file: FileId, path: &str, reason: &str) -> Diagnostic {
    let name = path.rsplit('/').next().unwrap_or(path);
    Diagnostic::error(
        UNREADABLE_FILE,
        Some(Span::file(file)),
        format!("`{name}` {reason}, so zonegate cannot read it"),
    )
    .with_hint(
        "zonegate reads regular files with UTF-8 names, and follows symbolic links to them inside the repository; make it one, or rename it so it does not end in .yaml",
    )
}

/// What a source says of an entry whose name is not UTF-8.
pub(crate) const NAME_NOT_UTF8: &str = "has a name that is not valid UTF-8";

/// The error for `path`, which a symbolic link leads out of the repository.
pub(crate) fn outside_the_repository(path: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "`{path}` leads outside the repository (through a symbolic link); zonegate reads only files inside it (pass an export elsewhere with --cmdb)"
        ),
    )
}

/// A repository checked out on disk.
#[derive(Clone, Debug)]
pub struct Directory {
    root: PathBuf,
}

impl Directory {
    /// The repository whose root is `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Directory {
    /// `path` inside the repository, with symbolic links resolved; `None` when it does not
    /// exist. A path that leads outside the repository (a symbolic link to `/etc/passwd`
    /// committed in a pull request) is refused: what zonegate reads ends up in diagnostics and
    /// CI logs.
    fn resolve(&self, path: &str) -> io::Result<Option<PathBuf>> {
        let real = match fs::canonicalize(self.root.join(path)) {
            Ok(real) => real,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        if real.starts_with(fs::canonicalize(&self.root)?) {
            Ok(Some(real))
        } else {
            Err(outside_the_repository(path))
        }
    }

    /// Opens `path` if it is a regular file, `None` when it does not exist.
    ///
    /// The type is checked before opening, so a FIFO is never opened; and the file is opened
    /// with `O_NONBLOCK` and checked again on the open descriptor, so a FIFO swapped in between
    /// the two cannot block the open either (a reader's open of a FIFO waits for a writer,
    /// unless non-blocking). On a regular file `O_NONBLOCK` changes nothing.
    fn open_regular(&self, path: &str) -> io::Result<Option<fs::File>> {
        let Some(real) = self.resolve(path)? else {
            return Ok(None);
        };
        match fs::metadata(&real) {
            Ok(metadata) => refuse_unless_regular(metadata.file_type())?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        }
        let file = match fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&real)
        {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        refuse_unless_regular(file.metadata()?.file_type())?;
        Ok(Some(file))
    }

    /// What the symbolic link at `link` leads to, inside the repository whose canonical root is
    /// `root`.
    fn link_kind(link: &Path, root: &Path) -> io::Result<EntryKind> {
        let written = fs::read_link(link)?;
        let written = written.display();
        let real = match fs::canonicalize(link) {
            Ok(real) => real,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(EntryKind::Unreadable(format!(
                    "is a symbolic link to `{written}`, which does not exist"
                )));
            }
            Err(error) if error.raw_os_error() == Some(libc::ELOOP) => {
                return Ok(EntryKind::Unreadable(format!(
                    "is a symbolic link to `{written}`, which loops"
                )));
            }
            Err(error) => return Err(error),
        };
        if !real.starts_with(root) {
            return Ok(EntryKind::Unreadable(format!(
                "is a symbolic link to `{written}`, outside the repository"
            )));
        }
        Ok(match kind_of(fs::metadata(&real)?.file_type()) {
            EntryKind::Unreadable(what) => {
                EntryKind::Unreadable(format!("is a symbolic link to `{written}`, which {what}"))
            }
            kind => kind,
        })
    }
}

/// The kind of a file type that is not a link.
fn kind_of(file_type: fs::FileType) -> EntryKind {
    if file_type.is_file() {
        EntryKind::File
    } else if file_type.is_dir() {
        EntryKind::Directory
    } else {
        let what = if file_type.is_fifo() {
            "a FIFO (named pipe)"
        } else if file_type.is_socket() {
            "a socket"
        } else if file_type.is_block_device() {
            "a block device"
        } else if file_type.is_char_device() {
            "a character device"
        } else {
            "a special file"
        };
        EntryKind::Unreadable(format!("is {what}, not a regular file"))
    }
}

/// Refuses what is not a regular file, saying what it is.
fn refuse_unless_regular(file_type: fs::FileType) -> io::Result<()> {
    match kind_of(file_type) {
        EntryKind::File => Ok(()),
        EntryKind::Directory => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is a directory, not a file",
        )),
        EntryKind::Unreadable(what) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it {what}; zonegate reads regular files only"),
        )),
    }
}

impl Files for Directory {
    fn open(&self, path: &str) -> io::Result<Option<Box<dyn Read + '_>>> {
        Ok(self
            .open_regular(path)?
            .map(|file| Box::new(io::BufReader::with_capacity(1 << 16, file)) as Box<dyn Read>))
    }

    fn list(&self, directory: &str) -> io::Result<Vec<Entry>> {
        let Some(real) = self.resolve(directory)? else {
            return Ok(Vec::new());
        };
        let entries = match fs::read_dir(real) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let root = fs::canonicalize(&self.root)?;
        let mut listed = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let kind = if name.to_str().is_none() {
                EntryKind::Unreadable(NAME_NOT_UTF8.to_owned())
            } else {
                let file_type = entry.file_type()?;
                if file_type.is_symlink() {
                    Self::link_kind(&entry.path(), &root)?
                } else {
                    kind_of(file_type)
                }
            };
            listed.push(Entry {
                name: name.to_string_lossy().into_owned(),
                kind,
            });
        }
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listed)
    }

    fn locate(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(mut file) = self.open_regular(path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo (coreutils)");
        assert!(status.success());
    }

    /// Runs `work` on a thread and waits for it at most ten seconds: what these tests guard
    /// against is a read that never returns, which must fail the test, not hang it.
    fn within_a_deadline<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(work());
        });
        receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("it returned within ten seconds")
    }

    fn kinds(files: &Directory, directory: &str) -> Vec<(String, EntryKind)> {
        files
            .list(directory)
            .unwrap()
            .into_iter()
            .map(|entry| (entry.name, entry.kind))
            .collect()
    }

    #[test]
    fn a_directory_lists_every_entry_sorted_and_missing_is_empty() {
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir_all(temp.path().join("zones/services/nested")).unwrap();
        fs::write(temp.path().join("zones/services/web.yaml"), "port: 1\n").unwrap();
        fs::write(temp.path().join("zones/services/api.yaml"), "port: 2\n").unwrap();
        let files = Directory::new(temp.path());
        assert_eq!(
            kinds(&files, "zones/services"),
            [
                ("api.yaml".to_owned(), EntryKind::File),
                ("nested".to_owned(), EntryKind::Directory),
                ("web.yaml".to_owned(), EntryKind::File),
            ]
        );
        assert!(files.list("zones/records").unwrap().is_empty());
        assert_eq!(
            files.read("zones/services/web.yaml").unwrap().unwrap(),
            b"port: 1\n"
        );
        assert!(files.read("zones/zonegate.yaml").unwrap().is_none());
    }

    // Security review: a FIFO at zones/zonegate.yaml (or the CMDB export, or the template)
    // made every command wait for a writer, forever.
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir_all(temp.path().join("zones")).unwrap();
        fifo(&temp.path().join("zones/zonegate.yaml"));
        let files = Directory::new(temp.path());
        let (read, open) = within_a_deadline(move || {
            let read = files.read("zones/zonegate.yaml").map(|_| ());
            let open = files.open("zones/zonegate.yaml").map(|_| ());
            (read, open)
        });
        for result in [read, open] {
            let error = result.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
            assert_eq!(
                error.to_string(),
                "it is a FIFO (named pipe), not a regular file; zonegate reads regular files only"
            );
        }
    }

    // The check before the open cannot be raced: the open itself does not block and the
    // descriptor is checked again.
    #[test]
    fn a_fifo_swapped_in_after_the_check_does_not_block_the_open() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("export.csv");
        fifo(&path);
        let error = within_a_deadline(move || {
            let file = fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
                .open(&path)
                .unwrap();
            refuse_unless_regular(file.metadata().unwrap().file_type()).unwrap_err()
        });
        assert!(error.to_string().contains("FIFO"), "{error}");
    }

    // Security review: a symbolic link (even to a file inside the repository), a FIFO, a
    // directory named like a YAML file and a name that is not UTF-8 were all left out of the
    // listing without a word, and their records vanished.
    #[test]
    fn links_inside_the_repository_are_followed_and_everything_else_is_said() {
        use std::os::unix::ffi::OsStrExt as _;
        use std::os::unix::fs::symlink;
        let temp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.yaml"), "port: 9\n").unwrap();
        let services = temp.path().join("zones/services");
        fs::create_dir_all(services.join("dir.yaml")).unwrap();
        fs::create_dir_all(temp.path().join("shared")).unwrap();
        fs::write(temp.path().join("shared/web.yaml"), "port: 1\n").unwrap();
        symlink("../../shared/web.yaml", services.join("linked.yaml")).unwrap();
        symlink("../../shared", services.join("linked-dir.yaml")).unwrap();
        symlink(
            outside.path().join("secret.yaml"),
            services.join("out.yaml"),
        )
        .unwrap();
        symlink("nowhere.yaml", services.join("dangling.yaml")).unwrap();
        symlink("loop.yaml", services.join("loop.yaml")).unwrap();
        fifo(&services.join("pipe.yaml"));
        symlink("pipe.yaml", services.join("to-pipe.yaml")).unwrap();
        fs::write(
            services.join(std::ffi::OsStr::from_bytes(b"caf\xe9.yaml")),
            "port: 2\n",
        )
        .unwrap();
        let files = Directory::new(temp.path());
        let outside_target = outside.path().join("secret.yaml");
        let unreadable = |reason: &str| EntryKind::Unreadable(reason.to_owned());
        assert_eq!(
            kinds(&files, "zones/services"),
            [
                (
                    "caf\u{fffd}.yaml".to_owned(),
                    unreadable("has a name that is not valid UTF-8")
                ),
                (
                    "dangling.yaml".to_owned(),
                    unreadable("is a symbolic link to `nowhere.yaml`, which does not exist")
                ),
                ("dir.yaml".to_owned(), EntryKind::Directory),
                ("linked-dir.yaml".to_owned(), EntryKind::Directory),
                ("linked.yaml".to_owned(), EntryKind::File),
                (
                    "loop.yaml".to_owned(),
                    unreadable("is a symbolic link to `loop.yaml`, which loops")
                ),
                (
                    "out.yaml".to_owned(),
                    EntryKind::Unreadable(format!(
                        "is a symbolic link to `{}`, outside the repository",
                        outside_target.display()
                    ))
                ),
                (
                    "pipe.yaml".to_owned(),
                    unreadable("is a FIFO (named pipe), not a regular file")
                ),
                (
                    "to-pipe.yaml".to_owned(),
                    unreadable(
                        "is a symbolic link to `pipe.yaml`, which is a FIFO (named pipe), not a regular file"
                    )
                ),
            ]
        );
        assert_eq!(
            files.read("zones/services/linked.yaml").unwrap().unwrap(),
            b"port: 1\n"
        );
        let entries = within_a_deadline(move || yaml_directory(&files, "zones/services").unwrap());
        let read: Vec<&str> = entries
            .iter()
            .filter_map(|entry| match entry {
                YamlEntry::Read { path, .. } => Some(path.as_str()),
                YamlEntry::Unreadable { .. } => None,
            })
            .collect();
        assert_eq!(read, ["zones/services/linked.yaml"]);
        assert_eq!(
            entries.len(),
            9,
            "every entry named like YAML is accounted for"
        );
    }
}
