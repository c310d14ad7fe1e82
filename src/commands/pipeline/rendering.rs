//! Render + verify + publish, as the commands run them: [`plan`] the serials from content
//! hashes, [`publish`] the set into the output directory (every zone read back as it is
//! written), [`verify_templates`] (render into a sink and read back: the template check of
//! `check`, `deploy` and the bot), [`render_all`] into memory.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::commands::Error;
use crate::diagnostic::Diagnostic;
use crate::dns::record_type::RecordType;
use crate::inventory::Inventory;
use crate::model::zone::ZoneSet;
use crate::output::{self, Held, Manifest, ManifestZone, Published, Repaired, ZoneFile};
use crate::render::{
    self, Abandon, DEFAULT_TEMPLATE, RenderError, RenderOptions, TemplateError, TemplateLimits,
    TemplateProblem,
};
use crate::serial::{self, Clock};

/// What rendering will do with one zone.
#[derive(Clone, Debug)]
pub struct ZonePlan {
    /// The manifest entry: complete when the zone is unchanged (taken from the previous
    /// manifest), with `bytes` and `sha256` still to fill in when it must be rendered.
    pub entry: ManifestZone,
    /// The zone's content hash, raw.
    pub content_hash: [u8; 32],
    /// True when the previous manifest has this zone with the same content hash, so its file
    /// and serial carry over.
    pub unchanged: bool,
}

/// Decides every zone's serial from its content hash (computed from the model, in parallel):
/// a zone whose hash equals the previous manifest's keeps its serial and its file; a changed
/// or new zone gets the next serial under the configured policy (RFC 1982 arithmetic).
pub fn plan(
    inventory: &Inventory,
    zones: &ZoneSet,
    previous: Option<&Manifest>,
    clock: Clock,
) -> Vec<ZonePlan> {
    let template = Template::of(inventory);
    let options = template.options(inventory);
    zones
        .zones
        .par_iter()
        .map(|zone| {
            let origin = zone.origin.to_string();
            let content_hash = render::content_hash(zone, &options);
            let hash_text = render::hex(&content_hash);
            let previous_entry = previous
                .and_then(|manifest| manifest.zones.iter().find(|entry| entry.origin == origin));
            if let Some(entry) = previous_entry.filter(|entry| entry.content_hash == hash_text) {
                return ZonePlan {
                    entry: entry.clone(),
                    content_hash,
                    unchanged: true,
                };
            }
            let policy = inventory.settings.serial;
            let serial = serial::next(previous_entry.map(|entry| entry.serial), policy, clock);
            // Records by type: no need to group them into RRsets (which compares owners).
            let mut counts = [0_usize; RecordType::ALL.len()];
            for record in &zone.records {
                counts[record.record_type().index()] += 1;
            }
            let by_type: BTreeMap<String, usize> = RecordType::ALL
                .into_iter()
                .zip(counts)
                .filter(|(_, count)| *count > 0)
                .map(|(record_type, count)| (record_type.as_str().to_owned(), count))
                .collect();
            ZonePlan {
                entry: ManifestZone {
                    file: ManifestZone::file_name(&origin),
                    origin,
                    serial,
                    records: zone.records.len(),
                    by_type,
                    bytes: 0,
                    content_hash: hash_text,
                    sha256: String::new(),
                },
                content_hash,
                unchanged: false,
            }
        })
        .collect()
}

/// What [`publish`] did.
#[derive(Debug)]
pub enum Publication {
    /// The set is in place (written, or already there).
    Published(Manifest, Published),
    /// Some rendered zones, read back, do not hold exactly their records: nothing was written
    /// (the staging directory is gone). One finding per zone.
    Refused(Vec<Diagnostic>),
}

/// Carries the plan out: when every zone is unchanged and its file is in place, touches
/// nothing; otherwise stages a new set (unchanged files hard-linked, changed zones streamed
/// from the model and read back as they are written, in parallel) and swaps it in, unless a
/// zone's text does not hold its records.
pub fn publish(
    lock: &output::OutputLock,
    inventory: &Inventory,
    zones: &ZoneSet,
    plan: Vec<ZonePlan>,
) -> Result<Publication, Error> {
    let manifest = |entries: Vec<ManifestZone>| Manifest {
        generator: format!("zonegate {}", env!("CARGO_PKG_VERSION")),
        zones: entries,
    };
    let previous = lock.previous_manifest()?;
    // An unchanged zone's file is carried over only when it is as the manifest records it
    // (size and SHA-256, hashed once here, in parallel); otherwise it is rendered again.
    let unchanged: Vec<Option<&ManifestZone>> = plan
        .iter()
        .map(|zone| zone.unchanged.then_some(&zone.entry))
        .collect();
    let held = lock.verify(&unchanged)?;
    let all_in_place = held
        .iter()
        .all(|held| matches!(held, Some(Held::Intact(_))));
    let planned = manifest(plan.iter().map(|zone| zone.entry.clone()).collect());
    if all_in_place && previous.as_ref() == Some(&planned) {
        return Ok(Publication::Published(planned, Published::Unchanged));
    }

    let template = Template::of(inventory);
    let options = template.options(inventory);
    let staging = lock.stage()?;
    let results: Vec<Result<(ManifestZone, bool), Error>> = zones
        .zones
        .par_iter()
        .zip(plan)
        .zip(&held)
        .map(
            |((zone, planned), held)| -> Result<(ManifestZone, bool), Error> {
                let mut entry = planned.entry;
                if let Some(Held::Intact(identity)) = held
                    && staging.carry_over(&entry.file, *identity)
                {
                    return Ok((entry, false));
                }
                let written = staging.write(&entry.file, |out| {
                    render::write(zone, entry.serial, &planned.content_hash, &options, out)
                        .map_err(Error::from)
                })?;
                entry.bytes = written.bytes;
                entry.sha256 = written.sha256;
                Ok((entry, true))
            },
        )
        .collect();
    // Every zone in order: the mismatches of all of them, else the first other error in zone
    // order (a parallel `collect` into a `Result` would report whichever failed first in time).
    let (entries, refused) = sort_out(results, inventory)?;
    if !refused.is_empty() {
        return Ok(Publication::Refused(refused));
    }
    let written = entries
        .iter()
        .filter(|(_, written)| *written)
        .map(|(entry, _)| entry.file.clone())
        .collect();
    let repaired = entries
        .iter()
        .zip(held)
        .filter_map(|((entry, _), held)| match held {
            Some(Held::Damaged(damage)) => Some(Repaired {
                file: entry.file.clone(),
                damage,
            }),
            _ => None,
        })
        .collect();
    let manifest = manifest(entries.into_iter().map(|(entry, _)| entry).collect());
    staging.commit(&manifest)?;
    Ok(Publication::Published(
        manifest,
        Published::Replaced { written, repaired },
    ))
}

/// Renders every zone into a sink, reading each back as `render` does, and returns a finding
/// per zone whose text does not hold exactly its records: the template check of `check`,
/// `deploy` and the merge bot. Serials are those of a first render (the previous output is not
/// read); `render` and `deploy` read back what they write with the serials they write.
pub fn verify_templates(
    inventory: &Inventory,
    zones: &ZoneSet,
    clock: Clock,
) -> Result<Vec<Diagnostic>, Error> {
    let template = Template::of(inventory);
    let options = template.options(inventory);
    let serial = serial::next(None, inventory.settings.serial, clock);
    let results: Vec<Result<(), Error>> = zones
        .zones
        .par_iter()
        .map(|zone| {
            let hash = render::content_hash(zone, &options);
            render::write(zone, serial, &hash, &options, &mut std::io::sink()).map_err(Error::from)
        })
        .collect();
    sort_out(results, inventory).map(|(_, refused)| refused)
}

/// Splits per-zone results into the good ones and the findings of those whose rendered text
/// does not hold their records; any other error (the first, in zone order) is returned.
fn sort_out<T>(
    results: Vec<Result<T, Error>>,
    inventory: &Inventory,
) -> Result<(Vec<T>, Vec<Diagnostic>), Error> {
    let file = inventory.template.as_ref().map(|(file, _)| *file);
    let mut good = Vec::with_capacity(results.len());
    let mut refused = Vec::new();
    let mut abandoned = None;
    for result in results {
        match result {
            Ok(value) => good.push(value),
            Err(Error::Render(RenderError::Mismatch(mismatch))) => {
                refused.push(mismatch.diagnostic(file));
            }
            // Stopped because the template ran out of a budget on another zone: that zone's
            // error is the one to report.
            Err(
                error @ Error::Render(RenderError::Template(TemplateError {
                    problem: TemplateProblem::Abandoned,
                    ..
                })),
            ) => {
                abandoned.get_or_insert(error);
            }
            Err(error) => return Err(error),
        }
    }
    match abandoned {
        Some(error) => Err(error),
        None => Ok((good, refused)),
    }
}

/// Renders every zone into memory with the serials `plan` chose: for callers that need the
/// text (deploy, tests); `render` itself streams to disk.
pub fn render_all(
    inventory: &Inventory,
    zones: &ZoneSet,
    previous: Option<&Manifest>,
    clock: Clock,
) -> Result<(Vec<ZoneFile>, Manifest), Error> {
    let template = Template::of(inventory);
    let options = template.options(inventory);
    let planned = plan(inventory, zones, previous, clock);
    let rendered: Vec<(ZoneFile, ManifestZone)> = zones
        .zones
        .par_iter()
        .zip(planned)
        .map(|(zone, planned)| -> Result<_, Error> {
            let mut text = Vec::new();
            render::write(
                zone,
                planned.entry.serial,
                &planned.content_hash,
                &options,
                &mut text,
            )?;
            let mut entry = planned.entry;
            entry.bytes = text.len() as u64;
            entry.sha256 = render::hex(&Sha256::digest(&text));
            let text = String::from_utf8(text).expect("zone files are ASCII");
            Ok((
                ZoneFile {
                    file: entry.file.clone(),
                    text,
                },
                entry,
            ))
        })
        // Every zone in order, then the first error in zone order: a parallel `collect` into a
        // `Result` would report whichever zone failed first in time.
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<_, _>>()?;
    let (files, entries): (Vec<ZoneFile>, Vec<ManifestZone>) = rendered.into_iter().unzip();
    let manifest = Manifest {
        generator: format!("zonegate {}", env!("CARGO_PKG_VERSION")),
        zones: entries,
    };
    Ok((files, manifest))
}

/// The repository's template (or the built-in one), its display name, and the flag its
/// evaluations for the zones of one run share (see [`RenderOptions::abandon`]).
pub(crate) struct Template<'a> {
    text: &'a str,
    name: String,
    abandon: Arc<Abandon>,
}

impl<'a> Template<'a> {
    pub(crate) fn of(inventory: &'a Inventory) -> Self {
        match &inventory.template {
            Some((file, text)) => Self {
                text,
                name: inventory.sources.path(*file).display().to_string(),
                abandon: Arc::default(),
            },
            None => Self {
                text: DEFAULT_TEMPLATE,
                name: "built-in zone.j2".to_owned(),
                abandon: Arc::default(),
            },
        }
    }

    /// The options every command renders with: the template bounded in time by the wall clock.
    pub(crate) fn options(&self, inventory: &Inventory) -> RenderOptions<'_> {
        RenderOptions {
            default_ttl: inventory.settings.ttl.default,
            template: self.text,
            template_name: &self.name,
            limits: TemplateLimits::DEFAULT.with_clock(Instant::now),
            abandon: Some(Arc::clone(&self.abandon)),
        }
    }
}
