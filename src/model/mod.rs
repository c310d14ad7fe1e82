//! Stage 2 (pure): the zonextgen rules, turning an [`Inventory`] into a [`ZoneSet`].
//!
//! - every host whose status is in `generate.address_statuses` gets A/AAAA at its FQDN and a PTR
//!   per address in the reverse zone covering it;
//! - every service gets an SRV RRset per datacenter that has at least one host with an SRV status
//!   carrying its role (plus a global RRset when asked);
//! - hand-edited records are added as written;
//! - each record goes to the most specific configured zone containing its owner.
//!
//! Problems in the data become [`Diagnostic`]s; the offending item is left out and the rest is
//! still built, so one run reports everything. This module does no IO and reads no clock.
//!
//! This module has [`build`], the settings' and the hand-edited records; `hosts.rs` the host
//! records, `services.rs` the SRV records.

use std::collections::HashMap;
use std::net::IpAddr;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Span};
use crate::inventory::{EntryData, Host, Inventory, WrittenName};
use crate::rules;

pub mod presentation;
pub mod record;
pub mod zone;

mod hosts;
mod services;

use crate::dns::name::{Name, NameError};
use crate::dns::record_type::RecordType;
use record::{Origin, Provenance, RData, Record, Soa};
use zone::{Zone, ZoneSet};

/// Builds the zone set, returning it with every problem found on the way.
pub fn build(inventory: &Inventory) -> (ZoneSet, Vec<Diagnostic>) {
    let mut builder = Builder::new(inventory);
    builder.settings_records();
    let fqdns = builder.host_records();
    builder.service_records(&fqdns);
    builder.hand_edited_records();
    builder.finish()
}

/// The fully-qualified name of a CMDB host: a name with dots is taken as qualified, a short one
/// becomes `<hostname>.<datacenter>.<domain>`.
pub fn host_fqdn(host: &Host, domain: &Name) -> Result<Name, NameError> {
    if host.hostname.contains('.') {
        Name::parse_fqdn(&host.hostname)
    } else {
        Name::parse_relative(&format!("{}.{}", host.hostname, host.datacenter), domain)
    }
}

/// The reverse-mapping name of an address (`4.3.2.1.in-addr.arpa.`, nibbles for IPv6).
pub fn reverse_name(address: IpAddr) -> Name {
    Name::reverse(address)
}

struct Builder<'a> {
    inventory: &'a Inventory,
    origins: Vec<Name>,
    records: Vec<Vec<Record>>,
    diagnostics: Vec<Diagnostic>,
    datacenters: HashMap<&'a str, u32>,
}

impl<'a> Builder<'a> {
    fn new(inventory: &'a Inventory) -> Self {
        let origins: Vec<Name> = inventory
            .settings
            .zones
            .iter()
            .map(|zone| zone.origin.clone())
            .collect();
        let datacenters = inventory
            .settings
            .datacenters
            .iter()
            .enumerate()
            .map(|(index, dc)| (dc.name.as_str(), index as u32))
            .collect();
        Self {
            inventory,
            records: vec![Vec::new(); origins.len()],
            origins,
            diagnostics: Vec::new(),
            datacenters,
        }
    }

    /// SOA and apex NS for every zone, and the delegation of each zone nested in another.
    fn settings_records(&mut self) {
        let settings = &self.inventory.settings;
        let soa = &settings.soa;
        for (index, zone) in settings.zones.iter().enumerate() {
            let provenance = Provenance {
                span: zone.span,
                origin: Origin::Settings,
            };
            let soa_data = Soa {
                primary: soa.primary.clone(),
                contact: soa.contact.clone(),
                refresh: soa.refresh,
                retry: soa.retry,
                expire: soa.expire,
                minimum: soa.minimum,
            };
            self.records[index].push(Record {
                name: zone.origin.clone(),
                ttl: soa.ttl,
                data: RData::Soa(Box::new(soa_data)),
                provenance,
            });
            for (nameserver, span) in &settings.nameservers {
                self.records[index].push(Record {
                    name: zone.origin.clone(),
                    ttl: settings.ttl.ns,
                    data: RData::Ns(nameserver.clone()),
                    provenance: Provenance {
                        span: *span,
                        origin: Origin::Settings,
                    },
                });
            }
        }
        // A managed zone inside another managed zone is delegated from it: without NS records
        // at the cut, the parent would answer NXDOMAIN for everything in the child (RFC 1034
        // section 4.2.1). The delegation carries the same name servers as the child's apex;
        // glue, where the servers sit inside the child, is checked by `missing-glue`.
        for (child, zone) in settings.zones.iter().enumerate() {
            let parent = self
                .origins
                .iter()
                .enumerate()
                .filter(|(index, origin)| {
                    *index != child
                        && zone.origin.is_subdomain_of(origin)
                        && zone.origin != **origin
                })
                .max_by_key(|(_, origin)| origin.label_count())
                .map(|(index, _)| index);
            let Some(parent) = parent else {
                continue;
            };
            for (nameserver, _) in &settings.nameservers {
                self.records[parent].push(Record {
                    name: zone.origin.clone(),
                    ttl: settings.ttl.ns,
                    data: RData::Ns(nameserver.clone()),
                    provenance: Provenance {
                        span: zone.span,
                        origin: Origin::Settings,
                    },
                });
            }
        }
    }

    /// Records from `zones/records/`.
    fn hand_edited_records(&mut self) {
        let inventory = self.inventory;
        let settings = &inventory.settings;
        for entry in &inventory.records {
            let name = match Name::parse_relative(&entry.name, &settings.domain) {
                Ok(name) => name,
                Err(error) => {
                    self.diagnostics.push(Diagnostic::error(
                        rules::build::INVALID_NAME,
                        Some(entry.name_span),
                        format!("record name `{}`: {error}", entry.name),
                    ));
                    continue;
                }
            };
            let Some(data) = self.entry_data(&entry.data) else {
                continue;
            };
            let ttl = entry.ttl.unwrap_or(settings.ttl.default);
            self.place(Record {
                name,
                ttl,
                data,
                provenance: Provenance {
                    span: entry.span,
                    origin: Origin::HandEdited,
                },
            });
        }
    }

    fn entry_data(&mut self, data: &EntryData) -> Option<RData> {
        Some(match data {
            EntryData::A(address) => RData::A(*address),
            EntryData::Aaaa(address) => RData::Aaaa(*address),
            EntryData::Cname(target) => RData::Cname(self.target(target)?),
            EntryData::Ns(target) => RData::Ns(self.target(target)?),
            EntryData::Ptr(target) => RData::Ptr(self.target(target)?),
            EntryData::Mx {
                preference,
                exchange,
            } => RData::Mx {
                preference: *preference,
                exchange: self.target(exchange)?,
            },
            EntryData::Srv {
                priority,
                weight,
                port,
                target,
            } => RData::Srv {
                priority: *priority,
                weight: *weight,
                port: *port,
                target: self.target(target)?,
            },
            EntryData::Txt(strings) => RData::txt(strings),
            EntryData::Caa { flags, tag, value } => RData::Caa(Box::new(record::Caa {
                flags: *flags,
                tag: tag.as_str().into(),
                value: value.as_str().into(),
            })),
        })
    }

    /// Resolves a written target. A target without a trailing dot is the classic zone-file
    /// mistake (`www.other.org` silently becoming `www.other.org.example.net.`), so it is
    /// reported; it is read relative to the domain so the rest of the run can go on.
    fn target(&mut self, written: &WrittenName) -> Option<Name> {
        let domain = &self.inventory.settings.domain;
        match Name::parse_relative(&written.text, domain) {
            Ok(name) => {
                if !written.text.ends_with('.') {
                    self.diagnostics.push(
                        Diagnostic::error(
                            rules::build::RELATIVE_TARGET,
                            Some(written.span),
                            format!(
                                "target `{}` is relative; it would be read as `{name}`",
                                written.text
                            ),
                        )
                        .with_hint(format!(
                            "write `{name}` (or `{}.` if it is already fully qualified)",
                            written.text
                        )),
                    );
                }
                Some(name)
            }
            Err(error) => {
                self.diagnostics.push(Diagnostic::error(
                    rules::build::INVALID_NAME,
                    Some(written.span),
                    format!("target `{}`: {error}", written.text),
                ));
                None
            }
        }
    }

    fn zone_index(&self, name: &Name) -> Option<usize> {
        zone_index(&self.origins, name)
    }

    /// Puts a record in the most specific zone containing its owner.
    fn place(&mut self, record: Record) {
        if let Some(index) = self.zone_index(&record.name) {
            self.records[index].push(record);
        } else {
            let outside =
                self.outside_zones(&record.name, record.record_type(), record.provenance.span);
            self.diagnostics.push(outside);
        }
    }

    /// `record-outside-zones` for a `record_type` record at `name`, written at `span`.
    fn outside_zones(&self, name: &Name, record_type: RecordType, span: Span) -> Diagnostic {
        Diagnostic::error(
            rules::build::RECORD_OUTSIDE_ZONES,
            Some(span),
            format!("{record_type} record `{name}` is in no configured zone"),
        )
        .with_hint(format!(
            "configured zones: {}",
            self.origins
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    fn datacenter_list(&self) -> String {
        self.inventory
            .settings
            .datacenters
            .iter()
            .map(|dc| dc.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn finish(self) -> (ZoneSet, Vec<Diagnostic>) {
        let built: Vec<(Zone, Vec<Record>)> = self
            .origins
            .into_par_iter()
            .zip(self.records.into_par_iter())
            .map(|(origin, records)| Zone::from_records(origin, records))
            .collect();
        let mut set = ZoneSet::default();
        for (zone, duplicates) in built {
            set.zones.push(zone);
            set.duplicates.extend(duplicates);
        }
        set.zones.sort_by(|a, b| a.origin.cmp(&b.origin));
        (set, self.diagnostics)
    }
}

/// The index of the most specific origin in `origins` containing `name`.
fn zone_index(origins: &[Name], name: &Name) -> Option<usize> {
    // Origins containing the same name are ancestors of one another, so the longest key is
    // the most specific (and needs no label counting: this runs for every record).
    origins
        .iter()
        .enumerate()
        .filter(|(_, origin)| name.is_subdomain_of(origin))
        .max_by_key(|(_, origin)| origin.canonical_key().len())
        .map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names_for_both_families() {
        assert_eq!(
            reverse_name("10.1.2.3".parse().unwrap()).to_string(),
            "3.2.1.10.in-addr.arpa."
        );
        assert_eq!(
            reverse_name("2001:db8::1".parse().unwrap()).to_string(),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
    }
}
