//! Criterion benchmarks of the hot paths, stage by stage, on a synthetic estate generated in
//! memory (no data files needed): CMDB import, record generation, content hashing, rendering,
//! and the check of the output set every render makes before carrying a zone file over.
//! Whole-process figures beside the peers come from `bench/run.sh`; these show where the time
//! goes and catch regressions. Run with `cargo bench --bench pipeline`.
#![allow(missing_docs, clippy::missing_panics_doc)]
#![allow(clippy::disallowed_methods)] // Writes the synthetic estate it measures.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use zonegate::inventory::files::Directory;
use zonegate::render::{self, DEFAULT_TEMPLATE, RenderOptions, TemplateLimits};

const DATACENTERS: [&str; 4] = ["ash", "gew", "lon", "sto"];
const SERVICES: usize = 40;

/// A zones repository with `hosts` hosts (each: A, AAAA, two PTRs, one or two SRV records).
fn estate(hosts: usize) -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temporary directory");
    let zones = temp.path().join("zones");
    std::fs::create_dir_all(zones.join("cmdb")).unwrap();
    std::fs::create_dir_all(zones.join("services")).unwrap();
    std::fs::write(
        zones.join("zonegate.yaml"),
        "domain: example.net.\ndatacenters: [ash, gew, lon, sto]\n\
         zones: { forward: [example.net.], reverse: [10.0.0.0/8, 2001:db8::/32] }\n\
         nameservers: [ns1.example.net., ns2.example.net.]\n\
         check: { rules: { rrset-too-large: warning, answer-too-large-for-udp: warning } }\n",
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
        let _ = writeln!(
            csv,
            "host{index},{},10.{}.{}.{},2001:db8:{}::{:x},{roles},in_use",
            DATACENTERS[dc],
            dc + 1,
            slot / 250,
            slot % 250 + 1,
            dc + 1,
            slot + 1,
        );
    }
    std::fs::write(zones.join("cmdb/servers.csv"), csv).unwrap();
    temp
}

fn pipeline(criterion: &mut Criterion) {
    let hosts = 40_000;
    let repository = estate(hosts);
    let files = Directory::new(repository.path());
    let inventory = zonegate::inventory::load(&files).expect("the estate loads");
    let (zones, _) = zonegate::model::build(&inventory);
    let records = zones.record_count() as u64;
    let options = RenderOptions {
        default_ttl: 3600,
        template: DEFAULT_TEMPLATE,
        limits: TemplateLimits::DEFAULT,
        template_name: "built-in",
        abandon: None,
    };

    let mut group = criterion.benchmark_group("pipeline");
    group.sample_size(10);
    group.throughput(Throughput::Elements(records));
    group.bench_function("load (CMDB + YAML)", |bench| {
        bench.iter(|| zonegate::inventory::load(black_box(&files)).expect("loads"));
    });
    group.bench_function("build (zonextgen rules, sort)", |bench| {
        bench.iter(|| zonegate::model::build(black_box(&inventory)));
    });
    group.bench_function("content hash", |bench| {
        bench.iter(|| {
            for zone in &zones.zones {
                black_box(render::content_hash(zone, &options));
            }
        });
    });
    group.bench_function("render to a sink", |bench| {
        bench.iter_batched(
            io::sink,
            |mut sink| {
                for zone in &zones.zones {
                    render::write(zone, 1, &[0; 32], &options, &mut sink).expect("renders");
                }
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();

    // Before an unchanged zone's file is carried over, its size and SHA-256 are compared with
    // manifest.json (issue 12 item 7): every `render` with a previous set pays this.
    let output = tempfile::tempdir().expect("temporary directory");
    let lock = zonegate::output::lock(&output.path().join("out"), output.path(), || {})
        .expect("locks the output directory");
    let clock = zonegate::serial::Clock {
        unix_seconds: 1_795_564_800,
    };
    let (rendered, manifest) =
        zonegate::commands::pipeline::render_all(&inventory, &zones, None, clock).expect("renders");
    lock.publish(&rendered, &manifest).expect("publishes");
    drop(rendered);
    let entries: Vec<Option<&zonegate::output::ManifestZone>> =
        manifest.zones.iter().map(Some).collect();
    let mut group = criterion.benchmark_group("output");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(
        manifest.zones.iter().map(|zone| zone.bytes).sum(),
    ));
    group.bench_function("verify the previous set (size + SHA-256)", |bench| {
        bench.iter(|| {
            let held = lock.verify(black_box(&entries)).expect("verifies");
            assert!(
                held.iter()
                    .all(|held| matches!(held, Some(zonegate::output::Held::Intact(_))))
            );
        });
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
