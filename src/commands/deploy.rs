//! `zonegate deploy`: check, plan, install on each target, verify live, roll back on failure.
//!
//! Per target: take its lock (waiting, or refusing with `--no-wait`), roll back a deploy that
//! was killed, read what is deployed (state file, zone files, served serials), [`deploy::plan`]
//! it against the rendered zones, refuse an unsafe plan, then apply it
//! ([`deploy::target::TargetLock::apply`]). `--dry-run` prints the same plan and stops before
//! taking the lock or writing anything.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use rayon::prelude::*;
use serde_json::Value;

use super::pipeline::{Template, load_and_check, verify_templates};
use super::{Context, Error, Outcome, print_human, print_input_errors};
use crate::assertions::resolver::Resolver;
use crate::assertions::{self, Verdict, live};
use crate::deploy::target::{self, LiveVerdict, NewZone, Paths, Report, Rollback};
use crate::deploy::{self, Candidate, SerialRules};
use crate::diagnostic::{self, Severity};
use crate::inventory::deploy::{DeployTarget, zone_file_name};
use crate::inventory::files::Directory;
use crate::render::{self, RenderOptions};

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
    /// Print the plans and reports as one JSON document instead of text.
    pub json: bool,
    /// The most assertions `for_each` may expand to (`--max-assertions`).
    pub max_assertions: u64,
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
    // The template's text of every zone is read back before any server is touched; each
    // zone is read back again as it is written.
    let findings = verify_templates(inventory, &checked.zones, context.clock)?;
    if !findings.is_empty() {
        print_human(err, &findings, &inventory.sources)?;
        writeln!(
            err,
            "deploy refused: the rendered text of {} zone(s) does not hold exactly their records; nothing was deployed",
            findings.len()
        )?;
        return Ok(Outcome::Findings);
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

    // The assertions, first against the rendered zones in memory (as `zonegate test`): a failure
    // here refuses the deploy before any server is touched.
    let mut sources = inventory.sources.clone();
    let (assertions, mut problems) = assertions::load(
        &Directory::new(&context.root),
        inventory,
        &mut sources,
        options.max_assertions,
    )
    .map_err(Error::Read)?;
    if !problems.is_empty() {
        diagnostic::sort(&mut problems);
        print_human(err, &problems, &sources)?;
        return Err(Error::Input {
            count: problems.len(),
        });
    }
    let resolver = Resolver::new(&checked.zones);
    if assertions.is_empty() {
        if !context.quiet {
            writeln!(err, "assertions: none in {}/", assertions::spec::DIRECTORY)?;
        }
    } else {
        let mut outcomes = assertions::run(&assertions, &resolver);
        let failed = outcomes
            .iter()
            .filter(|outcome| outcome.verdict == Verdict::Fail)
            .count();
        if failed > 0 {
            assertions::explain_failures(&resolver, &mut outcomes);
            let report = assertions::report::Report {
                assertions: &assertions,
                outcomes: &outcomes,
                sources: &sources,
                backend: "the in-memory resolver",
                coverage: None,
            };
            assertions::report::human(err, &report, true)?;
            writeln!(
                err,
                "deploy refused: {failed} assertion(s) failed against the rendered zones; nothing was deployed"
            )?;
            return Ok(Outcome::Findings);
        }
        if !context.quiet {
            writeln!(
                err,
                "assertions: {} passed against the rendered zones",
                assertions.len()
            )?;
        }
    }

    let template = Template::of(inventory);
    let render_options = template.options(inventory);
    let hashes: Vec<[u8; 32]> = checked
        .zones
        .zones
        .par_iter()
        .map(|zone| render::content_hash(zone, &render_options))
        .collect();
    let indexes: HashMap<String, usize> = checked
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

    // The same assertions against the live server, once it serves the new serials.
    let live = |server: SocketAddr| live_assertions(&assertions, &sources, server);

    let shared = Shared {
        zones: &checked.zones.zones,
        hashes: &hashes,
        indexes: &indexes,
        render_options: &render_options,
        rules,
        sources: &sources,
        root: &context.root,
        live: &live,
    };
    let mut results = Vec::new();
    let mut succeeded = true;
    for target in targets {
        let mut discard = std::io::sink();
        let human: &mut dyn Write = if options.json {
            &mut discard
        } else {
            &mut *out
        };
        let (ok, json) = deploy_target(&shared, target, options, human, err)?;
        results.push(json);
        if !ok {
            succeeded = false;
            break;
        }
    }
    if options.json {
        let document = serde_json::json!({ "succeeded": succeeded, "targets": results });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&document).expect("JSON values serialise")
        )?;
    }
    Ok(if succeeded {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// What every target's deploy shares.
struct Shared<'a> {
    zones: &'a [crate::model::zone::Zone],
    hashes: &'a [[u8; 32]],
    indexes: &'a HashMap<String, usize>,
    render_options: &'a RenderOptions<'a>,
    rules: SerialRules,
    sources: &'a crate::diagnostic::SourceMap,
    root: &'a std::path::Path,
    live: target::LiveAssertions<'a>,
}

/// Deploys to one target, printing the human report to `human` as it goes; returns whether it
/// succeeded and the same report as JSON.
fn deploy_target(
    shared: &Shared<'_>,
    target: &DeployTarget,
    options: &Options,
    human: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(bool, Value), Error> {
    let paths = Paths::new(target, shared.root);
    let candidates: Vec<Candidate> = shared
        .zones
        .iter()
        .zip(shared.hashes)
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
    writeln!(human, "{}", describe_target(target, &paths))?;
    let mut json = serde_json::json!({
        "target": target.name,
        "kind": target.kind.as_str(),
        "server": target.server.map(|server| server.to_string()),
        "zone_directory": paths.zone_directory,
        "dry_run": options.dry_run,
    });

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
                writeln!(human, "deploy to {} refused: {error}", target.name)?;
                json["refused"] = Value::from(error.to_string());
                return Ok((false, json));
            }
            Err(error) => return Err(error.into()),
        };
        if let Some(rollback) = lock.recover(target, err)? {
            writeln!(human, "  recovered an interrupted deploy:")?;
            write_rollback(human, &rollback)?;
            json["recovered"] = rollback_json(&rollback);
            if !rollback.problems.is_empty() {
                writeln!(
                    human,
                    "deploy to {} stopped: the interrupted deploy could not be rolled back completely",
                    target.name
                )?;
                return Ok((false, json));
            }
        }
        Some(lock)
    };

    let deployed = target::read_deployed(target, &paths, &origins)?;
    let plan = deploy::plan(&deployed, &candidates, shared.rules);
    write!(human, "{}", plan.describe())?;
    json["plan"] = plan_json(&plan);
    let unsafe_plan = plan.check_safety(&target.name, target.span);
    if !unsafe_plan.is_empty() {
        print_human(human, &unsafe_plan, shared.sources)?;
        writeln!(
            human,
            "deploy to {} refused: the plan is unsafe; nothing was written",
            target.name
        )?;
        json["unsafe"] = unsafe_plan
            .iter()
            .map(|diagnostic| diagnostic.display(shared.sources).to_string())
            .collect();
        return Ok((false, json));
    }
    let Some(lock) = lock else {
        if paths.state_directory.join("journal.json").exists() {
            writeln!(
                human,
                "  note: an interrupted deploy's journal is present; a real run rolls it back first"
            )?;
            json["interrupted_deploy_pending"] = Value::Bool(true);
        }
        writeln!(
            human,
            "dry run: {} zone(s) would be written to {}",
            plan.changes().count(),
            target.name
        )?;
        return Ok((true, json));
    };

    let index_of = |origin: &str| {
        *shared
            .indexes
            .get(origin)
            .expect("every planned zone was rendered")
    };
    let zones: Vec<NewZone> = plan
        .changes()
        .map(|planned| NewZone {
            planned: planned.clone(),
            content_hash: render::hex(&shared.hashes[index_of(&planned.origin)]),
        })
        .collect();
    // Streams each zone from the model into its staged file.
    let write_zone = |planned: &deploy::PlannedZone, file: &mut dyn std::io::Write| {
        let index = index_of(&planned.origin);
        render::write(
            &shared.zones[index],
            planned.serial,
            &shared.hashes[index],
            shared.render_options,
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
    let report = lock.apply(target, &plan, &zones, &write_zone, Some(shared.live), err)?;
    write_report(human, &target.name, &report)?;
    json["steps"] = Value::from(report.steps.clone());
    json["notes"] = Value::from(report.notes.clone());
    json["failure"] = Value::from(report.failure.clone());
    json["rollback"] = report.rollback.as_ref().map_or(Value::Null, rollback_json);
    Ok((report.succeeded(), json))
}

/// Runs the assertions against `server` (the backend of `zonegate test --server`); a failure
/// carries the same expected-versus-actual report `zonegate test` prints.
fn live_assertions(
    assertions: &[assertions::Assertion],
    sources: &crate::diagnostic::SourceMap,
    server: SocketAddr,
) -> LiveVerdict {
    if assertions.is_empty() {
        return LiveVerdict::NotRun(format!("none in {}/", assertions::spec::DIRECTORY));
    }
    let backend = live::Server::new(server, live::Options::default());
    let outcomes = assertions::run(assertions, &backend);
    let failed = outcomes
        .iter()
        .filter(|outcome| outcome.verdict == Verdict::Fail)
        .count();
    if failed == 0 {
        return LiveVerdict::Passed {
            count: outcomes
                .iter()
                .filter(|outcome| outcome.verdict == Verdict::Pass)
                .count(),
        };
    }
    let backend_name = format!("server {server}");
    let report = assertions::report::Report {
        assertions,
        outcomes: &outcomes,
        sources,
        backend: &backend_name,
        coverage: None,
    };
    let mut text = Vec::new();
    let _ = assertions::report::human(&mut text, &report, true);
    let text = String::from_utf8_lossy(&text);
    // One block per failed assertion (its first line is not indented); the first few are
    // enough to see what went wrong, and `zonegate test --server` prints them all.
    let mut lines = Vec::new();
    let mut blocks = 0;
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        if !line.starts_with(' ') {
            blocks += 1;
        }
        if blocks <= SHOWN_FAILURES {
            lines.push(line.to_owned());
        }
    }
    if failed > SHOWN_FAILURES {
        lines.push(format!(
            "... and {} more; `zonegate test --server {server}` lists them all",
            failed - SHOWN_FAILURES
        ));
    }
    LiveVerdict::Failed { failed, lines }
}

/// How many failed live assertions a deploy report shows in full.
const SHOWN_FAILURES: usize = 3;

fn plan_json(plan: &deploy::Plan) -> Value {
    let zones: Vec<Value> = plan
        .zones
        .iter()
        .map(|zone| {
            let (action, reason) = match &zone.action {
                deploy::Action::Unchanged => ("unchanged", None),
                deploy::Action::Create => ("create", None),
                deploy::Action::Update => ("update", None),
                deploy::Action::Repair(reason) => ("repair", Some(reason.clone())),
            };
            let (served, not_served) = match &zone.served {
                deploy::Served::Serial(serial) => (Some(*serial), None),
                deploy::Served::NotServed(why) => (None, Some(why.clone())),
                deploy::Served::Unknown => (None, None),
            };
            serde_json::json!({
                "origin": zone.origin,
                "file": zone.file,
                "action": action,
                "reason": reason,
                "served_serial": served,
                "not_served": not_served,
                "installed_serial": zone.installed_serial,
                "serial": zone.serial,
                "bumped": zone.bumped,
                "stale": zone.stale,
            })
        })
        .collect();
    serde_json::json!({ "zones": zones, "orphans": plan.orphans })
}

fn rollback_json(rollback: &Rollback) -> Value {
    serde_json::json!({ "steps": rollback.steps, "problems": rollback.problems })
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
    for note in &report.notes {
        writeln!(out, "  note: {note}")?;
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
