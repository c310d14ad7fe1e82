//! A forge fixture: a bare git repository holding the base fixture on `main` with a merge
//! policy, pull requests opened on the local forge, and one-call bot passes.
#![allow(clippy::missing_panics_doc)]

use git2::{Oid, Repository};
use zonegate::commands::bot::{self, PassSettings, PullOutcome};
use zonegate::git::Repo;
use zonegate::merge::ReviewState;
use zonegate::merge::forge::Forge;
use zonegate::merge::local::{Local, NewPull};
use zonegate::serial::Clock;

pub(crate) const NOW: u64 = 1_795_564_800;

pub(crate) const SETTINGS: &str = include_str!("../fixtures/base/zones/zonegate.yaml");
pub(crate) const SERVERS: &str = include_str!("../fixtures/base/zones/cmdb/servers.csv");
pub(crate) const WEB: &str = include_str!("../fixtures/base/zones/services/web.yaml");
pub(crate) const API: &str = include_str!("../fixtures/base/zones/services/api.yaml");
pub(crate) const EDGE: &str = include_str!("../fixtures/base/zones/records/edge.yaml");

pub(crate) const POLICY: &str = "policy:\n  approvals: 1\n  large_change_approvals: 2\n  override_label: large-change-approved\n  teams: { web-team: [dave] }\n";

/// A bare repository acting as the forge, with `main` holding the base fixture plus a policy.
pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    pub(crate) repository: Repository,
    pub(crate) path: std::path::PathBuf,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        Self::with(&[])
    }

    /// The base fixture with `extra` files added or replaced on `main`.
    pub(crate) fn with(extra: &[(&str, &str)]) -> Self {
        Self::create(extra, true)
    }

    /// A bare repository whose `main` holds every file below `root` (the example repository).
    pub(crate) fn from_directory(root: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zones.git");
        let repository = Repository::init_bare(&path).unwrap();
        repository.set_head("refs/heads/main").unwrap();
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(directory) = stack.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let entry = entry.unwrap().path();
                if entry.is_dir() {
                    stack.push(entry);
                } else {
                    let relative = entry
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    files.push((relative, std::fs::read_to_string(&entry).unwrap()));
                }
            }
        }
        let fixture = Self {
            _dir: dir,
            repository,
            path,
        };
        let files: Vec<(&str, Option<&str>)> = files
            .iter()
            .map(|(path, text)| (path.as_str(), Some(text.as_str())))
            .collect();
        fixture.commit("main", None, &files, "the example repository");
        fixture
    }

    /// The base fixture in a repository with a work tree, `main` checked out.
    pub(crate) fn with_work_tree() -> Self {
        Self::create(&[], false)
    }

    fn create(extra: &[(&str, &str)], bare: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zones.git");
        let repository = if bare {
            Repository::init_bare(&path).unwrap()
        } else {
            Repository::init(&path).unwrap()
        };
        repository.set_head("refs/heads/main").unwrap();
        let settings = format!("{SETTINGS}{POLICY}");
        let mut files: Vec<(&str, Option<&str>)> = vec![
            ("zones/zonegate.yaml", Some(&settings)),
            ("zones/cmdb/servers.csv", Some(SERVERS)),
            ("zones/services/web.yaml", Some(WEB)),
            ("zones/services/api.yaml", Some(API)),
            ("zones/records/edge.yaml", Some(EDGE)),
        ];
        for (path, text) in extra {
            files.retain(|(existing, _)| existing != path);
            files.push((path, Some(text)));
        }
        let fixture = Self {
            _dir: dir,
            repository,
            path,
        };
        fixture.commit("main", None, &files, "base");
        fixture
    }

    /// Commits `files` (None deletes) on top of `parent` to `branch`.
    pub(crate) fn commit(
        &self,
        branch: &str,
        parent: Option<Oid>,
        files: &[(&str, Option<&str>)],
        message: &str,
    ) -> Oid {
        let repository = &self.repository;
        let base_tree = if let Some(parent) = parent {
            repository.find_commit(parent).unwrap().tree().unwrap()
        } else {
            let empty = repository.treebuilder(None).unwrap().write().unwrap();
            repository.find_tree(empty).unwrap()
        };
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
        let tree = builder.create_updated(repository, &base_tree).unwrap();
        let tree = repository.find_tree(tree).unwrap();
        let signature = git2::Signature::new(
            "Alice",
            "alice@example.com",
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

    pub(crate) fn main(&self) -> Oid {
        self.tip("main")
    }

    pub(crate) fn tip(&self, branch: &str) -> Oid {
        self.repository
            .find_reference(&format!("refs/heads/{branch}"))
            .unwrap()
            .target()
            .unwrap()
    }

    /// Branch `add-web4` off `main`: the CMDB with one more web host ([`servers_with_web4`]).
    pub(crate) fn commit_add_web4(&self) -> Oid {
        self.commit(
            "add-web4",
            Some(self.main()),
            &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
            "add web4",
        )
    }

    /// The tree git makes of merging `theirs` into `ours` (as GitHub's merge would hold).
    pub(crate) fn merge_tree(&self, ours: Oid, theirs: Oid) -> Oid {
        let repository = &self.repository;
        repository
            .merge_commits(
                &repository.find_commit(ours).unwrap(),
                &repository.find_commit(theirs).unwrap(),
                None,
            )
            .unwrap()
            .write_tree_to(repository)
            .unwrap()
    }

    pub(crate) fn file(&self, commit: Oid, path: &str) -> String {
        let tree = self.repository.find_commit(commit).unwrap().tree().unwrap();
        let entry = tree.get_path(std::path::Path::new(path)).unwrap();
        let blob = self.repository.find_blob(entry.id()).unwrap();
        String::from_utf8(blob.content().to_vec()).unwrap()
    }

    pub(crate) fn repo(&self) -> Repo {
        Repo::discover(&self.path).unwrap()
    }

    pub(crate) fn forge(&self) -> Local {
        Local::new(self.repo(), NOW.cast_signed())
    }

    /// A branch off `main` changing `files`, opened as a pull request by alice.
    pub(crate) fn pull(&self, branch: &str, files: &[(&str, Option<&str>)]) -> u64 {
        self.commit(branch, Some(self.main()), files, branch);
        self.forge()
            .create_pull(&NewPull {
                title: branch,
                author: "alice",
                head: branch,
                base: "main",
                draft: false,
                labels: &[],
            })
            .unwrap()
    }

    pub(crate) fn approve(&self, number: u64, user: &str) {
        self.forge()
            .review(number, user, ReviewState::Approved, None)
            .unwrap();
    }

    pub(crate) fn pass(&self) -> (Vec<PullOutcome>, String) {
        self.pass_with(&self.forge(), false)
    }

    pub(crate) fn pass_with(&self, forge: &dyn Forge, dry_run: bool) -> (Vec<PullOutcome>, String) {
        let repo = self.repo();
        if dry_run {
            repo.write_to_memory().unwrap();
        }
        let mut log = Vec::new();
        let outcomes = bot::pass(
            forge,
            &repo,
            &PassSettings {
                dry_run,
                clock: Clock { unix_seconds: NOW },
                max_assertions: zonegate::assertions::DEFAULT_MAX_ASSERTIONS,
            },
            &mut log,
        )
        .unwrap();
        (outcomes, String::from_utf8(log).unwrap())
    }
}

/// A CMDB with one more web host in nyc (added at the top, so it merges with changes below).
pub(crate) fn servers_with_web4() -> String {
    SERVERS.replacen("web1,", "web4,nyc,r7,10.2.0.4,,web,in_use\nweb1,", 1)
}

pub(crate) fn commit_message(fixture: &Fixture, commit: Oid) -> String {
    fixture
        .repository
        .find_commit(commit)
        .unwrap()
        .message()
        .unwrap()
        .to_owned()
}
