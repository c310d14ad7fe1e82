//! Opening a directory by path without being led out of the repository by a symbolic link.
//!
//! The paths zonegate writes below are often inside the repository (`output: out`, a deploy
//! target's relative `zone_directory`, `--junit reports/junit.xml` in a checkout), where a pull
//! request can commit a symbolic link as one of their parents (`escape -> /etc/bind`). Such a
//! path is resolved (its links followed, as `realpath` does) and must still be inside the
//! repository; a link that stays inside is fine. The resolved path is then opened one component
//! at a time from `/` without following a link, and missing directories are created the same
//! way, so a component swapped for a link after the check fails instead of being followed. A
//! path that is not inside the repository is the operator's choice (`render --output
//! /srv/zones`): it is resolved and opened the same way, without the repository check.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::{DirectoryHandle, Error, directory_flags, io_error};

/// Opens the directory at `path` (creating it and its missing parents when `create`; `None`
/// when it does not exist and `create` is false). When `path` is inside `repository`, no
/// symbolic link may lead it out ([`Error::LeadsOutside`]). `shown` is the path errors name.
pub(super) fn open_directory(
    path: &Path,
    create: bool,
    repository: Option<&Path>,
    shown: &Path,
) -> Result<Option<DirectoryHandle>, Error> {
    let absolute = std::path::absolute(path).map_err(io_error("resolve", shown))?;
    let (existing, missing) = split_existing(&absolute, shown)?;
    if !missing.is_empty() && !create {
        return Ok(None);
    }
    if let Some(repository) = repository {
        check_inside(&absolute, &existing, &missing, repository, shown)?;
    }
    let mut current: OwnedFd = rustix::fs::open("/", directory_flags(), Mode::empty())
        .map_err(|errno| io_error("open", Path::new("/"))(errno.into()))?;
    let mut reached = PathBuf::from("/");
    for component in existing.components().skip(1) {
        reached.push(component);
        current = open_component(&current, component.as_os_str(), &reached, shown)?;
    }
    for component in &missing {
        reached.push(component);
        match rustix::fs::mkdirat(&current, component, Mode::from_raw_mode(0o777)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(errno) => return Err(io_error("create", &reached)(errno.into())),
        }
        current = open_component(&current, component, &reached, shown)?;
    }
    Ok(Some(DirectoryHandle {
        descriptor: current,
        path: path.to_path_buf(),
    }))
}

/// Opens the directory `name` in `parent` without following a link; `reached` is its path.
fn open_component(
    parent: &OwnedFd,
    name: &std::ffi::OsStr,
    reached: &Path,
    shown: &Path,
) -> Result<OwnedFd, Error> {
    match rustix::fs::openat(
        parent,
        name,
        directory_flags() | OFlags::NOFOLLOW,
        Mode::empty(),
    ) {
        Ok(descriptor) => Ok(descriptor),
        // A link where the resolution found a directory (swapped in meanwhile), or a link whose
        // target does not exist; Linux says `ELOOP`, or `ENOTDIR` as a directory was asked for.
        Err(Errno::LOOP | Errno::NOTDIR)
            if fs::symlink_metadata(reached).is_ok_and(|meta| meta.is_symlink()) =>
        {
            Err(Error::SymbolicLink {
                path: reached.to_path_buf(),
                target: fs::read_link(reached).unwrap_or_default(),
            })
        }
        Err(errno) => Err(io_error("open", shown)(errno.into())),
    }
}

/// The deepest existing ancestor of `absolute` with its links resolved, and the names below
/// it that do not exist yet.
fn split_existing(absolute: &Path, shown: &Path) -> Result<(PathBuf, Vec<OsString>), Error> {
    let mut candidate = absolute.to_path_buf();
    let mut missing = Vec::new();
    loop {
        match fs::canonicalize(&candidate) {
            Ok(real) => {
                missing.reverse();
                return Ok((real, missing));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                match candidate.components().next_back() {
                    Some(Component::Normal(name)) => missing.push(name.to_os_string()),
                    // `..` below a directory that does not exist has no meaning to create.
                    _ => return Err(io_error("resolve", shown)(error)),
                }
                candidate.pop();
            }
            Err(error) => return Err(io_error("resolve", shown)(error)),
        }
    }
}

/// Refuses `absolute` when it is inside `repository` as written but its resolution is not.
fn check_inside(
    absolute: &Path,
    existing: &Path,
    missing: &[OsString],
    repository: &Path,
    shown: &Path,
) -> Result<(), Error> {
    let repository_real = fs::canonicalize(repository).map_err(io_error("resolve", repository))?;
    let repository_absolute =
        std::path::absolute(repository).map_err(io_error("resolve", repository))?;
    let written = normalise(absolute);
    let below = written
        .strip_prefix(normalise(&repository_absolute))
        .or_else(|_| written.strip_prefix(&repository_real));
    let Ok(below) = below else {
        return Ok(());
    };
    let mut real = existing.to_path_buf();
    real.extend(missing);
    if real.starts_with(&repository_real) {
        return Ok(());
    }
    // Name the link that leads out: the first component, from the repository down, that is a
    // symbolic link resolving outside it.
    let mut prefix = repository_absolute.clone();
    for component in below.components() {
        prefix.push(component);
        let is_link = fs::symlink_metadata(&prefix).is_ok_and(|meta| meta.is_symlink());
        let leads_out =
            fs::canonicalize(&prefix).map_or(true, |target| !target.starts_with(&repository_real));
        if is_link && leads_out {
            return Err(Error::LeadsOutside {
                path: shown.to_path_buf(),
                target: fs::read_link(&prefix).unwrap_or_default(),
                link: prefix,
            });
        }
    }
    Err(Error::LeadsOutside {
        path: shown.to_path_buf(),
        link: absolute.to_path_buf(),
        target: real,
    })
}

/// `path` with `.` and `..` removed as written (not as resolved): only to decide whether a path
/// is meant to be inside the repository.
fn normalise(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn open(
        path: &Path,
        create: bool,
        repository: &Path,
    ) -> Result<Option<DirectoryHandle>, Error> {
        open_directory(path, create, Some(repository), path)
    }

    #[test]
    fn missing_directories_are_created_and_links_inside_the_repository_followed() {
        let temp = tempfile::tempdir().unwrap();
        let repository = temp.path().join("repo");
        fs::create_dir_all(repository.join("real")).unwrap();
        symlink("real", repository.join("inside")).unwrap();
        let path = repository.join("inside/a/b");
        assert!(open(&path, false, &repository).unwrap().is_none());
        let opened = open(&path, true, &repository).unwrap().unwrap();
        assert_eq!(opened.path(), path);
        assert!(repository.join("real/a/b").is_dir());
        assert!(open(&path, false, &repository).unwrap().is_some());
    }

    #[test]
    fn a_link_out_of_the_repository_is_named_and_nothing_is_created_beyond_it() {
        let temp = tempfile::tempdir().unwrap();
        let repository = temp.path().join("repo");
        let outside = temp.path().join("outside");
        fs::create_dir_all(&repository).unwrap();
        fs::create_dir_all(&outside).unwrap();
        symlink(&outside, repository.join("escape")).unwrap();
        for path in [
            repository.join("escape/out"),
            repository.join("escape"),
            repository.join("./escape/out"),
        ] {
            let error = open(&path, true, &repository).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "{} leads outside the repository through the symbolic link {} (to {}); zonegate writes only inside the repository there",
                    path.display(),
                    repository.join("escape").display(),
                    outside.display()
                )
            );
        }
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    }

    #[test]
    fn a_path_outside_the_repository_is_the_callers_choice() {
        let temp = tempfile::tempdir().unwrap();
        let repository = temp.path().join("repo");
        fs::create_dir_all(&repository).unwrap();
        let elsewhere = temp.path().join("elsewhere/out");
        open(&elsewhere, true, &repository).unwrap().unwrap();
        assert!(elsewhere.is_dir());
        // `..` out of the repository as written is outside too.
        let above = repository.join("../above");
        open(&above, true, &repository).unwrap().unwrap();
        assert!(temp.path().join("above").is_dir());
    }

    #[test]
    fn a_dangling_link_is_refused_not_created_through() {
        let temp = tempfile::tempdir().unwrap();
        let repository = temp.path().join("repo");
        fs::create_dir_all(&repository).unwrap();
        let target = temp.path().join("not-yet");
        symlink(&target, repository.join("dangling")).unwrap();
        let error = open(&repository.join("dangling/out"), true, &repository).unwrap_err();
        assert!(
            matches!(&error, Error::SymbolicLink { path, .. } if *path == repository.join("dangling")),
            "{error}"
        );
        assert!(!target.exists());
    }
}
