//! `for_each` expansion (pure): every combination of the variables' items, each template
//! rendered, each value parsed into its type. A value that does not parse after rendering is a
//! located diagnostic naming the binding (`with dc = ams`).
//!
//! The assertions are counted before any is made: a run may expand to at most
//! `max_assertions` (`--max-assertions`, default [`DEFAULT_MAX_ASSERTIONS`]), and an item that
//! would take it past that is refused up front with its count, so three loops over a thousand
//! hosts are refused at once instead of running for minutes. Counting multiplies the lengths of
//! loops that do not depend on earlier variables and walks the others, stopping as soon as the
//! count passes the budget or the walk has looked at more candidate items than the budget
//! allows ([`STEPS_PER_ASSERTION`] per assertion).
//!
//! Items come from the inventory: datacenters from `zonegate.yaml`, services from
//! `zones/services/`, hosts from the CMDB export (every status; filter with `where`). The
//! datacenters of a service and the hosts behind `covers_role` follow the zonextgen rules: a
//! host counts when its status is both an address status and an SRV status.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnet::IpNet;

use super::spec::{Collection, CoversRoleSpec, ExpectSpec, Loop, Matchers, Part, Spec, Template};
use super::{Assertion, CoversRole, Destination, Expectation, RecordExpectation, Section};
use crate::diagnostic::{Diagnostic, Span};
use crate::inventory::yaml::{Duration, INVALID_VALUE};
use crate::inventory::{EntryData, Host, Inventory};
use crate::model::name::Name;
use crate::model::record::RecordType;
use crate::model::{host_fqdn, reverse_name, suggest};

/// The default of `--max-assertions`: the most assertions one run's `for_each` may expand to.
pub const DEFAULT_MAX_ASSERTIONS: u64 = 1_000_000;

/// How many candidate items counting may look at per assertion of the budget. A `where` that
/// uses an earlier variable filters its collection once per binding of that variable, so the
/// walk may look at many more items than it counts, but not without end.
pub const STEPS_PER_ASSERTION: u64 = 64;

/// Expands every spec against `inventory`, as long as the run stays within `max_assertions`:
/// a spec that would take it past is counted, refused with a located error, and not expanded.
pub fn expand(
    specs: &[Spec],
    inventory: &Inventory,
    max_assertions: u64,
) -> (Vec<Assertion>, Vec<Diagnostic>) {
    let context = Context::new(inventory);
    let mut assertions = Vec::new();
    let mut diagnostics = Vec::new();
    let mut admitted: u64 = 0;
    for spec in specs {
        let mut expansion = Expansion {
            context: &context,
            spec,
            assertions: &mut assertions,
            diagnostics: &mut diagnostics,
            reported: HashSet::new(),
            steps: 0,
        };
        match expansion.count(max_assertions) {
            Ok(count) if admitted.saturating_add(count) <= max_assertions => {
                admitted += count;
                expansion.bind(0, &mut Vec::new());
            }
            counted => diagnostics.push(over_budget(spec, counted, admitted, max_assertions)),
        }
    }
    (assertions, diagnostics)
}

/// Why counting a spec's assertions stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overflow {
    /// Exactly this many, past the budget (known when no loop depends on another).
    Exactly(u128),
    /// More than the budget; counting stopped there.
    MoreThan,
    /// Counting looked at more candidate items than it may.
    Steps(u64),
}

/// The error for a spec that does not fit: `counted` is its count (which may fit alone) or why
/// counting stopped; `admitted` are the assertions of the specs before it.
fn over_budget(
    spec: &Spec,
    counted: Result<u64, Overflow>,
    admitted: u64,
    max_assertions: u64,
) -> Diagnostic {
    let message = match counted {
        Ok(count) => format!(
            "`for_each` expands to {count} assertions, which with the {admitted} before it are more than the {max_assertions} allowed"
        ),
        Err(Overflow::Exactly(count)) => format!(
            "`for_each` expands to {count} assertions, more than the {max_assertions} allowed"
        ),
        Err(Overflow::MoreThan) => {
            format!("`for_each` expands to more than the {max_assertions} assertions allowed")
        }
        Err(Overflow::Steps(steps)) => format!(
            "counting the assertions of this `for_each` looks at more than {steps} items (a `where` that uses an earlier variable filters its collection once per binding)"
        ),
    };
    Diagnostic::error(INVALID_VALUE, Some(spec.span), message)
        .with_hint("narrow it with `where:` or `sample: N`")
        .with_hint("or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)")
}

/// What the inventory offers to `for_each`, precomputed once.
struct Context<'i> {
    inventory: &'i Inventory,
    /// Each host's FQDN (`None` when its name is invalid).
    fqdns: Vec<Option<Name>>,
    /// Per service, per datacenter: the SRV-status hosts with its role.
    members: Vec<Vec<Vec<usize>>>,
}

impl<'i> Context<'i> {
    fn new(inventory: &'i Inventory) -> Self {
        let settings = &inventory.settings;
        let fqdns: Vec<Option<Name>> = inventory
            .hosts
            .iter()
            .map(|host| host_fqdn(host, &settings.domain).ok())
            .collect();
        let srv_status = |host: &Host| {
            settings.generate.srv_statuses.contains(&host.status)
                && settings.generate.address_statuses.contains(&host.status)
        };
        // One pass over the hosts, with the services by role and the datacenters by name at
        // hand: a loop per service over every host cost 0.4 s at a million records.
        let mut services_by_role: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, service) in inventory.services.iter().enumerate() {
            services_by_role
                .entry(service.role.as_str())
                .or_default()
                .push(index);
        }
        let mut datacenter_positions: HashMap<&str, usize> = HashMap::new();
        for (position, dc) in settings.datacenters.iter().enumerate() {
            datacenter_positions
                .entry(dc.name.as_str())
                .or_insert(position);
        }
        let mut members =
            vec![vec![Vec::new(); settings.datacenters.len()]; inventory.services.len()];
        for (index, host) in inventory.hosts.iter().enumerate() {
            if fqdns[index].is_none() || !srv_status(host) {
                continue;
            }
            let Some(&dc) = datacenter_positions.get(host.datacenter.as_str()) else {
                continue;
            };
            for role in &host.roles {
                for &service in services_by_role.get(role.as_str()).into_iter().flatten() {
                    let hosts: &mut Vec<usize> = &mut members[service][dc];
                    // A host listing a role twice is one member.
                    if hosts.last() != Some(&index) {
                        hosts.push(index);
                    }
                }
            }
        }
        Self {
            inventory,
            fqdns,
            members,
        }
    }

    /// The SRV-status hosts with `role` in `datacenter` (every datacenter when `None`).
    fn role_hosts(&self, role: &str, datacenter: Option<usize>) -> Vec<Name> {
        let settings = &self.inventory.settings;
        let mut hosts: Vec<Name> = self
            .inventory
            .hosts
            .iter()
            .enumerate()
            .filter(|(index, host)| {
                self.fqdns[*index].is_some()
                    && settings.generate.srv_statuses.contains(&host.status)
                    && settings.generate.address_statuses.contains(&host.status)
                    && host.roles.iter().any(|r| r == role)
                    && datacenter.is_none_or(|dc| settings.datacenters[dc].name == host.datacenter)
            })
            .filter_map(|(index, _)| self.fqdns[index].clone())
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }
}

/// A value of a `for_each` variable.
#[derive(Clone, Copy, Debug)]
enum Item<'s> {
    Datacenter(usize),
    Service(usize),
    Host(usize),
    Address(usize, IpAddr),
    /// Index into `Inventory::records`.
    Record(usize),
    /// A value of a literal list.
    Value(&'s str),
}

struct Expansion<'a, 'i> {
    context: &'a Context<'i>,
    spec: &'a Spec,
    assertions: &'a mut Vec<Assertion>,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// (span, message) pairs already reported, so one bad template is reported once, not once
    /// per binding.
    reported: HashSet<(Span, String)>,
    /// Candidate items looked at so far (before `where` and `sample`).
    steps: u64,
}

impl<'a> Expansion<'a, '_> {
    /// How many assertions the spec expands to, if at most `limit`.
    fn count(&mut self, limit: u64) -> Result<u64, Overflow> {
        let loops = &self.spec.for_each;
        // `independent_from[d]`: no loop from `d` on depends on an earlier variable, so their
        // combinations are the product of their lengths.
        let mut independent_from = vec![true; loops.len() + 1];
        for depth in (0..loops.len()).rev() {
            independent_from[depth] = independent_from[depth + 1] && is_independent(&loops[depth]);
        }
        let mut counting = Counting {
            limit,
            step_limit: limit.saturating_mul(STEPS_PER_ASSERTION),
            independent_from,
            lengths: vec![None; loops.len()],
        };
        self.count_from(0, &mut Vec::new(), &mut counting)
    }

    fn count_from(
        &mut self,
        depth: usize,
        bindings: &mut Vec<(String, Item<'a>)>,
        counting: &mut Counting,
    ) -> Result<u64, Overflow> {
        let loops = &self.spec.for_each;
        if counting.independent_from[depth] {
            let mut product: u128 = 1;
            for (position, each) in loops.iter().enumerate().skip(depth) {
                let length = if let Some(length) = counting.lengths[position] {
                    length
                } else {
                    let length = self.counted_items(each, bindings, counting)?.len();
                    counting.lengths[position] = Some(length);
                    length
                };
                product = product.saturating_mul(length as u128);
            }
            return u64::try_from(product)
                .ok()
                .filter(|count| *count <= counting.limit)
                .ok_or(if depth == 0 {
                    Overflow::Exactly(product)
                } else {
                    Overflow::MoreThan
                });
        }
        let items = self.counted_items(&loops[depth], bindings, counting)?;
        let variable = &loops[depth].variable;
        let mut total: u64 = 0;
        for item in items {
            bindings.push((variable.clone(), item));
            let below = self.count_from(depth + 1, bindings, counting);
            bindings.pop();
            total = total.saturating_add(below.map_err(|overflow| match overflow {
                Overflow::Steps(_) => overflow,
                Overflow::Exactly(_) | Overflow::MoreThan => Overflow::MoreThan,
            })?);
            if total > counting.limit {
                return Err(Overflow::MoreThan);
            }
        }
        Ok(total)
    }

    /// [`Self::items`], counting the candidates it looked at against the walk's limit.
    fn counted_items(
        &mut self,
        each: &'a Loop,
        bindings: &[(String, Item<'a>)],
        counting: &Counting,
    ) -> Result<Vec<Item<'a>>, Overflow> {
        let items = self.items(each, bindings).unwrap_or_default();
        if self.steps > counting.step_limit {
            return Err(Overflow::Steps(counting.step_limit));
        }
        Ok(items)
    }

    fn bind(&mut self, depth: usize, bindings: &mut Vec<(String, Item<'a>)>) {
        if depth == self.spec.for_each.len() {
            if let Some(assertion) = self.instantiate(bindings) {
                self.assertions.push(assertion);
            }
            return;
        }
        let spec = self.spec;
        let Some(items) = self.items(&spec.for_each[depth], bindings) else {
            return;
        };
        let variable = &self.spec.for_each[depth].variable;
        for item in items {
            bindings.push((variable.clone(), item));
            self.bind(depth + 1, bindings);
            bindings.pop();
        }
    }

    /// The items of one loop under the current bindings, filtered and sampled.
    fn items(&mut self, each: &'a Loop, bindings: &[(String, Item<'a>)]) -> Option<Vec<Item<'a>>> {
        let context = self.context;
        let inventory = context.inventory;
        let bound = |variable: &str| {
            bindings
                .iter()
                .rev()
                .find(|(name, _)| name == variable)
                .map(|(_, item)| *item)
        };
        let mut items: Vec<Item<'a>> = match &each.source.collection {
            Collection::Datacenters => (0..inventory.settings.datacenters.len())
                .map(Item::Datacenter)
                .collect(),
            Collection::Services => (0..inventory.services.len()).map(Item::Service).collect(),
            Collection::Hosts => (0..inventory.hosts.len()).map(Item::Host).collect(),
            Collection::Records => (0..inventory.records.len()).map(Item::Record).collect(),
            Collection::Values(values) => values.iter().map(|value| Item::Value(value)).collect(),
            Collection::ServiceDatacenters(variable) => match bound(variable)? {
                Item::Service(service) => context.members[service]
                    .iter()
                    .enumerate()
                    .filter(|(_, hosts)| !hosts.is_empty())
                    .map(|(dc, _)| Item::Datacenter(dc))
                    .collect(),
                _ => return None,
            },
            Collection::ServiceHosts(variable) => match bound(variable)? {
                Item::Service(service) => context.members[service]
                    .iter()
                    .flatten()
                    .map(|host| Item::Host(*host))
                    .collect(),
                _ => return None,
            },
            Collection::DatacenterHosts(variable) => match bound(variable)? {
                Item::Datacenter(dc) => {
                    let name = &inventory.settings.datacenters[dc].name;
                    inventory
                        .hosts
                        .iter()
                        .enumerate()
                        .filter(|(_, host)| host.datacenter == *name)
                        .map(|(index, _)| Item::Host(index))
                        .collect()
                }
                _ => return None,
            },
            Collection::HostAddresses(variable) => match bound(variable)? {
                Item::Host(host) => inventory.hosts[host]
                    .addresses
                    .iter()
                    .map(|address| Item::Address(host, *address))
                    .collect(),
                _ => return None,
            },
        };
        self.steps = self.steps.saturating_add(items.len() as u64);
        for filter in &each.source.filters {
            let mut accepted = Vec::with_capacity(filter.values.len());
            for value in &filter.values {
                accepted.push(self.render(value, bindings)?);
            }
            items.retain(|item| {
                if let (Item::Host(host), "role") = (item, filter.field.as_str()) {
                    return inventory.hosts[*host]
                        .roles
                        .iter()
                        .any(|role| accepted.contains(role));
                }
                let value = field(context, *item, Some(&filter.field));
                accepted.iter().any(|wanted| *wanted == value)
            });
        }
        if let Some(sample) = each.source.sample
            && items.len() > sample
        {
            // Evenly spaced, so a sample of hosts spans every datacenter and rack in CMDB order,
            // and the same input always gives the same sample.
            let total = items.len();
            items = (0..sample).map(|i| items[i * total / sample]).collect();
        }
        Some(items)
    }

    fn render(&mut self, template: &Template, bindings: &[(String, Item<'a>)]) -> Option<String> {
        let mut text = String::new();
        for part in &template.parts {
            match part {
                Part::Text(literal) => text.push_str(literal),
                Part::Variable {
                    name,
                    field: wanted,
                } => {
                    let item = bindings
                        .iter()
                        .rev()
                        .find(|(bound, _)| bound == name)
                        .map(|(_, item)| *item)?;
                    text.push_str(&field(self.context, item, wanted.as_deref()));
                }
            }
        }
        Some(text)
    }

    fn error(
        &mut self,
        span: Span,
        message: String,
        hint: Option<String>,
        bindings: &[(String, Item<'a>)],
    ) {
        if !self.reported.insert((span, message.clone())) {
            return;
        }
        let mut diagnostic = Diagnostic::error(INVALID_VALUE, Some(span), message);
        if !bindings.is_empty() {
            let described: Vec<String> = bindings
                .iter()
                .map(|(variable, item)| {
                    format!("{variable} = {}", field(self.context, *item, None))
                })
                .collect();
            diagnostic = diagnostic.with_hint(format!("with {}", described.join(", ")));
        }
        if let Some(hint) = hint {
            diagnostic = diagnostic.with_hint(hint);
        }
        self.diagnostics.push(diagnostic);
    }

    /// Renders `template` and parses it with `parse`, reporting a failure at its span.
    fn typed<T>(
        &mut self,
        template: &Template,
        bindings: &[(String, Item<'a>)],
        what: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.render(template, bindings)?;
        match parse(text.trim()) {
            Ok(value) => Some(value),
            Err(problem) => {
                let message = if template.is_literal() {
                    format!("`{text}` is not {what}: {problem}")
                } else if text.trim().is_empty() {
                    format!("`{template}` renders empty, which is not {what}")
                } else {
                    format!("`{template}` renders as `{text}`, which is not {what}: {problem}")
                };
                self.error(template.span, message, None, bindings);
                None
            }
        }
    }

    fn list<T>(
        &mut self,
        templates: &[Template],
        bindings: &[(String, Item<'a>)],
        what: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let mut values = Vec::with_capacity(templates.len());
        let mut ok = true;
        for template in templates {
            match self.typed(template, bindings, what, &parse) {
                Some(value) => values.push(value),
                None => ok = false,
            }
        }
        ok.then_some(values)
    }

    fn instantiate(&mut self, bindings: &[(String, Item<'a>)]) -> Option<Assertion> {
        let spec = self.spec;
        let mut it = self.render(&spec.it, bindings)?;
        if spec.it.is_literal() && !bindings.is_empty() {
            // Without variables in `it`, name the binding so each instance is told apart.
            let described: Vec<String> = bindings
                .iter()
                .map(|(variable, item)| format!("{variable}={}", field(self.context, *item, None)))
                .collect();
            it = format!("{it} [{}]", described.join(", "));
        }
        let query = self.typed(&spec.query, bindings, "a domain name", parse_name);
        let record_type = match &spec.record_type {
            Some(template) => self.typed(template, bindings, "a record type", |text| {
                RecordType::parse(text).ok_or_else(|| {
                    "expected one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA".to_owned()
                })
            }),
            None => Some(RecordType::A),
        };
        let expect = match &spec.expect {
            ExpectSpec::NxDomain => Some(Expectation::NxDomain),
            ExpectSpec::NoData => Some(Expectation::NoData),
            ExpectSpec::Refused => Some(Expectation::Refused),
            // Checked even when the query or type is bad, so every problem is reported at once.
            ExpectSpec::Records(matchers) => self
                .records(matchers, bindings, query.as_ref(), record_type)
                .map(|records| Expectation::Records(Box::new(records))),
        };
        Some(Assertion {
            it,
            span: spec.span,
            bindings: bindings
                .iter()
                .map(|(variable, item)| {
                    (
                        variable.clone(),
                        field(self.context, *item, None).into_owned(),
                    )
                })
                .collect(),
            query: query?,
            record_type: record_type?,
            expect: expect?,
        })
    }

    fn records(
        &mut self,
        matchers: &Matchers,
        bindings: &[(String, Item<'a>)],
        query: Option<&Name>,
        record_type: Option<RecordType>,
    ) -> Option<RecordExpectation> {
        let address = self.list(&matchers.address, bindings, "an IP address", parse_address);
        let target = self.list(&matchers.target, bindings, "a domain name", parse_name);
        let port = self.list(&matchers.port, bindings, "a port (0-65535)", parse_u16);
        let priority = self.list(
            &matchers.priority,
            bindings,
            "a priority (0-65535)",
            parse_u16,
        );
        let weight = self.list(&matchers.weight, bindings, "a weight (0-65535)", parse_u16);
        let exchange = self.list(&matchers.exchange, bindings, "a domain name", parse_name);
        let preference = self.list(
            &matchers.preference,
            bindings,
            "a preference (0-65535)",
            parse_u16,
        );
        let data = self.list(&matchers.data, bindings, "text", |text| Ok(text.to_owned()));
        let ttl = self.list(&matchers.ttl, bindings, "a TTL", |text| {
            Duration::parse(text).map(|duration| duration.0)
        });
        let count = |this: &mut Self, template: &Option<Template>| -> Option<Option<usize>> {
            match template {
                None => Some(None),
                Some(template) => this
                    .typed(template, bindings, "a count", |text| {
                        text.parse::<usize>()
                            .map_err(|_| "expected a whole number".to_owned())
                    })
                    .map(Some),
            }
        };
        let at_least = count(self, &matchers.at_least);
        let at_most = count(self, &matchers.at_most);
        let exactly = count(self, &matchers.exactly);
        let resolves_to = self.list(
            &matchers.resolves_to,
            bindings,
            "an address or a name",
            |text| {
                text.parse::<IpAddr>()
                    .map(Destination::Address)
                    .or_else(|_| parse_name(text).map(Destination::Name))
            },
        );
        let none_in = self.list(&matchers.none_in, bindings, "an address prefix", |text| {
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| "expected a prefix such as 10.0.0.0/8 or 2001:db8::/32".to_owned())
        });
        let covers_role = match &matchers.covers_role {
            None => Some(None),
            Some(covers) => match (query, record_type) {
                (Some(query), Some(record_type)) => self
                    .covers_role(covers, matchers, bindings, query, record_type)
                    .map(Some),
                _ => None,
            },
        };
        let (mut at_least, mut at_most, exactly) = (at_least?, at_most?, exactly?);
        let expect_span = matchers.span("expect", self.spec.span);
        if let Some(exactly) = exactly {
            if at_least.is_some() || at_most.is_some() {
                self.error(
                    matchers.span("exactly", expect_span),
                    "`exactly` cannot be combined with `at_least` or `at_most`".to_owned(),
                    None,
                    bindings,
                );
                return None;
            }
            at_least = Some(exactly);
            at_most = Some(exactly);
        }
        if let (Some(least), Some(most)) = (at_least, at_most)
            && least > most
        {
            self.error(
                matchers.span("at_least", expect_span),
                format!("`at_least: {least}` is more than `at_most: {most}`; nothing can pass"),
                None,
                bindings,
            );
            return None;
        }
        let section = match (matchers.in_authority, matchers.in_additional) {
            (true, true) => {
                self.error(
                    matchers.span("in_additional", expect_span),
                    "`in_authority` and `in_additional` cannot both be set".to_owned(),
                    Some("write two assertions, one per section".to_owned()),
                    bindings,
                );
                return None;
            }
            (true, false) => Some(Section::Authority),
            (false, true) => Some(Section::Additional),
            (false, false) => None,
        };
        Some(RecordExpectation {
            section,
            address: address?,
            target: target?,
            port: port?,
            priority: priority?,
            weight: weight?,
            exchange: exchange?,
            preference: preference?,
            data: data?,
            ttl: ttl?,
            at_least,
            at_most,
            only: matchers.only,
            resolves_to: resolves_to?,
            targets_resolve: matchers.targets_resolve,
            covers_role: covers_role?,
            none_in: none_in?,
            not_cname: matchers.not_cname,
        })
    }

    fn covers_role(
        &mut self,
        covers: &CoversRoleSpec,
        matchers: &Matchers,
        bindings: &[(String, Item<'a>)],
        query: &Name,
        record_type: RecordType,
    ) -> Option<CoversRole> {
        let span = matchers.span("covers_role", self.spec.span);
        let inventory = self.context.inventory;
        if record_type != RecordType::Srv {
            self.error(
                span,
                format!("`covers_role` compares SRV targets, but the query type is {record_type}"),
                Some("add `type: SRV`".to_owned()),
                bindings,
            );
            return None;
        }
        let role = self
            .render(&covers.role, bindings)?
            .trim()
            .to_ascii_lowercase();
        let known_role = inventory
            .services
            .iter()
            .any(|service| service.role == role)
            || inventory
                .hosts
                .iter()
                .any(|host| host.roles.contains(&role));
        if !known_role {
            let roles: Vec<&str> = inventory
                .services
                .iter()
                .map(|service| service.role.as_str())
                .collect();
            let hint = suggest(&role, roles.iter().copied()).map_or_else(
                || format!("roles of the services: {}", roles.join(", ")),
                |close| format!("did you mean `{close}`?"),
            );
            self.error(
                span,
                format!("no service or CMDB host has role `{role}`"),
                Some(hint),
                bindings,
            );
            return None;
        }
        let datacenters = &inventory.settings.datacenters;
        let datacenter = if let Some(template) = &covers.datacenter {
            let text = self.render(template, bindings)?.trim().to_ascii_lowercase();
            if text == "all" {
                None
            } else if let Some(index) = datacenters.iter().position(|dc| dc.name == text) {
                Some(index)
            } else {
                let names: Vec<&str> = datacenters.iter().map(|dc| dc.name.as_str()).collect();
                self.error(
                    template.span,
                    format!("`{text}` is not a datacenter"),
                    Some(format!("datacenters: {}, or `all`", names.join(", "))),
                    bindings,
                );
                return None;
            }
        } else {
            // `_service._proto.<dc>.<domain>` or `_service._proto.<domain>`.
            let domain = &inventory.settings.domain;
            let labels: Vec<&str> = query.labels().collect();
            let below = labels.len().saturating_sub(domain.label_count());
            if !query.is_subdomain_of(domain) || !(2..=3).contains(&below) {
                self.error(
                        span,
                        format!("cannot tell the datacenter from `{query}`"),
                        Some("write `covers_role: { role: web, datacenter: ams }` (or `datacenter: all`)".to_owned()),
                        bindings,
                    );
                return None;
            }
            if below == 2 {
                None
            } else if let Some(index) = datacenters.iter().position(|dc| dc.name == labels[2]) {
                Some(index)
            } else {
                self.error(
                    span,
                    format!("`{}` in `{query}` is not a datacenter", labels[2]),
                    Some("write `covers_role: { role: web, datacenter: ams }`".to_owned()),
                    bindings,
                );
                return None;
            }
        };
        Some(CoversRole {
            hosts: self.context.role_hosts(&role, datacenter),
            role,
            datacenter: datacenter.map(|dc| datacenters[dc].name.clone()),
        })
    }
}

/// What [`Expansion::count`] carries through its walk.
struct Counting {
    /// The most assertions that fit.
    limit: u64,
    /// The most candidate items the walk may look at.
    step_limit: u64,
    /// Whether the loops from each depth on are all independent of earlier variables.
    independent_from: Vec<bool>,
    /// The lengths of independent loops, each computed once.
    lengths: Vec<Option<usize>>,
}

/// Whether `each` ranges over the same items whatever the earlier variables are bound to.
fn is_independent(each: &Loop) -> bool {
    let collection = matches!(
        each.source.collection,
        Collection::Datacenters
            | Collection::Services
            | Collection::Hosts
            | Collection::Records
            | Collection::Values(_)
    );
    collection
        && each
            .source
            .filters
            .iter()
            .all(|filter| filter.values.iter().all(Template::is_literal))
}

/// The text of `item`'s `field` (its default field when `None`).
fn field<'c>(context: &'c Context<'_>, item: Item<'c>, field: Option<&str>) -> Cow<'c, str> {
    let inventory = context.inventory;
    let field = field.unwrap_or(match item {
        Item::Address(..) => "ip",
        _ => "name",
    });
    match item {
        Item::Datacenter(dc) => Cow::Borrowed(&inventory.settings.datacenters[dc].name),
        Item::Service(index) => {
            let service = &inventory.services[index];
            match field {
                "role" => Cow::Borrowed(&service.role),
                "protocol" => Cow::Borrowed(&service.protocol),
                "port" => Cow::Owned(service.port.to_string()),
                "priority" => Cow::Owned(service.priority.to_string()),
                "weight" => Cow::Owned(service.weight.to_string()),
                "srv" => Cow::Owned(format!("_{}._{}", service.name, service.protocol)),
                "owner" => Cow::Borrowed(service.owner.as_deref().unwrap_or("")),
                "global" => Cow::Borrowed(if service.global { "true" } else { "false" }),
                _ => Cow::Borrowed(&service.name),
            }
        }
        Item::Host(index) => {
            let host = &inventory.hosts[index];
            match field {
                "hostname" => Cow::Borrowed(&host.hostname),
                "datacenter" => Cow::Borrowed(&host.datacenter),
                "status" => Cow::Borrowed(&host.status),
                "role" => Cow::Owned(host.roles.join(";")),
                "ipv4" => Cow::Owned(
                    host.addresses
                        .iter()
                        .find(|address| address.is_ipv4())
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                "ipv6" => Cow::Owned(
                    host.addresses
                        .iter()
                        .find(|address| address.is_ipv6())
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ),
                _ => context.fqdns[index]
                    .as_ref()
                    .map_or(Cow::Borrowed(host.hostname.as_str()), |fqdn| {
                        Cow::Owned(fqdn.to_string())
                    }),
            }
        }
        Item::Record(index) => {
            let entry = &inventory.records[index];
            let domain = &inventory.settings.domain;
            let absolute = |text: &'c str| {
                Name::parse_relative(text, domain)
                    .map_or(Cow::Borrowed(text), |name| Cow::Owned(name.to_string()))
            };
            match field {
                "type" => Cow::Borrowed(entry.data.record_type().as_str()),
                "ttl" => Cow::Owned(
                    entry
                        .ttl
                        .unwrap_or(inventory.settings.ttl.default)
                        .to_string(),
                ),
                "target" => match &entry.data {
                    EntryData::Cname(target)
                    | EntryData::Ns(target)
                    | EntryData::Ptr(target)
                    | EntryData::Srv { target, .. }
                    | EntryData::Mx {
                        exchange: target, ..
                    } => absolute(&target.text),
                    _ => Cow::Borrowed(""),
                },
                "address" => match &entry.data {
                    EntryData::A(address) => Cow::Owned(address.to_string()),
                    EntryData::Aaaa(address) => Cow::Owned(address.to_string()),
                    _ => Cow::Borrowed(""),
                },
                _ => absolute(&entry.name),
            }
        }
        Item::Value(value) => Cow::Borrowed(value),
        Item::Address(host, address) => match field {
            "type" => Cow::Borrowed(if address.is_ipv4() { "A" } else { "AAAA" }),
            "reverse" => Cow::Owned(reverse_name(address).to_string()),
            "host" => context.fqdns[host].as_ref().map_or(
                Cow::Borrowed(inventory.hosts[host].hostname.as_str()),
                |fqdn| Cow::Owned(fqdn.to_string()),
            ),
            _ => Cow::Owned(address.to_string()),
        },
    }
}

/// A fully-qualified name, with or without the trailing dot (as `dig` takes it).
fn parse_name(text: &str) -> Result<Name, String> {
    Name::parse_fqdn(text).map_err(|error| error.to_string())
}

fn parse_address(text: &str) -> Result<IpAddr, String> {
    text.parse::<IpAddr>()
        .map_err(|_| "expected an IPv4 or IPv6 address".to_owned())
}

fn parse_u16(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .map_err(|_| "expected a whole number from 0 to 65535".to_owned())
}
