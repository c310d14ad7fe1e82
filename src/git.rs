//! Git (IO edge): revisions of a zones repository read straight from the object database, merge
//! results built in memory, and the few writes the merge bot needs (a commit, a compare-and-swap
//! of a branch).
//!
//! Nothing here checks files out or clones: [`GitTree`] is an [`inventory::files::Files`] view of
//! one tree, so `diff` and the bot load a revision exactly as `check` loads the working tree.
//! Objects are addressed by [`Oid`]; the forge-facing code above this module speaks hex strings.
//!
//! [`inventory::files::Files`]: crate::inventory::files::Files
#![allow(clippy::disallowed_methods)] // IO edge: reads and writes a git repository.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use git2::Oid;
use git2::{ObjectType, Repository};

use crate::inventory::files::{self, Entry, EntryKind, Files};

/// How many times (10 ms apart) moving a reference waits for another process's lock on it.
const REF_LOCK_TRIES: u32 = 50;

/// The tool could not read or write the git repository. Each variant keeps libgit2's message
/// (without its class and code numbers).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No git repository contains the directory.
    #[error("{} is not inside a git repository: {reason}", path.display())]
    Open {
        /// The directory given.
        path: PathBuf,
        /// libgit2's reason.
        reason: String,
    },
    /// A revision name did not resolve to a commit.
    #[error("unknown revision `{revision}`: {reason}")]
    Revision {
        /// What the user wrote (`main`, `HEAD~2`, a SHA).
        revision: String,
        /// libgit2's reason.
        reason: String,
    },
    /// The zones repository root is not in the revision.
    #[error("`{prefix}` does not exist in revision {revision}")]
    MissingRoot {
        /// The revision.
        revision: String,
        /// The zones repository's directory inside the git repository.
        prefix: String,
    },
    /// Reading, merging or writing objects or references failed.
    #[error("git: cannot {action}: {reason}")]
    Operation {
        /// What was being done, e.g. `merge 1a2b3c4 into 5d6e7f8`.
        action: String,
        /// libgit2's reason.
        reason: String,
    },
}

/// A git repository shared by the views and merges of one run.
///
/// libgit2 handles are not `Sync`, and the loader may read from several threads, so the handle
/// sits behind a mutex; every access is short (one object read or write).
#[derive(Clone)]
pub struct Repo {
    inner: Arc<Mutex<Repository>>,
    /// The zones repository's directory inside the git repository: empty, or `a/b/`.
    prefix: String,
    /// The git directory, for messages.
    git_dir: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("git_dir", &self.git_dir)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// How merging a pull request's head into the base went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Merged {
    /// The merge is clean; this is its tree (written to the object database).
    Clean {
        /// The merged tree.
        tree: Oid,
    },
    /// Both sides changed these paths (relative to the zones repository root) in ways git
    /// cannot combine.
    Conflicts {
        /// Conflicting paths, sorted.
        paths: Vec<String>,
    },
}

/// Who a commit is from, and when.
#[derive(Clone, Debug)]
pub struct Identity {
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Seconds since the Unix epoch.
    pub unix_seconds: i64,
}

impl Repo {
    /// The git repository containing the zones repository at `root` (a working tree or a bare
    /// repository). `root` may be a subdirectory of the git work tree; views are then rooted there.
    pub fn discover(root: &Path) -> Result<Repo, Error> {
        let repository = Repository::discover(root).map_err(|source| Error::Open {
            path: root.to_path_buf(),
            reason: source.message().to_owned(),
        })?;
        let prefix = match repository.workdir() {
            Some(workdir) => {
                let canonical = |path: &Path| path.canonicalize().unwrap_or(path.to_path_buf());
                let root = canonical(root);
                let workdir = canonical(workdir);
                let relative = root.strip_prefix(&workdir).unwrap_or(Path::new(""));
                let mut prefix = String::new();
                for component in relative.components() {
                    prefix.push_str(&component.as_os_str().to_string_lossy());
                    prefix.push('/');
                }
                prefix
            }
            None => String::new(),
        };
        Ok(Repo {
            git_dir: repository.path().to_path_buf(),
            inner: Arc::new(Mutex::new(repository)),
            prefix,
        })
    }

    /// Sends every object written from now on (merged blobs and trees, commits) to memory instead
    /// of the repository, for dry runs: nothing on disk changes.
    pub fn write_to_memory(&self) -> Result<(), Error> {
        let repository = self.lock();
        let odb = repository
            .odb()
            .map_err(operation("open the object database"))?;
        // The highest priority wins for writes; the backend lives as long as the odb.
        odb.add_new_mempack_backend(1000)
            .map_err(operation("add an in-memory object store"))?;
        Ok(())
    }

    /// True for a bare repository (no work tree), such as a local forge's.
    pub fn is_bare(&self) -> bool {
        self.lock().is_bare()
    }

    /// The git directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// Resolves a revision (`main`, `HEAD~1`, a SHA, `origin/main`) to a commit.
    pub fn resolve(&self, revision: &str) -> Result<Oid, Error> {
        let repository = self.lock();
        let object = repository
            .revparse_single(revision)
            .and_then(|object| object.peel_to_commit())
            .map_err(|source| Error::Revision {
                revision: revision.to_owned(),
                reason: source.message().to_owned(),
            })?;
        Ok(object.id())
    }

    /// True when the object database has this commit.
    pub fn has_commit(&self, commit: Oid) -> bool {
        self.lock().find_commit(commit).is_ok()
    }

    /// True when `ancestor` is `commit` or one of its ancestors: `commit` already holds it.
    pub fn contains(&self, commit: Oid, ancestor: Oid) -> Result<bool, Error> {
        if commit == ancestor {
            return Ok(true);
        }
        let repository = self.lock();
        repository
            .graph_descendant_of(commit, ancestor)
            .map_err(operation(format!("walk the history of {commit}")))
    }

    /// The tree of `commit`.
    pub fn commit_tree(&self, commit: Oid) -> Result<Oid, Error> {
        let repository = self.lock();
        let commit = repository
            .find_commit(commit)
            .map_err(operation(format!("read commit {commit}")))?;
        Ok(commit.tree_id())
    }

    /// The parents of `commit`, in order.
    pub fn commit_parents(&self, commit: Oid) -> Result<Vec<Oid>, Error> {
        let repository = self.lock();
        let commit = repository
            .find_commit(commit)
            .map_err(operation(format!("read commit {commit}")))?;
        Ok(commit.parent_ids().collect())
    }

    /// A read-only view of the zones repository in `tree` (a commit's or a merge result's),
    /// labelled `label` in messages (`main:zones/zonegate.yaml`).
    pub fn files(&self, tree: Oid, label: &str) -> Result<GitTree, Error> {
        let root = if self.prefix.is_empty() {
            tree
        } else {
            let repository = self.lock();
            let tree_object = repository
                .find_tree(tree)
                .map_err(operation(format!("read tree {tree}")))?;
            let entry = tree_object
                .get_path(Path::new(self.prefix.trim_end_matches('/')))
                .map_err(|_| Error::MissingRoot {
                    revision: label.to_owned(),
                    prefix: self.prefix.clone(),
                })?;
            if entry.kind() != Some(ObjectType::Tree) {
                return Err(Error::MissingRoot {
                    revision: label.to_owned(),
                    prefix: self.prefix.clone(),
                });
            }
            entry.id()
        };
        Ok(GitTree {
            repository: Arc::clone(&self.inner),
            tree: root,
            label: label.to_owned(),
            prefix: self.prefix.clone(),
        })
    }

    /// A view of the whole git tree (not only the zones repository), for files GitHub reads from
    /// the git root such as `CODEOWNERS`.
    pub fn root_files(&self, tree: Oid, label: &str) -> GitTree {
        GitTree {
            repository: Arc::clone(&self.inner),
            tree,
            label: label.to_owned(),
            prefix: String::new(),
        }
    }

    /// Merges `head` into `base` in memory, as `git merge` would (recursive merge base, rename
    /// detection), and writes the merged tree to the object database. Conflicts are returned,
    /// not resolved.
    pub fn merge(&self, base: Oid, head: Oid) -> Result<Merged, Error> {
        let repository = self.lock();
        let action = || format!("merge {head} into {base}");
        let ours = repository
            .find_commit(base)
            .map_err(operation(format!("read commit {base}")))?;
        let theirs = repository
            .find_commit(head)
            .map_err(operation(format!("read commit {head}")))?;
        let mut index = repository
            .merge_commits(&ours, &theirs, None)
            .map_err(operation(action()))?;
        if index.has_conflicts() {
            let mut paths = Vec::new();
            for conflict in index.conflicts().map_err(operation(action()))? {
                let conflict = conflict.map_err(operation(action()))?;
                let entry = conflict
                    .our
                    .or(conflict.their)
                    .or(conflict.ancestor)
                    .map(|entry| String::from_utf8_lossy(&entry.path).into_owned());
                if let Some(path) = entry {
                    let relative = path
                        .strip_prefix(&self.prefix)
                        .map_or(path.clone(), str::to_owned);
                    paths.push(relative);
                }
            }
            paths.sort();
            paths.dedup();
            return Ok(Merged::Conflicts { paths });
        }
        let tree = index
            .write_tree_to(&repository)
            .map_err(operation(action()))?;
        Ok(Merged::Clean { tree })
    }

    /// Paths (relative to the git root, `/`-separated, as CODEOWNERS patterns are) whose content
    /// or mode differs between two whole trees, sorted; a rename lists both names.
    pub fn changed_paths(&self, from: Oid, to: Oid) -> Result<Vec<String>, Error> {
        let repository = self.lock();
        let action = || format!("compare trees {from} and {to}");
        let old = repository.find_tree(from).map_err(operation(action()))?;
        let new = repository.find_tree(to).map_err(operation(action()))?;
        let diff = repository
            .diff_tree_to_tree(Some(&old), Some(&new), None)
            .map_err(operation(action()))?;
        let mut paths = Vec::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path() {
                    paths.push(path.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    /// The commit a branch points at; `None` when the branch does not exist.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<Oid>, Error> {
        let repository = self.lock();
        match repository.find_reference(&format!("refs/heads/{branch}")) {
            Ok(reference) => Ok(reference
                .resolve()
                .ok()
                .and_then(|reference| reference.target())),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(source) => Err(Error::Operation {
                action: format!("read branch {branch}"),
                reason: source.message().to_owned(),
            }),
        }
    }

    /// Writes a tree equal to `tree` (a commit's root tree) but with `path` (relative to the zones
    /// repository, which may be a subdirectory of the git tree) holding `bytes`; returns its id.
    /// Used by `regen` to put a new CMDB export on a branch without a work tree.
    pub fn replace_file(&self, tree: Oid, path: &str, bytes: &[u8]) -> Result<Oid, Error> {
        let repository = self.lock();
        let full = format!("{}{path}", self.prefix);
        let action = || format!("write {full} into tree {tree}");
        let blob = repository.blob(bytes).map_err(operation(action()))?;
        let base = repository.find_tree(tree).map_err(operation(action()))?;
        let mut builder = git2::build::TreeUpdateBuilder::new();
        builder.upsert(full.as_str(), blob, git2::FileMode::Blob);
        builder
            .create_updated(&repository, &base)
            .map_err(operation(action()))
    }

    /// The zones repository's path from the git work tree's top (`dns` when it is `dns/`; empty
    /// at the top, in a bare repository, or outside git), for the paths GitHub reads.
    pub fn workspace_prefix(root: &Path) -> PathBuf {
        Self::discover(root).map_or_else(
            |_| PathBuf::new(),
            |repo| PathBuf::from(repo.prefix.trim_end_matches('/')),
        )
    }

    /// `path` (relative to the zones repository) as a path from the git root.
    pub fn path_in_git(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The git blob id `bytes` would have (`git hash-object`).
    pub fn blob_id(bytes: &[u8]) -> Result<Oid, Error> {
        Oid::hash_object(ObjectType::Blob, bytes).map_err(operation("hash a blob"))
    }

    /// Points branch `branch` at `commit`: creates it, or moves it only if it still points at
    /// `expected` (`Ok(false)` when someone else moved it meanwhile).
    pub fn set_branch(
        &self,
        branch: &str,
        expected: Option<Oid>,
        commit: Oid,
        log_message: &str,
    ) -> Result<bool, Error> {
        let name = format!("refs/heads/{branch}");
        let Some(expected) = expected else {
            let repository = self.lock();
            return match repository.reference(&name, commit, false, log_message) {
                Ok(_) => Ok(true),
                Err(error) if error.code() == git2::ErrorCode::Exists => Ok(false),
                Err(source) => Err(Error::Operation {
                    action: format!("create {name}"),
                    reason: source.message().to_owned(),
                }),
            };
        };
        self.compare_and_swap(&name, expected, commit, log_message)
    }

    /// Writes a commit object (no reference moves) and returns its id.
    pub fn commit(
        &self,
        tree: Oid,
        parents: &[Oid],
        message: &str,
        identity: &Identity,
    ) -> Result<Oid, Error> {
        let repository = self.lock();
        let action = || format!("write a commit of tree {tree}");
        let signature = git2::Signature::new(
            &identity.name,
            &identity.email,
            &git2::Time::new(identity.unix_seconds, 0),
        )
        .map_err(operation(action()))?;
        let tree = repository.find_tree(tree).map_err(operation(action()))?;
        let parents = parents
            .iter()
            .map(|parent| repository.find_commit(*parent))
            .collect::<Result<Vec<_>, _>>()
            .map_err(operation(action()))?;
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repository
            .commit(None, &signature, &signature, message, &tree, &parents)
            .map_err(operation(action()))
    }

    /// Moves `reference` from `expected` to `new`, atomically: fails with `Ok(false)` when the
    /// reference no longer points at `expected` (someone else moved it).
    pub fn compare_and_swap(
        &self,
        reference: &str,
        expected: Oid,
        new: Oid,
        log_message: &str,
    ) -> Result<bool, Error> {
        let repository = self.lock();
        let mut tries = 0;
        loop {
            match repository.reference_matching(reference, new, true, expected, log_message) {
                Ok(_) => return Ok(true),
                Err(error) if error.code() == git2::ErrorCode::Modified => return Ok(false),
                // Another process holds `<reference>.lock` while it moves the reference: wait
                // for it as git does (core.filesRefLockTimeout); the reference has then usually
                // moved, which the next try reports. A lock left by a killed process stays, and
                // is reported after half a second.
                Err(error) if error.code() == git2::ErrorCode::Locked && tries < REF_LOCK_TRIES => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(source) => {
                    return Err(Error::Operation {
                        action: format!("move {reference} to {new}"),
                        reason: source.message().to_owned(),
                    });
                }
            }
        }
    }

    /// Runs `work` with the repository locked (the local forge's own reads and writes).
    pub fn with<T>(&self, work: impl FnOnce(&Repository) -> T) -> T {
        work(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Repository> {
        // A panic while holding the lock cannot leave libgit2 in a state that later reads would
        // misinterpret, so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A read-only [`Files`] view of one tree of a git repository.
pub struct GitTree {
    repository: Arc<Mutex<Repository>>,
    tree: Oid,
    label: String,
    prefix: String,
}

impl std::fmt::Debug for GitTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitTree")
            .field("tree", &self.tree)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl GitTree {
    /// The tree this view reads (the zones repository root).
    pub fn tree(&self) -> Oid {
        self.tree
    }

    /// Reads the blob at `path`, `Ok(None)` when there is none. Symbolic links are followed
    /// inside the tree, as [`Directory`](crate::inventory::files::Directory) follows them on
    /// disk; anything else (a tree, a submodule, a link out of the tree) is an error saying so.
    fn blob(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        let repository = self
            .repository
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let refused = |reason: &str| {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("it {reason}; zonegate reads regular files only"),
            ))
        };
        match resolve(&repository, self.tree, path.as_bytes())? {
            Resolved::Missing => Ok(None),
            Resolved::Blob(id) => {
                let blob = repository.find_blob(id).map_err(io::Error::other)?;
                Ok(Some(blob.content().to_vec()))
            }
            Resolved::Tree(_) => refused("is a directory, not a file"),
            Resolved::Outside => Err(files::outside_the_repository(path)),
            Resolved::Loop => refused("is a symbolic link that loops"),
            Resolved::Submodule => refused(SUBMODULE),
        }
    }
}

/// What [`Files::list`] and [`Files::read`] say of a submodule.
const SUBMODULE: &str = "is a git submodule, not a file";

/// What a path of a tree leads to, symbolic links followed inside the tree.
enum Resolved {
    /// A file.
    Blob(Oid),
    /// A directory.
    Tree(Oid),
    /// Nothing is there (or a file stands where a directory would be, as ENOTDIR on disk).
    Missing,
    /// A symbolic link on the way leads out of the tree (absolute, or `..` above its root).
    Outside,
    /// More than [`MAX_LINKS`] symbolic links on the way.
    Loop,
    /// A submodule: its commit is not in this repository.
    Submodule,
}

/// The most symbolic links followed for one path, as Linux's `MAXSYMLINKS`: more is a loop.
const MAX_LINKS: usize = 40;

/// Resolves `path` (`/`-separated, relative to the tree `root`) the way the kernel resolves a
/// path on disk, so a checkout and its tree read the same files: component by component, a
/// symbolic link's target spliced in relative to the link's directory, `..` stepping back up,
/// and never above `root`.
fn resolve(repository: &Repository, root: Oid, path: &[u8]) -> io::Result<Resolved> {
    let components = |text: &[u8]| -> Vec<Vec<u8>> {
        text.split(|&byte| byte == b'/')
            .rev()
            .map(<[u8]>::to_vec)
            .collect()
    };
    // Components still to walk, the next one last.
    let mut pending = components(path);
    // The trees walked into, the root first: `..` pops one.
    let mut trees = vec![root];
    let mut links = 0;
    while let Some(component) = pending.pop() {
        match component.as_slice() {
            b"" | b"." => continue,
            b".." => {
                if trees.len() == 1 {
                    return Ok(Resolved::Outside);
                }
                trees.pop();
                continue;
            }
            _ => {}
        }
        let directory = *trees.last().expect("the root is never popped");
        let tree = repository.find_tree(directory).map_err(io::Error::other)?;
        let Some(entry) = tree.get_name_bytes(&component) else {
            return Ok(Resolved::Missing);
        };
        let (id, kind, mode) = (entry.id(), entry.kind(), entry.filemode());
        let last = pending.iter().all(|rest| rest.is_empty() || rest == b".");
        match kind {
            Some(ObjectType::Tree) if last => return Ok(Resolved::Tree(id)),
            Some(ObjectType::Tree) => trees.push(id),
            Some(ObjectType::Blob) if mode == i32::from(git2::FileMode::Link) => {
                links += 1;
                if links > MAX_LINKS {
                    return Ok(Resolved::Loop);
                }
                let blob = repository.find_blob(id).map_err(io::Error::other)?;
                let target = blob.content();
                if target.is_empty() {
                    return Ok(Resolved::Missing);
                }
                if target.starts_with(b"/") {
                    return Ok(Resolved::Outside);
                }
                pending.extend(components(target));
            }
            Some(ObjectType::Blob) if last => return Ok(Resolved::Blob(id)),
            Some(ObjectType::Blob) => return Ok(Resolved::Missing),
            _ => return Ok(Resolved::Submodule),
        }
    }
    Ok(Resolved::Tree(
        *trees.last().expect("the root is never popped"),
    ))
}

impl Files for GitTree {
    fn open(&self, path: &str) -> io::Result<Option<Box<dyn Read + '_>>> {
        Ok(self
            .blob(path)?
            .map(|bytes| Box::new(io::Cursor::new(bytes)) as Box<dyn Read>))
    }

    fn list(&self, directory: &str) -> io::Result<Vec<Entry>> {
        let repository = self
            .repository
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let subtree = match resolve(&repository, self.tree, directory.as_bytes())? {
            Resolved::Tree(id) => repository.find_tree(id).map_err(io::Error::other)?,
            Resolved::Outside => return Err(files::outside_the_repository(directory)),
            _ => return Ok(Vec::new()),
        };
        let directory = directory.trim_end_matches('/');
        let mut entries = Vec::new();
        for entry in &subtree {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            let kind = if std::str::from_utf8(entry.name_bytes()).is_err() {
                EntryKind::Unreadable(files::NAME_NOT_UTF8.to_owned())
            } else {
                let mut path = directory.as_bytes().to_vec();
                path.push(b'/');
                path.extend_from_slice(entry.name_bytes());
                let resolved = resolve(&repository, self.tree, &path)?;
                // Only a link can lead nowhere, out or round in circles: it is named by the
                // target written in it, as on disk.
                let link = || -> io::Result<String> {
                    let blob = repository.find_blob(entry.id()).map_err(io::Error::other)?;
                    Ok(String::from_utf8_lossy(blob.content()).into_owned())
                };
                match resolved {
                    Resolved::Blob(_) => EntryKind::File,
                    Resolved::Tree(_) => EntryKind::Directory,
                    Resolved::Missing => EntryKind::Unreadable(format!(
                        "is a symbolic link to `{}`, which does not exist",
                        link()?
                    )),
                    Resolved::Outside => EntryKind::Unreadable(format!(
                        "is a symbolic link to `{}`, outside the repository",
                        link()?
                    )),
                    Resolved::Loop => EntryKind::Unreadable(format!(
                        "is a symbolic link to `{}`, which loops",
                        link()?
                    )),
                    Resolved::Submodule => EntryKind::Unreadable(SUBMODULE.to_owned()),
                }
            };
            entries.push(Entry { name, kind });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    fn locate(&self, path: &str) -> PathBuf {
        PathBuf::from(format!("{}:{}{path}", self.label, self.prefix))
    }

    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        self.blob(path)
    }
}

fn operation<S: Into<String>>(action: S) -> impl FnOnce(git2::Error) -> Error {
    let action = action.into();
    move |source| Error::Operation {
        action,
        reason: source.message().to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Building real repositories in temporary directories for tests.
    use super::*;

    /// Writes `files` (path, content; `None` deletes) on top of `parent`'s tree as a new commit on
    /// `branch`, and returns it.
    pub(crate) fn commit_files(
        repository: &Repository,
        branch: &str,
        parent: Option<Oid>,
        files: &[(&str, Option<&str>)],
        message: &str,
    ) -> Oid {
        let base_tree =
            parent.map(|parent| repository.find_commit(parent).unwrap().tree().unwrap());
        let mut builder = git2::build::TreeUpdateBuilder::new();
        for (path, content) in files {
            match content {
                Some(content) => {
                    let blob = repository.blob(content.as_bytes()).unwrap();
                    builder.upsert(*path, blob, git2::FileMode::Blob);
                }
                None => {
                    builder.remove(*path);
                }
            }
        }
        let empty;
        let base_tree = if let Some(tree) = &base_tree {
            tree
        } else {
            let id = repository.treebuilder(None).unwrap().write().unwrap();
            empty = repository.find_tree(id).unwrap();
            &empty
        };
        let tree = builder.create_updated(repository, base_tree).unwrap();
        let tree = repository.find_tree(tree).unwrap();
        let signature = git2::Signature::new(
            "Test",
            "test@example.net",
            &git2::Time::new(1_700_000_000, 0),
        )
        .unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .map(|parent| repository.find_commit(parent).unwrap())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repository
            .commit(
                Some(&format!("refs/heads/{branch}")),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::commit_files;
    use super::*;

    #[test]
    fn a_tree_reads_like_a_directory() {
        let temp = tempfile::tempdir().unwrap();
        let repository = Repository::init_bare(temp.path()).unwrap();
        let first = commit_files(
            &repository,
            "main",
            None,
            &[
                ("zones/zonegate.yaml", Some("domain: example.net.\n")),
                ("zones/services/web.yaml", Some("port: 80\n")),
                ("zones/services/api.yaml", Some("port: 81\n")),
                ("zones/services/nested/x.yaml", Some("port: 82\n")),
            ],
            "first",
        );
        let repo = Repo::discover(temp.path()).unwrap();
        assert_eq!(repo.resolve("main").unwrap(), first);
        let files = repo
            .files(repo.commit_tree(first).unwrap(), "main")
            .unwrap();
        assert_eq!(
            files.list("zones/services").unwrap(),
            [
                Entry::file("api.yaml"),
                Entry {
                    name: "nested".into(),
                    kind: EntryKind::Directory
                },
                Entry::file("web.yaml"),
            ]
        );
        assert!(files.list("zones/records").unwrap().is_empty());
        assert_eq!(
            files.read("zones/services/web.yaml").unwrap().unwrap(),
            b"port: 80\n"
        );
        assert!(files.read("zones/missing.yaml").unwrap().is_none());
        assert!(
            files.read("zones/services").is_err(),
            "a directory is no file"
        );
        assert_eq!(
            files.locate("zones/zonegate.yaml"),
            PathBuf::from("main:zones/zonegate.yaml")
        );
        let mut text = String::new();
        files
            .open("zones/zonegate.yaml")
            .unwrap()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "domain: example.net.\n");
    }

    // Security review: a symbolic link in a tree was skipped without a word (its records
    // vanished), and so was the same link in a checkout; a link inside the repository is now
    // followed by both, and everything else is said by both, in the same words.
    #[test]
    fn a_tree_and_its_checkout_read_links_and_refuse_the_rest_alike() {
        use std::os::unix::ffi::OsStrExt as _;
        let temp = tempfile::tempdir().unwrap();
        let checkout = temp.path().join("repo");
        std::fs::create_dir_all(checkout.join("zones/services/dir.yaml")).unwrap();
        std::fs::create_dir_all(checkout.join("shared")).unwrap();
        // What `up.yaml` points at: outside the repository, and there.
        std::fs::write(temp.path().join("x.yaml"), "port: 9\n").unwrap();
        let files: &[(&[u8], &str)] = &[
            (b"zones/services/web.yaml", "port: 80\n"),
            (b"zones/services/dir.yaml/inner", "port: 81\n"),
            (b"shared/api.yaml", "port: 82\n"),
            (b"zones/services/caf\xe9.yaml", "port: 83\n"),
        ];
        let links: &[(&str, &str)] = &[
            ("zones/services/api.yaml", "../../shared/api.yaml"),
            ("zones/services/chain.yaml", "api.yaml"),
            ("zones/services/linked-dir.yaml", "../../shared"),
            ("zones/services/out.yaml", "/etc/hostname"),
            ("zones/services/up.yaml", "../../../x.yaml"),
            ("zones/services/dangling.yaml", "nowhere.yaml"),
            ("zones/services/loop.yaml", "loop.yaml"),
            ("zones/linked-services", "services"),
        ];
        let repository = Repository::init_bare(temp.path().join("bare")).unwrap();
        let mut builder = git2::build::TreeUpdateBuilder::new();
        for (path, content) in files {
            let path = std::ffi::OsStr::from_bytes(path);
            std::fs::write(checkout.join(path), content).unwrap();
            let blob = repository.blob(content.as_bytes()).unwrap();
            builder.upsert(path, blob, git2::FileMode::Blob);
        }
        for (path, target) in links {
            std::os::unix::fs::symlink(target, checkout.join(path)).unwrap();
            let blob = repository.blob(target.as_bytes()).unwrap();
            builder.upsert(*path, blob, git2::FileMode::Link);
        }
        let empty = repository.treebuilder(None).unwrap().write().unwrap();
        let empty = repository.find_tree(empty).unwrap();
        let tree = builder.create_updated(&repository, &empty).unwrap();
        let repo = Repo::discover(&temp.path().join("bare")).unwrap();
        let in_git = repo.files(tree, "main").unwrap();
        let on_disk = crate::inventory::files::Directory::new(&checkout);

        let listing = in_git.list("zones/services").unwrap();
        assert_eq!(listing, on_disk.list("zones/services").unwrap());
        let described: Vec<String> = listing
            .iter()
            .map(|entry| format!("{}: {:?}", entry.name, entry.kind))
            .collect();
        insta::assert_snapshot!(described.join("\n"), @r#"
        api.yaml: File
        caf�.yaml: Unreadable("has a name that is not valid UTF-8")
        chain.yaml: File
        dangling.yaml: Unreadable("is a symbolic link to `nowhere.yaml`, which does not exist")
        dir.yaml: Directory
        linked-dir.yaml: Directory
        loop.yaml: Unreadable("is a symbolic link to `loop.yaml`, which loops")
        out.yaml: Unreadable("is a symbolic link to `/etc/hostname`, outside the repository")
        up.yaml: Unreadable("is a symbolic link to `../../../x.yaml`, outside the repository")
        web.yaml: File
        "#);
        for path in [
            "zones/services/api.yaml",
            "zones/services/chain.yaml",
            "zones/linked-services/web.yaml",
            "zones/services/linked-dir.yaml/api.yaml",
            "zones/services/nothing.yaml",
        ] {
            assert_eq!(
                in_git.read(path).unwrap(),
                on_disk.read(path).unwrap(),
                "{path}"
            );
        }
        assert_eq!(
            in_git.read("zones/services/chain.yaml").unwrap().unwrap(),
            b"port: 82\n"
        );
        assert_eq!(
            in_git.list("zones/linked-services").unwrap(),
            on_disk.list("zones/linked-services").unwrap()
        );
        for (path, expected) in [
            (
                "zones/services/out.yaml",
                "`zones/services/out.yaml` leads outside the repository",
            ),
            (
                "zones/services/up.yaml",
                "`zones/services/up.yaml` leads outside the repository",
            ),
            ("zones/services/dir.yaml", "it is a directory, not a file"),
        ] {
            for error in [
                in_git.read(path).unwrap_err(),
                on_disk.read(path).unwrap_err(),
            ] {
                assert!(error.to_string().starts_with(expected), "{path}: {error}");
            }
        }
        assert!(in_git.read("zones/services/loop.yaml").is_err());
        assert!(on_disk.read("zones/services/loop.yaml").is_err());
    }

    #[test]
    fn a_submodule_in_a_tree_is_said_and_never_read() {
        let temp = tempfile::tempdir().unwrap();
        let repository = Repository::init_bare(temp.path()).unwrap();
        let mut builder = git2::build::TreeUpdateBuilder::new();
        let blob = repository.blob(b"port: 80\n").unwrap();
        builder.upsert("zones/services/web.yaml", blob, git2::FileMode::Blob);
        // A gitlink names a commit of another repository: it is not in this one.
        let elsewhere = Oid::from_str("4b825dc642cb6eb9a060e54bf8d69288fbee4904").unwrap();
        builder.upsert(
            "zones/services/vendored.yaml",
            elsewhere,
            git2::FileMode::Commit,
        );
        let empty = repository.treebuilder(None).unwrap().write().unwrap();
        let empty = repository.find_tree(empty).unwrap();
        let tree = builder.create_updated(&repository, &empty).unwrap();
        let files = Repo::discover(temp.path())
            .unwrap()
            .files(tree, "main")
            .unwrap();
        assert_eq!(
            files.list("zones/services").unwrap(),
            [
                Entry {
                    name: "vendored.yaml".into(),
                    kind: EntryKind::Unreadable("is a git submodule, not a file".into())
                },
                Entry::file("web.yaml"),
            ]
        );
        assert_eq!(
            files
                .read("zones/services/vendored.yaml")
                .unwrap_err()
                .to_string(),
            "it is a git submodule, not a file; zonegate reads regular files only"
        );
    }

    #[test]
    fn unknown_revisions_are_named() {
        let temp = tempfile::tempdir().unwrap();
        Repository::init(temp.path()).unwrap();
        let repo = Repo::discover(temp.path()).unwrap();
        let error = repo.resolve("no-such-branch").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown revision `no-such-branch`: revspec 'no-such-branch' not found"
        );
    }

    #[test]
    fn a_subdirectory_root_is_a_prefix() {
        let temp = tempfile::tempdir().unwrap();
        let repository = Repository::init(temp.path()).unwrap();
        let commit = commit_files(
            &repository,
            "main",
            None,
            &[("dns/zones/zonegate.yaml", Some("x: 1\n"))],
            "first",
        );
        std::fs::create_dir_all(temp.path().join("dns")).unwrap();
        let repo = Repo::discover(&temp.path().join("dns")).unwrap();
        let files = repo
            .files(repo.commit_tree(commit).unwrap(), "HEAD")
            .unwrap();
        assert_eq!(
            files.read("zones/zonegate.yaml").unwrap().unwrap(),
            b"x: 1\n"
        );
        assert_eq!(
            files.locate("zones/zonegate.yaml"),
            PathBuf::from("HEAD:dns/zones/zonegate.yaml")
        );
    }

    #[test]
    fn merges_are_clean_or_name_their_conflicts() {
        let temp = tempfile::tempdir().unwrap();
        let repository = Repository::init_bare(temp.path()).unwrap();
        let base = commit_files(
            &repository,
            "main",
            None,
            &[("a.yaml", Some("a\n")), ("b.yaml", Some("b\n"))],
            "base",
        );
        let left = commit_files(
            &repository,
            "left",
            Some(base),
            &[("a.yaml", Some("left\n"))],
            "left",
        );
        let right = commit_files(
            &repository,
            "right",
            Some(base),
            &[("b.yaml", Some("right\n"))],
            "right",
        );
        let clash = commit_files(
            &repository,
            "clash",
            Some(base),
            &[("a.yaml", Some("clash\n"))],
            "clash",
        );
        let repo = Repo::discover(temp.path()).unwrap();
        let Merged::Clean { tree } = repo.merge(left, right).unwrap() else {
            panic!("clean merge expected");
        };
        let files = repo.files(tree, "merge").unwrap();
        assert_eq!(files.read("a.yaml").unwrap().unwrap(), b"left\n");
        assert_eq!(files.read("b.yaml").unwrap().unwrap(), b"right\n");
        assert_eq!(
            repo.changed_paths(repo.commit_tree(left).unwrap(), tree)
                .unwrap(),
            ["b.yaml"]
        );
        assert_eq!(
            repo.merge(left, clash).unwrap(),
            Merged::Conflicts {
                paths: vec!["a.yaml".into()]
            }
        );
    }

    #[test]
    fn compare_and_swap_refuses_a_moved_branch() {
        let temp = tempfile::tempdir().unwrap();
        let repository = Repository::init_bare(temp.path()).unwrap();
        let base = commit_files(&repository, "main", None, &[("a", Some("1"))], "1");
        let next = commit_files(&repository, "main", Some(base), &[("a", Some("2"))], "2");
        let repo = Repo::discover(temp.path()).unwrap();
        let other = repo
            .commit(
                repo.commit_tree(base).unwrap(),
                &[base],
                "other",
                &Identity {
                    name: "bot".into(),
                    email: "bot@example.net".into(),
                    unix_seconds: 1_700_000_000,
                },
            )
            .unwrap();
        assert!(
            !repo
                .compare_and_swap("refs/heads/main", base, other, "test")
                .unwrap()
        );
        assert_eq!(repo.branch_tip("main").unwrap(), Some(next));
        assert!(
            repo.compare_and_swap("refs/heads/main", next, other, "test")
                .unwrap()
        );
        assert_eq!(repo.branch_tip("main").unwrap(), Some(other));
    }

    #[test]
    fn dry_runs_write_nothing_to_disk() {
        let temp = tempfile::tempdir().unwrap();
        let repository = Repository::init_bare(temp.path()).unwrap();
        let base = commit_files(&repository, "main", None, &[("a", Some("1\n2\n"))], "1");
        let left = commit_files(
            &repository,
            "l",
            Some(base),
            &[("a", Some("0\n1\n2\n"))],
            "l",
        );
        let right = commit_files(
            &repository,
            "r",
            Some(base),
            &[("a", Some("1\n2\n3\n"))],
            "r",
        );
        let count_objects = || {
            let mut count = 0;
            repository
                .odb()
                .unwrap()
                .foreach(|_| {
                    count += 1;
                    true
                })
                .unwrap();
            count
        };
        let before = count_objects();
        let repo = Repo::discover(temp.path()).unwrap();
        repo.write_to_memory().unwrap();
        let Merged::Clean { tree } = repo.merge(left, right).unwrap() else {
            panic!("clean merge expected");
        };
        let files = repo.files(tree, "merge").unwrap();
        assert_eq!(files.read("a").unwrap().unwrap(), b"0\n1\n2\n3\n");
        assert_eq!(count_objects(), before, "the merged blob stayed in memory");
    }
}
