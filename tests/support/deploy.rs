//! Deploy test helpers: a zones repository with a `deploy:` section pointing at a test server.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::example_repository;
use super::servers::{Server, yaml_list};
use zonegate::inventory::files::Directory;

/// A temporary copy of this project's example repository (four zones, `serial: date`).
pub(crate) fn repository() -> tempfile::TempDir {
    example_repository()
}

/// The zones `repo` configures, in configuration order.
pub(crate) fn zones(repo: &Path) -> Vec<String> {
    let inventory = zonegate::inventory::config::load(&Directory::new(repo)).unwrap();
    inventory
        .settings
        .zones
        .iter()
        .map(|zone| zone.origin.to_string())
        .collect()
}

/// The serial of a zone's first deploy: `serial: date` on the tests' fixed clock
/// (`SOURCE_DATE_EPOCH`, 2026-11-25), counter 00.
pub(crate) const FIRST: u32 = 2_026_112_500;

/// How a test configures its one target.
#[derive(Clone, Debug, Default)]
pub(crate) struct TargetConfig {
    /// `reload:` (default: the server's own reload command).
    pub(crate) reload: Option<Vec<String>>,
    /// `check:`.
    pub(crate) check: Option<Vec<String>>,
    /// `secondaries:`.
    pub(crate) secondaries: Vec<String>,
    /// `deadlines.serial` in seconds (default 20).
    pub(crate) serial_deadline: Option<u32>,
    /// `stale_serial:`.
    pub(crate) stale_serial: Option<&'static str>,
}

/// Writes `zones/zonegate.yaml` = the fixture's settings + a `deploy:` section with one target
/// named `primary` for `server`.
pub(crate) fn configure(repo: &Path, server: &Server, config: &TargetConfig) {
    let settings = repo.join("zones/zonegate.yaml");
    let base = fs::read_to_string(settings.with_extension("yaml.base"))
        .or_else(|_| fs::read_to_string(&settings))
        .unwrap();
    fs::write(settings.with_extension("yaml.base"), &base).unwrap();
    let mut text = base;
    text.push_str("deploy:\n");
    if let Some(stale) = config.stale_serial {
        let _ = writeln!(text, "  stale_serial: {stale}");
    }
    let _ = write!(
        text,
        "  targets:\n    - name: primary\n      kind: {}\n      zone_directory: \"{}\"\n      server: \"{}\"\n      reload: {}\n",
        server.kind.as_str(),
        server.zone_directory.display(),
        server.address,
        yaml_list(config.reload.as_ref().unwrap_or(&server.reload)),
    );
    if let Some(check) = &config.check {
        let _ = writeln!(text, "      check: {}", yaml_list(check));
    }
    if !config.secondaries.is_empty() {
        let _ = writeln!(
            text,
            "      secondaries: {}",
            yaml_list(&config.secondaries)
        );
    }
    let _ = writeln!(
        text,
        "      deadlines: {{ command: 30s, serial: {}s, notify: 30s }}",
        config.serial_deadline.unwrap_or(20)
    );
    fs::write(&settings, text).unwrap();
}

/// A CMDB change that touches the forward zone and `10.in-addr.arpa.` (a new playlist host in
/// ash with only an IPv4 address), leaving the other reverse zones as they were.
pub(crate) fn add_host(repo: &Path, name: &str, address: &str) {
    let path = repo.join("zones/cmdb/servers.csv");
    let mut csv = fs::read_to_string(&path).unwrap();
    let _ = writeln!(
        csv,
        "{name},ash,ash-r99,{address},,playlist,in_use,team-playlist"
    );
    fs::write(path, csv).unwrap();
}
