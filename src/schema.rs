//! JSON Schemas of the YAML files a user writes, generated from the very types those files are
//! parsed into (schemars derives on the raw serde types in `inventory` and `assertions::spec`, with
//! hand-written schemas where a deserializer is hand-written), so a schema cannot drift from the
//! parser.
//!
//! Editors use them through the `# yaml-language-server: $schema=...` first line of each file
//! (completion, hover text from the doc comments, validation as you type). The repository ships
//! them in `schemas/`; `zonegate schema KIND` prints them and `zonegate init` writes them. A
//! schema accepts what zonegate accepts, as far as JSON Schema can say it: it cannot resolve
//! names or check that a datacenter exists, which `zonegate check` does.
//!
//! This module does no IO.

use std::fmt;

/// The directory, relative to the repository root, that holds the schemas.
pub const DIRECTORY: &str = "schemas";

/// The kinds of file a user writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `zones/zonegate.yaml`, with `check`, `policy` and `deploy`.
    Settings,
    /// `zones/services/*.yaml`.
    Service,
    /// `zones/records/*.yaml`.
    Records,
    /// `assertions/*.yaml`.
    Assertions,
}

impl Kind {
    /// Every kind, in the order of a zones repository's layout.
    pub const ALL: [Kind; 4] = [
        Kind::Settings,
        Kind::Service,
        Kind::Records,
        Kind::Assertions,
    ];

    /// The name used on the command line (`zonegate schema service`).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Settings => "settings",
            Kind::Service => "service",
            Kind::Records => "records",
            Kind::Assertions => "assertions",
        }
    }

    /// The file name in [`DIRECTORY`].
    pub const fn file_name(self) -> &'static str {
        match self {
            Kind::Settings => "zonegate.schema.json",
            Kind::Service => "service.schema.json",
            Kind::Records => "records.schema.json",
            Kind::Assertions => "assertions.schema.json",
        }
    }

    /// Which files the schema describes, as a pattern relative to the repository root.
    pub const fn describes(self) -> &'static str {
        match self {
            Kind::Settings => "zones/zonegate.yaml",
            Kind::Service => "zones/services/*.yaml",
            Kind::Records => "zones/records/*.yaml",
            Kind::Assertions => "assertions/*.yaml",
        }
    }

    /// The kind of the file at `path` (relative to the repository root, `/`-separated), if it is
    /// one zonegate reads as YAML.
    pub fn for_path(path: &str) -> Option<Kind> {
        let (directory, name) = path.rsplit_once('/')?;
        // The same test as the readers in `inventory` and `assertions::spec` (exact case).
        let is_yaml = std::path::Path::new(name)
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml");
        if !is_yaml || name.starts_with('.') {
            return None;
        }
        match directory {
            "zones" if name == "zonegate.yaml" => Some(Kind::Settings),
            "zones/services" => Some(Kind::Service),
            "zones/records" => Some(Kind::Records),
            "assertions" => Some(Kind::Assertions),
            _ => None,
        }
    }

    /// The first line an editor reads for the file at `path` (relative to the repository root):
    /// `# yaml-language-server: $schema=../../schemas/service.schema.json`.
    pub fn modeline(self, path: &str) -> String {
        let depth = path.matches('/').count();
        format!(
            "# yaml-language-server: $schema={}{DIRECTORY}/{}",
            "../".repeat(depth),
            self.file_name()
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The schema of `kind` as JSON.
pub fn generate(kind: Kind) -> serde_json::Value {
    // Draft 7: what the YAML language server (VS Code, Neovim, Helix, JetBrains) validates
    // against; its support for 2019-09 and 2020-12 is partial.
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = match kind {
        Kind::Settings => crate::inventory::config::settings_schema(generator),
        Kind::Service => crate::inventory::config::service_schema(generator),
        Kind::Records => crate::inventory::config::records_schema(generator),
        Kind::Assertions => crate::assertions::spec::schema(generator),
    };
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        // schemars titles the root with the Rust type's name; say which file it is instead.
        object.insert(
            "title".into(),
            format!("zonegate {}", kind.describes()).into(),
        );
    }
    value
}

/// The schema of `kind` as the text shipped in [`DIRECTORY`]: pretty JSON, keys sorted, one
/// final newline.
pub fn text(kind: Kind) -> String {
    let mut text = serde_json::to_string_pretty(&generate(kind)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_kinds_and_modelines_climb_to_the_root() {
        assert_eq!(Kind::for_path("zones/zonegate.yaml"), Some(Kind::Settings));
        assert_eq!(
            Kind::for_path("zones/services/playlist.yaml"),
            Some(Kind::Service)
        );
        assert_eq!(
            Kind::for_path("zones/records/mail.yml"),
            Some(Kind::Records)
        );
        assert_eq!(
            Kind::for_path("assertions/hosts.yaml"),
            Some(Kind::Assertions)
        );
        assert_eq!(Kind::for_path("zones/cmdb/servers.csv"), None);
        assert_eq!(Kind::for_path("zones/other.yaml"), None);
        assert_eq!(Kind::for_path("assertions/.hidden.yaml"), None);
        assert_eq!(
            Kind::Service.modeline("zones/services/playlist.yaml"),
            "# yaml-language-server: $schema=../../schemas/service.schema.json"
        );
        assert_eq!(
            Kind::Settings.modeline("zones/zonegate.yaml"),
            "# yaml-language-server: $schema=../schemas/zonegate.schema.json"
        );
    }

    #[test]
    fn every_schema_is_titled_after_its_files_and_closed_to_unknown_keys() {
        for kind in Kind::ALL {
            let schema = generate(kind);
            assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
            assert_eq!(
                schema["title"],
                format!("zonegate {}", kind.describes()),
                "{kind}"
            );
        }
        // `deny_unknown_fields` becomes `additionalProperties: false`, so an editor flags a typo.
        assert_eq!(
            generate(Kind::Settings)["additionalProperties"],
            serde_json::Value::Bool(false)
        );
        assert_eq!(
            generate(Kind::Service)["additionalProperties"],
            serde_json::Value::Bool(false)
        );
    }
}
