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

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Span};
use crate::inventory::{EntryData, Host, Inventory, WrittenName};

pub mod name;
pub mod record;
pub mod zone;

use name::{Name, NameError};
use record::{Origin, Provenance, RData, Record, Soa};
use zone::{Zone, ZoneSet};

/// Rule ids emitted while building (the rest live in `check`).
pub mod codes {
    /// A name that is not a valid domain name.
    pub const INVALID_NAME: &str = "invalid-name";
    /// A hand-edited target without a trailing dot.
    pub const RELATIVE_TARGET: &str = "relative-target";
    /// A record whose owner lies in no configured zone.
    pub const RECORD_OUTSIDE_ZONES: &str = "record-outside-zones";
    /// A host address no reverse zone covers, so it gets no PTR.
    pub const NO_REVERSE_ZONE: &str = "no-reverse-zone";
    /// Two CMDB hosts with the same name.
    pub const DUPLICATE_HOST: &str = "duplicate-host";
    /// Two CMDB hosts with the same address.
    pub const DUPLICATE_ADDRESS: &str = "duplicate-address";
    /// A datacenter not declared in `zonegate.yaml`.
    pub const UNKNOWN_DATACENTER: &str = "unknown-datacenter";
    /// A CMDB role that names no service.
    pub const UNKNOWN_ROLE: &str = "unknown-role";
    /// A service with no SRV-status host in a datacenter listed in its `required_in`.
    pub const SERVICE_MISSING_IN_DATACENTER: &str = "service-missing-in-datacenter";
    /// A CMDB host status in none of `generate`'s lists, so the host gets no records.
    pub const UNKNOWN_STATUS: &str = "unknown-status";
    /// A CMDB host name that is no host name (`*`, `@`, an empty label). The rule's other cases
    /// are checked over the built zones, in `check`, which owns its documentation.
    pub const INVALID_HOSTNAME: &str = "invalid-hostname";
}

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

    /// A/AAAA/PTR per address-status host. Returns each host's FQDN (None when it gets no
    /// records) for the SRV step.
    ///
    /// A million-record CMDB makes this the hot loop of `render`, so each phase is parallel:
    /// naming hosts and their reverse names, finding duplicates by sorting (the earliest CMDB
    /// row wins, as a sequential scan would decide), and filling each zone's records on a
    /// thread of its own. Only the cheap walk that words diagnostics is sequential.
    fn host_records(&mut self) -> Vec<Option<Name>> {
        let inventory = self.inventory;
        let settings = &inventory.settings;
        let hosts = &inventory.hosts;
        let address_statuses: HashSet<&str> = settings
            .generate
            .address_statuses
            .iter()
            .map(String::as_str)
            .collect();
        // `<datacenter>.<domain>` once per datacenter, so a short host name costs one
        // allocation.
        let datacenter_names: HashMap<&str, Name> = settings
            .datacenters
            .iter()
            .filter_map(|dc| {
                Name::parse_relative(&dc.name, &settings.domain)
                    .ok()
                    .map(|name| (dc.name.as_str(), name))
            })
            .collect();
        let origins = &self.origins;
        let datacenters = &self.datacenters;
        let namings: Vec<Naming> = hosts
            .par_iter()
            .map(|host| {
                if !address_statuses.contains(host.status.as_str()) {
                    return Naming::NotPublished;
                }
                if !datacenters.contains_key(host.datacenter.as_str()) {
                    return Naming::UnknownDatacenter;
                }
                if let Some(problem) = not_a_host_name(&host.hostname) {
                    return Naming::NotAHostName(problem);
                }
                let qualified = if host.hostname.contains('.') {
                    Name::parse_fqdn(&host.hostname)
                } else {
                    match datacenter_names.get(host.datacenter.as_str()) {
                        Some(datacenter) => Name::parse_relative(&host.hostname, datacenter),
                        None => host_fqdn(host, &settings.domain),
                    }
                };
                match qualified {
                    Ok(fqdn) => {
                        let zone = zone_index(origins, &fqdn);
                        Naming::Named(fqdn, zone)
                    }
                    Err(error) => Naming::Invalid(error),
                }
            })
            .collect();
        let named = |index: usize| namings[index].named();

        // Every address of a named host, flat in CMDB order: `first_address[host]` is where the
        // host's run starts.
        let mut first_address = Vec::with_capacity(hosts.len() + 1);
        let mut flat = 0usize;
        for (index, host) in hosts.iter().enumerate() {
            first_address.push(flat);
            if named(index).is_some() {
                flat += host.addresses.len();
            }
        }
        first_address.push(flat);
        let reversed: Vec<(Name, Option<usize>)> = hosts
            .par_iter()
            .enumerate()
            .filter(|(index, _)| named(*index).is_some())
            .flat_map_iter(|(_, host)| {
                host.addresses.iter().map(|&address| {
                    let reverse = reverse_name(address);
                    let zone = zone_index(origins, &reverse);
                    (reverse, zone)
                })
            })
            .collect();

        // Unknown statuses, once each (an export can hold thousands of hosts with one), at
        // the first host that has it, in CMDB order.
        let known_statuses: HashSet<&str> = settings
            .generate
            .srv_statuses
            .iter()
            .chain(&settings.generate.unpublished_statuses)
            .map(String::as_str)
            .collect();
        let mut unknown_statuses: Vec<(&str, usize, usize)> = Vec::new();
        let mut unknown_status_index: HashMap<&str, usize> = HashMap::new();
        for (index, (host, naming)) in hosts.iter().zip(&namings).enumerate() {
            if matches!(naming, Naming::NotPublished)
                && !known_statuses.contains(host.status.as_str())
            {
                match unknown_status_index.entry(host.status.as_str()) {
                    std::collections::hash_map::Entry::Occupied(seen) => {
                        unknown_statuses[*seen.get()].2 += 1;
                    }
                    std::collections::hash_map::Entry::Vacant(new) => {
                        new.insert(unknown_statuses.len());
                        unknown_statuses.push((host.status.as_str(), index, 0));
                    }
                }
            }
        }
        for (status, first, others) in unknown_statuses {
            self.diagnostics
                .push(self.unknown_status(status, &hosts[first], others));
        }

        for (host, naming) in hosts.iter().zip(&namings) {
            match naming {
                Naming::UnknownDatacenter => self.diagnostics.push(
                    Diagnostic::error(
                        codes::UNKNOWN_DATACENTER,
                        Some(host.span),
                        format!(
                            "host `{}` is in datacenter `{}`, which zonegate.yaml does not declare",
                            host.hostname, host.datacenter
                        ),
                    )
                    .with_hint(format!("declared datacenters: {}", self.datacenter_list())),
                ),
                Naming::Invalid(error) => self.diagnostics.push(Diagnostic::error(
                    codes::INVALID_NAME,
                    Some(host.span),
                    format!("host name `{}`: {error}", host.hostname),
                )),
                Naming::NotAHostName(problem) => self.diagnostics.push(
                    Diagnostic::error(
                        codes::INVALID_HOSTNAME,
                        Some(host.span),
                        format!(
                            "CMDB host name `{}` {problem}; the host gets no records",
                            as_written(&host.hostname)
                        ),
                    )
                    .with_hint("host names use letters, digits and `-` (RFC 952, RFC 1123 section 2.1); fix the name in the CMDB"),
                ),
                Naming::NotPublished | Naming::Named(..) => {}
            }
        }

        let kept = self.first_row_of_each_name(&namings);
        let published = self.first_row_of_each_address(&namings, &kept, &first_address);

        let mut fqdns = vec![None; hosts.len()];
        for (index, host) in hosts.iter().enumerate() {
            if !kept[index] {
                continue;
            }
            let (fqdn, forward_zone) = named(index).expect("kept hosts are named");
            let start = first_address[index];
            let mut placed_address = false;
            for (position, address) in host.addresses.iter().enumerate() {
                if !published[start + position] {
                    continue;
                }
                placed_address = true;
                if forward_zone.is_none() {
                    self.diagnostics.push(self.outside_zones(
                        fqdn,
                        address_type(*address),
                        host.span,
                    ));
                }
                if reversed[start + position].1.is_none() {
                    self.diagnostics.push(
                        Diagnostic::warning(
                            codes::NO_REVERSE_ZONE,
                            Some(host.span),
                            format!("no configured reverse zone covers {address} of `{fqdn}`, so it gets no PTR record"),
                        )
                        .with_hint("add the covering prefix to `zones.reverse` in zonegate.yaml"),
                    );
                }
            }
            // A host whose every address belongs to another host has no records of its own,
            // so it must not become an SRV target either (duplicate-address says why).
            if placed_address || host.addresses.is_empty() {
                fqdns[index] = Some(fqdn.clone());
            }
        }

        // Each zone's records from its own thread, in CMDB order.
        let ttl = &settings.ttl;
        self.records
            .par_iter_mut()
            .enumerate()
            .for_each(|(zone, records)| {
                for (index, host) in hosts.iter().enumerate() {
                    if !kept[index] {
                        continue;
                    }
                    let (fqdn, forward_zone) = named(index).expect("kept hosts are named");
                    let provenance = Provenance {
                        span: host.span,
                        origin: Origin::Host(index as u32),
                    };
                    let start = first_address[index];
                    for (position, &address) in host.addresses.iter().enumerate() {
                        if !published[start + position] {
                            continue;
                        }
                        if forward_zone == Some(zone) {
                            records.push(Record {
                                name: fqdn.clone(),
                                ttl: ttl.host,
                                data: match address {
                                    IpAddr::V4(v4) => RData::A(v4),
                                    IpAddr::V6(v6) => RData::Aaaa(v6),
                                },
                                provenance,
                            });
                        }
                        let (reverse, reverse_zone) = &reversed[start + position];
                        if *reverse_zone == Some(zone) {
                            records.push(Record {
                                name: reverse.clone(),
                                ttl: ttl.ptr,
                                data: RData::Ptr(fqdn.clone()),
                                provenance,
                            });
                        }
                    }
                }
            });
        fqdns
    }

    /// SRV RRsets per service and datacenter.
    fn service_records(&mut self, fqdns: &[Option<Name>]) {
        let inventory = self.inventory;
        let settings = &inventory.settings;
        let srv_statuses: HashSet<&str> = settings
            .generate
            .srv_statuses
            .iter()
            .map(String::as_str)
            .collect();
        let roles: HashSet<&str> = inventory
            .services
            .iter()
            .map(|service| service.role.as_str())
            .collect();

        // role -> datacenter index -> host indices, in CMDB order.
        let mut members: HashMap<&str, Vec<Vec<u32>>> = HashMap::new();
        let mut reported_roles: HashSet<&str> = HashSet::new();
        for (index, host) in inventory.hosts.iter().enumerate() {
            if fqdns[index].is_none() || !srv_statuses.contains(host.status.as_str()) {
                continue;
            }
            let Some(&datacenter) = self.datacenters.get(host.datacenter.as_str()) else {
                continue;
            };
            for role in &host.roles {
                if !roles.contains(role.as_str()) {
                    if reported_roles.insert(role.as_str()) {
                        self.diagnostics.push(
                            Diagnostic::warning(
                                codes::UNKNOWN_ROLE,
                                Some(host.span),
                                format!("role `{role}` of host `{}` names no service in zones/services/", host.hostname),
                            )
                            .with_hint(suggest(role, roles.iter().copied()).map_or_else(
                                || format!("add zones/services/{role}.yaml, or fix the role in the CMDB"),
                                |close| format!("did you mean `{close}`?"),
                            )),
                        );
                    }
                    continue;
                }
                let per_datacenter = members
                    .entry(role.as_str())
                    .or_insert_with(|| vec![Vec::new(); settings.datacenters.len()]);
                per_datacenter[datacenter as usize].push(index as u32);
            }
        }

        let mut batches = Vec::new();
        for (service_index, service) in inventory.services.iter().enumerate() {
            let ttl = service.ttl.unwrap_or(settings.ttl.srv);
            let service_label = format!("_{}._{}", service.name, service.protocol);
            let empty = Vec::new();
            let per_datacenter = members.get(service.role.as_str()).unwrap_or(&empty);
            for (dc_name, span) in &service.required_in {
                match self.datacenters.get(dc_name.as_str()) {
                    None => self.diagnostics.push(
                        Diagnostic::error(
                            codes::UNKNOWN_DATACENTER,
                            Some(*span),
                            format!("service `{}` is required in `{dc_name}`, which zonegate.yaml does not declare", service.name),
                        )
                        .with_hint(format!("declared datacenters: {}", self.datacenter_list())),
                    ),
                    Some(&dc) if per_datacenter.get(dc as usize).is_none_or(Vec::is_empty) => self.diagnostics.push(
                        Diagnostic::error(
                            codes::SERVICE_MISSING_IN_DATACENTER,
                            Some(*span),
                            format!(
                                "service `{}` is required in `{dc_name}` but no host there has role `{}` and an SRV status ({})",
                                service.name,
                                service.role,
                                settings.generate.srv_statuses.join(", ")
                            ),
                        )
                        .with_hint("add hosts with this role in the CMDB, or remove the datacenter from `required_in`"),
                    ),
                    Some(_) => {}
                }
            }
            for (dc_index, hosts) in per_datacenter.iter().enumerate() {
                if hosts.is_empty() {
                    continue;
                }
                let dc = &settings.datacenters[dc_index];
                let owner = match Name::parse_relative(
                    &format!("{service_label}.{}", dc.name),
                    &settings.domain,
                ) {
                    Ok(owner) => owner,
                    Err(error) => {
                        self.diagnostics.push(Diagnostic::error(
                            codes::INVALID_NAME,
                            Some(service.span),
                            format!(
                                "SRV name for service `{}` in `{}`: {error}",
                                service.name, dc.name
                            ),
                        ));
                        continue;
                    }
                };
                let datacenter = Some(dc_index as u32);
                let hosts = hosts.clone();
                self.plan_srv(&mut batches, service_index, datacenter, owner, ttl, hosts);
            }
            if service.global && per_datacenter.iter().any(|hosts| !hosts.is_empty()) {
                match Name::parse_relative(&service_label, &settings.domain) {
                    Ok(owner) => {
                        let hosts: Vec<u32> = per_datacenter.iter().flatten().copied().collect();
                        self.plan_srv(&mut batches, service_index, None, owner, ttl, hosts);
                    }
                    Err(error) => self.diagnostics.push(Diagnostic::error(
                        codes::INVALID_NAME,
                        Some(service.span),
                        format!("global SRV name for service `{}`: {error}", service.name),
                    )),
                }
            }
        }

        // The records themselves are built in parallel (a million-record estate has a
        // quarter of a million SRV records), straight into their zone's vector, in plan order:
        // building them aside first held every SRV record twice (100 MiB at a million hosts).
        for (zone, records) in self.records.iter_mut().enumerate() {
            let count: usize = batches
                .iter()
                .filter(|batch| batch.zone == zone)
                .map(|batch| batch.hosts.len())
                .sum();
            records.reserve(count);
        }
        let inventory = self.inventory;
        for batch in &batches {
            self.records[batch.zone].par_extend(
                batch
                    .hosts
                    .par_iter()
                    .map(|&host| srv_record(inventory, batch, host, fqdns)),
            );
        }
    }

    /// Adds the SRV RRset at `owner` (one record per host) to `batches`, or reports each of its
    /// records when `owner` is in no configured zone.
    fn plan_srv(
        &mut self,
        batches: &mut Vec<SrvBatch>,
        service: usize,
        datacenter: Option<u32>,
        owner: Name,
        ttl: u32,
        hosts: Vec<u32>,
    ) {
        match self.zone_index(&owner) {
            Some(zone) => batches.push(SrvBatch {
                service,
                datacenter,
                owner,
                zone,
                ttl,
                hosts,
            }),
            None => {
                for host in hosts {
                    let span = self.inventory.hosts[host as usize].span;
                    let outside = self.outside_zones(&owner, record::RecordType::Srv, span);
                    self.diagnostics.push(outside);
                }
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
                        codes::INVALID_NAME,
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
                            codes::RELATIVE_TARGET,
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
                    codes::INVALID_NAME,
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

    /// Which CMDB rows keep their host name: the first row of each name (they are found by a
    /// parallel sort, and the earliest row wins as a scan would decide); `duplicate-host` for
    /// every later one.
    fn first_row_of_each_name(&mut self, namings: &[Naming]) -> Vec<bool> {
        let hosts = &self.inventory.hosts;
        let mut by_name: Vec<(&Name, u32)> = namings
            .iter()
            .enumerate()
            .filter_map(|(index, naming)| naming.named().map(|(fqdn, _)| (fqdn, index as u32)))
            .collect();
        by_name.par_sort_unstable();
        let mut kept = vec![false; hosts.len()];
        for rows in by_name.chunk_by(|a, b| a.0 == b.0) {
            let first = rows[0].1 as usize;
            kept[first] = true;
            for &(fqdn, duplicate) in &rows[1..] {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::DUPLICATE_HOST,
                        Some(hosts[duplicate as usize].span),
                        format!("host `{fqdn}` appears twice in the CMDB"),
                    )
                    .with_related(hosts[first].span, "first seen here"),
                );
            }
        }
        kept
    }

    /// Which addresses of the `kept` rows are published, flat as `first_address` lays them out:
    /// the first row holding each address keeps it; `duplicate-address` for every later one.
    fn first_row_of_each_address(
        &mut self,
        namings: &[Naming],
        kept: &[bool],
        first_address: &[usize],
    ) -> Vec<bool> {
        let hosts = &self.inventory.hosts;
        let mut by_address: Vec<(IpAddr, u32, u32)> = (0..hosts.len())
            .filter(|&index| kept[index])
            .flat_map(|index| {
                hosts[index]
                    .addresses
                    .iter()
                    .enumerate()
                    .map(move |(position, &address)| {
                        (
                            address,
                            (first_address[index] + position) as u32,
                            index as u32,
                        )
                    })
            })
            .collect();
        by_address.par_sort_unstable();
        let mut published = vec![false; first_address.last().copied().unwrap_or(0)];
        for rows in by_address.chunk_by(|a, b| a.0 == b.0) {
            let (_, first_flat, first_host) = rows[0];
            published[first_flat as usize] = true;
            for &(address, _, duplicate) in &rows[1..] {
                let (fqdn, _) = namings[duplicate as usize]
                    .named()
                    .expect("kept hosts are named");
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::DUPLICATE_ADDRESS,
                        Some(hosts[duplicate as usize].span),
                        format!(
                            "address {address} of `{fqdn}` is already assigned to another host"
                        ),
                    )
                    .with_related(hosts[first_host as usize].span, "first assigned here"),
                );
            }
        }
        published
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
    fn outside_zones(
        &self,
        name: &Name,
        record_type: record::RecordType,
        span: Span,
    ) -> Diagnostic {
        Diagnostic::error(
            codes::RECORD_OUTSIDE_ZONES,
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

    /// `unknown-status` for `status`, first held by `host` and by `others` more hosts.
    fn unknown_status(&self, status: &str, host: &Host, others: usize) -> Diagnostic {
        let generate = &self.inventory.settings.generate;
        let who = match others {
            0 => format!("host `{}` has", host.hostname),
            1 => format!("host `{}` and 1 more have", host.hostname),
            more => format!("host `{}` and {more} more have", host.hostname),
        };
        let they = if others == 0 { "it gets" } else { "they get" };
        let known = generate
            .address_statuses
            .iter()
            .chain(&generate.srv_statuses)
            .chain(&generate.unpublished_statuses)
            .map(String::as_str);
        let mut diagnostic = Diagnostic::warning(
            codes::UNKNOWN_STATUS,
            Some(host.span),
            format!(
                "{who} status `{status}`, which no list under `generate` in zonegate.yaml names, so {they} no records"
            ),
        );
        if let Some(close) = suggest(status, known) {
            diagnostic = diagnostic.with_hint(format!("did you mean `{close}`?"));
        }
        diagnostic
            .with_hint(format!(
                "address_statuses: {}; srv_statuses: {}; unpublished_statuses: {}",
                generate.address_statuses.join(", "),
                generate.srv_statuses.join(", "),
                generate.unpublished_statuses.join(", "),
            ))
            .with_hint("add the status to `generate.address_statuses` if such hosts should be published, or to `generate.unpublished_statuses` if they get no records on purpose")
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

/// One SRV RRset to build: a service's hosts in one datacenter (or in all, for the global
/// name), at `owner` in zone `zone`.
struct SrvBatch {
    service: usize,
    datacenter: Option<u32>,
    owner: Name,
    zone: usize,
    ttl: u32,
    hosts: Vec<u32>,
}

/// The SRV record of `batch` pointing at `host`.
fn srv_record(
    inventory: &Inventory,
    batch: &SrvBatch,
    host: u32,
    fqdns: &[Option<Name>],
) -> Record {
    let definition = &inventory.services[batch.service];
    let target = fqdns[host as usize]
        .clone()
        .expect("SRV members have records");
    Record {
        name: batch.owner.clone(),
        ttl: batch.ttl,
        data: RData::Srv {
            priority: definition.priority,
            weight: definition.weight,
            port: definition.port,
            target,
        },
        provenance: Provenance {
            span: inventory.hosts[host as usize].span,
            origin: Origin::Service {
                service: batch.service as u32,
                datacenter: batch.datacenter,
                host,
            },
        },
    }
}

/// What naming a CMDB host came to.
enum Naming {
    /// Its status gets no records.
    NotPublished,
    /// Its datacenter is not declared.
    UnknownDatacenter,
    /// Its name is not a valid domain name.
    Invalid(NameError),
    /// Its name is no host name (`*`, `@`, an empty label): what is wrong with it.
    NotAHostName(&'static str),
    /// Its fully qualified name and the index of the zone it belongs in, if any.
    Named(Name, Option<usize>),
}

impl Naming {
    /// The host's name and zone, when it has one.
    fn named(&self) -> Option<(&Name, Option<usize>)> {
        match self {
            Naming::Named(fqdn, zone) => Some((fqdn, *zone)),
            _ => None,
        }
    }
}

/// What makes a CMDB host name (lower-cased, one trailing dot dropped) something other than a
/// host: `*` would make a wildcard, answering for every name below its parent; `@` is the
/// zone-file shorthand for the origin, and would become the datacenter's own name; an empty
/// label (`web..`, `.web`) would be trimmed into another name. The rest (characters, label and
/// name lengths) is `Name`'s to check.
fn not_a_host_name(hostname: &str) -> Option<&'static str> {
    if hostname == "@" {
        return Some("is the zone-file shorthand for the origin, not a host name");
    }
    for label in hostname.split('.') {
        if label.is_empty() {
            return Some("has an empty label (a leading dot, or two dots in a row)");
        }
        if label == "*" {
            return Some(
                "would be a wildcard, answering for every name below it that nobody defined",
            );
        }
        if label.contains('*') {
            return Some("has `*`, which no host name holds");
        }
    }
    None
}

/// A CMDB host name as the export wrote it, as far as [`not_a_host_name`] cares: the reader
/// drops one trailing dot (the absolute form), so a name that still ends with one was written
/// with two.
fn as_written(hostname: &str) -> std::borrow::Cow<'_, str> {
    if hostname.ends_with('.') {
        format!("{hostname}.").into()
    } else {
        hostname.into()
    }
}

/// The record type of an address.
fn address_type(address: IpAddr) -> record::RecordType {
    match address {
        IpAddr::V4(_) => record::RecordType::A,
        IpAddr::V6(_) => record::RecordType::Aaaa,
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

/// The closest candidate to `word` by edit distance, if close enough to be a likely typo.
pub fn suggest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance <= 2.max(candidate.len() / 4) && *distance < candidate.len()
        })
        .min()
        .map(|(_, candidate)| candidate)
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

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(suggest("playlst", ["playlist", "search"]), Some("playlist"));
        assert_eq!(suggest("zzz", ["playlist", "search"]), None);
    }
}
