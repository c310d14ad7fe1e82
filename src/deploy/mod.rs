//! Stage 7: deploying zones to authoritative servers.
//!
//! This module is the pure half (STYLE.md habit 10: plan, check safety, then apply). [`plan`]
//! compares what is deployed now ([`Deployed`]: what zonegate installed last time, the file on
//! disk, the serial the server serves) with the zones just rendered ([`Candidate`]) and decides,
//! per zone, whether to write it and with which SOA serial. [`Plan::check_safety`] turns unsafe
//! decisions into diagnostics. `--dry-run` prints the same [`Plan`] the real run applies.
//!
//! No IO, no clock: the serial policy and the moment of the run come in as arguments. The IO
//! half lives in [`target`] (files, lock, journal, commands) and [`dns`] (SOA queries, NOTIFY).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Span};
use crate::inventory::SerialPolicy;
use crate::inventory::deploy::StaleSerial;
use crate::rules::deploy::SERIAL_NOT_GREATER;
use crate::serial::{self, Clock};

pub mod dns;
pub mod target;

/// What zonegate installed on a target by its last successful deploy, per zone (`deployed.json`
/// in the target's state directory).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// One entry per zone ever installed, by origin.
    pub zones: Vec<InstalledZone>,
}

/// One zone as zonegate installed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledZone {
    /// Origin, absolute.
    pub origin: String,
    /// File name in the zone directory.
    pub file: String,
    /// The serial in the installed file.
    pub serial: u32,
    /// The highest serial zonegate ever wrote for this zone (a rolled-back deploy may have
    /// served it, and a secondary may hold it), so the next serial is chosen past it.
    pub highest_serial: u32,
    /// Hash of the content without the serial (as in `manifest.json`).
    pub content_hash: String,
    /// SHA-256 (hex) of the installed file.
    pub sha256: String,
}

/// What the server says about a zone right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Served {
    /// The server answers authoritatively with this SOA serial.
    Serial(u32),
    /// The server does not serve the zone (the answer, e.g. `REFUSED` or `SERVFAIL`).
    NotServed(String),
    /// The target has no server to ask (`kind: dir` without `server`).
    Unknown,
}

/// The deployed side of one zone, as read by the IO half.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployedZone {
    /// Origin, absolute.
    pub origin: String,
    /// What zonegate installed last time, if ever.
    pub installed: Option<InstalledZone>,
    /// SHA-256 (hex) of the zone file now in the zone directory, `None` when absent.
    pub file_sha256: Option<String>,
    /// What the server serves.
    pub served: Served,
}

/// Everything deployed on one target, by zone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deployed {
    /// Zones, for every zone rendered now and every zone installed before.
    pub zones: Vec<DeployedZone>,
}

impl Deployed {
    fn zone(&self, origin: &str) -> Option<&DeployedZone> {
        self.zones.iter().find(|zone| zone.origin == origin)
    }
}

/// A rendered zone, before its serial is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Origin, absolute.
    pub origin: String,
    /// File name in the target's zone directory.
    pub file: String,
    /// Hash of everything but the serial.
    pub content_hash: String,
}

/// How serials are chosen.
#[derive(Clone, Copy, Debug)]
pub struct SerialRules {
    /// The repository's serial policy (`serial:` in zonegate.yaml).
    pub policy: SerialPolicy,
    /// What to do when the served serial is not behind.
    pub stale: StaleSerial,
    /// The moment of the run.
    pub clock: Clock,
}

/// What to do with one zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Installed, on disk and served as rendered: nothing to do.
    Unchanged,
    /// Not installed by zonegate before: write it.
    Create,
    /// The content changed: write it with a new serial.
    Update,
    /// The content did not change but the deployed side drifted (the file was edited, or the
    /// server serves another serial): write it again with a new serial.
    Repair(String),
}

/// The decision for one zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedZone {
    /// Origin, absolute.
    pub origin: String,
    /// File name in the zone directory.
    pub file: String,
    /// What to do.
    pub action: Action,
    /// What the server serves now.
    pub served: Served,
    /// The serial zonegate installed last time.
    pub installed_serial: Option<u32>,
    /// The serial to install (the installed one when unchanged).
    pub serial: u32,
    /// The serial was moved past the served one (`stale_serial: bump`).
    pub bumped: bool,
    /// The serial is not greater than the served one and the policy is `refuse`.
    pub stale: bool,
}

impl PlannedZone {
    /// The zone will be written.
    pub fn writes(&self) -> bool {
        self.action != Action::Unchanged
    }
}

/// The plan for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Every rendered zone, in rendering order.
    pub zones: Vec<PlannedZone>,
    /// Zones zonegate installed before that are no longer configured; left in place.
    pub orphans: Vec<String>,
}

/// Decides what to write, with which serials.
///
/// A zone needs writing when zonegate never installed it, its content changed, its file was
/// changed behind zonegate's back, or the server serves a serial other than the installed one.
/// Its serial is the policy's next serial after the highest serial zonegate ever wrote for it
/// (so a secondary that took a rolled-back serial still sees the next one as newer), and must
/// be greater than the served serial in RFC 1982 arithmetic; when it is not, `stale: bump`
/// moves it past the served one and `stale: refuse` marks the zone for
/// [`Plan::check_safety`].
pub fn plan(deployed: &Deployed, candidates: &[Candidate], rules: SerialRules) -> Plan {
    let zones = candidates
        .iter()
        .map(|candidate| plan_zone(deployed.zone(&candidate.origin), candidate, rules))
        .collect();
    let orphans = deployed
        .zones
        .iter()
        .filter(|zone| zone.installed.is_some())
        .filter(|zone| !candidates.iter().any(|c| c.origin == zone.origin))
        .map(|zone| zone.origin.clone())
        .collect();
    Plan { zones, orphans }
}

fn plan_zone(
    deployed: Option<&DeployedZone>,
    candidate: &Candidate,
    rules: SerialRules,
) -> PlannedZone {
    let served = deployed.map_or(Served::Unknown, |zone| zone.served.clone());
    let installed = deployed.and_then(|zone| zone.installed.as_ref());
    let file_sha256 = deployed.and_then(|zone| zone.file_sha256.as_deref());
    let action = match installed {
        None => Action::Create,
        Some(installed) if installed.content_hash != candidate.content_hash => Action::Update,
        Some(installed) if installed.file != candidate.file => {
            Action::Repair(format!("the file name changed from {}", installed.file))
        }
        Some(installed) if file_sha256 != Some(installed.sha256.as_str()) => {
            Action::Repair(if file_sha256.is_none() {
                "the zone file is missing".to_owned()
            } else {
                "the zone file was changed outside zonegate".to_owned()
            })
        }
        Some(installed) => match &served {
            Served::Serial(serial) if *serial != installed.serial => Action::Repair(format!(
                "the server serves serial {serial}, zonegate installed {}",
                installed.serial
            )),
            Served::NotServed(answer) => {
                Action::Repair(format!("the server does not serve the zone ({answer})"))
            }
            Served::Serial(_) | Served::Unknown => Action::Unchanged,
        },
    };
    let installed_serial = installed.map(|zone| zone.serial);
    let mut zone = PlannedZone {
        origin: candidate.origin.clone(),
        file: candidate.file.clone(),
        action,
        served: served.clone(),
        installed_serial,
        serial: installed_serial.unwrap_or(0),
        bumped: false,
        stale: false,
    };
    if !zone.writes() {
        return zone;
    }
    let highest = installed.map(|zone| zone.highest_serial);
    zone.serial = serial::next(highest, rules.policy, rules.clock);
    if let Served::Serial(served) = served
        && !serial::is_greater(zone.serial, served)
    {
        match rules.stale {
            StaleSerial::Bump => {
                zone.serial = serial::next(Some(served), rules.policy, rules.clock);
                zone.bumped = true;
            }
            StaleSerial::Refuse => zone.stale = true,
        }
    }
    zone
}

impl Plan {
    /// The zones that will be written.
    pub fn changes(&self) -> impl Iterator<Item = &PlannedZone> {
        self.zones.iter().filter(|zone| zone.writes())
    }

    /// Unsafe decisions as diagnostics, located at the target's entry in zonegate.yaml:
    /// `serial-not-greater` for a zone whose new serial would not be greater than the served
    /// one (RFC 1982 §3.2) under `stale_serial: refuse`. Secondaries ignore a NOTIFY for a
    /// serial that is not newer (RFC 1996 §3.11), so installing it would leave them stale.
    pub fn check_safety(&self, target: &str, span: Span) -> Vec<Diagnostic> {
        self.zones
            .iter()
            .filter(|zone| zone.stale)
            .map(|zone| {
                let served = match zone.served {
                    Served::Serial(serial) => serial,
                    _ => 0,
                };
                Diagnostic::error(
                    SERIAL_NOT_GREATER,
                    Some(span),
                    format!(
                        "{}: target `{target}` serves serial {served}, and the new serial {} is not greater",
                        zone.origin, zone.serial
                    ),
                )
                .with_hint("someone else changed the zone on the server, or serials went backwards; check the server, then deploy again")
                .with_hint("`deploy: { stale_serial: bump }` in zones/zonegate.yaml picks a serial past the served one instead")
            })
            .collect()
    }

    /// The plan as a table, one zone per line (the `--dry-run` output and the header of a real
    /// run's report).
    pub fn describe(&self) -> String {
        let width = self
            .zones
            .iter()
            .map(|zone| zone.origin.len())
            .max()
            .unwrap_or(0);
        let mut text = String::new();
        for zone in &self.zones {
            let served = match &zone.served {
                Served::Serial(serial) => format!("served {serial}"),
                Served::NotServed(answer) => format!("not served ({answer})"),
                Served::Unknown => "served ?".to_owned(),
            };
            let (verb, detail) = match &zone.action {
                Action::Unchanged => ("unchanged", String::new()),
                Action::Create => ("create", String::new()),
                Action::Update => ("update", String::new()),
                Action::Repair(reason) => ("repair", format!("  ({reason})")),
            };
            let _ = write!(text, "  {verb:<9}  {:<width$}  {served}", zone.origin);
            if zone.writes() {
                let _ = write!(text, " -> {}", zone.serial);
            }
            if zone.bumped {
                text.push_str("  (bumped past the served serial)");
            }
            if zone.stale {
                text.push_str("  (REFUSED: not greater than the served serial)");
            }
            text.push_str(&detail);
            text.push('\n');
        }
        for orphan in &self.orphans {
            let _ = writeln!(
                text,
                "  orphan     {orphan:<width$}  no longer configured; left in place"
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{FileId, SourceMap};

    const RULES: SerialRules = SerialRules {
        policy: SerialPolicy::Counter,
        stale: StaleSerial::Refuse,
        clock: Clock {
            unix_seconds: 1_795_564_800,
        },
    };

    fn candidate(origin: &str, hash: &str) -> Candidate {
        Candidate {
            origin: origin.into(),
            file: format!("{origin}zone"),
            content_hash: hash.into(),
        }
    }

    fn installed(origin: &str, serial: u32, hash: &str) -> DeployedZone {
        DeployedZone {
            origin: origin.into(),
            installed: Some(InstalledZone {
                origin: origin.into(),
                file: format!("{origin}zone"),
                serial,
                highest_serial: serial,
                content_hash: hash.into(),
                sha256: format!("sha-{serial}"),
            }),
            file_sha256: Some(format!("sha-{serial}")),
            served: Served::Serial(serial),
        }
    }

    fn check(deployed: Vec<DeployedZone>, candidates: &[Candidate], rules: SerialRules) -> String {
        let plan = plan(&Deployed { zones: deployed }, candidates, rules);
        let mut sources = SourceMap::default();
        let file = sources.add("zones/zonegate.yaml");
        let mut text = plan.describe();
        for diagnostic in plan.check_safety("primary", Span::new(file, 12, 7)) {
            let _ = writeln!(text, "{}", diagnostic.display(&sources));
        }
        text
    }

    #[test]
    fn first_deploy_creates_every_zone() {
        let not_served = DeployedZone {
            origin: "b.example.".into(),
            installed: None,
            file_sha256: None,
            served: Served::NotServed("REFUSED".into()),
        };
        insta::assert_snapshot!(check(vec![not_served], &[candidate("a.example.", "x"), candidate("b.example.", "y")], RULES), @r"
          create     a.example.  served ? -> 1
          create     b.example.  not served (REFUSED) -> 1
        ");
    }

    #[test]
    fn only_changed_zones_are_written_with_the_next_serial() {
        let mut drifted = installed("c.example.", 9, "z");
        drifted.file_sha256 = Some("edited".into());
        let mut behind = installed("d.example.", 4, "w");
        behind.served = Served::Serial(3);
        insta::assert_snapshot!(check(
            vec![installed("a.example.", 7, "x"), installed("b.example.", 7, "old"), drifted, behind, installed("gone.example.", 1, "q")],
            &[candidate("a.example.", "x"), candidate("b.example.", "new"), candidate("c.example.", "z"), candidate("d.example.", "w")],
            RULES,
        ), @r"
          unchanged  a.example.  served 7
          update     b.example.  served 7 -> 8
          repair     c.example.  served 9 -> 10  (the zone file was changed outside zonegate)
          repair     d.example.  served 3 -> 5  (the server serves serial 3, zonegate installed 4)
          orphan     gone.example.  no longer configured; left in place
        ");
    }

    #[test]
    fn a_served_serial_ahead_is_refused_or_bumped() {
        let mut ahead = installed("a.example.", 7, "old");
        ahead.served = Served::Serial(100);
        let candidates = [candidate("a.example.", "new")];
        insta::assert_snapshot!(check(vec![ahead.clone()], &candidates, RULES), @r"
          update     a.example.  served 100 -> 8  (REFUSED: not greater than the served serial)
        zones/zonegate.yaml:12:7: error[serial-not-greater]: a.example.: target `primary` serves serial 100, and the new serial 8 is not greater
          hint: someone else changed the zone on the server, or serials went backwards; check the server, then deploy again
          hint: `deploy: { stale_serial: bump }` in zones/zonegate.yaml picks a serial past the served one instead
        ");
        let bump = SerialRules {
            stale: StaleSerial::Bump,
            ..RULES
        };
        insta::assert_snapshot!(check(vec![ahead], &candidates, bump), @"  update     a.example.  served 100 -> 101  (bumped past the served serial)");
    }

    #[test]
    fn serials_after_a_rollback_pass_the_highest_written() {
        // A deploy of serial 8 was rolled back: 7 is served again, but a secondary may hold 8.
        let mut rolled_back = installed("a.example.", 7, "old");
        rolled_back.installed.as_mut().unwrap().highest_serial = 8;
        let plan = plan(
            &Deployed {
                zones: vec![rolled_back],
            },
            &[candidate("a.example.", "new")],
            RULES,
        );
        assert_eq!(plan.zones[0].serial, 9);
    }

    #[test]
    fn rfc_1982_wrap_around_counts_as_greater() {
        let mut zone = installed("a.example.", u32::MAX, "old");
        zone.served = Served::Serial(u32::MAX);
        let plan = plan(
            &Deployed { zones: vec![zone] },
            &[candidate("a.example.", "new")],
            RULES,
        );
        assert_eq!(plan.zones[0].serial, 0);
        assert!(
            !plan.zones[0].stale,
            "0 follows 4294967295 in serial arithmetic"
        );
        assert!(
            plan.check_safety("t", Span::new(FileId(0), 1, 1))
                .is_empty()
        );
    }
}
