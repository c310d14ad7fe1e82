//! `zonegate test` end to end: exit codes, every report format, coverage, malformed assertion
//! files and an unreachable server. Transcripts are insta snapshots (read them before accepting).
#![allow(clippy::disallowed_methods)] // Tests build fixture repositories.

mod support;

use std::fs;

use support::{repository_with_assertions as repository, zonegate};

const PASSING: &str = "- it: web is discoverable in {{ dc }}
  for_each: { dc: datacenters }
  query: _web._tcp.{{ dc }}.example.com.
  type: SRV
  expect: { covers_role: web, targets_resolve: true }
- it: the decommissioned host is gone
  query: old1.ams.example.com.
  expect: nxdomain
";

const FAILING: &str = "- it: www points at web2
  query: www.example.com.
  type: CNAME
  expect: { target: web2.ams.example.com. }
- it: the provisioning host is already a web target
  query: _web._tcp.nyc.example.com.
  type: SRV
  expect: { covers_role: { role: web, datacenter: nyc }, at_least: 2 }
";

#[test]
fn a_passing_suite_exits_0() {
    let repo = repository(PASSING);
    let run = zonegate(repo.path(), &["test"]);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 0
    --- stdout
    3 assertion(s) against the in-memory resolver: 3 passed, 0 failed, 0 skipped
    --- stderr
    ");
}

#[test]
fn a_failing_assertion_exits_1_with_expected_actual_and_trace() {
    let repo = repository(FAILING);
    let run = zonegate(repo.path(), &["test"]);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 1
    --- stdout
    assertions/checks.yaml:1:3: error[assertion-failed]: www points at web2
      query: www.example.com. CNAME
      expected: at least 1 CNAME record with target web2.ams.example.com.
      actual: 1 CNAME record: www.example.com. 300 CNAME web1.ams.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: www.example.com. 300 CNAME web1.ams.example.com.
      trace (the zones as built from the inputs):
        www.example.com. CNAME
          zone example.com.: www.example.com. has the records
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
    assertions/checks.yaml:5:3: error[assertion-failed]: the provisioning host is already a web target
      query: _web._tcp.nyc.example.com. SRV
      expected: at least 2 SRV records
      actual: 1 SRV record: _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.
      trace (the zones as built from the inputs):
        _web._tcp.nyc.example.com. SRV
          zone example.com.: _web._tcp.nyc.example.com. has the records
            _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.  (zones/cmdb/servers.csv:4:1)
    2 assertion(s) against the in-memory resolver: 0 passed, 2 failed, 0 skipped
    --- stderr
    ");
}

#[test]
fn github_annotations_point_at_the_assertion() {
    let repo = repository(FAILING);
    let run = zonegate(repo.path(), &["test", "--format", "github"]);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 1
    --- stdout
    ::error file=assertions/checks.yaml,line=1,col=3,title=assertion failed%3A www points at web2::www.example.com. CNAME%0Aexpected: at least 1 CNAME record with target web2.ams.example.com.%0Aactual: 1 CNAME record: www.example.com. 300 CNAME web1.ams.example.com.%0Awww.example.com. 300 CNAME web1.ams.example.com. (zones/records/edge.yaml:5:5)
    ::error file=assertions/checks.yaml,line=5,col=3,title=assertion failed%3A the provisioning host is already a web target::_web._tcp.nyc.example.com. SRV%0Aexpected: at least 2 SRV records%0Aactual: 1 SRV record: _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.%0A_web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com. (zones/cmdb/servers.csv:4:1)
    2 assertion(s) against the in-memory resolver: 0 passed, 2 failed, 0 skipped
    --- stderr
    ");
}

#[test]
fn json_and_junit_reports() {
    let repo = repository(&format!("{PASSING}{FAILING}"));
    let junit = repo.path().join("results.xml");
    let run = zonegate(
        repo.path(),
        &[
            "test",
            "--format",
            "json",
            "--junit",
            &junit.display().to_string(),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.transcript());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    insta::assert_json_snapshot!(report["summary"], @r#"
    {
      "failed": 2,
      "passed": 3,
      "skipped": 0,
      "total": 5
    }
    "#);
    let failed: Vec<&serde_json::Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|result| result["verdict"] == "fail")
        .collect();
    insta::assert_json_snapshot!(failed[0], @r#"
    {
      "bindings": {},
      "column": 3,
      "file": "assertions/checks.yaml",
      "it": "www points at web2",
      "line": 9,
      "mismatches": [
        {
          "actual": "1 CNAME record: www.example.com. 300 CNAME web1.ams.example.com.",
          "expected": "at least 1 CNAME record with target web2.ams.example.com.",
          "matcher": "target"
        }
      ],
      "query": "www.example.com.",
      "response": {
        "additional": [],
        "answer": [
          "www.example.com. 300 CNAME web1.ams.example.com."
        ],
        "authoritative": true,
        "authority": [],
        "rcode": "NOERROR"
      },
      "trace": [
        {
          "event": "www.example.com. has the records",
          "query": "www.example.com. CNAME",
          "records": [
            {
              "record": "www.example.com. 300 CNAME web1.ams.example.com.",
              "source": "zones/records/edge.yaml:5:5"
            }
          ],
          "zone": "example.com."
        }
      ],
      "type": "CNAME",
      "verdict": "fail"
    }
    "#);
    insta::assert_snapshot!(fs::read_to_string(&junit).unwrap(), @r#"
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="zonegate test" tests="5" failures="2" skipped="0">
      <testsuite name="assertions/checks.yaml" tests="5" failures="2" skipped="0">
        <testcase name="web is discoverable in ams" classname="assertions.checks" file="assertions/checks.yaml" line="1"/>
        <testcase name="web is discoverable in nyc" classname="assertions.checks" file="assertions/checks.yaml" line="1"/>
        <testcase name="the decommissioned host is gone" classname="assertions.checks" file="assertions/checks.yaml" line="6"/>
        <testcase name="www points at web2" classname="assertions.checks" file="assertions/checks.yaml" line="9">
          <failure message="expected at least 1 CNAME record with target web2.ams.example.com.; actual 1 CNAME record: www.example.com. 300 CNAME web1.ams.example.com." type="assertion-failed">assertions/checks.yaml:9:3: error[assertion-failed]: www points at web2
      query: www.example.com. CNAME
      expected: at least 1 CNAME record with target web2.ams.example.com.
      actual: 1 CNAME record: www.example.com. 300 CNAME web1.ams.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: www.example.com. 300 CNAME web1.ams.example.com.
      trace (the zones as built from the inputs):
        www.example.com. CNAME
          zone example.com.: www.example.com. has the records
            www.example.com. 300 CNAME web1.ams.example.com.  (zones/records/edge.yaml:5:5)
    </failure>
        </testcase>
        <testcase name="the provisioning host is already a web target" classname="assertions.checks" file="assertions/checks.yaml" line="13">
          <failure message="expected at least 2 SRV records; actual 1 SRV record: _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com." type="assertion-failed">assertions/checks.yaml:13:3: error[assertion-failed]: the provisioning host is already a web target
      query: _web._tcp.nyc.example.com. SRV
      expected: at least 2 SRV records
      actual: 1 SRV record: _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.
      response: NOERROR, aa, 1 answer, 0 authority, 0 additional
        answer: _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.
      trace (the zones as built from the inputs):
        _web._tcp.nyc.example.com. SRV
          zone example.com.: _web._tcp.nyc.example.com. has the records
            _web._tcp.nyc.example.com. 300 SRV 10 10 443 web3.nyc.example.com.  (zones/cmdb/servers.csv:4:1)
    </failure>
        </testcase>
      </testsuite>
    </testsuites>
    "#);
    assert!(
        !repo.path().join(".results.xml.zonegate-new").exists(),
        "the temporary file is renamed into place"
    );
}

#[test]
fn coverage_lists_what_no_assertion_touches() {
    let repo = repository(PASSING);
    let run = zonegate(repo.path(), &["test", "--coverage", "--quiet"]);
    insta::assert_snapshot!(run.transcript(), @r#"
    exit: 0
    --- stdout
    coverage: 1/2 services, 2/2 datacenters, 0/7 hand-edited records
      services no assertion touches: api
      hand-edited records no assertion touches:
        zones/records/edge.yaml:3:5: ns1.example.com. 3600 A 10.0.0.53
        zones/records/edge.yaml:4:5: ns2.example.com. 3600 A 10.0.0.54
        zones/records/edge.yaml:5:5: www.example.com. 300 CNAME web1.ams.example.com.
        zones/records/edge.yaml:9:5: example.com. 3600 MX 10 web3.nyc.example.com.
        zones/records/edge.yaml:10:5: example.com. 3600 TXT "v=spf1 mx -all"
        zones/records/edge.yaml:11:5: 53.0.0.10.in-addr.arpa. 3600 PTR ns1.example.com.
        zones/records/edge.yaml:12:5: 54.0.0.10.in-addr.arpa. 3600 PTR ns2.example.com.
    --- stderr
    "#);
}

/// Two assertion files with three mistakes between them.
fn malformed_repository() -> tempfile::TempDir {
    let repo = repository(
        "- it: typo
  query: www.example.com.
  expect: { adress: 10.1.0.1 }
- it: unknown variable
  for_each: { dc: datacenters }
  query: _web._tcp.{{ datacenter }}.example.com.
  type: SRV
  expect: { at_least: 1 }
",
    );
    fs::write(
        repo.path().join("assertions/second.yaml"),
        "- it: bad type\n  query: www.example.com.\n  type: AAA\n  expect: nodata\n",
    )
    .unwrap();
    repo
}

#[test]
fn malformed_assertion_files_exit_2_and_run_nothing() {
    let repo = malformed_repository();
    let run = zonegate(repo.path(), &["test"]);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 2
    --- stdout
    --- stderr
    assertions/checks.yaml:3:13: error[unknown-key]: unknown key `adress`
      hint: did you mean `address`?
      hint: expected one of: address, target, port, priority, weight, exchange, preference, data, ttl, at_least, at_most, exactly, only, in_authority, in_additional, resolves_to, targets_resolve, covers_role, none_in, not_cname
    assertions/checks.yaml:6:10: error[assertion-template]: unknown variable `datacenter`
      hint: variables bound here: dc
    assertions/second.yaml:3:9: error[invalid-value]: `AAA` is not a record type: expected one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA
    error: 3 input error(s); nothing was written
    ");
}

// Issue 16 item 6: with a malformed assertion file, `--format json` printed nothing, so a CI
// reporter reading stdout saw no results and no reason.
#[test]
fn malformed_assertion_files_are_json_errors_with_exit_2() {
    let repo = malformed_repository();
    let run = zonegate(repo.path(), &["test", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    insta::assert_json_snapshot!(report, @r#"
    {
      "errors": [
        {
          "code": "unknown-key",
          "column": 13,
          "hints": [
            "did you mean `address`?",
            "expected one of: address, target, port, priority, weight, exchange, preference, data, ttl, at_least, at_most, exactly, only, in_authority, in_additional, resolves_to, targets_resolve, covers_role, none_in, not_cname"
          ],
          "line": 3,
          "message": "unknown key `adress`",
          "path": "assertions/checks.yaml",
          "related": [],
          "severity": "error"
        },
        {
          "code": "assertion-template",
          "column": 10,
          "hints": [
            "variables bound here: dc"
          ],
          "line": 6,
          "message": "unknown variable `datacenter`",
          "path": "assertions/checks.yaml",
          "related": [],
          "severity": "error"
        },
        {
          "code": "invalid-value",
          "column": 9,
          "hints": [],
          "line": 3,
          "message": "`AAA` is not a record type: expected one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA",
          "path": "assertions/second.yaml",
          "related": [],
          "severity": "error"
        }
      ],
      "results": [],
      "summary": {
        "failed": 0,
        "passed": 0,
        "skipped": 0,
        "total": 0
      }
    }
    "#);
    // The log still says it in words.
    assert!(
        run.stderr
            .contains("assertions/checks.yaml:3:13: error[unknown-key]: unknown key `adress`"),
        "{}",
        run.stderr
    );
}

/// What junitparser (the Python library CI reporters build on) reads in a JUnit file: the
/// totals after `update_statistics`, and each test case with its suite and results.
fn read_with_junitparser(path: &std::path::Path) -> serde_json::Value {
    const SCRIPT: &str = r"
import json, sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
xml.update_statistics()
cases = []
for suite in xml:
    for case in suite:
        cases.append({
            'suite': suite.name,
            'name': case.name,
            'classname': case.classname,
            'results': [
                {'kind': type(r).__name__, 'type': r.type, 'message': r.message, 'text': r.text}
                for r in case.result
            ],
        })
print(json.dumps({'tests': xml.tests, 'failures': xml.failures, 'errors': xml.errors,
                  'skipped': xml.skipped, 'cases': cases}))
";
    // Debian's python3-junitparser (scripts/test.sh installs it) is the system interpreter's.
    let output = std::process::Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("python3 with junitparser (apt-get install python3-junitparser)");
    assert!(
        output.status.success(),
        "junitparser: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

// Issue 16 item 6: `--format junit` printed nothing and `--junit FILE` wrote nothing, so a CI
// reporter showed "no results" for a suite that never ran.
#[test]
fn malformed_assertion_files_are_junit_error_test_cases_on_stdout_and_in_the_file() {
    let repo = malformed_repository();
    let file = repo.path().join("results.xml");
    let run = zonegate(
        repo.path(),
        &[
            "test",
            "--format",
            "junit",
            "--junit",
            &file.display().to_string(),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert_eq!(fs::read_to_string(&file).unwrap(), run.stdout);
    insta::assert_snapshot!(run.stdout, @r#"
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="zonegate test" tests="3" failures="0" errors="3" skipped="0">
      <testsuite name="assertions/checks.yaml" tests="2" failures="0" errors="2" skipped="0">
        <testcase name="assertions/checks.yaml:3:13: unknown-key" classname="assertions.checks" file="assertions/checks.yaml" line="3">
          <error message="unknown key `adress`" type="unknown-key">assertions/checks.yaml:3:13: error[unknown-key]: unknown key `adress`
      hint: did you mean `address`?
      hint: expected one of: address, target, port, priority, weight, exchange, preference, data, ttl, at_least, at_most, exactly, only, in_authority, in_additional, resolves_to, targets_resolve, covers_role, none_in, not_cname</error>
        </testcase>
        <testcase name="assertions/checks.yaml:6:10: assertion-template" classname="assertions.checks" file="assertions/checks.yaml" line="6">
          <error message="unknown variable `datacenter`" type="assertion-template">assertions/checks.yaml:6:10: error[assertion-template]: unknown variable `datacenter`
      hint: variables bound here: dc</error>
        </testcase>
      </testsuite>
      <testsuite name="assertions/second.yaml" tests="1" failures="0" errors="1" skipped="0">
        <testcase name="assertions/second.yaml:3:9: invalid-value" classname="assertions.second" file="assertions/second.yaml" line="3">
          <error message="`AAA` is not a record type: expected one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA" type="invalid-value">assertions/second.yaml:3:9: error[invalid-value]: `AAA` is not a record type: expected one of A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA</error>
        </testcase>
      </testsuite>
    </testsuites>
    "#);
    let read = read_with_junitparser(&file);
    assert_eq!(
        (
            &read["tests"],
            &read["errors"],
            &read["failures"],
            &read["skipped"]
        ),
        (&3.into(), &3.into(), &0.into(), &0.into()),
        "{read}"
    );
    let cases = read["cases"].as_array().unwrap();
    for case in cases {
        let results = case["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "{case}");
        assert_eq!(results[0]["kind"], "Error", "{case}");
    }
    assert_eq!(cases[2]["suite"], "assertions/second.yaml");
    assert_eq!(cases[2]["results"][0]["type"], "invalid-value");
    assert!(
        cases[2]["results"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`AAA` is not a record type")
    );
}

// The zones' own inputs malformed stop `test` before any assertion is read: the same errors,
// in the format asked for.
#[test]
fn malformed_zone_inputs_are_reported_in_the_format_asked_for() {
    let repo = repository(PASSING);
    fs::write(
        repo.path().join("zones/services/web.yaml"),
        "port: http\nprotocol: tcp\n",
    )
    .unwrap();
    let file = repo.path().join("results.xml");
    let run = zonegate(
        repo.path(),
        &["test", "--junit", &file.display().to_string()],
    );
    assert_eq!(run.code, 2, "{}", run.transcript());
    let read = read_with_junitparser(&file);
    assert_eq!(read["errors"], read["tests"], "{read}");
    assert_ne!(read["errors"], 0, "{read}");
    assert_eq!(
        read["cases"][0]["suite"], "zones/services/web.yaml",
        "{read}"
    );

    let run = zonegate(repo.path(), &["test", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["results"], serde_json::json!([]));
    assert_eq!(
        report["errors"][0]["path"], "zones/services/web.yaml",
        "{report}"
    );

    let run = zonegate(repo.path(), &["test", "--format", "github"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
    assert!(
        run.stdout
            .starts_with("::error file=zones/services/web.yaml,line="),
        "{}",
        run.transcript()
    );
}

#[test]
fn an_unreachable_server_or_bad_address_exits_2() {
    let repo = repository(PASSING);
    // Nothing listens on the discard port of 127.0.0.1: ICMP port unreachable, then a timeout.
    let run = zonegate(
        repo.path(),
        &[
            "test",
            "--server",
            "127.0.0.1:9",
            "--timeout",
            "0.2",
            "--tries",
            "1",
        ],
    );
    insta::assert_snapshot!(run.transcript(), @"
    exit: 2
    --- stdout
    --- stderr
    error: server 127.0.0.1:9 does not answer a query for the SOA of example.com.: no response from 127.0.0.1:9 (tries: 1, 200 ms each)
    ");
    let run = zonegate(repo.path(), &["test", "--server", "not-an-address"]);
    insta::assert_snapshot!(run.transcript(), @"
    exit: 2
    --- stdout
    --- stderr
    error: `not-an-address` is not a server address; expected ADDR or ADDR:PORT (e.g. 127.0.0.1:5353 or [::1]:53)
    ");
    let run = zonegate(repo.path(), &["test", "--timeout", "nan"]);
    assert_eq!(run.code, 2, "{}", run.transcript());
}

#[test]
fn no_assertions_is_not_an_error() {
    let repo = repository(PASSING);
    fs::remove_dir_all(repo.path().join("assertions")).unwrap();
    let run = zonegate(repo.path(), &["test"]);
    insta::assert_snapshot!(run.transcript(), @r#"
    exit: 0
    --- stdout
    --- stderr
    no assertions in assertions/ (see README.md, "Assertions")
    "#);
}
