//! Stage 5: rspec-dns-style assertions, run against the in-memory resolver or a live server.
//!
//! - [`spec`] (IO edge) reads `assertions/*.yaml` into [`spec::Spec`]s: templates and spans;
//! - [`expand`] (pure) renders every `for_each` binding into a typed [`Assertion`];
//! - [`resolver`] (pure) answers queries from the zone set as an authoritative server does;
//! - [`live`] (IO edge) asks a real server over UDP (TCP on truncation);
//! - [`run`] (this module, pure given a pure backend) evaluates every assertion against a
//!   [`Backend`], in parallel, each through [`evaluate`] (`matchers.rs`: the matcher set), and
//!   [`explain`] turns a failure into a resolution trace that names the YAML line or CMDB row
//!   behind every record;
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
use crate::dns::name::Name;
use crate::dns::record_type::RecordType;
use crate::model::record::Provenance;

pub mod coverage;
pub mod expand;
pub mod live;
pub mod report;
pub mod resolver;
pub mod spec;
pub mod wire;

mod matchers;

pub use matchers::evaluate;

pub use expand::DEFAULT_MAX_ASSERTIONS;
use resolver::{Answer, Event, Rcode, Resolver, ResponseRecord, Step};

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

/// Fills in the trace of every failed outcome from the model (see [`explain`]).
pub fn explain_failures(resolver: &Resolver<'_>, outcomes: &mut [Outcome]) {
    outcomes
        .par_iter_mut()
        .filter(|outcome| outcome.verdict == Verdict::Fail)
        .for_each(|outcome| outcome.trace = explain(resolver, &outcome.queries));
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
    crate::model::presentation::write_rdata(&record.data, &mut text);
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
