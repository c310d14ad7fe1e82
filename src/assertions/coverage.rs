//! Coverage (pure): which services, datacenters and hand-edited records the suite touches.
//!
//! A record is *touched* when it appears in any section of the model's answer to any query an
//! assertion sent (its own query and the follow-ups of `resolves_to`, `targets_resolve` and
//! `none_in`). A service is touched when one of its SRV records is, or an assertion's
//! `covers_role` names its role; a datacenter when a record generated for it (an SRV RRset there,
//! a host's address) is, or `covers_role` names it. Coverage is computed on the model even when the
//! assertions ran against a live server, because only the model knows where a record came from.

use std::collections::HashSet;

use rayon::prelude::*;

use super::resolver::Resolver;
use super::{Assertion, Expectation, Outcome};
use crate::diagnostic::Span;
use crate::inventory::Inventory;
use crate::model::record::{Origin, Provenance, Record};

/// What the suite touches.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Coverage {
    /// Every service, by name, and whether it is touched.
    pub services: Vec<Covered>,
    /// Every datacenter, and whether it is touched.
    pub datacenters: Vec<Covered>,
    /// Every hand-edited record, and whether it is touched.
    pub records: Vec<CoveredRecord>,
}

/// A service or datacenter.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Covered {
    /// Its name.
    pub name: String,
    /// Touched by at least one assertion.
    pub covered: bool,
}

/// A hand-edited record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CoveredRecord {
    /// `owner TTL TYPE data`.
    pub record: String,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
    /// Touched by at least one assertion.
    pub covered: bool,
}

impl Coverage {
    /// (covered, total) for services, datacenters and records.
    pub fn totals(&self) -> [(usize, usize); 3] {
        let count = |items: &mut dyn Iterator<Item = bool>| {
            items.fold((0, 0), |(covered, total), item| {
                (covered + usize::from(item), total + 1)
            })
        };
        [
            count(&mut self.services.iter().map(|item| item.covered)),
            count(&mut self.datacenters.iter().map(|item| item.covered)),
            count(&mut self.records.iter().map(|item| item.covered)),
        ]
    }
}

/// Computes coverage of `assertions` (with the queries recorded in `outcomes`).
pub fn compute(
    resolver: &Resolver<'_>,
    inventory: &Inventory,
    assertions: &[Assertion],
    outcomes: &[Outcome],
) -> Coverage {
    let touched: HashSet<Provenance> = outcomes
        .par_iter()
        .fold(HashSet::new, |mut touched, outcome| {
            for (name, record_type) in &outcome.queries {
                let answer = resolver.answer(name, *record_type);
                for record in answer
                    .answer
                    .iter()
                    .chain(&answer.authority)
                    .chain(&answer.additional)
                {
                    if let Some(provenance) = record.provenance {
                        touched.insert(provenance);
                    }
                }
            }
            touched
        })
        .reduce(HashSet::new, |mut all, part| {
            all.extend(part);
            all
        });
    let settings = &inventory.settings;
    let mut services = vec![false; inventory.services.len()];
    let mut datacenters = vec![false; settings.datacenters.len()];
    let mut records = HashSet::new();
    for provenance in &touched {
        match provenance.origin {
            Origin::Service {
                service,
                datacenter,
                ..
            } => {
                services[service as usize] = true;
                if let Some(dc) = datacenter {
                    datacenters[dc as usize] = true;
                }
            }
            Origin::Host(host) => {
                if let Some(dc) = settings
                    .datacenters
                    .iter()
                    .position(|dc| dc.name == inventory.hosts[host as usize].datacenter)
                {
                    datacenters[dc] = true;
                }
            }
            Origin::HandEdited => {
                records.insert(provenance.span);
            }
            Origin::Settings => {}
        }
    }
    for assertion in assertions {
        if let Expectation::Records(expectation) = &assertion.expect
            && let Some(covers) = &expectation.covers_role
        {
            for (index, service) in inventory.services.iter().enumerate() {
                if service.role == covers.role {
                    services[index] = true;
                }
            }
            for (index, dc) in settings.datacenters.iter().enumerate() {
                if covers
                    .datacenter
                    .as_ref()
                    .is_none_or(|name| *name == dc.name)
                {
                    datacenters[index] = true;
                }
            }
        }
    }
    let mut hand_edited: Vec<&Record> = resolver
        .zones()
        .zones
        .iter()
        .flat_map(|zone| &zone.records)
        .filter(|record| record.provenance.origin == Origin::HandEdited)
        .collect();
    hand_edited.sort_by_key(|record| record.provenance.span);
    Coverage {
        services: inventory
            .services
            .iter()
            .zip(services)
            .map(|(service, covered)| Covered {
                name: service.name.clone(),
                covered,
            })
            .collect(),
        datacenters: settings
            .datacenters
            .iter()
            .zip(datacenters)
            .map(|(dc, covered)| Covered {
                name: dc.name.clone(),
                covered,
            })
            .collect(),
        records: hand_edited
            .into_iter()
            .map(|record| CoveredRecord {
                record: super::record_text(&super::resolver::ResponseRecord {
                    owner: record.name.clone(),
                    ttl: record.ttl,
                    data: std::borrow::Cow::Borrowed(&record.data),
                    provenance: None,
                }),
                span: record.provenance.span,
                covered: records.contains(&record.provenance.span),
            })
            .collect(),
    }
}
