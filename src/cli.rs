//! Command-line arguments: the only module that knows about clap.
//!
//! [`Args`] is what the user typed; the commands receive plain options structs built from it, so
//! no stage ever sees a clap type.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// GitOps DNS: CMDB + YAML -> zone files, checks, assertions, blast radius, merge bot, deploy.
#[derive(Debug, Parser)]
#[command(name = "zonegate", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit status: 0 success, 1 a check/test/policy failed, 2 bad input or usage.\n\
Run `zonegate <command> --help` for examples."
)]
pub struct Args {
    /// The zones repository: the directory that holds `zones/` and `assertions/`.
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub repo: PathBuf,

    /// Print nothing but findings and errors (no summary, no progress bar).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the zone files and manifest into the output directory (after checking).
    #[command(
        after_help = "Examples:\n  zonegate render\n  zonegate render --output /srv/zones --cmdb export.csv\n\n\
Writes one master file per zone plus manifest.json, replacing the directory atomically.\n\
Refuses (exit 1) when `check` finds an error; nothing is written then."
    )]
    Render(RenderArgs),

    /// Validate the zone set: every rule, with file:line:column of the input that caused it.
    #[command(
        after_help = "Examples:\n  zonegate check\n  zonegate check --format sarif > zonegate.sarif\n  \
zonegate check --format github   # annotations in a GitHub Actions log\n\n\
Rule severities are set per repository in zones/zonegate.yaml under `check.rules`."
    )]
    Check(CheckArgs),

    /// Run the assertions in assertions/ against the zones in memory, or against a live server.
    #[command(
        after_help = "Examples:\n  zonegate test\n  zonegate test --server 127.0.0.1:5353\n  \
zonegate test --format github --junit test-results.xml\n  zonegate test --coverage\n\n\
Exit status: 0 every assertion passed, 1 one failed, 2 an assertion file is malformed or the\n\
server does not answer. in_authority/in_additional are checked against a live server only."
    )]
    Test(TestArgs),

    /// Install the zones on the authoritative servers, verify them live, roll back on failure.
    #[command(
        after_help = "Examples:\n  zonegate deploy --dry-run\n  zonegate deploy\n  zonegate deploy --target primary --no-wait\n\n\
Targets are configured under `deploy:` in zones/zonegate.yaml. Steps per target: check, plan\n\
(refusing serials that are not newer than the served ones), write the zone files atomically\n\
keeping the previous set, check, reload, wait until the new serials are served, run the\n\
assertions live, NOTIFY the secondaries and wait for them. On any failure the previous zones\n\
are restored and reloaded (exit 1). One deploy per target at a time."
    )]
    Deploy(DeployArgs),
}

/// `zonegate deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,

    /// Deploy only this target (repeatable; default: every configured target, in order).
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,

    /// Print the plan (zones, served and new serials) and stop; nothing is written.
    #[arg(long)]
    pub dry_run: bool,

    /// When another deploy is running, refuse (exit 1) instead of waiting for it.
    #[arg(long)]
    pub no_wait: bool,

    /// How to print the plans and reports.
    #[arg(long, value_enum, default_value_t = DeployFormat::Human)]
    pub format: DeployFormat,
}

/// Output formats of `deploy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeployFormat {
    /// The plan table and a line per step, as the deploy goes.
    Human,
    /// One JSON document at the end: per target the plan, steps, failure and rollback.
    Json,
}

/// `zonegate render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Output directory (default: `output` in zonegate.yaml, `out` unless set).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,

    /// How to print findings and the summary.
    #[arg(long, value_enum, default_value_t = RenderFormat::Human)]
    pub format: RenderFormat,
}

/// Output formats of `render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// Findings and a per-zone summary for people.
    Human,
    /// The manifest and findings as JSON.
    Json,
}

/// `zonegate check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,

    /// How to print findings.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
}

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// `path:line:col: severity[rule]: message`, with hints.
    Human,
    /// A JSON array of findings.
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// `zonegate test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Query this DNS server (ADDR or ADDR:PORT, default port 53) instead of the in-memory
    /// resolver.
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub server: Option<String>,

    /// How to print the results.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,

    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Report which services, datacenters and hand-edited records the assertions touch.
    #[arg(long)]
    pub coverage: bool,

    /// Seconds to wait for each try of a query to the server.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    pub timeout: std::time::Duration,

    /// Tries per query before giving up on the server.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub tries: u16,

    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,
}

/// A positive number of seconds (fractions allowed), at most an hour.
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!(
            "`{text}` is not a timeout; expected seconds between 0 and 3600, e.g. 2 or 0.5"
        )),
    }
}

/// Output formats of `test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// Each failure with expected, actual and the resolution trace; then a summary.
    Human,
    /// One JSON document with every result.
    Json,
    /// GitHub Actions annotations at each failed assertion's line.
    Github,
    /// JUnit XML.
    Junit,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }
}
