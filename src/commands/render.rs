//! `zonegate render`: check, then write the zone files and manifest atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{Context, Error, Outcome, load_and_check, print_human, print_input_errors};
use crate::diagnostic::{self, Severity};
use crate::inventory::Inventory;
use crate::model::zone::Zone;
use crate::output::{self, Manifest, ManifestZone, Published, ZoneFile};
use crate::render::{self, DEFAULT_FUEL, DEFAULT_TEMPLATE, RenderOptions};
use crate::serial::{self, Clock};

/// Options of `zonegate render`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Output directory; `None` for the configured one.
    pub output: Option<PathBuf>,
    /// CMDB export overriding the configured one.
    pub cmdb: Option<PathBuf>,
    /// Print the manifest as JSON instead of the human summary.
    pub json: bool,
}

/// Runs `render`.
pub fn run(
    context: &Context,
    options: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let checked = load_and_check(context, options.cmdb.as_deref())
        .map_err(|error| print_input_errors(error, err))?;
    let sources = &checked.inventory.sources;
    print_human(err, &checked.diagnostics, sources)?;
    if diagnostic::has_errors(&checked.diagnostics) {
        let errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        writeln!(
            err,
            "render refused: {errors} error(s) found by check; nothing was written"
        )?;
        return Ok(Outcome::Findings);
    }

    let directory = options
        .output
        .clone()
        .unwrap_or_else(|| context.root.join(&checked.inventory.settings.output));
    // Render before taking the lock, so a template that fails leaves nothing behind, not even
    // the lock file. The previous manifest (which decides the serials) is read again under the
    // lock, and the zones rendered again in the rare case another run published in between.
    let unlocked_previous = output::read_manifest(&directory)?;
    let (mut files, mut manifest) = render_all(
        &checked.inventory,
        &checked.zones,
        unlocked_previous.as_ref(),
        context.clock,
    )?;
    let lock = output::lock(&directory, || {
        let _ = writeln!(
            err,
            "waiting for another zonegate run to finish with {}",
            directory.display()
        );
    })?;
    let previous = lock.previous_manifest()?;
    if previous != unlocked_previous {
        (files, manifest) = render_all(
            &checked.inventory,
            &checked.zones,
            previous.as_ref(),
            context.clock,
        )?;
    }
    let published = lock.publish(&files, &manifest)?;

    if options.json {
        let written = match &published {
            Published::Unchanged => Vec::new(),
            Published::Replaced { written } => written.clone(),
        };
        let report =
            serde_json::json!({ "directory": directory, "manifest": manifest, "written": written });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).expect("JSON values serialise")
        )?;
    } else if !context.quiet {
        write_summary(out, &directory, &manifest, &published)?;
    }
    Ok(Outcome::Clean)
}

/// Renders every zone (in parallel) and builds the manifest. Serials: a zone whose content hash
/// equals the previous manifest's keeps its serial; a changed or new one gets the next serial
/// under the configured policy.
pub fn render_all(
    inventory: &Inventory,
    zones: &crate::model::zone::ZoneSet,
    previous: Option<&Manifest>,
    clock: Clock,
) -> Result<(Vec<ZoneFile>, Manifest), Error> {
    let (template, template_name) = match &inventory.template {
        Some((file, text)) => (
            text.as_str(),
            inventory.sources.path(*file).display().to_string(),
        ),
        None => (DEFAULT_TEMPLATE, "built-in zone.j2".to_owned()),
    };
    let options = RenderOptions {
        default_ttl: inventory.settings.ttl.default,
        template,
        fuel: DEFAULT_FUEL,
        template_name: &template_name,
    };
    let rendered: Vec<(ZoneFile, ManifestZone)> = zones
        .zones
        .par_iter()
        .map(|zone| render_zone(zone, previous, inventory.settings.serial, clock, &options))
        .collect::<Result<_, _>>()?;
    let (files, entries): (Vec<ZoneFile>, Vec<ManifestZone>) = rendered.into_iter().unzip();
    let manifest = Manifest {
        generator: format!("zonegate {}", env!("CARGO_PKG_VERSION")),
        zones: entries,
    };
    Ok((files, manifest))
}

fn render_zone(
    zone: &Zone,
    previous: Option<&Manifest>,
    policy: crate::inventory::SerialPolicy,
    clock: Clock,
    options: &RenderOptions<'_>,
) -> Result<(ZoneFile, ManifestZone), Error> {
    let origin = zone.origin.to_string();
    let body = render::body(zone, options);
    let content_hash = render::hex(&body.content_hash);
    let previous_entry =
        previous.and_then(|manifest| manifest.zones.iter().find(|entry| entry.origin == origin));
    let serial = match previous_entry {
        Some(entry) if entry.content_hash == content_hash => entry.serial,
        Some(entry) => serial::next(Some(entry.serial), policy, clock),
        None => serial::next(None, policy, clock),
    };
    let text = render::render(zone, serial, &body, options)?;
    drop(body);
    let mut by_type = BTreeMap::new();
    for rrset in zone.rrsets() {
        *by_type
            .entry(rrset[0].record_type().as_str().to_owned())
            .or_insert(0) += rrset.len();
    }
    let file = ManifestZone::file_name(&origin);
    let entry = ManifestZone {
        origin,
        file: file.clone(),
        serial,
        records: zone.records.len(),
        by_type,
        bytes: text.len() as u64,
        content_hash,
        sha256: render::hex(&Sha256::digest(text.as_bytes())),
    };
    Ok((ZoneFile { file, text }, entry))
}

fn write_summary(
    out: &mut dyn Write,
    directory: &std::path::Path,
    manifest: &Manifest,
    published: &Published,
) -> std::io::Result<()> {
    let width = manifest
        .zones
        .iter()
        .map(|zone| zone.origin.len())
        .max()
        .unwrap_or(0);
    for zone in &manifest.zones {
        let state = match published {
            Published::Replaced { written } if written.contains(&zone.file) => "written",
            _ => "unchanged",
        };
        writeln!(
            out,
            "{:<width$}  {:>9} records  serial {:>10}  {state}",
            zone.origin, zone.records, zone.serial
        )?;
    }
    match published {
        Published::Unchanged => {
            writeln!(out, "{}: up to date, nothing written", directory.display())
        }
        Published::Replaced { written } => writeln!(
            out,
            "{}: {} zone file(s) written, {} unchanged",
            directory.display(),
            written.len(),
            manifest.zones.len() - written.len()
        ),
    }
}
