//! The matcher set: how one assertion is evaluated against a backend's responses (the semantics
//! are in the [module documentation](super)), and the mismatches in words when it fails.

use std::fmt::Write as _;
use std::net::IpAddr;

use ipnet::IpNet;

use super::resolver::{Answer, Rcode, ResponseRecord};
use super::{
    Assertion, Backend, CoversRole, Destination, Expectation, MAX_CHAIN, Mismatch, Outcome,
    QueryError, RecordExpectation, Section, Verdict, list_records, record_text, summary,
};
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::model::record::RData;

/// Evaluates one assertion.
pub fn evaluate(assertion: &Assertion, backend: &dyn Backend) -> Outcome {
    let mut evaluation = Evaluation {
        backend,
        queries: Vec::new(),
        mismatches: Vec::new(),
    };
    let primary = match evaluation.query(&assertion.query, assertion.record_type) {
        Ok(answer) => answer,
        Err(error) => {
            return Outcome {
                verdict: Verdict::Fail,
                mismatches: vec![Mismatch {
                    matcher: "response",
                    expected: "a response".to_owned(),
                    actual: error.to_string(),
                }],
                skipped: None,
                response: None,
                queries: evaluation.queries,
                trace: Vec::new(),
            };
        }
    };
    let mut skipped = None;
    match &assertion.expect {
        Expectation::NxDomain => {
            if primary.rcode != Rcode::NxDomain {
                evaluation.mismatch(
                    "nxdomain",
                    "NXDOMAIN (the name does not exist)".into(),
                    summary(&primary, assertion.record_type),
                );
            }
        }
        Expectation::Refused => {
            if primary.rcode != Rcode::Refused {
                evaluation.mismatch(
                    "refused",
                    "REFUSED (the server serves no zone containing the name)".into(),
                    summary(&primary, assertion.record_type),
                );
            }
        }
        Expectation::NoData => {
            let has_type = primary
                .answer
                .iter()
                .any(|record| record.record_type() == assertion.record_type);
            let has_soa = primary
                .authority
                .iter()
                .any(|record| record.record_type() == RecordType::Soa);
            if primary.rcode != Rcode::NoError || has_type || !has_soa {
                evaluation.mismatch(
                    "nodata",
                    format!(
                        "NODATA (NOERROR, no {} record, SOA in authority)",
                        assertion.record_type
                    ),
                    summary(&primary, assertion.record_type),
                );
            }
        }
        Expectation::Records(expectation) => {
            if expectation.section.is_some() && !backend.is_live() {
                skipped = Some(
                    "in_authority and in_additional are checked against a live server only (zonegate test --server)",
                );
            } else {
                evaluation.records(assertion, expectation, &primary);
            }
        }
    }
    let verdict = if skipped.is_some() {
        Verdict::Skip
    } else if evaluation.mismatches.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
    let response = (verdict != Verdict::Pass).then(|| primary.into_owned());
    Outcome {
        verdict,
        mismatches: evaluation.mismatches,
        skipped,
        response,
        queries: evaluation.queries,
        trace: Vec::new(),
    }
}

impl RecordExpectation {
    /// True when any record filter is given.
    fn has_filters(&self) -> bool {
        !(self.address.is_empty()
            && self.target.is_empty()
            && self.port.is_empty()
            && self.priority.is_empty()
            && self.weight.is_empty()
            && self.exchange.is_empty()
            && self.preference.is_empty()
            && self.data.is_empty()
            && self.ttl.is_empty())
    }

    /// The fewest matches required (see the module documentation).
    pub fn minimum(&self) -> usize {
        if let Some(at_least) = self.at_least {
            return at_least;
        }
        if self.at_most.is_some() {
            return 0;
        }
        let only_negative = !self.has_filters()
            && !self.only
            && self.resolves_to.is_empty()
            && !self.targets_resolve
            && self.covers_role.is_none()
            && (!self.none_in.is_empty() || self.not_cname);
        usize::from(!only_negative)
    }

    /// True when `record` has every filtered field with a listed value.
    pub fn matches(&self, record: &ResponseRecord<'_>) -> bool {
        let data = &*record.data;
        let any = |list: &[u16], value: Option<u16>| {
            list.is_empty() || value.is_some_and(|value| list.contains(&value))
        };
        let address = match data {
            RData::A(v4) => Some(IpAddr::V4(*v4)),
            RData::Aaaa(v6) => Some(IpAddr::V6(*v6)),
            _ => None,
        };
        let (port, priority, weight) = match data {
            RData::Srv {
                port,
                priority,
                weight,
                ..
            } => (Some(*port), Some(*priority), Some(*weight)),
            _ => (None, None, None),
        };
        let (preference, exchange) = match data {
            RData::Mx {
                preference,
                exchange,
            } => (Some(*preference), Some(exchange)),
            _ => (None, None),
        };
        (self.address.is_empty() || address.is_some_and(|a| self.address.contains(&a)))
            && (self.target.is_empty() || data.target().is_some_and(|t| self.target.contains(t)))
            && any(&self.port, port)
            && any(&self.priority, priority)
            && any(&self.weight, weight)
            && any(&self.preference, preference)
            && (self.exchange.is_empty() || exchange.is_some_and(|e| self.exchange.contains(e)))
            && (self.data.is_empty()
                || txt_data(data)
                    .is_some_and(|text| self.data.iter().any(|d| d.as_bytes() == text.as_slice())))
            && (self.ttl.is_empty() || self.ttl.contains(&record.ttl))
    }

    /// The filters in words: `with port 443 and target web1.ams.example.com.`.
    fn describe_filters(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |label: &str, values: Vec<String>| {
            if !values.is_empty() {
                parts.push(format!("{label} {}", values.join(" or ")));
            }
        };
        add(
            "address",
            self.address.iter().map(ToString::to_string).collect(),
        );
        add(
            "target",
            self.target.iter().map(ToString::to_string).collect(),
        );
        add("port", self.port.iter().map(ToString::to_string).collect());
        add(
            "priority",
            self.priority.iter().map(ToString::to_string).collect(),
        );
        add(
            "weight",
            self.weight.iter().map(ToString::to_string).collect(),
        );
        add(
            "exchange",
            self.exchange.iter().map(ToString::to_string).collect(),
        );
        add(
            "preference",
            self.preference.iter().map(ToString::to_string).collect(),
        );
        add("data", self.data.iter().map(|d| format!("{d:?}")).collect());
        add("ttl", self.ttl.iter().map(ToString::to_string).collect());
        if parts.is_empty() {
            String::new()
        } else {
            format!(" with {}", parts.join(" and "))
        }
    }
}

/// `A record`, `authority record`, `additional record`: what the candidates are called.
fn section_label(section: Section, record_type: RecordType) -> String {
    match section {
        Section::Answer => format!("{record_type} record"),
        Section::Authority => "authority record".to_owned(),
        Section::Additional => "additional record".to_owned(),
    }
}

/// A numeric filter: its key, the wanted values, and how to read the field from data.
type NumberFilter<'a> = (&'static str, &'a Vec<u16>, fn(&RData) -> Option<u16>);

fn txt_data(data: &RData) -> Option<Vec<u8>> {
    match data {
        RData::Txt(strings) => Some(strings.concat()),
        _ => None,
    }
}

struct Evaluation<'b> {
    backend: &'b dyn Backend,
    queries: Vec<(Name, RecordType)>,
    mismatches: Vec<Mismatch>,
}

/// Where following a name's CNAMEs led.
struct Followed {
    /// Every name on the chain after the first.
    names: Vec<Name>,
    /// The addresses at its end.
    addresses: Vec<IpAddr>,
    /// Why no address was found, when none was.
    problem: Option<String>,
}

impl<'b> Evaluation<'b> {
    fn query(&mut self, name: &Name, record_type: RecordType) -> Result<Answer<'b>, QueryError> {
        self.queries.push((name.clone(), record_type));
        self.backend.query(name, record_type)
    }

    fn mismatch(&mut self, matcher: &'static str, expected: String, actual: String) {
        self.mismatches.push(Mismatch {
            matcher,
            expected,
            actual,
        });
    }

    fn records(
        &mut self,
        assertion: &Assertion,
        expectation: &RecordExpectation,
        primary: &Answer<'_>,
    ) {
        let record_type = assertion.record_type;
        let minimum = expectation.minimum();
        let rcode_ok = primary.rcode == Rcode::NoError
            || (minimum == 0
                && primary.rcode == Rcode::NxDomain
                && expectation.resolves_to.is_empty());
        if !rcode_ok {
            self.mismatch(
                "rcode",
                if minimum == 0 {
                    "NOERROR or NXDOMAIN".into()
                } else {
                    "NOERROR".into()
                },
                summary(primary, record_type),
            );
            return;
        }
        let section = expectation.section.unwrap_or(Section::Answer);
        let candidates: Vec<&ResponseRecord<'_>> = match section {
            Section::Answer => primary
                .answer
                .iter()
                .filter(|record| record.record_type() == record_type)
                .collect(),
            Section::Authority => primary.authority.iter().collect(),
            Section::Additional => primary.additional.iter().collect(),
        };
        // Words for messages are only built when something failed: the passing path allocates
        // nothing but the candidate lists.
        let section_name = || section_label(section, record_type);
        let matching: Vec<&ResponseRecord<'_>> = candidates
            .iter()
            .copied()
            .filter(|record| expectation.matches(record))
            .collect();
        let filters = || expectation.describe_filters();
        let count = matching.len();
        let at_most = expectation.at_most;
        let count_ok = count >= minimum && at_most.is_none_or(|most| count <= most);
        if !count_ok {
            let counted = |number: usize| plural(number, &section_name());
            let (matcher, bound) = match (expectation.at_least, at_most) {
                (Some(least), Some(most)) if least == most => {
                    ("exactly", format!("exactly {}", counted(least)))
                }
                (Some(least), Some(most)) => {
                    ("at_least", format!("between {least} and {}", counted(most)))
                }
                (_, Some(most)) => ("at_most", format!("at most {}", counted(most))),
                (Some(least), None) => ("at_least", format!("at least {}", counted(least))),
                (None, None) => ("records", format!("at least {}", counted(minimum))),
            };
            let matcher = if expectation.at_least.is_none() && at_most.is_none() {
                first_filter(expectation).unwrap_or(matcher)
            } else {
                matcher
            };
            self.mismatch(
                matcher,
                format!("{bound}{}", filters()),
                describe_candidates(&candidates, &section_name(), primary, record_type),
            );
        }
        if minimum > 0 && count_ok {
            self.presence(
                expectation,
                &matching,
                &candidates,
                section,
                (primary, record_type),
            );
        }
        if expectation.only {
            let extra: Vec<&ResponseRecord<'_>> = candidates
                .iter()
                .copied()
                .filter(|record| !expectation.matches(record))
                .collect();
            if !extra.is_empty() {
                self.mismatch(
                    "only",
                    format!("no {} other than those{}", section_name(), filters()),
                    format!("also: {}", list_records(&extra)),
                );
            }
        }
        if expectation.not_cname
            && let Some(alias) = primary.answer.iter().find(|record| {
                record.record_type() == RecordType::Cname && record.owner == assertion.query
            })
        {
            self.mismatch(
                "not_cname",
                format!("{} is not an alias", assertion.query),
                format!("it is: {}", record_text(alias)),
            );
        }
        if let Some(covers) = &expectation.covers_role {
            self.covers_role(covers, &candidates);
        }
        if expectation.targets_resolve {
            self.targets_resolve(&candidates);
        }
        if !expectation.resolves_to.is_empty() {
            self.resolves_to(&assertion.query, &expectation.resolves_to);
        }
        if !expectation.none_in.is_empty() {
            self.none_in(&assertion.query, &expectation.none_in, primary);
        }
    }

    /// With a match required, every listed value must appear among the matches.
    fn presence(
        &mut self,
        expectation: &RecordExpectation,
        matching: &[&ResponseRecord<'_>],
        candidates: &[&ResponseRecord<'_>],
        section: Section,
        (primary, record_type): (&Answer<'_>, RecordType),
    ) {
        let single = |filter: &RecordExpectation| -> Vec<(&'static str, String)> {
            let mut missing = Vec::new();
            for address in &filter.address {
                let found = matching.iter().any(|record| match &*record.data {
                    RData::A(v4) => IpAddr::V4(*v4) == *address,
                    RData::Aaaa(v6) => IpAddr::V6(*v6) == *address,
                    _ => false,
                });
                if !found {
                    missing.push(("address", address.to_string()));
                }
            }
            for target in &filter.target {
                if !matching
                    .iter()
                    .any(|record| record.data.target() == Some(target))
                {
                    missing.push(("target", target.to_string()));
                }
            }
            for exchange in &filter.exchange {
                if !matching.iter().any(|record| matches!(&*record.data, RData::Mx { exchange: e, .. } if e == exchange)) {
                    missing.push(("exchange", exchange.to_string()));
                }
            }
            for data in &filter.data {
                if !matching.iter().any(|record| {
                    txt_data(&record.data).is_some_and(|text| text == data.as_bytes())
                }) {
                    missing.push(("data", format!("{data:?}")));
                }
            }
            let numbers: [NumberFilter<'_>; 4] = [
                ("port", &filter.port, |d| match d {
                    RData::Srv { port, .. } => Some(*port),
                    _ => None,
                }),
                ("priority", &filter.priority, |d| match d {
                    RData::Srv { priority, .. } => Some(*priority),
                    _ => None,
                }),
                ("weight", &filter.weight, |d| match d {
                    RData::Srv { weight, .. } => Some(*weight),
                    _ => None,
                }),
                ("preference", &filter.preference, |d| match d {
                    RData::Mx { preference, .. } => Some(*preference),
                    _ => None,
                }),
            ];
            for (label, values, get) in numbers {
                for value in values {
                    if !matching
                        .iter()
                        .any(|record| get(&record.data) == Some(*value))
                    {
                        missing.push((label, value.to_string()));
                    }
                }
            }
            for ttl in &filter.ttl {
                if !matching.iter().any(|record| record.ttl == *ttl) {
                    missing.push(("ttl", ttl.to_string()));
                }
            }
            missing
        };
        for (matcher, value) in single(expectation) {
            self.mismatch(
                matcher,
                format!(
                    "a {} with {matcher} {value}",
                    section_label(section, record_type)
                ),
                describe_candidates(
                    candidates,
                    &section_label(section, record_type),
                    primary,
                    record_type,
                ),
            );
        }
    }

    fn covers_role(&mut self, covers: &CoversRole, candidates: &[&ResponseRecord<'_>]) {
        let mut actual: Vec<&Name> = candidates
            .iter()
            .filter_map(|record| match &*record.data {
                RData::Srv { target, .. } => Some(target),
                _ => None,
            })
            .collect();
        actual.sort();
        actual.dedup();
        let missing: Vec<String> = covers
            .hosts
            .iter()
            .filter(|host| actual.binary_search(host).is_err())
            .map(ToString::to_string)
            .collect();
        let extra: Vec<String> = actual
            .iter()
            .filter(|target| covers.hosts.binary_search(target).is_err())
            .map(ToString::to_string)
            .collect();
        if missing.is_empty() && extra.is_empty() {
            return;
        }
        let place = covers
            .datacenter
            .as_deref()
            .map_or_else(|| "in every datacenter".to_owned(), |dc| format!("in {dc}"));
        let mut actual_text = Vec::new();
        if !missing.is_empty() {
            actual_text.push(format!("missing: {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            actual_text.push(format!("not in the CMDB selection: {}", extra.join(", ")));
        }
        self.mismatch(
            "covers_role",
            format!(
                "SRV targets exactly the {} SRV-status host(s) with role `{}` {place}",
                covers.hosts.len(),
                covers.role
            ),
            actual_text.join("; "),
        );
    }

    fn targets_resolve(&mut self, candidates: &[&ResponseRecord<'_>]) {
        let mut seen: Vec<&Name> = Vec::new();
        for record in candidates {
            let Some(target) = record.data.target() else {
                continue;
            };
            if seen.contains(&target) {
                continue;
            }
            seen.push(target);
            let mut followed = self.follow(target, RecordType::A);
            if followed.addresses.is_empty() {
                followed = self.follow(target, RecordType::Aaaa);
            }
            if followed.addresses.is_empty() {
                self.mismatch(
                    "targets_resolve",
                    format!("{target} has an A or AAAA record"),
                    followed.problem.unwrap_or_else(|| "no address".to_owned()),
                );
            }
        }
    }

    fn resolves_to(&mut self, query: &Name, destinations: &[Destination]) {
        let wants_v6 = destinations
            .iter()
            .any(|d| matches!(d, Destination::Address(IpAddr::V6(_))));
        let wants_v4 = !wants_v6
            || destinations
                .iter()
                .any(|d| !matches!(d, Destination::Address(IpAddr::V6(_))));
        let mut names = Vec::new();
        let mut addresses = Vec::new();
        let mut problems = Vec::new();
        for (wanted, record_type) in [(wants_v4, RecordType::A), (wants_v6, RecordType::Aaaa)] {
            if !wanted {
                continue;
            }
            let followed = self.follow(query, record_type);
            for name in followed.names {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            addresses.extend(followed.addresses);
            problems.extend(followed.problem);
        }
        for destination in destinations {
            let reached = match destination {
                Destination::Address(address) => addresses.contains(address),
                Destination::Name(name) => names.contains(name),
            };
            if !reached {
                let mut actual = String::new();
                if !names.is_empty() {
                    let chain: Vec<String> = names.iter().map(ToString::to_string).collect();
                    let _ = write!(actual, "chain: {query} -> {}; ", chain.join(" -> "));
                }
                if addresses.is_empty() {
                    actual.push_str("no address");
                } else {
                    let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                    let _ = write!(actual, "addresses: {}", list.join(", "));
                }
                for problem in &problems {
                    let _ = write!(actual, " ({problem})");
                }
                self.mismatch(
                    "resolves_to",
                    format!("{query} resolves to {destination}"),
                    actual,
                );
            }
        }
    }

    fn none_in(&mut self, query: &Name, prefixes: &[IpNet], primary: &Answer<'_>) {
        let mut addresses: Vec<IpAddr> = primary
            .answer
            .iter()
            .filter_map(|record| match &*record.data {
                RData::A(v4) => Some(IpAddr::V4(*v4)),
                RData::Aaaa(v6) => Some(IpAddr::V6(*v6)),
                _ => None,
            })
            .collect();
        for record_type in [RecordType::A, RecordType::Aaaa] {
            addresses.extend(self.follow(query, record_type).addresses);
        }
        addresses.sort();
        addresses.dedup();
        let inside: Vec<String> = addresses
            .iter()
            .filter_map(|address| {
                prefixes
                    .iter()
                    .find(|prefix| prefix.contains(address))
                    .map(|prefix| format!("{address} (in {prefix})"))
            })
            .collect();
        if !inside.is_empty() {
            let prefixes: Vec<String> = prefixes.iter().map(ToString::to_string).collect();
            self.mismatch(
                "none_in",
                format!("no address of {query} in {}", prefixes.join(", ")),
                inside.join(", "),
            );
        }
    }

    /// Follows `name`'s CNAMEs for `record_type`, asking again where the server stopped at a
    /// zone boundary (as a stub resolver behind a recursive one would see it).
    fn follow(&mut self, name: &Name, record_type: RecordType) -> Followed {
        let mut followed = Followed {
            names: Vec::new(),
            addresses: Vec::new(),
            problem: None,
        };
        let mut current = name.clone();
        loop {
            let answer = match self.query(&current, record_type) {
                Ok(answer) => answer,
                Err(error) => {
                    followed.problem = Some(error.to_string());
                    return followed;
                }
            };
            // Walk the chain inside this response.
            let mut end = current.clone();
            while let Some(alias) = answer.answer.iter().find_map(|record| match &*record.data {
                RData::Cname(target) if record.owner == end => Some(target),
                _ => None,
            }) {
                if followed.names.contains(alias)
                    || *alias == *name
                    || followed.names.len() >= MAX_CHAIN
                {
                    followed.problem = Some(format!(
                        "the CNAME chain from {name} loops or is longer than {MAX_CHAIN}"
                    ));
                    return followed;
                }
                followed.names.push(alias.clone());
                end = alias.clone();
            }
            followed.addresses.extend(
                answer
                    .answer
                    .iter()
                    .filter(|record| record.owner == end)
                    .filter_map(|record| match &*record.data {
                        RData::A(v4) if record_type == RecordType::A => Some(IpAddr::V4(*v4)),
                        RData::Aaaa(v6) if record_type == RecordType::Aaaa => Some(IpAddr::V6(*v6)),
                        _ => None,
                    }),
            );
            if !followed.addresses.is_empty() {
                return followed;
            }
            let negative = answer
                .authority
                .iter()
                .any(|record| matches!(record.record_type(), RecordType::Soa | RecordType::Ns));
            if end != current && answer.rcode == Rcode::NoError && !negative {
                // The server stopped at a zone boundary: ask for the target.
                current = end;
                continue;
            }
            followed.problem = Some(format!("{end} {}", outcome_words(&answer, record_type)));
            return followed;
        }
    }
}

/// What a response says about its last name, in words: `does not exist (NXDOMAIN)`.
fn outcome_words(answer: &Answer<'_>, record_type: RecordType) -> String {
    match answer.rcode {
        Rcode::NxDomain => "does not exist (NXDOMAIN)".to_owned(),
        Rcode::Refused => "is in no zone the server serves (REFUSED)".to_owned(),
        Rcode::NoError
            if answer
                .authority
                .iter()
                .any(|r| r.record_type() == RecordType::Ns) =>
        {
            "is delegated elsewhere (referral)".to_owned()
        }
        Rcode::NoError => format!("has no {record_type} record (NODATA)"),
        other => format!("could not be resolved ({other})"),
    }
}

fn first_filter(expectation: &RecordExpectation) -> Option<&'static str> {
    [
        ("address", expectation.address.is_empty()),
        ("target", expectation.target.is_empty()),
        ("port", expectation.port.is_empty()),
        ("priority", expectation.priority.is_empty()),
        ("weight", expectation.weight.is_empty()),
        ("exchange", expectation.exchange.is_empty()),
        ("preference", expectation.preference.is_empty()),
        ("data", expectation.data.is_empty()),
        ("ttl", expectation.ttl.is_empty()),
    ]
    .into_iter()
    .find(|(_, empty)| !empty)
    .map(|(name, _)| name)
}

fn describe_candidates(
    candidates: &[&ResponseRecord<'_>],
    section_name: &str,
    primary: &Answer<'_>,
    record_type: RecordType,
) -> String {
    if candidates.is_empty() {
        // For the answer section the response summary says it all (NODATA, a referral, a
        // chain without the type).
        return if section_name.starts_with(record_type.as_str()) {
            summary(primary, record_type)
        } else {
            format!("no {section_name} ({})", summary(primary, record_type))
        };
    }
    format!(
        "{}: {}",
        plural(candidates.len(), section_name),
        list_records(candidates)
    )
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
