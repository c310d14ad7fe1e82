//! Reads `zones/zonegate.yaml`, `zones/services/*.yaml`, `zones/records/*.yaml` and the optional
//! template, and calls the CMDB reader; resolves raw YAML into the [`Settings`],
//! [`Service`](super::Service) and [`RecordEntry`](super::RecordEntry) types (names parsed,
//! durations in seconds, defaults applied).
//!
//! One file per kind of YAML file: `settings.rs`, `services.rs`, `records.rs`, each with its raw
//! serde types and their resolution; this module reads the files and puts them together.
//!
//! Every problem in every file is collected before returning [`Error::Invalid`]. Semantic checks
//! that need the whole inventory (unknown datacenters, duplicate hosts) belong to `model`.
#![allow(clippy::disallowed_methods)] // IO edge: opens a `--cmdb` override given on the command line.

use std::path::{Path, PathBuf};

use super::files::{Files, YamlEntry};
use super::yaml;
use super::{CmdbFormat, Error, Host, Inventory, Settings, cmdb};
use crate::diagnostic::{Diagnostic, FileId, Severity, SourceMap, Span};

mod records;
mod services;
mod settings;

use records::{RawRecordsFile, parse_records};
use services::{RawService, read_services};
use settings::{RawSettings, resolve_settings};

/// Where the settings live, relative to the repository root.
pub const SETTINGS_PATH: &str = "zones/zonegate.yaml";

/// Overrides for [`load_with`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Read this CMDB export instead of the configured one (`regen --cmdb`, benchmarks). Shown
    /// in diagnostics as given.
    pub cmdb: Option<PathBuf>,
}

/// Reads the repository in `files` with the configured CMDB.
pub fn load(files: &dyn Files) -> Result<Inventory, Error> {
    load_with(files, &LoadOptions::default())
}

/// Reads the repository in `files`.
pub fn load_with(files: &dyn Files, options: &LoadOptions) -> Result<Inventory, Error> {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();

    let Some(settings_bytes) = read_file(files, SETTINGS_PATH)? else {
        return Err(Error::Read {
            path: files.locate(SETTINGS_PATH),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no zones/zonegate.yaml here; the repository root is the directory that holds zones/ (see --repo); `zonegate init` starts a new repository",
            ),
        });
    };
    let settings_file = sources.add(SETTINGS_PATH);
    let settings = match yaml::parse::<RawSettings>(&settings_bytes, settings_file) {
        Ok(raw) => resolve_settings(raw, settings_file, &mut diagnostics),
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    };

    let services = read_services(files, &mut sources, &mut diagnostics, settings.as_ref())?;
    let record_files = yaml_files(files, "zones/records", &mut sources, &mut diagnostics)?;

    let template = match read_file(files, TEMPLATE_PATH)? {
        Some(bytes) => {
            let file = sources.add(TEMPLATE_PATH);
            if bytes.len() > yaml::MAX_FILE_BYTES {
                diagnostics.push(yaml::too_large(file));
                None
            } else if let Ok(text) = String::from_utf8(bytes) {
                Some((file, text))
            } else {
                diagnostics.push(Diagnostic::error(
                    crate::rules::input::YAML_SYNTAX,
                    Some(Span::new(file, 1, 1)),
                    "the template is not valid UTF-8",
                ));
                None
            }
        }
        None => None,
    };

    // The CMDB and the records files are independent and each can be large (a million-record
    // estate has a few MiB of each), so they are parsed side by side. File ids are handed out
    // first, in the order a sequential read would, so every span stays the same.
    let cmdb_file = settings
        .as_ref()
        .map(|settings| sources.add(cmdb_display_path(settings, options)));
    let ((records, record_diagnostics), cmdb) = rayon::join(
        || parse_records(record_files),
        || -> Result<_, Error> {
            let mut hosts = Vec::new();
            let mut cmdb_diagnostics = Vec::new();
            if let (Some(settings), Some(file)) = (&settings, cmdb_file) {
                read_cmdb(
                    files,
                    settings,
                    options,
                    file,
                    &mut hosts,
                    &mut cmdb_diagnostics,
                )?;
            }
            Ok((hosts, cmdb_diagnostics))
        },
    );
    diagnostics.extend(record_diagnostics);
    let (hosts, cmdb_diagnostics) = cmdb?;
    diagnostics.extend(cmdb_diagnostics);

    match settings {
        Some(settings) if diagnostics.iter().all(|d| d.severity != Severity::Error) => {
            Ok(Inventory {
                sources,
                settings,
                hosts,
                services,
                records,
                template,
            })
        }
        _ => Err(Error::Invalid {
            diagnostics,
            sources,
        }),
    }
}

/// The JSON Schema of `zones/zonegate.yaml`, generated from the types it is parsed into.
pub(crate) fn settings_schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<RawSettings>()
}

/// The JSON Schema of a `zones/services/*.yaml` file.
pub(crate) fn service_schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<RawService>()
}

/// The JSON Schema of a `zones/records/*.yaml` file.
pub(crate) fn records_schema(generator: schemars::SchemaGenerator) -> schemars::Schema {
    generator.into_root_schema_for::<RawRecordsFile>()
}

/// Where a repository may override the zone-file template.
pub const TEMPLATE_PATH: &str = "zones/templates/zone.j2";

fn read_file(files: &dyn Files, path: &str) -> Result<Option<Vec<u8>>, Error> {
    yaml::read_limited(files, path).map_err(|source| Error::Read {
        path: files.locate(path),
        source,
    })
}

/// How the CMDB export is named in diagnostics: the `--cmdb` override as given, or the
/// configured path.
fn cmdb_display_path(settings: &Settings, options: &LoadOptions) -> PathBuf {
    options
        .cmdb
        .clone()
        .unwrap_or_else(|| settings.cmdb.path.clone())
}

/// Streams the CMDB export, registered as `file`: the configured one from the repository, or
/// the `--cmdb` override from disk.
fn read_cmdb(
    files: &dyn Files,
    settings: &Settings,
    options: &LoadOptions,
    file: FileId,
    hosts: &mut Vec<Host>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    let read_error = |path: PathBuf| move |source| Error::Read { path, source };
    if let Some(path) = &options.cmdb {
        let format = format_from_extension(path).unwrap_or(settings.cmdb.format);
        let reader = std::fs::File::open(path).map_err(read_error(path.clone()))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
        return cmdb::read(&mut reader, format, file, hosts, diagnostics)
            .map_err(read_error(path.clone()));
    }
    let relative = settings.cmdb.path.to_string_lossy().replace('\\', "/");
    let located = files.locate(&relative);
    let Some(mut reader) = files.open(&relative).map_err(read_error(located.clone()))? else {
        return Err(Error::Read {
            path: located,
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the CMDB export configured as `cmdb` in zones/zonegate.yaml does not exist",
            ),
        });
    };
    cmdb::read(&mut reader, settings.cmdb.format, file, hosts, diagnostics)
        .map_err(read_error(located))
}

fn format_from_extension(path: &Path) -> Option<CmdbFormat> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" => Some(CmdbFormat::Csv),
        "json" => Some(CmdbFormat::Json),
        _ => None,
    }
}

/// The YAML files of `directory`, sorted by name, each registered in `sources` (in that order,
/// so file ids do not depend on what else is read): its file id, path and bytes. An entry named
/// like one that cannot be read (a FIFO, a directory, a link out of the repository) is
/// reported in `diagnostics`, never skipped.
fn yaml_files(
    files: &dyn Files,
    directory: &str,
    sources: &mut SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<(FileId, String, Vec<u8>)>, Error> {
    let mut found = Vec::new();
    for entry in super::files::yaml_directory(files, directory)? {
        match entry {
            YamlEntry::Read { path, bytes } => found.push((sources.add(&path), path, bytes)),
            YamlEntry::Unreadable { path, reason } => {
                let file = sources.add(&path);
                diagnostics.push(super::files::unreadable(file, &path, &reason));
            }
        }
    }
    Ok(found)
}
