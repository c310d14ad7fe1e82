//! [`GitTree`]: one tree of the repository read as [`Files`], its symbolic links resolved the way
//! the kernel resolves them in a checkout, so a revision and its checkout read the same files.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository};

use crate::inventory::files::{self, Entry, EntryKind, Files};

/// A read-only [`Files`] view of one tree of a git repository.
pub struct GitTree {
    pub(super) repository: Arc<Mutex<Repository>>,
    pub(super) tree: Oid,
    pub(super) label: String,
    pub(super) prefix: String,
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

#[cfg(test)]
mod tests {
    use super::super::testing::commit_files;
    use super::super::*;
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
}
