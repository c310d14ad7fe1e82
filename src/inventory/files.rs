//! Where a repository's files come from: a directory on disk, or (for `diff` and the merge bot)
//! a git tree read straight from the object database.
//!
//! Paths are relative to the repository root and `/`-separated (`zones/services/web.yaml`),
//! the same on every source, so diagnostics read the same whichever source produced them.
#![allow(clippy::disallowed_methods)] // IO edge: reads the working tree.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A read-only view of a zones repository.
pub trait Files: Sync {
    /// Opens `path` for streaming; `Ok(None)` when it does not exist.
    fn open(&self, path: &str) -> io::Result<Option<Box<dyn Read + '_>>>;

    /// The names of the files directly inside `directory` (not below it), sorted; empty when the
    /// directory does not exist.
    fn list(&self, directory: &str) -> io::Result<Vec<String>>;

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
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "`{path}` leads outside the repository (through a symbolic link); zonegate reads only files inside it (pass an export elsewhere with --cmdb)"
                ),
            ))
        }
    }
}

impl Files for Directory {
    fn open(&self, path: &str) -> io::Result<Option<Box<dyn Read + '_>>> {
        let Some(real) = self.resolve(path)? else {
            return Ok(None);
        };
        match fs::File::open(real) {
            Ok(file) => Ok(Some(Box::new(io::BufReader::with_capacity(1 << 16, file)))),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    fn list(&self, directory: &str) -> io::Result<Vec<String>> {
        let Some(real) = self.resolve(directory)? else {
            return Ok(Vec::new());
        };
        let entries = match fs::read_dir(real) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn locate(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(real) = self.resolve(path)? else {
            return Ok(None);
        };
        match fs::read(real) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_lists_files_only_sorted_and_missing_is_empty() {
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir_all(temp.path().join("zones/services/nested")).unwrap();
        fs::write(temp.path().join("zones/services/web.yaml"), "port: 1\n").unwrap();
        fs::write(temp.path().join("zones/services/api.yaml"), "port: 2\n").unwrap();
        let files = Directory::new(temp.path());
        assert_eq!(
            files.list("zones/services").unwrap(),
            ["api.yaml", "web.yaml"]
        );
        assert!(files.list("zones/records").unwrap().is_empty());
        assert_eq!(
            files.read("zones/services/web.yaml").unwrap().unwrap(),
            b"port: 1\n"
        );
        assert!(files.read("zones/zonegate.yaml").unwrap().is_none());
    }
}
