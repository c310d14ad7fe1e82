//! Criterion benchmark of `zonegate test` in memory: 100,000 assertions against a zone set of
//! about a million records (190,000 hosts: A, AAAA, two PTRs and one or two SRV records each).
//! The suite mixes what real suites ask: forward addresses, reverse names, SRV RRsets with
//! `covers_role`, and names that must not exist. Run with
//! `cargo bench --bench assertions`; the figure is reported in BENCHMARKS.md.
#![allow(missing_docs, clippy::missing_panics_doc)]
#![allow(clippy::print_stderr)] // Reports the size of the estate it measures.
#![allow(clippy::disallowed_methods)] // Writes the synthetic estate it measures.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zonegate::assertions::resolver::Resolver;
use zonegate::assertions::{self, Verdict};
use zonegate::inventory::files::Directory;

const DATACENTERS: [&str; 4] = ["ash", "gew", "lon", "sto"];
const SERVICES: usize = 40;
const HOSTS: usize = 190_000;

/// A zones repository with `hosts` hosts and an assertion suite that expands to 100,000.
fn estate(hosts: usize) -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temporary directory");
    let zones = temp.path().join("zones");
    std::fs::create_dir_all(zones.join("cmdb")).unwrap();
    std::fs::create_dir_all(zones.join("services")).unwrap();
    std::fs::create_dir_all(temp.path().join("assertions")).unwrap();
    std::fs::write(
        zones.join("zonegate.yaml"),
        "domain: example.net.\ndatacenters: [ash, gew, lon, sto]\n\
         zones: { forward: [example.net.], reverse: [10.0.0.0/8, 2001:db8::/32] }\n\
         nameservers: [ns1.example.net., ns2.example.net.]\n",
    )
    .unwrap();
    for service in 0..SERVICES {
        std::fs::write(
            zones.join(format!("services/svc{service}.yaml")),
            format!("port: {}\n", 8000 + service),
        )
        .unwrap();
    }
    let mut csv = String::from("hostname,datacenter,ipv4,ipv6,roles,status\n");
    for index in 0..hosts {
        let dc = index % DATACENTERS.len();
        let slot = index / DATACENTERS.len();
        let roles = if index % 3 == 0 {
            format!("svc{};svc{}", index % SERVICES, (index * 7) % SERVICES)
        } else {
            format!("svc{}", index % SERVICES)
        };
        let status = if index % 50 == 49 {
            "decommissioned"
        } else {
            "in_use"
        };
        let _ = writeln!(
            csv,
            "host{index},{},10.{}.{}.{},2001:db8:{}::{:x},{roles},{status}",
            DATACENTERS[dc],
            dc + 1,
            slot / 250,
            slot % 250 + 1,
            dc + 1,
            slot + 1,
        );
    }
    std::fs::write(zones.join("cmdb/servers.csv"), csv).unwrap();
    // 60,000 forward + 30,000 reverse + 3,800 decommissioned + 160 SRV + 6,040 literal misses.
    std::fs::write(
        temp.path().join("assertions/bench.yaml"),
        r#"
- it: "{{ a.host }} has {{ a }}"
  for_each:
    h: { from: hosts, where: { status: in_use }, sample: 30000 }
    a: h.addresses
  query: "{{ a.host }}"
  type: "{{ a.type }}"
  expect: { address: "{{ a }}", only: true, not_cname: true }
- it: "{{ a }} points back at {{ a.host }}"
  for_each:
    h: { from: hosts, where: { status: in_use }, sample: 15000 }
    a: h.addresses
  query: "{{ a.reverse }}"
  type: PTR
  expect: { target: "{{ a.host }}" }
- it: "{{ h }} is gone"
  for_each: { h: { from: hosts, where: { status: decommissioned } } }
  query: "{{ h }}"
  expect: nxdomain
- it: "{{ s }} in {{ dc }}"
  for_each: { s: services, dc: s.datacenters }
  query: "{{ s.srv }}.{{ dc }}.example.net."
  type: SRV
  expect: { covers_role: "{{ s.role }}", port: "{{ s.port }}" }
- it: no such host {{ n }}
  for_each: { dc: datacenters, n: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z] }
  query: "nothing-{{ n }}.{{ dc }}.example.net."
  expect: nxdomain
"#,
    )
    .unwrap();
    temp
}

fn suite(criterion: &mut Criterion) {
    let repository = estate(HOSTS);
    let files = Directory::new(repository.path());
    let inventory = zonegate::inventory::load(&files).expect("the estate loads");
    let (zones, _) = zonegate::model::build(&inventory);
    let mut sources = inventory.sources.clone();
    let (mut suite, problems) = assertions::load(
        &files,
        &inventory,
        &mut sources,
        assertions::DEFAULT_MAX_ASSERTIONS,
    )
    .expect("the suite loads");
    assert!(problems.is_empty(), "{problems:?}");
    // Top up to exactly 100,000 with more forward look-ups (the cheapest kind, so the figure
    // is not flattered by them being few).
    let forward: Vec<_> = suite
        .iter()
        .take(100_000 - suite.len().min(100_000))
        .cloned()
        .collect();
    suite.extend(forward);
    suite.truncate(100_000);
    eprintln!(
        "{} records in {} zones, {} assertions",
        zones.record_count(),
        zones.zones.len(),
        suite.len()
    );
    let resolver = Resolver::new(&zones);
    let outcomes = assertions::run(&suite, &resolver);
    let failed = outcomes
        .iter()
        .filter(|outcome| outcome.verdict != Verdict::Pass)
        .count();
    assert_eq!(failed, 0, "every benchmark assertion passes");

    let mut group = criterion.benchmark_group("assertions");
    group.sample_size(10);
    group.throughput(Throughput::Elements(suite.len() as u64));
    group.bench_function("run 100k in memory", |bench| {
        bench.iter(|| assertions::run(black_box(&suite), &resolver));
    });
    group.bench_function("index the zone set", |bench| {
        bench.iter(|| Resolver::new(black_box(&zones)));
    });
    // Reading the assertion file, counting its `for_each` against the budget and expanding it.
    group.bench_function("load and expand 100k", |bench| {
        bench.iter(|| {
            let mut sources = inventory.sources.clone();
            assertions::load(
                &files,
                black_box(&inventory),
                &mut sources,
                assertions::DEFAULT_MAX_ASSERTIONS,
            )
        });
    });
    group.finish();
}

criterion_group!(benches, suite);
criterion_main!(benches);
