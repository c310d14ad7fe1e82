//! The SRV records: a service's RRset per datacenter that has hosts with its role and an SRV
//! status (and the global one when asked), planned per owner and built in parallel.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::Builder;
use super::record::{Origin, Provenance, RData, Record};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::suggest;
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::inventory::Inventory;
use crate::rules;

impl Builder<'_> {
    /// SRV RRsets per service and datacenter.
    pub(super) fn service_records(&mut self, fqdns: &[Option<Name>]) {
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
                                rules::build::UNKNOWN_ROLE,
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
                            rules::build::UNKNOWN_DATACENTER,
                            Some(*span),
                            format!("service `{}` is required in `{dc_name}`, which zonegate.yaml does not declare", service.name),
                        )
                        .with_hint(format!("declared datacenters: {}", self.datacenter_list())),
                    ),
                    Some(&dc) if per_datacenter.get(dc as usize).is_none_or(Vec::is_empty) => self.diagnostics.push(
                        Diagnostic::error(
                            rules::build::SERVICE_MISSING_IN_DATACENTER,
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
                            rules::build::INVALID_NAME,
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
                        rules::build::INVALID_NAME,
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
                    let outside = self.outside_zones(&owner, RecordType::Srv, span);
                    self.diagnostics.push(outside);
                }
            }
        }
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
