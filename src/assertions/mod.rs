//! Stage 5: rspec-dns-style assertions, run against the in-memory resolver or a live server.
//!
//! - [`spec`] (IO edge) reads `assertions/*.yaml` into [`spec::Spec`]s: templates and spans;
//! - [`expand`] (pure) renders every `for_each` binding into a typed [`Assertion`];
//! - [`resolver`] (pure) answers queries from the zone set as an authoritative server does;
//! - [`live`] (IO edge) asks a real server over UDP (TCP on truncation);
//! - [`run`] (this module, pure given a pure backend) evaluates every assertion against a
//!   [`Backend`], in parallel, and [`explain`] turns a failure into a resolution trace that names
//!   the YAML line or CMDB row behind every record;
//! - [`coverage`] reports which services, datacenters and hand-edited records the suite touches;
//! - [`report`] prints results as text, JSON, JUnit XML or GitHub annotations.
//!
//! Semantics of an `expect` mapping (documented for users in README.md):
//!
//! - The *candidates* are the answer-section records of the query type (CNAMEs the server
//!   followed are not candidates unless the type is CNAME); with `in_authority`/`in_additional`,
//!   every record of that section.
//! - A candidate *matches* when, for every filter given (`address`, `target`, `port`, `priority`,
//!   `weight`, `exchange`, `preference`, `data`, `ttl`), it has that field with one of the listed
//!   values.
//! - The number of matches must be within `at_least`/`at_most`/`exactly`; without a count at
//!   least one match is required, unless the mapping holds only negative matchers (`none_in`,
//!   `not_cname`). When a match is required, every listed value must appear in some match.
//! - `only`: every candidate matches. `not_cname`: no CNAME is owned by the query name.
//!   `none_in`: no address of the name (CNAMEs followed) lies in the prefixes. `resolves_to`:
//!   following CNAMEs (asking again where the server stopped at a zone boundary) reaches every
//!   listed address or name. `targets_resolve`: every candidate's target has an A or AAAA record.
//!   `covers_role`: the candidates' SRV targets are exactly the role's SRV-status hosts.
//! - The response code must be NOERROR, or NXDOMAIN too when no match is required.
//!   `nxdomain` and `refused` test the response code; `nodata` is RFC 2308's NODATA: NOERROR, no
//!   record of the type, an SOA in the authority section.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::net::IpAddr;

use ipnet::IpNet;
use rayon::prelude::*;

use crate::diagnostic::Span;
use crate::model::name::Name;
use crate::model::record::{Provenance, RData, RecordType};

pub mod coverage;
pub mod expand;
pub mod live;
pub mod report;
pub mod resolver;
pub mod spec;
pub mod wire;

pub use expand::DEFAULT_MAX_ASSERTIONS;
use resolver::{Answer, Event, Rcode, Resolver, ResponseRecord, Step};

/// The rule code of a failed assertion in reports.
pub const FAILED: &str = "assertion-failed";

/// How many names a CNAME chain may pass through when the runner follows it across zones.
pub const MAX_CHAIN: usize = 16;

/// One assertion with every template rendered: a query and what its response must satisfy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// `it`, rendered.
    pub it: String,
    /// The list item in the assertion file.
    pub span: Span,
    /// The `for_each` binding this instance came from: variable and value, in order.
    pub bindings: Vec<(String, String)>,
    /// The query name.
    pub query: Name,
    /// The query type.
    pub record_type: RecordType,
    /// What the response must satisfy.
    pub expect: Expectation,
}

impl Assertion {
    /// What the assertion checks: `it` as rendered (with the binding appended when `it` has no
    /// variables, so the instances of a `for_each` differ).
    pub fn title(&self) -> &str {
        &self.it
    }
}

/// What a response must satisfy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// The response code is NXDOMAIN.
    NxDomain,
    /// NOERROR, no record of the type, an SOA in authority (RFC 2308 section 2.2).
    NoData,
    /// The response code is REFUSED.
    Refused,
    /// Matchers over the records.
    Records(Box<RecordExpectation>),
}

/// Which section `expect` matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// The answer section (the default).
    Answer,
    /// The authority section (`in_authority`; live servers only).
    Authority,
    /// The additional section (`in_additional`; live servers only).
    Additional,
}

/// The matchers of an `expect` mapping, typed. Empty lists are absent filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordExpectation {
    /// Which section is matched (`None` = answer).
    pub section: Option<Section>,
    /// A/AAAA addresses.
    pub address: Vec<IpAddr>,
    /// CNAME/NS/PTR/SRV targets and MX exchanges.
    pub target: Vec<Name>,
    /// SRV ports.
    pub port: Vec<u16>,
    /// SRV priorities.
    pub priority: Vec<u16>,
    /// SRV weights.
    pub weight: Vec<u16>,
    /// MX exchanges.
    pub exchange: Vec<Name>,
    /// MX preferences.
    pub preference: Vec<u16>,
    /// TXT data (the character-strings concatenated).
    pub data: Vec<String>,
    /// TTLs, seconds.
    pub ttl: Vec<u32>,
    /// Fewest matches.
    pub at_least: Option<usize>,
    /// Most matches.
    pub at_most: Option<usize>,
    /// Every candidate must match.
    pub only: bool,
    /// Addresses or names reached by following CNAMEs.
    pub resolves_to: Vec<Destination>,
    /// Every candidate's target has an address.
    pub targets_resolve: bool,
    /// The SRV targets are exactly these hosts.
    pub covers_role: Option<CoversRole>,
    /// No address of the name in these prefixes.
    pub none_in: Vec<IpNet>,
    /// No CNAME at the query name.
    pub not_cname: bool,
}

/// A `resolves_to` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// An address the chain must end at.
    Address(IpAddr),
    /// A name the chain must pass through.
    Name(Name),
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Address(address) => write!(f, "{address}"),
            Destination::Name(name) => write!(f, "{name}"),
        }
    }
}

/// `covers_role`, resolved against the CMDB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoversRole {
    /// The role.
    pub role: String,
    /// The datacenter, or `None` for every one.
    pub datacenter: Option<String>,
    /// The SRV-status hosts with the role there, sorted.
    pub hosts: Vec<Name>,
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

/// Where responses come from.
pub trait Backend: Sync {
    /// Sends one query and returns the whole response.
    fn query(&self, name: &Name, record_type: RecordType) -> Result<Answer<'_>, QueryError>;

    /// True for a live server: the authority and additional sections are matched only then,
    /// because what a server puts there beyond referrals and negative answers is its own choice.
    fn is_live(&self) -> bool;

    /// How many queries may be in flight at once (assertions run on that many threads).
    fn concurrency(&self) -> usize {
        rayon::current_num_threads()
    }
}

impl Backend for Resolver<'_> {
    fn query(&self, name: &Name, record_type: RecordType) -> Result<Answer<'_>, QueryError> {
        Ok(self.answer(name, record_type))
    }

    fn is_live(&self) -> bool {
        false
    }
}

/// A query that got no usable response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// No response after every try.
    #[error("no response from {server} (tries: {tries}, {timeout_ms} ms each)")]
    Timeout {
        /// The server.
        server: String,
        /// Tries made.
        tries: usize,
        /// Time waited per try.
        timeout_ms: u64,
    },
    /// A socket error.
    #[error("cannot query {server}: {message}")]
    Io {
        /// The server.
        server: String,
        /// What failed.
        message: String,
    },
    /// The response could not be understood.
    #[error("malformed response from {server}: {message}")]
    Malformed {
        /// The server.
        server: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The verdict on one assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every matcher held.
    Pass,
    /// A matcher failed, or a query got no response.
    Fail,
    /// Not evaluated by this backend (authority/additional matchers in memory).
    Skip,
}

/// One matcher that did not hold.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// The matcher (`at_least`, `address`, `nxdomain`, ...).
    pub matcher: &'static str,
    /// What was expected, in words.
    pub expected: String,
    /// What the response had, in words.
    pub actual: String,
}

/// The result of one assertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Every matcher that failed (empty unless `Fail`).
    pub mismatches: Vec<Mismatch>,
    /// Why it was skipped.
    pub skipped: Option<&'static str>,
    /// The response to the assertion's own query, owned.
    pub response: Option<Answer<'static>>,
    /// Every query sent, in order (the assertion's own first; then follow-ups for
    /// `resolves_to`, `targets_resolve`, `none_in`).
    pub queries: Vec<(Name, RecordType)>,
    /// For a failure, the model's resolution of those queries (see [`explain_failures`]).
    pub trace: Vec<TraceLine>,
}

/// Reads `assertions/*.yaml` from `files` and expands them against `inventory`, at most
/// `max_assertions` in all (see [`expand::expand`]), registering the files in `sources`. The
/// diagnostics are malformed assertions (exit 2): each is located, and nothing should run while
/// any exists.
pub fn load(
    files: &dyn crate::inventory::files::Files,
    inventory: &crate::inventory::Inventory,
    sources: &mut crate::diagnostic::SourceMap,
    max_assertions: u64,
) -> Result<(Vec<Assertion>, Vec<crate::diagnostic::Diagnostic>), crate::inventory::Error> {
    let (specs, mut diagnostics) = spec::load(files, sources)?;
    let (assertions, more) = expand::expand(&specs, inventory, max_assertions);
    diagnostics.extend(more);
    Ok((assertions, diagnostics))
}

/// Evaluates every assertion against `backend`, in parallel, in input order.
pub fn run(assertions: &[Assertion], backend: &dyn Backend) -> Vec<Outcome> {
    run_observed(assertions, backend, &|| {})
}

/// Like [`run`], calling `done` after each assertion (from any thread), e.g. to advance a
/// progress bar.
pub fn run_observed(
    assertions: &[Assertion],
    backend: &dyn Backend,
    done: &(dyn Fn() + Sync),
) -> Vec<Outcome> {
    let evaluate_all = || {
        assertions
            .par_iter()
            .map(|assertion| {
                let outcome = evaluate(assertion, backend);
                done();
                outcome
            })
            .collect()
    };
    let wanted = backend.concurrency();
    if wanted > rayon::current_num_threads()
        && let Ok(pool) = rayon::ThreadPoolBuilder::new()
            .num_threads(wanted)
            .thread_name(|index| format!("zonegate-query-{index}"))
            .build()
    {
        return pool.install(evaluate_all);
    }
    evaluate_all()
}

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

/// Fills in the trace of every failed outcome from the model (see [`explain`]).
pub fn explain_failures(resolver: &Resolver<'_>, outcomes: &mut [Outcome]) {
    outcomes
        .par_iter_mut()
        .filter(|outcome| outcome.verdict == Verdict::Fail)
        .for_each(|outcome| outcome.trace = explain(resolver, &outcome.queries));
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

fn list_records(records: &[&ResponseRecord<'_>]) -> String {
    records
        .iter()
        .map(|record| record_text(record))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `owner TTL TYPE data`, master-file style.
pub fn record_text(record: &ResponseRecord<'_>) -> String {
    let mut text = String::with_capacity(64);
    let _ = write!(
        text,
        "{} {} {} ",
        record.owner,
        record.ttl,
        record.record_type()
    );
    crate::render::write_rdata(&record.data, &mut text);
    text
}

/// The response code and counts in one line: `NOERROR, aa, 2 answer, 0 authority, 0 additional`.
pub fn summary_line(answer: &Answer<'_>) -> String {
    format!(
        "{}, {}, {} answer, {} authority, {} additional",
        answer.rcode,
        if answer.authoritative {
            "aa"
        } else {
            "not authoritative"
        },
        answer.answer.len(),
        answer.authority.len(),
        answer.additional.len()
    )
}

/// The response as a short text for a mismatch: rcode, then answer records (or a referral).
pub fn summary(answer: &Answer<'_>, record_type: RecordType) -> String {
    let mut text = answer.rcode.to_string();
    if !answer.answer.is_empty() {
        let records: Vec<&ResponseRecord<'_>> = answer.answer.iter().collect();
        let _ = write!(text, ": {}", list_records(&records));
    } else if answer.rcode == Rcode::NoError
        && answer
            .authority
            .iter()
            .any(|record| record.record_type() == RecordType::Ns)
    {
        text.push_str(", referral to ");
        let servers: Vec<String> = answer
            .authority
            .iter()
            .filter_map(|record| record.data.target().map(ToString::to_string))
            .collect();
        text.push_str(&servers.join(", "));
    } else if answer.rcode == Rcode::NoError {
        let _ = write!(text, ", no {record_type} record (NODATA)");
    }
    text
}

/// One step of an explanation, owned, ready to print.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TraceLine {
    /// The query this step belongs to (`name TYPE`).
    pub query: String,
    /// The zone consulted.
    pub zone: Option<String>,
    /// What happened, in words.
    pub event: String,
    /// The records involved, each with the input that produced it.
    pub records: Vec<TracedRecord>,
}

/// A record in a trace, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TracedRecord {
    /// `owner TTL TYPE data`.
    pub text: String,
    /// The YAML line or CMDB row.
    #[serde(skip)]
    pub provenance: Option<Provenance>,
}

/// Re-runs `queries` on the model with tracing on: what the zones say, step by step, and which
/// input line produced each record. For a live failure this explains what the server *should*
/// have answered.
pub fn explain(resolver: &Resolver<'_>, queries: &[(Name, RecordType)]) -> Vec<TraceLine> {
    let mut lines = Vec::new();
    let mut steps: Vec<Step<'_>> = Vec::new();
    for (index, (name, record_type)) in queries.iter().enumerate() {
        if lines.len() > 64 {
            break;
        }
        if queries[..index].contains(&(name.clone(), *record_type)) {
            continue;
        }
        steps.clear();
        let _ = resolver.answer_traced(name, *record_type, &mut steps);
        for step in &steps {
            lines.push(TraceLine {
                query: format!("{name} {record_type}"),
                zone: step.zone.map(ToString::to_string),
                event: event_text(step),
                records: step
                    .records
                    .iter()
                    .map(|record| TracedRecord {
                        text: record_text(&ResponseRecord {
                            owner: record.name.clone(),
                            ttl: record.ttl,
                            data: Cow::Borrowed(&record.data),
                            provenance: None,
                        }),
                        provenance: Some(record.provenance),
                    })
                    .collect(),
            });
        }
    }
    lines
}

fn event_text(step: &Step<'_>) -> String {
    let name = &step.name;
    match step.event {
        Event::NoZone => format!("{name} is in no managed zone: REFUSED"),
        Event::Found => format!("{name} has the records"),
        Event::Wildcard => format!("{name} does not exist; the wildcard answers for it"),
        Event::Cname => format!("{name} is an alias; following it in the same zone"),
        Event::LeavesZone => {
            format!("{name} is an alias for a name in another zone; the server stops here")
        }
        Event::Referral => format!("{name} is at or below a delegation: referral"),
        Event::NoData => format!("{name} exists but has no record of the type: NODATA"),
        Event::NxDomain => format!("{name} does not exist: NXDOMAIN"),
        Event::ChainTooLong => format!("the CNAME chain at {name} loops or is too long: SERVFAIL"),
    }
}

#[cfg(test)]
mod tests;
