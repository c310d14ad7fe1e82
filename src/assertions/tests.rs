//! Runner tests: every matcher passes once and fails once against the in-memory resolver over
//! `tests/fixtures/assertions`, with the failure report snapshotted (it is the user interface).
#![allow(clippy::disallowed_methods)] // Tests read fixtures.

use std::path::Path;

use super::*;
use crate::diagnostic::SourceMap;
use crate::inventory::Inventory;
use crate::inventory::files::Directory;
use crate::model::zone::ZoneSet;

fn fixture() -> (Inventory, ZoneSet) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/assertions");
    let inventory = crate::inventory::load(&Directory::new(root)).expect("the fixture loads");
    let (zones, _) = crate::model::build(&inventory);
    (inventory, zones)
}

/// Parses `yaml` as `assertions/test.yaml`, expands it and returns the assertions and the
/// source map (or the diagnostics as text).
fn prepare(inventory: &Inventory, yaml: &str) -> Result<(Vec<Assertion>, SourceMap), String> {
    prepare_within(inventory, yaml, expand::DEFAULT_MAX_ASSERTIONS)
}

/// [`prepare`] with a budget of `max_assertions`.
fn prepare_within(
    inventory: &Inventory,
    yaml: &str,
    max_assertions: u64,
) -> Result<(Vec<Assertion>, SourceMap), String> {
    let mut sources = inventory.sources.clone();
    let file = sources.add("assertions/test.yaml");
    let mut specs = Vec::new();
    let mut diagnostics = Vec::new();
    spec::parse(yaml.as_bytes(), file, &mut specs, &mut diagnostics);
    let (assertions, more) = expand::expand(&specs, inventory, max_assertions);
    diagnostics.extend(more);
    if diagnostics.is_empty() {
        Ok((assertions, sources))
    } else {
        Err(diagnostics
            .iter()
            .map(|d| d.display(&sources).to_string())
            .collect::<Vec<_>>()
            .join("\n"))
    }
}

/// Runs `yaml` in memory: the verdicts and the human report.
fn run_yaml(yaml: &str) -> (Vec<Verdict>, String) {
    let (inventory, zones) = fixture();
    let (assertions, sources) =
        prepare(&inventory, yaml).unwrap_or_else(|errors| panic!("{errors}"));
    let resolver = Resolver::new(&zones);
    let mut outcomes = run(&assertions, &resolver);
    explain_failures(&resolver, &mut outcomes);
    let mut text = Vec::new();
    let report = report::Report {
        assertions: &assertions,
        outcomes: &outcomes,
        sources: &sources,
        backend: "the in-memory resolver",
        coverage: None,
    };
    report::human(&mut text, &report, false).unwrap();
    (
        outcomes.iter().map(|outcome| outcome.verdict).collect(),
        String::from_utf8(text).unwrap(),
    )
}

/// Asserts the first assertion passes and the second fails; returns the report.
fn pass_then_fail(yaml: &str) -> String {
    let (verdicts, text) = run_yaml(yaml);
    assert_eq!(verdicts, [Verdict::Pass, Verdict::Fail], "{text}");
    text
}

#[test]
fn address() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: ns1 has its address, query: ns1.example.com., expect: { address: 10.0.0.53 } }
- { it: ns1 has another address, query: ns1.example.com., expect: { address: 10.0.0.99 } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: ns1 has another address
      query: ns1.example.com. A
      expected: at least 1 A record with address 10.0.0.99
      actual: 1 A record: ns1.example.com. 3600 A 10.0.0.53
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: ns1.example.com. 3600 A 10.0.0.53
      trace (the zones as built from the inputs):
        ns1.example.com. A
          zone example.com.: ns1.example.com. has the records
            ns1.example.com. 3600 A 10.0.0.53  (zones/records/edge.yaml:3:5)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn target() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: www is an alias of web1, query: www.example.com., type: CNAME, expect: { target: web1.ams.example.com. } }
- { it: www is an alias of web2, query: www.example.com., type: CNAME, expect: { target: web2.ams.example.com } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: www is an alias of web2
      query: www.example.com. CNAME
      expected: at least 1 CNAME record with target web2.ams.example.com.
      actual: 1 CNAME record: www.example.com. 300 CNAME web1.ams.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: www.example.com. 300 CNAME web1.ams.example.com.
      trace (the zones as built from the inputs):
        www.example.com. CNAME
          zone example.com.: www.example.com. has the records
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn port_priority_and_weight() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: web srv, query: _web._tcp.ams.example.com., type: SRV, expect: { port: 443, priority: 10, weight: 10 } }
- { it: web srv on 80, query: _web._tcp.ams.example.com., type: SRV, expect: { port: 80, weight: 10 } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: web srv on 80
      query: _web._tcp.ams.example.com. SRV
      expected: at least 1 SRV record with port 80 and weight 10
      actual: 2 SRV records: _web._tcp.ams.example.com. 300 SRV 10 10 443 web1.ams.example.com.; _web._tcp.ams.example.com. 300 SRV 10 10 443 web2.ams.example.com.
      response: NOERROR, aa, 2 answer, 0 authority, 0 additional
        answer: _web._tcp.ams.example.com. 300 SRV 10 10 443 web1.ams.example.com.
        answer: _web._tcp.ams.example.com. 300 SRV 10 10 443 web2.ams.example.com.
      trace (the zones as built from the inputs):
        _web._tcp.ams.example.com. SRV
          zone example.com.: _web._tcp.ams.example.com. has the records
            _web._tcp.ams.example.com. 300 SRV 10 10 443 web1.ams.example.com.  (zones/cmdb/servers.csv:2:1)
            _web._tcp.ams.example.com. 300 SRV 10 10 443 web2.ams.example.com.  (zones/cmdb/servers.csv:3:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
    let (verdicts, _) = run_yaml(
        "- { it: api weight, query: _api._tcp.nyc.example.com., type: SRV, expect: { weight: 20 } }
- { it: api priority, query: _api._tcp.nyc.example.com., type: SRV, expect: { priority: 20 } }",
    );
    assert_eq!(verdicts, [Verdict::Pass, Verdict::Fail]);
}

#[test]
fn exchange_and_preference() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: mail, query: example.com., type: MX, expect: { exchange: web3.nyc.example.com., preference: 10 } }
- { it: mail preference, query: example.com., type: MX, expect: { exchange: web3.nyc.example.com., preference: 20 } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: mail preference
      query: example.com. MX
      expected: at least 1 MX record with exchange web3.nyc.example.com. and preference 20
      actual: 1 MX record: example.com. 3600 MX 10 web3.nyc.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: example.com. 3600 MX 10 web3.nyc.example.com.
      trace (the zones as built from the inputs):
        example.com. MX
          zone example.com.: example.com. has the records
            example.com. 3600 MX 10 web3.nyc.example.com.  (zones/records/edge.yaml:9:5)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn data() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: spf, query: example.com., type: TXT, expect: { data: v=spf1 mx -all } }
- { it: strict spf, query: example.com., type: TXT, expect: { data: v=spf1 -all } }"
    ), @r#"
    assertions/test.yaml:2:3: error[assertion-failed]: strict spf
      query: example.com. TXT
      expected: at least 1 TXT record with data "v=spf1 -all"
      actual: 1 TXT record: example.com. 3600 TXT "v=spf1 mx -all"
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: example.com. 3600 TXT "v=spf1 mx -all"
      trace (the zones as built from the inputs):
        example.com. TXT
          zone example.com.: example.com. has the records
            example.com. 3600 TXT "v=spf1 mx -all"  (zones/records/edge.yaml:10:5)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    "#);
}

#[test]
fn ttl() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: short ttl, query: www.example.com., type: CNAME, expect: { ttl: 5m } }
- { it: very short ttl, query: www.example.com., type: CNAME, expect: { ttl: 60 } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: very short ttl
      query: www.example.com. CNAME
      expected: at least 1 CNAME record with ttl 60
      actual: 1 CNAME record: www.example.com. 300 CNAME web1.ams.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: www.example.com. 300 CNAME web1.ams.example.com.
      trace (the zones as built from the inputs):
        www.example.com. CNAME
          zone example.com.: www.example.com. has the records
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn counts() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: two web hosts, query: _web._tcp.ams.example.com., type: SRV, expect: { at_least: 2, at_most: 2 } }
- { it: three web hosts, query: _web._tcp.ams.example.com., type: SRV, expect: { exactly: 3 } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: three web hosts
      query: _web._tcp.ams.example.com. SRV
      expected: exactly 3 SRV records
      actual: 2 SRV records: _web._tcp.ams.example.com. 300 SRV 10 10 443 web1.ams.example.com.; _web._tcp.ams.example.com. 300 SRV 10 10 443 web2.ams.example.com.
      response: NOERROR, aa, 2 answer, 0 authority, 0 additional
        answer: _web._tcp.ams.example.com. 300 SRV 10 10 443 web1.ams.example.com.
        answer: _web._tcp.ams.example.com. 300 SRV 10 10 443 web2.ams.example.com.
      trace (the zones as built from the inputs):
        _web._tcp.ams.example.com. SRV
          zone example.com.: _web._tcp.ams.example.com. has the records
            _web._tcp.ams.example.com. 300 SRV 10 10 443 web1.ams.example.com.  (zones/cmdb/servers.csv:2:1)
            _web._tcp.ams.example.com. 300 SRV 10 10 443 web2.ams.example.com.  (zones/cmdb/servers.csv:3:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
    let (verdicts, text) = run_yaml(
        "- { it: at most one, query: _web._tcp.ams.example.com., type: SRV, expect: { at_most: 1 } }
- { it: none on 80, query: _web._tcp.ams.example.com., type: SRV, expect: { port: 80, exactly: 0 } }
- { it: nothing at a missing name, query: missing.example.com., expect: { at_most: 0 } }",
    );
    assert_eq!(
        verdicts,
        [Verdict::Fail, Verdict::Pass, Verdict::Pass],
        "{text}"
    );
}

#[test]
fn nxdomain() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: decommissioned hosts are gone, query: old1.ams.example.com., expect: nxdomain }
- { it: web1 is gone, query: web1.ams.example.com., expect: nxdomain }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: web1 is gone
      query: web1.ams.example.com. A
      expected: NXDOMAIN (the name does not exist)
      actual: NOERROR: web1.ams.example.com. 3600 A 10.1.0.1
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: web1.ams.example.com. 3600 A 10.1.0.1
      trace (the zones as built from the inputs):
        web1.ams.example.com. A
          zone example.com.: web1.ams.example.com. has the records
            web1.ams.example.com. 3600 A 10.1.0.1  (zones/cmdb/servers.csv:2:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn nodata() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: no mail at web1, query: web1.ams.example.com., type: MX, expect: nodata }
- { it: no address at web1, query: web1.ams.example.com., type: A, expect: nodata }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: no address at web1
      query: web1.ams.example.com. A
      expected: NODATA (NOERROR, no A record, SOA in authority)
      actual: NOERROR: web1.ams.example.com. 3600 A 10.1.0.1
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: web1.ams.example.com. 3600 A 10.1.0.1
      trace (the zones as built from the inputs):
        web1.ams.example.com. A
          zone example.com.: web1.ams.example.com. has the records
            web1.ams.example.com. 3600 A 10.1.0.1  (zones/cmdb/servers.csv:2:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn refused() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: not our zone, query: www.example.org., expect: refused }
- { it: our zone, query: www.example.com., expect: refused }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: our zone
      query: www.example.com. A
      expected: REFUSED (the server serves no zone containing the name)
      actual: NOERROR: www.example.com. 300 CNAME web1.ams.example.com.; web1.ams.example.com. 3600 A 10.1.0.1
      response: NOERROR, aa, 2 answer, 0 authority, 0 additional
        answer: www.example.com. 300 CNAME web1.ams.example.com.
        answer: web1.ams.example.com. 3600 A 10.1.0.1
      trace (the zones as built from the inputs):
        www.example.com. A
          zone example.com.: www.example.com. is an alias; following it in the same zone
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
          zone example.com.: web1.ams.example.com. has the records
            web1.ams.example.com. 3600 A 10.1.0.1  (zones/cmdb/servers.csv:2:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn authority_and_additional_are_live_only() {
    let (verdicts, text) = run_yaml(
        "- { it: corp is delegated, query: corp.example.com., type: NS, expect: { in_authority: true, target: ns1.corp.example.com. } }
- { it: with glue, query: corp.example.com., type: NS, expect: { in_additional: true, address: 10.0.0.60 } }",
    );
    assert_eq!(verdicts, [Verdict::Skip, Verdict::Skip]);
    insta::assert_snapshot!(text, @"
    assertions/test.yaml:1:3: skipped: corp is delegated (in_authority and in_additional are checked against a live server only (zonegate test --server))
    assertions/test.yaml:2:3: skipped: with glue (in_authority and in_additional are checked against a live server only (zonegate test --server))
    2 assertion(s) against the in-memory resolver: 0 passed, 0 failed, 2 skipped
    ");
}

#[test]
fn resolves_to() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: chain reaches web1, query: chain.example.com., expect: { resolves_to: [10.1.0.1, web1.ams.example.com., '2001:db8:1::1'] } }
- { it: chain reaches elsewhere, query: chain.example.com., expect: { resolves_to: 10.9.9.9 } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: chain reaches elsewhere
      query: chain.example.com. A
      expected: chain.example.com. resolves to 10.9.9.9
      actual: chain: chain.example.com. -> www.example.com. -> web1.ams.example.com.; addresses: 10.1.0.1
      response: NOERROR, aa, 3 answer, 0 authority, 0 additional
        answer: chain.example.com. 3600 CNAME www.example.com.
        answer: www.example.com. 300 CNAME web1.ams.example.com.
        answer: web1.ams.example.com. 3600 A 10.1.0.1
      trace (the zones as built from the inputs):
        chain.example.com. A
          zone example.com.: chain.example.com. is an alias; following it in the same zone
            chain.example.com. 3600 CNAME www.example.com.  (zones/records/tests.yaml:5:5)
          zone example.com.: www.example.com. is an alias; following it in the same zone
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
          zone example.com.: web1.ams.example.com. has the records
            web1.ams.example.com. 3600 A 10.1.0.1  (zones/cmdb/servers.csv:2:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn targets_resolve() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: web targets resolve, query: _web._tcp.ams.example.com., type: SRV, expect: { targets_resolve: true } }
- { it: sip targets resolve, query: _sip._udp.example.com., type: SRV, expect: { targets_resolve: true } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: sip targets resolve
      query: _sip._udp.example.com. SRV
      expected: nowhere.example.com. has an A or AAAA record
      actual: nowhere.example.com. does not exist (NXDOMAIN)
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: _sip._udp.example.com. 3600 SRV 10 5 5060 nowhere.example.com.
      trace (the zones as built from the inputs):
        _sip._udp.example.com. SRV
          zone example.com.: _sip._udp.example.com. has the records
            _sip._udp.example.com. 3600 SRV 10 5 5060 nowhere.example.com.  (zones/records/tests.yaml:9:5)
        nowhere.example.com. A
          zone example.com.: nowhere.example.com. does not exist: NXDOMAIN
            example.com. 3600 SOA ns1.example.com. hostmaster.example.com. 0 3600 600 1209600 300  (zones/zonegate.yaml:4:13)
        nowhere.example.com. AAAA
          zone example.com.: nowhere.example.com. does not exist: NXDOMAIN
            example.com. 3600 SOA ns1.example.com. hostmaster.example.com. 0 3600 600 1209600 300  (zones/zonegate.yaml:4:13)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn covers_role() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: web covers its role, query: _web._tcp.ams.example.com., type: SRV, expect: { covers_role: web } }
- { it: web in nyc covers the api role, query: _web._tcp.nyc.example.com., type: SRV, expect: { covers_role: api } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: web in nyc covers the api role
      query: _web._tcp.nyc.example.com. SRV
      expected: SRV targets exactly the 2 SRV-status host(s) with role `api` in nyc
      actual: missing: api1.nyc.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.
      trace (the zones as built from the inputs):
        _web._tcp.nyc.example.com. SRV
          zone example.com.: _web._tcp.nyc.example.com. has the records
            _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.  (zones/cmdb/servers.csv:4:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
    let (verdicts, text) = run_yaml(
        "- { it: api everywhere, query: _api._tcp.example.com., type: SRV, expect: { covers_role: api } }
- { it: explicit, query: _api._tcp.nyc.example.com., type: SRV, expect: { covers_role: { role: api, datacenter: nyc } } }",
    );
    assert_eq!(verdicts, [Verdict::Pass, Verdict::Pass], "{text}");
}

#[test]
fn only() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: api has exactly these, query: api.example.com., expect: { address: [192.0.2.10, 192.0.2.11], only: true } }
- { it: api has only one, query: api.example.com., expect: { address: 192.0.2.10, only: true } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: api has only one
      query: api.example.com. A
      expected: no A record other than those with address 192.0.2.10
      actual: also: api.example.com. 300 A 192.0.2.11
      response: NOERROR, aa, 2 answer, 0 authority, 0 additional
        answer: api.example.com. 300 A 192.0.2.10
        answer: api.example.com. 300 A 192.0.2.11
      trace (the zones as built from the inputs):
        api.example.com. A
          zone example.com.: api.example.com. has the records
            api.example.com. 300 A 192.0.2.10  (zones/records/tests.yaml:10:5)
            api.example.com. 300 A 192.0.2.11  (zones/records/tests.yaml:11:5)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn none_in() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: www is not in 192.168/16, query: www.example.com., expect: { none_in: 192.168.0.0/16 } }
- { it: www is public, query: www.example.com., expect: { none_in: [10.0.0.0/8, 'fc00::/7'] } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: www is public
      query: www.example.com. A
      expected: no address of www.example.com. in 10.0.0.0/8, fc00::/7
      actual: 10.1.0.1 (in 10.0.0.0/8)
      response: NOERROR, aa, 2 answer, 0 authority, 0 additional
        answer: www.example.com. 300 CNAME web1.ams.example.com.
        answer: web1.ams.example.com. 3600 A 10.1.0.1
      trace (the zones as built from the inputs):
        www.example.com. A
          zone example.com.: www.example.com. is an alias; following it in the same zone
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
          zone example.com.: web1.ams.example.com. has the records
            web1.ams.example.com. 3600 A 10.1.0.1  (zones/cmdb/servers.csv:2:1)
        www.example.com. AAAA
          zone example.com.: www.example.com. is an alias; following it in the same zone
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
          zone example.com.: web1.ams.example.com. has the records
            web1.ams.example.com. 3600 AAAA 2001:db8:1::1  (zones/cmdb/servers.csv:2:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn not_cname() {
    insta::assert_snapshot!(pass_then_fail(
        "- { it: web1 is no alias, query: web1.ams.example.com., expect: { not_cname: true } }
- { it: www is no alias, query: www.example.com., expect: { not_cname: true } }"
    ), @"
    assertions/test.yaml:2:3: error[assertion-failed]: www is no alias
      query: www.example.com. A
      expected: www.example.com. is not an alias
      actual: it is: www.example.com. 300 CNAME web1.ams.example.com.
      response: NOERROR, aa, 2 answer, 0 authority, 0 additional
        answer: www.example.com. 300 CNAME web1.ams.example.com.
        answer: web1.ams.example.com. 3600 A 10.1.0.1
      trace (the zones as built from the inputs):
        www.example.com. A
          zone example.com.: www.example.com. is an alias; following it in the same zone
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
          zone example.com.: web1.ams.example.com. has the records
            web1.ams.example.com. 3600 A 10.1.0.1  (zones/cmdb/servers.csv:2:1)
    2 assertion(s) against the in-memory resolver: 1 passed, 1 failed, 0 skipped
    ");
}

#[test]
fn referrals_wildcards_and_dangling_aliases_explain_themselves() {
    let (verdicts, text) = run_yaml(
        "- { it: apps resolve through the wildcard, query: foo.apps.example.com., expect: { resolves_to: 10.1.0.1 } }
- { it: corp hosts are answered here, query: host.corp.example.com., expect: { at_least: 1 } }
- { it: dangling resolves, query: dangling.example.com., expect: { targets_resolve: true } }",
    );
    assert_eq!(verdicts, [Verdict::Pass, Verdict::Fail, Verdict::Fail]);
    insta::assert_snapshot!(text, @"
    assertions/test.yaml:2:3: error[assertion-failed]: corp hosts are answered here
      query: host.corp.example.com. A
      expected: at least 1 A record
      actual: NOERROR, referral to ns1.corp.example.com.
      response: NOERROR, not authoritative, 0 answer, 1 authority, 1 additional
        authority: corp.example.com. 3600 NS ns1.corp.example.com.
        additional: ns1.corp.example.com. 3600 A 10.0.0.60
      trace (the zones as built from the inputs):
        host.corp.example.com. A
          zone example.com.: host.corp.example.com. is at or below a delegation: referral
            corp.example.com. 3600 NS ns1.corp.example.com.  (zones/records/tests.yaml:6:5)
    assertions/test.yaml:3:3: error[assertion-failed]: dangling resolves
      query: dangling.example.com. A
      expected: NOERROR
      actual: NXDOMAIN: dangling.example.com. 3600 CNAME nowhere.example.com.
      response: NXDOMAIN, aa, 1 answer, 1 authority, 0 additional
        answer: dangling.example.com. 3600 CNAME nowhere.example.com.
        authority: example.com. 300 SOA ns1.example.com. hostmaster.example.com. 0 3600 600 1209600 300
      trace (the zones as built from the inputs):
        dangling.example.com. A
          zone example.com.: dangling.example.com. is an alias; following it in the same zone
            dangling.example.com. 3600 CNAME nowhere.example.com.  (zones/records/tests.yaml:3:5)
          zone example.com.: nowhere.example.com. does not exist: NXDOMAIN
            example.com. 3600 SOA ns1.example.com. hostmaster.example.com. 0 3600 600 1209600 300  (zones/zonegate.yaml:4:13)
    3 assertion(s) against the in-memory resolver: 1 passed, 2 failed, 0 skipped
    ");
}

/// `title | query TYPE` per expanded assertion, or the diagnostics.
fn expanded(yaml: &str) -> String {
    expanded_within(yaml, expand::DEFAULT_MAX_ASSERTIONS)
}

fn expanded_within(yaml: &str, max_assertions: u64) -> String {
    let (inventory, _) = fixture();
    match prepare_within(&inventory, yaml, max_assertions) {
        Ok((assertions, _)) => assertions
            .iter()
            .map(|a| format!("{} | {} {}", a.title(), a.query, a.record_type))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(errors) => errors,
    }
}

#[test]
fn for_each_over_datacenters_services_and_their_datacenters() {
    insta::assert_snapshot!(expanded(
        "- it: \"{{ s }} in {{ dc }}\"
  for_each: { s: services, dc: s.datacenters }
  query: \"{{ s.srv }}.{{ dc }}.example.com.\"
  type: SRV
  expect: { port: \"{{ s.port }}\", covers_role: \"{{ s.role }}\" }
- it: every datacenter
  for_each: { dc: datacenters }
  query: \"_web._tcp.{{ dc.name }}.example.com\"
  type: SRV
  expect: { at_least: 1 }"
    ), @"
    api in nyc | _api._tcp.nyc.example.com. SRV
    web in ams | _web._tcp.ams.example.com. SRV
    web in nyc | _web._tcp.nyc.example.com. SRV
    every datacenter [dc=ams] | _web._tcp.ams.example.com. SRV
    every datacenter [dc=nyc] | _web._tcp.nyc.example.com. SRV
    ");
}

#[test]
fn for_each_over_hosts_with_where_sample_and_addresses() {
    insta::assert_snapshot!(expanded(
        "- it: reverse of {{ a }}
  for_each:
    h: { from: hosts, where: { status: [in_use, provisioning] }, sample: 3 }
    a: h.addresses
  query: \"{{ a.reverse }}\"
  type: PTR
  expect: { target: \"{{ a.host }}\" }
- it: decommissioned {{ h.hostname }} is gone
  for_each: { h: { from: hosts, where: { status: decommissioned } } }
  query: \"{{ h }}\"
  expect: nxdomain
- it: web hosts of {{ dc }}
  for_each: { dc: datacenters, h: { from: dc.hosts, where: { role: web, status: in_use } } }
  query: \"{{ h }}\"
  expect: { address: \"{{ h.ipv4 }}\" }
- it: forward of {{ a }}
  for_each: { h: { from: hosts, where: { hostname: web3 } }, a: h.addresses }
  query: \"{{ a.host }}\"
  type: \"{{ a.type }}\"
  expect: { address: \"{{ a }}\" }"
    ), @"
    reverse of 10.1.0.1 | 1.0.1.10.in-addr.arpa. PTR
    reverse of 2001:db8:1::1 | 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR
    reverse of 10.1.0.2 | 2.0.1.10.in-addr.arpa. PTR
    reverse of 2001:db8:1::2 | 2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR
    reverse of 10.2.0.2 | 2.0.2.10.in-addr.arpa. PTR
    decommissioned old1 is gone | old1.ams.example.com. A
    web hosts of ams | web1.ams.example.com. A
    web hosts of ams | web2.ams.example.com. A
    web hosts of nyc | web3.nyc.example.com. A
    forward of 10.2.0.1 | web3.nyc.example.com. A
    forward of 2001:db8:2::1 | web3.nyc.example.com. AAAA
    ");
}

#[test]
fn rendered_values_are_checked_with_the_binding_named() {
    insta::assert_snapshot!(expanded(
        "- it: v6 of {{ h }}
  for_each: { h: { from: hosts, where: { datacenter: nyc } } }
  query: \"{{ h }}\"
  type: AAAA
  expect: { address: \"{{ h.ipv6 }}\" }
- it: bad literal values
  query: www.example.com.
  type: AXFR
  expect: { ttl: soon }
- it: bad port
  query: _web._tcp.ams.example.com.
  type: SRV
  expect: { port: 70000, at_least: 3, at_most: 2 }
- it: covers needs srv
  query: www.example.com.
  expect: { covers_role: web }
- it: covers a typo
  query: _web._tcp.ams.example.com.
  type: SRV
  expect: { covers_role: wbe }
- it: covers cannot guess
  query: web.example.com.
  type: SRV
  expect: { covers_role: web }
- it: two sections
  query: corp.example.com.
  type: NS
  expect: { in_authority: true, in_additional: true }
- it: exactly and at_least
  query: www.example.com.
  expect: { exactly: 1, at_least: 1 }"
    ), @"
    assertions/test.yaml:5:22: error[invalid-value]: `{{ h.ipv6 }}` renders empty, which is not an IP address
      hint: with h = api1.nyc.example.com.
    assertions/test.yaml:8:9: error[invalid-value]: `AXFR` is not a record type: expected one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA
    assertions/test.yaml:9:18: error[invalid-value]: `soon` is not a TTL: `soon` is not a duration: a number must precede `s`
    assertions/test.yaml:13:19: error[invalid-value]: `70000` is not a port (0-65535): expected a whole number from 0 to 65535
    assertions/test.yaml:13:36: error[invalid-value]: `at_least: 3` is more than `at_most: 2`; nothing can pass
    assertions/test.yaml:16:26: error[invalid-value]: `covers_role` compares SRV targets, but the query type is A
      hint: add `type: SRV`
    assertions/test.yaml:20:26: error[invalid-value]: no service or CMDB host has role `wbe`
      hint: did you mean `web`?
    assertions/test.yaml:24:26: error[invalid-value]: cannot tell the datacenter from `web.example.com.`
      hint: write `covers_role: { role: web, datacenter: ams }` (or `datacenter: all`)
    assertions/test.yaml:28:48: error[invalid-value]: `in_authority` and `in_additional` cannot both be set
      hint: write two assertions, one per section
    assertions/test.yaml:31:22: error[invalid-value]: `exactly` cannot be combined with `at_least` or `at_most`
    ");
}

// Issue 12, item 5: the assertions are counted before any is made, against a budget.
#[test]
fn independent_loops_are_counted_as_a_product_and_refused_past_the_budget() {
    let yaml = "- it: \"{{ a }}{{ b }}\"
  for_each: { a: [1, 2, 3, 4], b: [1, 2, 3, 4, 5] }
  query: www.example.com.
  expect: { at_least: 1 }";
    insta::assert_snapshot!(expanded_within(yaml, 19), @"
    assertions/test.yaml:1:3: error[invalid-value]: `for_each` expands to 20 assertions, more than the 19 allowed
      hint: narrow it with `where:` or `sample: N`
      hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    ");
    assert_eq!(expanded_within(yaml, 20).lines().count(), 20);
}

#[test]
fn the_budget_is_for_the_whole_run_and_every_item_past_it_is_reported() {
    insta::assert_snapshot!(expanded_within(
        "- it: first {{ dc }}
  for_each: { dc: datacenters }
  query: www.example.com.
  expect: { at_least: 1 }
- it: second {{ n }}
  for_each: { n: [1, 2, 3, 4] }
  query: www.example.com.
  expect: { at_least: 1 }
- it: third {{ n }}
  for_each: { n: [1, 2, 3, 4, 5, 6] }
  query: www.example.com.
  expect: { at_least: 1 }
- it: fourth
  query: www.example.com.
  expect: { at_least: 1 }",
        5
    ), @"
    assertions/test.yaml:5:3: error[invalid-value]: `for_each` expands to 4 assertions, which with the 2 before it are more than the 5 allowed
      hint: narrow it with `where:` or `sample: N`
      hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    assertions/test.yaml:9:3: error[invalid-value]: `for_each` expands to 6 assertions, more than the 5 allowed
      hint: narrow it with `where:` or `sample: N`
      hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    ");
}

#[test]
fn dependent_loops_are_walked_and_the_walk_stops_past_the_budget() {
    let yaml = "- it: \"{{ h }} {{ n }}\"
  for_each: { dc: datacenters, h: dc.hosts, n: [1, 2] }
  query: \"{{ h }}\"
  expect: { at_least: 1 }";
    // Six hosts in two datacenters, twice each.
    assert_eq!(expanded_within(yaml, 12).lines().count(), 12);
    insta::assert_snapshot!(expanded_within(yaml, 11), @"
    assertions/test.yaml:1:3: error[invalid-value]: `for_each` expands to more than the 11 assertions allowed
      hint: narrow it with `where:` or `sample: N`
      hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    ");
}

#[test]
fn a_where_that_narrows_a_large_collection_fits_a_smaller_budget() {
    // Six hosts, one decommissioned: the count is after `where`.
    let yaml = "- it: \"{{ h }} is gone\"
  for_each: { h: { from: hosts, where: { status: decommissioned } } }
  query: \"{{ h }}\"
  expect: nxdomain";
    insta::assert_snapshot!(expanded_within(yaml, 1), @"old1.ams.example.com. is gone | old1.ams.example.com. A");
}

#[test]
fn a_walk_that_looks_at_too_many_items_is_refused_even_when_it_counts_few() {
    // Every value filters the six hosts for a name none has: no assertion, but 20 + 20 x 6
    // items looked at, past 64 per assertion of a budget of 1.
    let yaml = "- it: \"{{ h }}\"
  for_each: { n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], h: { from: hosts, where: { hostname: \"x{{ n }}\" } } }
  query: \"{{ h }}\"
  expect: nxdomain";
    insta::assert_snapshot!(expanded_within(yaml, 1), @"
    assertions/test.yaml:1:3: error[invalid-value]: counting the assertions of this `for_each` looks at more than 64 items (a `where` that uses an earlier variable filters its collection once per binding)
      hint: narrow it with `where:` or `sample: N`
      hint: or allow more with --max-assertions N (or ZONEGATE_MAX_ASSERTIONS)
    ");
    assert_eq!(expanded_within(yaml, 3), "");
}
