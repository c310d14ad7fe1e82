//! Parity between the in-memory resolver and a real BIND: the zones are rendered with the
//! library, loaded by `named` on 127.0.0.1 at a free high port, and the same assertions run
//! through both backends. Verdicts must agree assertion by assertion; `in_authority` and
//! `in_additional` (live only) are skipped in memory and must hold live. BIND is stopped by PID
//! when the test ends, whether it passed or not.
//!
//! `scripts/test.sh` installs BIND; a missing `named` fails the test rather than skipping it.
#![allow(clippy::disallowed_methods)] // Tests write zone files and start BIND.

mod support;

use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zonegate::assertions::live::{self, Server};
use zonegate::assertions::resolver::Resolver;
use zonegate::assertions::{self, Backend, Outcome, Verdict};
use zonegate::diagnostic::SourceMap;
use zonegate::dns::record_type::RecordType;
use zonegate::inventory::{self, files::Directory};
use zonegate::model::zone::ZoneSet;
use zonegate::serial::Clock;

/// A running `named`, killed and reaped on drop.
struct Bind {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
}

impl Drop for Bind {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bind {
    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A port free for both UDP and TCP on 127.0.0.1.
fn free_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1");
}

/// Renders `zones` into `directory`, writes a named.conf serving them and starts BIND.
fn start_bind(inventory: &inventory::Inventory, zones: &ZoneSet, directory: &Path) -> Bind {
    let (files, manifest) = zonegate::commands::pipeline::render_all(
        inventory,
        zones,
        None,
        Clock {
            unix_seconds: 1_795_564_800,
        },
    )
    .expect("the zones render");
    let mut conf = String::new();
    let port = free_port();
    let _ = write!(
        conf,
        "options {{\n  directory \"{dir}\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  \
listen-on-v6 {{ none; }};\n  recursion no;\n  pid-file \"{dir}/named.pid\";\n  \
session-keyfile \"{dir}/session.key\";\n  managed-keys-directory \"{dir}\";\n}};\n\
controls {{ }};\n",
        dir = directory.display()
    );
    for (file, entry) in files.iter().zip(&manifest.zones) {
        let path = directory.join(&file.file);
        fs::write(&path, &file.text).unwrap();
        let _ = writeln!(
            conf,
            "zone \"{}\" {{ type primary; file \"{}\"; }};",
            entry.origin,
            path.display()
        );
    }
    let conf_path = directory.join("named.conf");
    fs::write(&conf_path, conf).unwrap();
    let log = directory.join("named.log");
    let child = Command::new("/usr/sbin/named")
        .arg("-g")
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&log).unwrap())
        .stderr(fs::File::create(directory.join("named.stderr")).unwrap())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot start /usr/sbin/named ({error}); run scripts/test.sh, which installs bind9"
            )
        });
    let mut bind = Bind {
        child,
        address: SocketAddr::from(([127, 0, 0, 1], port)),
        log: directory.join("named.stderr"),
    };
    wait_until_serving(&mut bind, &zones.zones[0].origin);
    bind
}

/// Polls until BIND answers authoritatively for `zone` (bounded: 30 s).
fn wait_until_serving(bind: &mut Bind, zone: &zonegate::dns::name::Name) {
    let probe = Server::new(
        bind.address,
        live::Options {
            timeout: Duration::from_millis(200),
            tries: 1,
            concurrency: 1,
        },
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = bind.child.try_wait().unwrap() {
            panic!("named exited with {status}:\n{}", bind.log());
        }
        if let Ok(answer) = probe.query(zone, RecordType::Soa)
            && answer.authoritative
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("named did not answer within 30 s:\n{}", bind.log());
}

/// Loads `root`, builds the zones and expands its assertions.
fn load(
    root: &Path,
) -> (
    inventory::Inventory,
    ZoneSet,
    Vec<assertions::Assertion>,
    SourceMap,
) {
    let files = Directory::new(root);
    let inventory = inventory::load(&files).expect("the repository loads");
    let (zones, _) = zonegate::model::build(&inventory);
    let mut sources = inventory.sources.clone();
    let (assertions, problems) = assertions::load(
        &files,
        &inventory,
        &mut sources,
        assertions::DEFAULT_MAX_ASSERTIONS,
    )
    .expect("the assertions are readable");
    let rendered: Vec<String> = problems
        .iter()
        .map(|problem| problem.display(&sources).to_string())
        .collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
    (inventory, zones, assertions, sources)
}

fn verdict_table(
    assertions: &[assertions::Assertion],
    memory: &[Outcome],
    live: &[Outcome],
) -> String {
    assertions
        .iter()
        .zip(memory.iter().zip(live))
        .map(|(assertion, (memory, live))| {
            format!(
                "{:?}/{:?} {}",
                memory.verdict,
                live.verdict,
                assertion.title()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the assertions of the repository at `root` through BIND and the in-memory resolver and
/// checks each verdict: an assertion whose `it` ends in "(fails)" must fail, every other must
/// pass (in_authority and in_additional: skipped in memory, passed live).
fn check_parity(root: &Path, minimum: usize) {
    let (inventory, zones, assertions, _) = load(root);
    assert!(
        assertions.len() >= minimum,
        "the suite expands to {} assertions",
        assertions.len()
    );
    let temp = tempfile::tempdir().unwrap();
    let bind = start_bind(&inventory, &zones, temp.path());

    let resolver = Resolver::new(&zones);
    let memory = assertions::run(&assertions, &resolver);
    let server = Server::new(bind.address, live::Options::default());
    let live = assertions::run(&assertions, &server);
    let table = verdict_table(&assertions, &memory, &live);
    let failing = assertions
        .iter()
        .filter(|assertion| assertion.title().ends_with("(fails)"))
        .count();
    assert!(
        failing >= 10,
        "only {failing} deliberately failing assertions"
    );

    for ((assertion, memory), live) in assertions.iter().zip(&memory).zip(&live) {
        let title = assertion.title();
        let expected = if title.ends_with("(fails)") {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        assert_eq!(
            live.verdict, expected,
            "live verdict of `{title}`: {:?}\n{table}",
            live.mismatches
        );
        let live_only =
            matches!(&assertion.expect, assertions::Expectation::Records(e) if e.section.is_some());
        let expected_memory = if live_only { Verdict::Skip } else { expected };
        assert_eq!(
            memory.verdict, expected_memory,
            "in-memory verdict of `{title}`: {:?}\n{table}",
            memory.mismatches
        );
        if !live_only {
            // Same queries (in any order: BIND rotates RRsets), same mismatches: the matchers
            // saw the same records.
            let sorted = |outcome: &Outcome| {
                let mut queries = outcome.queries.clone();
                queries.sort();
                queries
            };
            assert_eq!(sorted(memory), sorted(live), "queries of `{title}`");
            let matchers = |outcome: &Outcome| {
                outcome
                    .mismatches
                    .iter()
                    .map(|mismatch| mismatch.matcher)
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                matchers(memory),
                matchers(live),
                "failed matchers of `{title}`"
            );
        }
    }
    drop(bind);
}

#[test]
fn bind_and_the_in_memory_resolver_give_the_same_verdicts_on_every_response_kind() {
    check_parity(&support::fixtures().join("assertions"), 40);
}

/// The example suite in `assertions/` over the example repository in `zones/`, plus assertions
/// that must fail.
#[test]
fn the_example_suite_gives_the_same_verdicts_on_bind() {
    let repo = support::example_repository();
    fs::write(
        repo.path().join("assertions/zz-deliberately-failing.yaml"),
        DELIBERATELY_FAILING,
    )
    .unwrap();
    check_parity(repo.path(), 300);
}

const DELIBERATELY_FAILING: &str = "
- it: playlist has a global name (fails)
  query: _playlist._tcp.example.net.
  type: SRV
  expect: { at_least: 1 }
- it: search runs on ten hosts in ash (fails)
  query: _search._tcp.ash.example.net.
  type: SRV
  expect: { at_least: 10 }
- it: payment runs in sto (fails)
  query: _payment._tcp.sto.example.net.
  type: SRV
  expect: { covers_role: { role: payment, datacenter: sto } }
- it: www points straight at a host (fails)
  query: www.example.net.
  type: CNAME
  expect: { target: edge01.lon.example.net. }
- it: www is on a private address (fails)
  query: www.example.net.
  expect: { resolves_to: 10.3.2.17 }
- it: www has no alias (fails)
  query: www.example.net.
  expect: { not_cname: true }
- it: the edge is inside the datacenter network (fails)
  query: edge.example.net.
  expect: { none_in: 192.0.2.0/24 }
- it: mail has a third exchanger (fails)
  query: example.net.
  type: MX
  expect: { exactly: 3 }
- it: mail prefers ash (fails)
  query: example.net.
  type: MX
  expect: { exchange: mx2.ash.example.net., preference: 10 }
- it: spf allows everyone (fails)
  query: example.net.
  type: TXT
  expect: { data: v=spf1 +all }
- it: grafana answers with a short ttl (fails)
  query: grafana.example.net.
  type: CNAME
  expect: { ttl: 60 }
- it: the corp name server answers here (fails)
  query: ns1.corp.example.net.
  expect: { at_least: 1 }
- it: corp is delegated elsewhere (fails)
  query: corp.example.net.
  type: NS
  expect: { in_authority: true, target: ns9.corp.example.net. }
- it: corp carries more glue (fails)
  query: corp.example.net.
  type: NS
  expect: { in_additional: true, address: 10.0.0.155 }
- it: the apex has no mail (fails)
  query: example.net.
  type: MX
  expect: nodata
- it: bastion is gone (fails)
  query: bastion.example.net.
  expect: nxdomain
- it: our own domain is refused (fails)
  query: example.net.
  type: SOA
  expect: refused
- it: the name servers live in another zone (fails)
  query: example.net.
  type: NS
  expect: { target: ns1.example.org., only: true }
";

/// The answers themselves agree, section by section, for every response kind the resolver
/// documents (BIND adds NS and addresses to positive answers; those extra sections are BIND's
/// choice and not compared).
#[test]
fn bind_answers_like_the_resolver_for_every_response_kind() {
    let root = support::fixtures().join("assertions");
    let (inventory, zones, _, _) = load(&root);
    let temp = tempfile::tempdir().unwrap();
    let bind = start_bind(&inventory, &zones, temp.path());
    let resolver = Resolver::new(&zones);
    let server = Server::new(bind.address, live::Options::default());
    let name = |text: &str| zonegate::dns::name::Name::parse_absolute(text).unwrap();
    let cases = [
        ("www.example.com.", RecordType::A), // CNAME chased in the zone
        ("www.example.com.", RecordType::Cname), // the alias itself
        ("www.example.com.", RecordType::Mx), // chain ending in NODATA
        ("web1.ams.example.com.", RecordType::Mx), // NODATA
        ("ams.example.com.", RecordType::A), // empty non-terminal
        ("nope.example.com.", RecordType::A), // NXDOMAIN
        ("dangling.example.com.", RecordType::A), // chain ending in NXDOMAIN
        ("ext.example.com.", RecordType::A), // chain leaving every zone
        ("rev.example.com.", RecordType::Ptr), // chain into another served zone: not chased
        ("foo.apps.example.com.", RecordType::A), // wildcard CNAME, chased
        ("x.y.apps.example.com.", RecordType::Txt), // wildcard, chain, NODATA
        ("host.corp.example.com.", RecordType::A), // referral with glue
        ("corp.example.com.", RecordType::Ns), // referral at the cut
        ("ns1.corp.example.com.", RecordType::A), // glue is not authoritative
        ("www.example.org.", RecordType::A), // REFUSED
        ("1.0.1.10.in-addr.arpa.", RecordType::Ptr), // reverse zone
        ("big.example.com.", RecordType::Txt), // truncated over UDP, asked over TCP
        ("www.example.com.", RecordType::A), // the UDP socket and its buffer, reused
        ("big.example.com.", RecordType::Txt), // the idle TCP connection, reused
        ("big.example.com.", RecordType::Txt), // and again
    ];
    // The large TXT RRset does not fit the advertised UDP payload: BIND truncates it, so the
    // answer compared below came over TCP.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut query = hickory_proto::op::Message::query();
    query.metadata.recursion_desired = false;
    query.add_query(hickory_proto::op::Query::query(
        hickory_proto::rr::Name::from_ascii("big.example.com.").unwrap(),
        hickory_proto::rr::RecordType::TXT,
    ));
    let mut edns = hickory_proto::op::Edns::new();
    edns.set_max_payload(live::UDP_PAYLOAD);
    query.set_edns(edns);
    udp.send_to(&query.to_vec().unwrap(), bind.address).unwrap();
    let mut buffer = [0_u8; 4096];
    let length = udp.recv(&mut buffer).unwrap();
    let truncated = hickory_proto::op::Message::from_vec(&buffer[..length]).unwrap();
    assert!(
        truncated.metadata.truncation,
        "big.example.com. TXT fits in UDP; the TCP path is untested"
    );

    for (query, record_type) in cases {
        let memory = resolver.answer(&name(query), record_type);
        let live = server.query(&name(query), record_type).unwrap();
        let texts = |records: &[assertions::resolver::ResponseRecord<'_>]| -> Vec<String> {
            let mut texts: Vec<String> = records.iter().map(assertions::record_text).collect();
            texts.sort();
            texts
        };
        let context = format!("{query} {record_type}\nmemory: {memory:#?}\nlive: {live:#?}");
        assert_eq!(memory.rcode, live.rcode, "rcode of {context}");
        assert_eq!(memory.authoritative, live.authoritative, "AA of {context}");
        assert_eq!(
            texts(&memory.answer),
            texts(&live.answer),
            "answer of {context}"
        );
        let negative_or_referral = memory.answer.is_empty()
            || memory
                .authority
                .iter()
                .any(|record| record.record_type() != RecordType::Soa)
            || memory.rcode != zonegate::assertions::resolver::Rcode::NoError;
        if negative_or_referral && !memory.authority.is_empty() {
            // The SOA serial is chosen at render time; compare owner and type only there.
            let kinds = |records: &[assertions::resolver::ResponseRecord<'_>]| -> Vec<String> {
                let mut kinds: Vec<String> = records
                    .iter()
                    .map(|r| {
                        if r.record_type() == RecordType::Soa {
                            format!("{} {} SOA", r.owner, r.ttl)
                        } else {
                            assertions::record_text(r)
                        }
                    })
                    .collect();
                kinds.sort();
                kinds
            };
            assert_eq!(
                kinds(&memory.authority),
                kinds(&live.authority),
                "authority of {context}"
            );
            if memory
                .authority
                .iter()
                .any(|r| r.record_type() == RecordType::Ns)
            {
                assert_eq!(
                    texts(&memory.additional),
                    texts(&live.additional),
                    "glue of {context}"
                );
            }
        }
    }
    drop(bind);
}
