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

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use git2::Oid;
use git2::{ObjectType, Repository};

mod tree;

pub use tree::GitTree;

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

    /// The root of the work tree, for a repository that has one.
    pub fn work_tree(&self) -> Option<PathBuf> {
        self.lock().workdir().map(Path::to_path_buf)
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
    use crate::inventory::files::Files;

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
