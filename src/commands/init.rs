//! `zonegate init [DIR]`: scaffolds a zones repository that renders, checks and tests green at
//! once: settings, a small CMDB export, one service, one record file, one assertion file, the
//! JSON Schemas the files point their editors at, and the GitHub workflows (the pull-request
//! gate and the merge bot, the same files this repository runs).
//!
//! IO edge: it writes files, and never overwrites one. Every target is checked before anything is
//! written; when one exists, nothing is written and the command fails (exit 2) with the list.
//! Each file is created with `O_EXCL`, so a file that appears meanwhile is not overwritten
//! either, and when a write fails the files already created are removed again.
#![allow(clippy::disallowed_methods)] // IO edge: creates the scaffold's files.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::Outcome;
use crate::dns::name::Name;
use crate::filesystem;
use crate::schema::{self, Kind};

/// Options of `zonegate init`.
#[derive(Clone, Debug)]
pub struct Options {
    /// The directory to scaffold (created when missing).
    pub directory: PathBuf,
    /// The domain, absolute (`example.com.`).
    pub domain: String,
}

/// `init` could not scaffold the repository; nothing it created is left behind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Files that would be overwritten (or paths blocked by a file where a directory must go).
    #[error("{}", existing_message(directory, paths))]
    Exists {
        /// The directory being scaffolded.
        directory: PathBuf,
        /// The conflicting paths, relative to it.
        paths: Vec<String>,
    },
    /// The domain is not a valid absolute name.
    #[error("`{domain}` is not a domain zonegate can manage: {reason}")]
    Domain {
        /// As given.
        domain: String,
        /// Why not.
        reason: String,
    },
    /// A file or directory could not be created or written.
    #[error(transparent)]
    Filesystem(#[from] filesystem::Error),
}

fn existing_message(directory: &Path, paths: &[String]) -> String {
    let mut text = format!(
        "{} already has {} of the files init writes; nothing was written:",
        directory.display(),
        paths.len()
    );
    for path in paths {
        let _ = write!(text, "\n  {path}");
    }
    text.push_str("\nhint: run `zonegate init NEW-DIRECTORY`, or move these files away first");
    text
}

/// Runs `init`: writes the scaffold into `options.directory`, listing each file on `out` and the
/// next steps on `err`.
pub fn run(
    options: &Options,
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, super::Error> {
    let files = scaffold(&options.domain)?;
    let directory = &options.directory;
    let existing = conflicts(directory, &files);
    if !existing.is_empty() {
        return Err(Error::Exists {
            directory: directory.clone(),
            paths: existing,
        }
        .into());
    }
    write_all(directory, &files)?;
    for (path, _) in &files {
        writeln!(out, "created {}", directory.join(path).display())?;
    }
    if !quiet {
        let cd = if directory == Path::new(".") {
            String::new()
        } else {
            format!("  cd {}\n", directory.display())
        };
        write!(
            err,
            "\nnext:\n{cd}  zonegate check     # every rule over the zones, with file:line:column\n  \
zonegate render    # the zone files, into out/\n  \
zonegate test      # the assertions in assertions/\n  \
git init && git add -A && git commit -m \"zonegate init\"\n\n\
The workflows in .github/workflows use zonegate's release {version} (the action\n\
{repository}@v{version} and its install action): its binary is downloaded, checked\n\
against the release's SHA256SUMS and cached, nothing is built. Editors that speak\n\
yaml-language-server complete and check every file against schemas/.\n",
            version = env!("CARGO_PKG_VERSION"),
            repository = github_repository(),
        )?;
        if let Some(note) = development_note(env!("CARGO_PKG_VERSION")) {
            err.write_all(note.as_bytes())?;
        }
    }
    Ok(Outcome::Clean)
}

/// The gate workflow's steps that build zonegate from its own checkout (this repository is
/// zonegate itself); a scaffolded repository gets [`gate_release_step`] in their place.
const GATE_BUILD_STEPS: &str = "      # zonegate itself: this repository's action, built from this checkout. `zonegate init`\n      \
# writes `uses: zonegate/zonegate@vX.Y.Z` instead: the release of that version.\n      \
- uses: dtolnay/rust-toolchain@stable\n      \
- uses: ./\n        \
with:\n          \
from-source: \"true\"\n";

/// The bot workflow's steps that build zonegate from its own checkout; a scaffolded repository
/// gets [`install_release_step`] in their place.
const BOT_BUILD_STEPS: &str = "      # zonegate itself: this repository's install action, built from this checkout. `zonegate\n      \
# init` writes `uses: zonegate/zonegate/install@vX.Y.Z` instead: the release of that version.\n      \
- uses: dtolnay/rust-toolchain@stable\n      \
- uses: ./install\n        \
with:\n          \
from-source: \"true\"\n";

/// `owner/name` of zonegate's GitHub repository (from Cargo.toml's `repository`), where its
/// action and releases are.
fn github_repository() -> &'static str {
    let url = env!("CARGO_PKG_REPOSITORY");
    let path = url.strip_prefix("https://github.com/").unwrap_or(url);
    path.trim_end_matches('/').trim_end_matches(".git")
}

/// For a development build (`0.3.0-dev`), whose version has no release tag the workflows could
/// download: what to pin instead.
fn development_note(version: &str) -> Option<String> {
    version.contains('-').then(|| {
        format!(
            "\nThis zonegate is a development build ({version}): no release has its tag yet. Until one\n\
does, pin a released version or a commit of {} in the workflows.\n",
            github_repository()
        )
    })
}

/// The gate at the release of this zonegate's version: the action installs that version's
/// binary (checksum verified, cached), checks, tests and posts the diff.
fn gate_release_step() -> String {
    format!(
        "      # The zonegate action at the release it pins: it installs that version's binary\n      \
# (checksum verified, then cached), runs check and test, and posts the diff. Where github.com\n      \
# is out of reach, set the repository variable ZONEGATE_DOWNLOAD_URL to a mirror of releases.\n      \
- uses: {}@v{}\n        \
with:\n          \
download-url: ${{{{ vars.ZONEGATE_DOWNLOAD_URL }}}}\n",
        github_repository(),
        env!("CARGO_PKG_VERSION")
    )
}

/// The install action at the release of this zonegate's version.
fn install_release_step() -> String {
    format!(
        "      # zonegate at the release this workflow pins: its binary, checksum verified, then cached.\n      \
# Where github.com is out of reach, set the repository variable ZONEGATE_DOWNLOAD_URL to a\n      \
# mirror of the releases.\n      \
- uses: {}/install@v{}\n        \
with:\n          \
download-url: ${{{{ vars.ZONEGATE_DOWNLOAD_URL }}}}\n",
        github_repository(),
        env!("CARGO_PKG_VERSION")
    )
}

const GATE_WORKFLOW: &str = include_str!("../../.github/workflows/zones-gate.yml");
const BOT_WORKFLOW: &str = include_str!("../../.github/workflows/bot.yml");

const SETTINGS: &str = "\
# zonegate settings: the domain, its datacenters, the zones zonegate manages and their name
# servers. Hover a key in your editor for what it means; `zonegate schema settings` prints the
# whole format.
domain: example.com.
datacenters: [ams, nyc]
zones:
  forward: [example.com.]
  reverse:
    - 10.0.0.0/8          # the datacenter networks: 10.<dc>.<rack>.<n>
    - 2001:db8::/32       # IPv6: 2001:db8:<dc>::<n>
nameservers: [ns1.example.com., ns2.example.com.]
soa:
  contact: hostmaster@example.com
ttl:
  default: 1h
  srv: 5m
serial: date
cmdb: cmdb/servers.csv
policy:
  approvals: 1            # the merge bot needs one approval from someone other than the author
";

const CMDB: &str = "\
hostname,datacenter,rack,ipv4,ipv6,roles,status,owner
web1,ams,ams-r1,10.1.0.1,2001:db8:1::1,web,in_use,team-web
web2,ams,ams-r1,10.1.0.2,2001:db8:1::2,web,in_use,team-web
web3,nyc,nyc-r1,10.2.0.1,2001:db8:2::1,web,in_use,team-web
web4,nyc,nyc-r1,10.2.0.2,2001:db8:2::2,web,provisioning,team-web
web5,nyc,nyc-r1,10.2.0.3,,web,decommissioned,team-web
";

const SERVICE: &str = "\
# web: SRV records _web._tcp.<dc>.example.com. in every datacenter with an in_use host whose CMDB
# roles include web (the file name is the service name and, unless `role:` says otherwise, the
# role).
port: 443
description: the public web front end
required_in: all
owner: team-web
";

const RECORDS: &str = "\
# Hand-edited records: the name servers with their reverse names, and the friendly names.
owner: team-dns
records:
  - { name: ns1, type: A, address: 10.0.0.53 }
  - { name: ns2, type: A, address: 10.0.0.54 }
  - { name: 53.0.0.10.in-addr.arpa., type: PTR, target: ns1.example.com. }
  - { name: 54.0.0.10.in-addr.arpa., type: PTR, target: ns2.example.com. }
  - name: www
    type: CNAME
    target: web1.ams.example.com.
    ttl: 5m
    comment: the front end, until the load balancer has a name
";

const ASSERTIONS: &str = "\
# The reviewer's questions, as code: `zonegate test` runs them against the zones in memory, and
# `zonegate test --server ADDR` against a live server.

- it: \"{{ service }} is discoverable in {{ dc }}\"
  for_each: { service: services, dc: service.datacenters }
  query: \"{{ service.srv }}.{{ dc }}.example.com.\"
  type: SRV
  expect: { covers_role: \"{{ service.role }}\", targets_resolve: true }

- it: \"{{ address.host }} has {{ address }} and the reverse name points back\"
  for_each:
    host: { from: hosts, where: { status: in_use } }
    address: host.addresses
  query: \"{{ address.reverse }}\"
  type: PTR
  expect: { target: \"{{ address.host }}\", only: true }

- it: decommissioned {{ host }} has no records
  for_each: { host: { from: hosts, where: { status: decommissioned } } }
  query: \"{{ host }}\"
  expect: nxdomain

- it: www points at the front end
  query: www.example.com.
  type: CNAME
  expect: { target: web1.ams.example.com., ttl: 5m }
";

const GITIGNORE: &str = "\
# zonegate render writes the zone files here; they are build output, not source.
/out/
";

/// The files of a new zones repository for `domain`, as (path relative to the root, content).
pub fn scaffold(domain: &str) -> Result<Vec<(String, String)>, Error> {
    let name = Name::parse_absolute(domain.trim()).map_err(|error| Error::Domain {
        domain: domain.to_owned(),
        reason: error.to_string(),
    })?;
    if name.label_count() < 2 {
        return Err(Error::Domain {
            domain: domain.to_owned(),
            reason: "use a domain of at least two labels, such as example.com.".into(),
        });
    }
    let bare = name.to_string();
    let bare = bare.trim_end_matches('.');
    let with_domain = |text: &str| text.replace("example.com", bare);
    let mut files = vec![
        ("zones/zonegate.yaml".to_owned(), with_domain(SETTINGS)),
        ("zones/cmdb/servers.csv".to_owned(), CMDB.to_owned()),
        ("zones/services/web.yaml".to_owned(), with_domain(SERVICE)),
        ("zones/records/base.yaml".to_owned(), with_domain(RECORDS)),
        ("assertions/web.yaml".to_owned(), with_domain(ASSERTIONS)),
    ];
    for (path, content) in &mut files {
        if let Some(kind) = Kind::for_path(path) {
            *content = format!("{}\n{content}", kind.modeline(path));
        }
    }
    for kind in Kind::ALL {
        files.push((
            format!("{}/{}", schema::DIRECTORY, kind.file_name()),
            schema::text(kind),
        ));
    }
    files.push((
        ".github/workflows/zones-gate.yml".to_owned(),
        GATE_WORKFLOW.replacen(GATE_BUILD_STEPS, &gate_release_step(), 1),
    ));
    files.push((
        ".github/workflows/bot.yml".to_owned(),
        BOT_WORKFLOW.replacen(BOT_BUILD_STEPS, &install_release_step(), 1),
    ));
    files.push((".gitignore".to_owned(), GITIGNORE.to_owned()));
    Ok(files)
}

/// The targets that exist already, and the paths where a file stands in for a directory the
/// scaffold needs.
fn conflicts(directory: &Path, files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, _) in files {
        let target = directory.join(path);
        if target.symlink_metadata().is_ok() {
            found.push(path.clone());
            continue;
        }
        let mut parent = Path::new(path.as_str()).parent();
        while let Some(relative) = parent.filter(|relative| !relative.as_os_str().is_empty()) {
            if directory
                .join(relative)
                .symlink_metadata()
                .is_ok_and(|metadata| !metadata.is_dir())
            {
                let blocked = relative.display().to_string();
                if !found.contains(&blocked) {
                    found.push(blocked);
                }
                break;
            }
            parent = relative.parent();
        }
    }
    found
}

/// Creates every file (never overwriting one); on failure removes what it created.
fn write_all(directory: &Path, files: &[(String, String)]) -> Result<(), Error> {
    let mut created_files: Vec<PathBuf> = Vec::new();
    let mut created_directories: Vec<PathBuf> = Vec::new();
    let result = files.iter().try_for_each(|(path, content)| {
        let target = directory.join(path);
        if let Some(parent) = target.parent() {
            create_directories(parent, &mut created_directories)?;
        }
        filesystem::create_new_file(&target, content.as_bytes())?;
        created_files.push(target);
        Ok(())
    });
    if result.is_err() {
        for file in created_files.iter().rev() {
            let _ = fs::remove_file(file);
        }
        for created in created_directories.iter().rev() {
            let _ = fs::remove_dir(created);
        }
    }
    result
}

/// `mkdir -p`, remembering each directory it created (outermost first).
fn create_directories(path: &Path, created: &mut Vec<PathBuf>) -> Result<(), Error> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        create_directories(parent, created)?;
    }
    match fs::create_dir(path) {
        Ok(()) => {
            created.push(path.to_path_buf());
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(source) => Err(filesystem::io_error("create", path)(source).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflows_init_writes_use_the_release_of_this_version() {
        assert_eq!(github_repository(), "zonegate/zonegate");
        let version = env!("CARGO_PKG_VERSION");
        let files = scaffold("example.com.").unwrap();
        let file = |name: &str| {
            files
                .iter()
                .find(|(path, _)| path == name)
                .map(|(_, content)| content.clone())
                .unwrap()
        };
        for (name, workflow, build, uses) in [
            (
                ".github/workflows/zones-gate.yml",
                GATE_WORKFLOW,
                GATE_BUILD_STEPS,
                format!("- uses: zonegate/zonegate@v{version}\n"),
            ),
            (
                ".github/workflows/bot.yml",
                BOT_WORKFLOW,
                BOT_BUILD_STEPS,
                format!("- uses: zonegate/zonegate/install@v{version}\n"),
            ),
        ] {
            assert_eq!(workflow.matches(build).count(), 1, "{workflow}");
            let written = file(name);
            assert!(written.contains(&uses), "{written}");
            // Nothing builds zonegate on the runner: no toolchain, no local action, no cargo.
            for built in ["rust-toolchain", "uses: ./", "from-source", "cargo "] {
                assert!(!written.contains(built), "{name}: {built}\n{written}");
            }
        }
    }

    #[test]
    fn a_development_build_says_its_workflows_pin_no_release_yet() {
        assert_eq!(development_note("0.2.0"), None);
        insta::assert_snapshot!(development_note("0.3.0-dev").unwrap(), @"
        This zonegate is a development build (0.3.0-dev): no release has its tag yet. Until one
        does, pin a released version or a commit of zonegate/zonegate in the workflows.
        ");
    }

    #[test]
    fn the_domain_is_written_everywhere_and_must_be_absolute() {
        let files = scaffold("dns.example.org.").unwrap();
        let everything: String = files.iter().map(|(_, content)| content.as_str()).collect();
        assert!(!everything.contains("example.com"));
        assert!(everything.contains("domain: dns.example.org.\n"));
        assert!(everything.contains("contact: hostmaster@dns.example.org\n"));
        insta::assert_snapshot!(scaffold("example.com").unwrap_err(), @"`example.com` is not a domain zonegate can manage: `example.com` is relative; write it with a trailing dot");
        insta::assert_snapshot!(scaffold("com.").unwrap_err(), @"`com.` is not a domain zonegate can manage: use a domain of at least two labels, such as example.com.");
    }

    #[test]
    fn every_yaml_file_starts_with_its_schema_line() {
        for (path, content) in scaffold("example.com.").unwrap() {
            if let Some(kind) = Kind::for_path(&path) {
                assert_eq!(
                    content.lines().next(),
                    Some(kind.modeline(&path).as_str()),
                    "{path}"
                );
            }
        }
    }
}
