//! `zonegate deploy`: check, plan, install on each target, verify live, roll back on failure.
//!
//! Per target: take its lock (waiting, or refusing with `--no-wait`), roll back a deploy that
//! was killed, read what is deployed (state file, zone files, served serials), [`deploy::plan`]
//! it against the rendered zones, refuse an unsafe plan, then apply it
//! ([`deploy::target::TargetLock::apply`]). `--dry-run` prints the same plan and stops before
//! taking the lock or writing anything.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use rayon::prelude::*;

use super::{Context, Error, Outcome, load_and_check, print_human, print_input_errors};
use crate::deploy::target::{self, LiveVerdict, NewZone, Paths, Report, Rollback};
use crate::deploy::{self, Candidate, SerialRules};
use crate::diagnostic::{self, Severity};
use crate::inventory::deploy::{DeployTarget, zone_file_name};
use crate::render::{self, DEFAULT_FUEL, DEFAULT_TEMPLATE, RenderOptions};

/// Options of `zonegate deploy`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// CMDB export overriding the configured one.
    pub cmdb: Option<PathBuf>,
    /// Deploy only these targets (all when empty).
    pub targets: Vec<String>,
    /// Print the plan and stop.
    pub dry_run: bool,
    /// Refuse instead of waiting when another deploy holds a target's lock.
    pub no_wait: bool,
}

/// Runs `deploy`.
pub fn run(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let checked = load_and_check(context, options.cmdb.as_deref())
        .map_err(|error| print_input_errors(error, err))?;
    let inventory = &checked.inventory;
    print_human(err, &checked.diagnostics, &inventory.sources)?;
    if diagnostic::has_errors(&checked.diagnostics) {
        let errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        writeln!(
            err,
            "deploy refused: {errors} error(s) found by check; nothing was deployed"
        )?;
        return Ok(Outcome::Findings);
    }
    // INTEGRATION POINT (assertions, issue 4): run `assertions/` against the in-memory resolver
    // here and refuse on any failure, as `zonegate test` does. Until the runner is merged the
    // step is reported as not run, never as passed.
    if !context.quiet {
        writeln!(
            err,
            "assertions: not run before deploying (this build has no assertion runner yet)"
        )?;
    }

    let settings = &inventory.settings.deploy;
    let targets: Vec<&DeployTarget> = settings
        .targets
        .iter()
        .filter(|target| options.targets.is_empty() || options.targets.contains(&target.name))
        .collect();
    if let Some(unknown) = options
        .targets
        .iter()
        .find(|name| !settings.targets.iter().any(|target| target.name == **name))
    {
        return Err(Error::Usage(format!(
            "no deploy target named `{unknown}` in zones/zonegate.yaml (configured: {})",
            settings
                .targets
                .iter()
                .map(|target| target.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if targets.is_empty() {
        return Err(Error::Usage(
            "no deploy targets: add `deploy: { targets: [...] }` to zones/zonegate.yaml (see docs/formats.md)".to_owned(),
        ));
    }

    let (template, template_name) = match &inventory.template {
        Some((file, text)) => (
            text.as_str(),
            inventory.sources.path(*file).display().to_string(),
        ),
        None => (DEFAULT_TEMPLATE, "built-in zone.j2".to_owned()),
    };
    let render_options = RenderOptions {
        default_ttl: inventory.settings.ttl.default,
        template,
        fuel: DEFAULT_FUEL,
        template_name: &template_name,
    };
    let hashes: Vec<[u8; 32]> = checked
        .zones
        .zones
        .par_iter()
        .map(|zone| render::content_hash(zone, &render_options))
        .collect();
    let indexes: std::collections::HashMap<String, usize> = checked
        .zones
        .zones
        .iter()
        .enumerate()
        .map(|(index, zone)| (zone.origin.to_string(), index))
        .collect();
    let rules = SerialRules {
        policy: inventory.settings.serial,
        stale: settings.stale_serial,
        clock: context.clock,
    };

    // INTEGRATION POINT (assertions, issue 4): run `assertions/` against `server` (the live
    // backend of `zonegate test --server`) and return Passed/Failed. Until the runner is merged
    // the step is reported as not run, never as passed.
    let live = |_server: SocketAddr| {
        LiveVerdict::NotRun("this build has no assertion runner yet".to_owned())
    };

    for target in targets {
        let paths = Paths::new(target, &context.root);
        let candidates: Vec<Candidate> = checked
            .zones
            .zones
            .iter()
            .zip(&hashes)
            .map(|(zone, hash)| {
                let origin = zone.origin.to_string();
                Candidate {
                    file: zone_file_name(&target.file_name, &origin),
                    origin,
                    content_hash: render::hex(hash),
                }
            })
            .collect();
        let origins: Vec<(String, String)> = candidates
            .iter()
            .map(|candidate| (candidate.origin.clone(), candidate.file.clone()))
            .collect();
        writeln!(out, "{}", describe_target(target, &paths))?;

        let lock = if options.dry_run {
            None
        } else {
            let lock = target::lock(target, &paths, !options.no_wait, |holder| {
                let _ = writeln!(
                    err,
                    "{}: another deploy is running ({holder}); waiting for it to finish",
                    target.name
                );
            });
            let lock = match lock {
                Ok(lock) => lock,
                Err(error @ target::Error::Busy { .. }) => {
                    writeln!(out, "deploy to {} refused: {error}", target.name)?;
                    return Ok(Outcome::Findings);
                }
                Err(error) => return Err(error.into()),
            };
            if let Some(rollback) = lock.recover(target, err)? {
                writeln!(out, "  recovered an interrupted deploy:")?;
                write_rollback(out, &rollback)?;
                if !rollback.problems.is_empty() {
                    writeln!(
                        out,
                        "deploy to {} stopped: the interrupted deploy could not be rolled back completely",
                        target.name
                    )?;
                    return Ok(Outcome::Findings);
                }
            }
            Some(lock)
        };

        let deployed = target::read_deployed(target, &paths, &origins)?;
        let plan = deploy::plan(&deployed, &candidates, rules);
        write!(out, "{}", plan.describe())?;
        let unsafe_plan = plan.check_safety(&target.name, target.span);
        if !unsafe_plan.is_empty() {
            print_human(out, &unsafe_plan, &inventory.sources)?;
            writeln!(
                out,
                "deploy to {} refused: the plan is unsafe; nothing was written",
                target.name
            )?;
            return Ok(Outcome::Findings);
        }
        let Some(lock) = lock else {
            if paths.state_directory.join("journal.json").exists() {
                writeln!(
                    out,
                    "  note: an interrupted deploy's journal is present; a real run rolls it back first"
                )?;
            }
            writeln!(
                out,
                "dry run: {} zone(s) would be written to {}",
                plan.changes().count(),
                target.name
            )?;
            continue;
        };

        let index_of = |origin: &str| {
            *indexes
                .get(origin)
                .expect("every planned zone was rendered")
        };
        let zones: Vec<NewZone> = plan
            .changes()
            .map(|planned| NewZone {
                planned: planned.clone(),
                content_hash: render::hex(&hashes[index_of(&planned.origin)]),
            })
            .collect();
        // Streams each zone from the model into its staged file.
        let write_zone = |planned: &deploy::PlannedZone, file: &mut dyn std::io::Write| {
            let index = index_of(&planned.origin);
            render::write(
                &checked.zones.zones[index],
                planned.serial,
                &hashes[index],
                &render_options,
                file,
            )
            .map_err(|error| {
                let mut text = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    let _ = write!(text, ": {cause}");
                    source = cause.source();
                }
                text
            })
        };
        let report = lock.apply(target, &plan, &zones, &write_zone, Some(&live), err)?;
        write_report(out, &target.name, &report)?;
        if !report.succeeded() {
            return Ok(Outcome::Findings);
        }
    }
    Ok(Outcome::Clean)
}

fn describe_target(target: &DeployTarget, paths: &Paths) -> String {
    let mut text = format!("target {} ({}", target.name, target.kind.as_str());
    if let Some(server) = target.server {
        let _ = write!(text, ", server {server}");
    }
    let _ = write!(text, ", zones in {})", paths.zone_directory.display());
    text
}

fn write_report(out: &mut dyn Write, name: &str, report: &Report) -> std::io::Result<()> {
    for step in &report.steps {
        writeln!(out, "  ok: {step}")?;
    }
    let Some(failure) = &report.failure else {
        return writeln!(out, "deploy to {name} succeeded");
    };
    writeln!(out, "  FAILED: {failure}")?;
    let complete = report
        .rollback
        .as_ref()
        .is_some_and(|r| r.problems.is_empty());
    if let Some(rollback) = &report.rollback {
        write_rollback(out, rollback)?;
    }
    if complete {
        writeln!(
            out,
            "deploy to {name} failed; the previous zones were restored"
        )
    } else {
        writeln!(
            out,
            "deploy to {name} failed, and the rollback is incomplete: check the server"
        )
    }
}

fn write_rollback(out: &mut dyn Write, rollback: &Rollback) -> std::io::Result<()> {
    for step in &rollback.steps {
        writeln!(out, "  rollback: {step}")?;
    }
    for problem in &rollback.problems {
        writeln!(out, "  rollback problem: {problem}")?;
    }
    Ok(())
}
