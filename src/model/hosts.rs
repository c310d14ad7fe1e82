//! The host records: a CMDB host's name (or why it gets none), its A/AAAA and PTR records, and
//! the duplicate names and addresses found on the way, in parallel phases (see `host_records`).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use rayon::prelude::*;

use super::record::{Origin, Provenance, RData, Record};
use super::{Builder, host_fqdn, reverse_name, zone_index};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::suggest;
use crate::dns::name::{Name, NameError};
use crate::dns::record_type::RecordType;
use crate::inventory::Host;
use crate::rules;

impl Builder<'_> {
    /// A/AAAA/PTR per address-status host. Returns each host's FQDN (None when it gets no
    /// records) for the SRV step.
    ///
    /// A million-record CMDB makes this the hot loop of `render`, so each phase is parallel:
    /// naming hosts and their reverse names, finding duplicates by sorting (the earliest CMDB
    /// row wins, as a sequential scan would decide), and filling each zone's records on a
    /// thread of its own. Only the cheap walk that words diagnostics is sequential.
    pub(super) fn host_records(&mut self) -> Vec<Option<Name>> {
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
                        rules::build::UNKNOWN_DATACENTER,
                        Some(host.span),
                        format!(
                            "host `{}` is in datacenter `{}`, which zonegate.yaml does not declare",
                            host.hostname, host.datacenter
                        ),
                    )
                    .with_hint(format!("declared datacenters: {}", self.datacenter_list())),
                ),
                Naming::Invalid(error) => self.diagnostics.push(Diagnostic::error(
                    rules::build::INVALID_NAME,
                    Some(host.span),
                    format!("host name `{}`: {error}", host.hostname),
                )),
                Naming::NotAHostName(problem) => self.diagnostics.push(
                    Diagnostic::error(
                        rules::check::INVALID_HOSTNAME,
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
                            rules::build::NO_REVERSE_ZONE,
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
                        rules::build::DUPLICATE_HOST,
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
                        rules::build::DUPLICATE_ADDRESS,
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
            rules::build::UNKNOWN_STATUS,
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
fn address_type(address: IpAddr) -> RecordType {
    match address {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::Aaaa,
    }
}
