//! The `deploy:` section of `zones/zonegate.yaml`: where zones are installed and how each server
//! is reloaded, verified and its secondaries notified.
//!
//! Raw YAML shapes are parsed here with spans, then resolved into [`DeploySettings`]: every
//! problem is a located diagnostic (unknown kind, a command given as one shell string, an unknown
//! placeholder, an address without a port, a duplicate target). Nothing here runs a command or
//! touches a server; `deploy::target` does.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::yaml::{Duration, span_of};
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::rules::Rule;
use crate::rules::input::{INVALID_VALUE, MISSING_KEY};

/// Resolved `deploy:` settings.
#[derive(Clone, Debug, Default)]
pub struct DeploySettings {
    /// What to do when a zone's new serial is not greater than the one the server serves.
    pub stale_serial: StaleSerial,
    /// Targets, in configuration order; deployed in this order.
    pub targets: Vec<DeployTarget>,
}

/// What `deploy` does when the serial it would install is not greater (RFC 1982) than the serial
/// the server already serves (the zone was changed by someone else, or serials went backwards).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StaleSerial {
    /// Refuse the deploy (exit 1) and say which zone and serials (the default: someone else is
    /// changing the zone, and a person should look).
    #[default]
    Refuse,
    /// Pick a serial past the served one under the serial policy and go on.
    Bump,
}

/// Kinds of target; the kind sets the default reload command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// ISC BIND 9 (`rndc reload`).
    Bind,
    /// Knot DNS (`knotc zone-reload`).
    Knot,
    /// NLnet Labs NSD (`nsd-control reload`).
    Nsd,
    /// A plain directory (no server of its own; reload and verification are optional).
    Dir,
}

impl TargetKind {
    /// The name used in `zonegate.yaml`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TargetKind::Bind => "bind",
            TargetKind::Knot => "knot",
            TargetKind::Nsd => "nsd",
            TargetKind::Dir => "dir",
        }
    }

    /// The reload command used when a target sets none.
    pub fn default_reload(self) -> Option<Vec<String>> {
        let argv: &[&str] = match self {
            TargetKind::Bind => &["rndc", "reload"],
            TargetKind::Knot => &["knotc", "zone-reload"],
            TargetKind::Nsd => &["nsd-control", "reload"],
            TargetKind::Dir => return None,
        };
        Some(argv.iter().map(|&word| word.to_owned()).collect())
    }
}

/// One deploy target: a server's zone directory, its control command and its address.
#[derive(Clone, Debug)]
pub struct DeployTarget {
    /// Name, unique among targets (`--target NAME`).
    pub name: String,
    /// What runs there.
    pub kind: TargetKind,
    /// Where the server reads the zone files; relative paths are relative to the repository
    /// root.
    pub zone_directory: PathBuf,
    /// File name pattern: `{zone}` is replaced by the origin without its final dot (`root` for
    /// the root zone). Default `{zone}.zone`, the same names `render` writes.
    pub file_name: String,
    /// Where the lock, the journal, the deployed-state record and the previous set live; default
    /// `.<zone directory name>.zonegate-deploy` beside the zone directory.
    pub state_directory: Option<PathBuf>,
    /// Optional checker run on each new zone file before it is installed (when it names
    /// `{file}`), or once after installing and before reloading (when it names no file).
    pub check: Option<Command>,
    /// The reload command; run once, or once per changed zone when it names `{zone}`/`{origin}`.
    pub reload: Option<Command>,
    /// Where the server answers queries; the served SOA serials are read from here.
    pub server: Option<SocketAddr>,
    /// Secondaries to send NOTIFY to, each then polled until it serves the new serial.
    pub secondaries: Vec<SocketAddr>,
    /// Time limits.
    pub deadlines: Deadlines,
    /// Where the target was written.
    pub span: Span,
}

/// A command as an argument vector (never a shell string), with placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Program and arguments. Placeholders: `{zone}`, `{origin}`, `{file}`, `{directory}`.
    pub argv: Vec<String>,
    /// Where it was written.
    pub span: Span,
}

impl Command {
    /// The command names a zone (`{zone}`, `{origin}` or `{file}`) and so runs once per zone.
    pub fn is_per_zone(&self) -> bool {
        self.argv.iter().any(|word| {
            word.contains("{zone}") || word.contains("{origin}") || word.contains("{file}")
        })
    }
}

/// Time limits of one target, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// How long a checker or reload command may run before it is killed and counted as failed.
    pub command: u32,
    /// How long after reloading the server has to serve every new serial.
    pub serial: u32,
    /// How long after the NOTIFY each secondary has to serve the new serial.
    pub notify: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            command: 60,
            serial: 30,
            notify: 60,
        }
    }
}

/// The placeholders commands and file names may use.
pub const PLACEHOLDERS: [&str; 4] = ["{zone}", "{origin}", "{file}", "{directory}"];

// ---------------------------------------------------------------------------------------------
// Raw YAML

/// Where `zonegate deploy` installs the zones, and how each server is reloaded and verified.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Deploy")]
pub(super) struct RawDeploy {
    /// When the serial to install is not newer than the served one: `refuse` (the default) or
    /// `bump` past it.
    #[serde(default)]
    #[schemars(with = "Option<String>", extend("enum" = ["refuse", "bump", null]))]
    stale_serial: Option<Spanned<String>>,
    /// The targets, deployed in this order.
    #[serde(default)]
    #[schemars(with = "Vec<RawTarget>")]
    targets: Vec<Spanned<RawTarget>>,
}

/// One server's zone directory, control commands and address.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Target", transform = server_unless_dir)]
struct RawTarget {
    /// Unique among the targets (`zonegate deploy --target NAME`).
    #[schemars(with = "String")]
    name: Spanned<String>,
    /// `bind`, `knot`, `nsd` or `dir`; sets the default reload command.
    #[schemars(with = "String", extend("enum" = ["bind", "knot", "nsd", "dir"]))]
    kind: Spanned<String>,
    /// Where the server reads the zone files (relative paths: from the repository root).
    #[schemars(with = "String", length(min = 1))]
    zone_directory: Spanned<String>,
    /// File name pattern; `{zone}` is the origin without its final dot (default `{zone}.zone`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    file_name: Option<Spanned<String>>,
    /// Where the lock, journal and previous set live (default: beside the zone directory).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    state_directory: Option<Spanned<String>>,
    /// A checker run on each new zone file (naming `{file}`) or once before the reload.
    #[serde(default)]
    #[schemars(with = "Option<RawCommand>")]
    check: Option<Spanned<RawCommand>>,
    /// The reload command (default by kind: `rndc reload`, `knotc zone-reload`,
    /// `nsd-control reload`).
    #[serde(default)]
    #[schemars(with = "Option<RawCommand>")]
    reload: Option<Spanned<RawCommand>>,
    /// Where the server answers queries, `ADDRESS:PORT`; required unless the kind is `dir`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    server: Option<Spanned<String>>,
    /// Secondaries to NOTIFY and wait for, `ADDRESS:PORT` each.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    secondaries: Vec<Spanned<String>>,
    /// Time limits.
    #[serde(default)]
    deadlines: Option<RawDeadlines>,
}

/// `server` is required unless the target is a plain directory without secondaries (see
/// [`resolve`]).
fn server_unless_dir(schema: &mut schemars::Schema) {
    schema.insert(
        "allOf".into(),
        serde_json::json!([
            {
                "if": { "properties": { "kind": { "const": "dir" } }, "required": ["kind"] },
                "else": { "required": ["server"] }
            },
            {
                "if": { "properties": { "secondaries": { "minItems": 1 } }, "required": ["secondaries"] },
                "then": { "required": ["server"] }
            }
        ]),
    );
}

/// Time limits of one target.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Deadlines")]
struct RawDeadlines {
    /// How long a checker or reload command may run (default 60s).
    command: Option<Duration>,
    /// How long the server has to serve every new serial after the reload (default 30s).
    serial: Option<Duration>,
    /// How long each secondary has to serve the new serial after the NOTIFY (default 60s).
    notify: Option<Duration>,
}

/// A command is a list of words, never a shell string (which [`resolve`] refuses with a hint).
impl JsonSchema for RawCommand {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Command".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "program and arguments, one word each: [rndc, reload, \"{zone}\"]; placeholders {zone}, {origin}, {file}, {directory}",
            "type": "array",
            "minItems": 1,
            "items": { "type": "string" }
        })
    }
}

/// A command: a list of words, or (rejected with a hint) one string.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawCommand {
    Argv(Vec<String>),
    Shell(String),
}

/// Resolves the raw section; problems go to `diagnostics`.
pub(super) fn resolve(
    raw: Option<Spanned<RawDeploy>>,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> DeploySettings {
    let Some(raw) = raw else {
        return DeploySettings::default();
    };
    let raw = raw.value;
    let mut problem = |rule: &'static Rule, span: Span, message: String, hint: Option<&str>| {
        let mut diagnostic = Diagnostic::error(rule, Some(span), message);
        if let Some(hint) = hint {
            diagnostic = diagnostic.with_hint(hint);
        }
        diagnostics.push(diagnostic);
    };
    let stale_serial = match raw.stale_serial.as_ref().map(|value| value.value.as_str()) {
        None | Some("refuse") => StaleSerial::Refuse,
        Some("bump") => StaleSerial::Bump,
        Some(other) => {
            let span = span_of(raw.stale_serial.as_ref().expect("matched Some"), file);
            problem(
                INVALID_VALUE,
                span,
                format!("`stale_serial: {other}` is not refuse or bump"),
                Some("refuse stops the deploy; bump picks a serial past the served one"),
            );
            StaleSerial::Refuse
        }
    };

    let mut targets = Vec::new();
    let mut names = HashSet::new();
    let mut directories = HashSet::new();
    for raw_target in &raw.targets {
        let span = span_of(raw_target, file);
        let target = &raw_target.value;
        let name = target.name.value.trim().to_owned();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problem(
                INVALID_VALUE,
                span_of(&target.name, file),
                format!("target name `{name}` must be letters, digits, `-` or `_`"),
                None,
            );
            continue;
        }
        if !names.insert(name.clone()) {
            problem(
                INVALID_VALUE,
                span_of(&target.name, file),
                format!("target `{name}` is declared twice"),
                None,
            );
            continue;
        }
        let kind = match target.kind.value.trim() {
            "bind" => TargetKind::Bind,
            "knot" => TargetKind::Knot,
            "nsd" => TargetKind::Nsd,
            "dir" => TargetKind::Dir,
            other => {
                problem(
                    INVALID_VALUE,
                    span_of(&target.kind, file),
                    format!("target kind `{other}` is not bind, knot, nsd or dir"),
                    None,
                );
                continue;
            }
        };
        let zone_directory = target.zone_directory.value.trim();
        if zone_directory.is_empty() {
            problem(
                INVALID_VALUE,
                span_of(&target.zone_directory, file),
                "`zone_directory` is empty".into(),
                None,
            );
            continue;
        }
        if !directories.insert(zone_directory.trim_end_matches('/').to_owned()) {
            problem(
                INVALID_VALUE,
                span_of(&target.zone_directory, file),
                format!("another target already deploys into `{zone_directory}`"),
                Some(
                    "each target owns its zone directory (and its lock and previous set beside it)",
                ),
            );
            continue;
        }
        let file_name = match &target.file_name {
            None => "{zone}.zone".to_owned(),
            Some(pattern) => {
                let text = pattern.value.trim();
                let wrong = if !text.contains("{zone}") {
                    Some("must contain `{zone}` so every zone gets its own file")
                } else if text.contains('/') || text.contains("..") {
                    Some("must be a file name, without `/` or `..`")
                } else if unknown_placeholder(text, &["{zone}"]).is_some() {
                    Some("may use only the `{zone}` placeholder")
                } else {
                    None
                };
                if let Some(wrong) = wrong {
                    problem(
                        INVALID_VALUE,
                        span_of(pattern, file),
                        format!("`file_name: {text}` {wrong}"),
                        Some("the default is `{zone}.zone` (example.net.zone)"),
                    );
                    continue;
                }
                text.to_owned()
            }
        };
        let mut command = |raw: &Option<Spanned<RawCommand>>,
                           what: &str|
         -> Result<Option<Command>, ()> {
            let Some(raw) = raw else { return Ok(None) };
            let span = span_of(raw, file);
            match &raw.value {
                RawCommand::Shell(text) => {
                    problem(
                        INVALID_VALUE,
                        span,
                        format!("`{what}` must be a list of words, not one string: `{text}`"),
                        Some(
                            "commands run without a shell, so quoting cannot go wrong: write e.g. [rndc, -s, 127.0.0.1, reload]",
                        ),
                    );
                    Err(())
                }
                RawCommand::Argv(argv) if argv.is_empty() || argv[0].trim().is_empty() => {
                    problem(
                        INVALID_VALUE,
                        span,
                        format!("`{what}` is empty; the first word is the program"),
                        None,
                    );
                    Err(())
                }
                RawCommand::Argv(argv) => {
                    if let Some(unknown) = argv
                        .iter()
                        .find_map(|word| unknown_placeholder(word, &PLACEHOLDERS))
                    {
                        problem(
                            INVALID_VALUE,
                            span,
                            format!("`{what}` uses the unknown placeholder `{unknown}`"),
                            Some(
                                "placeholders: {zone} (example.net), {origin} (example.net.), {file} (the zone file), {directory} (the zone directory)",
                            ),
                        );
                        return Err(());
                    }
                    Ok(Some(Command {
                        argv: argv.clone(),
                        span,
                    }))
                }
            }
        };
        let Ok(check) = command(&target.check, "check") else {
            continue;
        };
        let Ok(reload) = command(&target.reload, "reload") else {
            continue;
        };
        let reload = reload.or_else(|| kind.default_reload().map(|argv| Command { argv, span }));
        let mut address = |value: &Spanned<String>, what: &str| -> Option<SocketAddr> {
            let parsed = value.value.trim().parse::<SocketAddr>().ok();
            if parsed.is_none() {
                problem(
                    INVALID_VALUE,
                    span_of(value, file),
                    format!("{what} `{}` is not an address with a port", value.value),
                    Some("write e.g. 192.0.2.1:53 or [2001:db8::1]:53"),
                );
            }
            parsed
        };
        let server = match &target.server {
            Some(value) => match address(value, "server") {
                Some(server) => Some(server),
                None => continue,
            },
            None => None,
        };
        let secondaries: Vec<Option<SocketAddr>> = target
            .secondaries
            .iter()
            .map(|value| address(value, "secondary"))
            .collect();
        if secondaries.iter().any(Option::is_none) {
            continue;
        }
        if server.is_none() && kind != TargetKind::Dir {
            problem(
                MISSING_KEY,
                span,
                format!(
                    "target `{name}` ({}) needs `server`: the address deploy verifies the served serial against",
                    kind.as_str()
                ),
                Some("write e.g. `server: 127.0.0.1:53`"),
            );
            continue;
        }
        if server.is_none() && !target.secondaries.is_empty() {
            problem(
                MISSING_KEY,
                span,
                format!(
                    "target `{name}` has secondaries but no `server` to compare their serials with"
                ),
                None,
            );
            continue;
        }
        let defaults = Deadlines::default();
        let deadlines = target.deadlines.as_ref().map_or(defaults, |raw| Deadlines {
            command: raw.command.map_or(defaults.command, |d| d.0),
            serial: raw.serial.map_or(defaults.serial, |d| d.0),
            notify: raw.notify.map_or(defaults.notify, |d| d.0),
        });
        targets.push(DeployTarget {
            name,
            kind,
            zone_directory: PathBuf::from(zone_directory),
            file_name,
            state_directory: target
                .state_directory
                .as_ref()
                .map(|value| PathBuf::from(value.value.trim())),
            check,
            reload,
            server,
            secondaries: secondaries.into_iter().flatten().collect(),
            deadlines,
            span,
        });
    }
    DeploySettings {
        stale_serial,
        targets,
    }
}

/// The first `{...}` in `text` that is not in `allowed`.
fn unknown_placeholder(text: &str, allowed: &[&str]) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            return Some(rest[start..].to_owned());
        };
        let placeholder = &rest[start..=start + length];
        if !allowed.contains(&placeholder) {
            return Some(placeholder.to_owned());
        }
        rest = &rest[start + length + 1..];
    }
    None
}

/// The file name of a zone under a `file_name` pattern: `{zone}` is the origin without the final
/// dot, `root` for the root zone.
pub fn zone_file_name(pattern: &str, origin: &str) -> String {
    let zone = match origin.trim_end_matches('.') {
        "" => "root",
        zone => zone,
    };
    pattern.replace("{zone}", zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceMap;

    fn resolve_text(yaml: &str) -> String {
        #[derive(Deserialize)]
        struct Wrapper {
            deploy: Spanned<RawDeploy>,
        }
        let mut sources = SourceMap::default();
        let file = sources.add("zones/zonegate.yaml");
        let wrapper: Wrapper = match super::super::yaml::parse(yaml.as_bytes(), file) {
            Ok(wrapper) => wrapper,
            Err(diagnostic) => return diagnostic.display(&sources).to_string(),
        };
        let mut diagnostics = Vec::new();
        let settings = resolve(Some(wrapper.deploy), file, &mut diagnostics);
        if diagnostics.is_empty() {
            format!("{settings:#?}")
        } else {
            diagnostics
                .iter()
                .map(|d| d.display(&sources).to_string())
                .collect::<Vec<_>>()
                .join("\n")
        }
    }

    #[test]
    fn a_bind_target_with_defaults() {
        let text = resolve_text(
            "deploy:\n  targets:\n    - name: primary\n      kind: bind\n      zone_directory: /var/lib/bind/zonegate\n      server: 127.0.0.1:53\n",
        );
        assert!(text.contains("Bind"), "{text}");
        assert!(text.contains("\"rndc\",\n"), "default reload: {text}");
        assert!(text.contains("file_name: \"{zone}.zone\""), "{text}");
        assert!(text.contains("command: 60"), "{text}");
    }

    #[test]
    fn every_problem_is_located() {
        insta::assert_snapshot!(resolve_text(concat!(
            "deploy:\n",
            "  stale_serial: maybe\n",
            "  targets:\n",
            "    - { name: a, kind: powerdns, zone_directory: /za }\n",
            "    - { name: b, kind: bind, zone_directory: /zb, server: 127.0.0.1, reload: rndc reload }\n",
            "    - { name: c, kind: knot, zone_directory: /zc, server: \"127.0.0.1:53\", reload: [knotc, \"{zonefile}\"] }\n",
            "    - { name: d, kind: nsd, zone_directory: /zd }\n",
            "    - { name: e, kind: dir, zone_directory: /ze, file_name: \"../{zone}\" }\n",
            "    - { name: e, kind: dir, zone_directory: /ze }\n",
            "    - { name: f, kind: dir, zone_directory: /zf, secondaries: [\"127.0.0.1:53\"] }\n",
        )), @"
        zones/zonegate.yaml:2:17: error[invalid-value]: `stale_serial: maybe` is not refuse or bump
          hint: refuse stops the deploy; bump picks a serial past the served one
        zones/zonegate.yaml:4:24: error[invalid-value]: target kind `powerdns` is not bind, knot, nsd or dir
        zones/zonegate.yaml:5:78: error[invalid-value]: `reload` must be a list of words, not one string: `rndc reload`
          hint: commands run without a shell, so quoting cannot go wrong: write e.g. [rndc, -s, 127.0.0.1, reload]
        zones/zonegate.yaml:6:83: error[invalid-value]: `reload` uses the unknown placeholder `{zonefile}`
          hint: placeholders: {zone} (example.net), {origin} (example.net.), {file} (the zone file), {directory} (the zone directory)
        zones/zonegate.yaml:7:7: error[missing-key]: target `d` (nsd) needs `server`: the address deploy verifies the served serial against
          hint: write e.g. `server: 127.0.0.1:53`
        zones/zonegate.yaml:8:61: error[invalid-value]: `file_name: ../{zone}` must be a file name, without `/` or `..`
          hint: the default is `{zone}.zone` (example.net.zone)
        zones/zonegate.yaml:9:15: error[invalid-value]: target `e` is declared twice
        zones/zonegate.yaml:10:7: error[missing-key]: target `f` has secondaries but no `server` to compare their serials with
        ");
    }

    #[test]
    fn file_names_follow_the_pattern() {
        assert_eq!(
            zone_file_name("{zone}.zone", "example.net."),
            "example.net.zone"
        );
        assert_eq!(zone_file_name("db.{zone}", "."), "db.root");
        assert_eq!(
            unknown_placeholder("{zone}-{x}", &["{zone}"]),
            Some("{x}".into())
        );
        assert_eq!(
            unknown_placeholder("a{zone", &["{zone}"]),
            Some("{zone".into())
        );
    }
}
