//! The fuzz targets, bounded, in every `cargo test`: each target (see `fuzz/harness.rs`) runs on
//! every file of its seed corpus (`fuzz/seeds/TARGET/`) and of its regressions
//! (`fuzz/regressions/TARGET/`, every crash the long runs found), then on inputs proptest makes
//! by mutating the seeds (bit flips, bytes, dictionary tokens, deletions, duplications,
//! splices). `ZONEGATE_FUZZ_CASES` sets the number of mutated inputs per target (default 1000)
//! and `ZONEGATE_FUZZ_SEED` the seed they are drawn from (default 0, so every run is the same);
//! the long coverage-guided runs are `scripts/fuzz.sh` (RELIABILITY.md has their figures).
#![allow(clippy::disallowed_methods)] // Tests read the corpus files.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use zonegate::inventory::CmdbFormat;

/// Tokens the mutator inserts: the syntax of YAML, JSON, CSV, Jinja, master files and DNS names, and values
/// at the edges of their ranges.
const DICTIONARY: &[&[u8]] = &[
    b"&a ",
    b"*a",
    b"<<: *a",
    b"[",
    b"]",
    b"{",
    b"}",
    b": ",
    b"- ",
    b"\"",
    b"'",
    b"\n",
    b"\r\n",
    b"\t",
    b"# ",
    b"!!str ",
    b"!!binary ",
    b"|\n",
    b">-\n",
    b"? ",
    b",",
    b"\\",
    b"\\\"",
    b"..",
    b"/",
    b"../",
    b"@",
    b"*.",
    b".",
    b"_",
    b"-",
    b";",
    b"0",
    b"-1",
    b"65536",
    b"4294967296",
    b"18446744073709551616",
    b"1e400",
    b"null",
    b"true",
    b"~",
    b"0x10",
    b"\xc3\xa9",
    b"\xe2\x80\xae",
    b"\xff",
    b"\0",
    b"xn--",
    b"in-addr.arpa.",
    b"ip6.arpa.",
    b"10.0.0.0/8",
    b"::",
    b"2001:db8::/32",
    b"255.255.255.255",
    b"{{ ",
    b" }}",
    b"{% ",
    b" %}",
    b"{% for x in records %}",
    b"{% endfor %}",
    b"range(100000)",
    b"records",
    b"type: CNAME",
    b"type: SRV",
    b"type: TXT",
    b"type: CAA",
    b"type: NS",
    b"type: PTR",
    b"type: MX",
    b"target: ",
    b"for_each: ",
    b"expect: ",
    b"query: ",
    b"nxdomain",
    b"covers_role: ",
    b"resolves_to: ",
    b"targets_resolve: true",
    b"hosts",
    b"services",
    b"datacenters",
    b"\xc0\x0c",
    b"\xc0\xff",
    b"\x3f",
    b"\x00\x01",
    b"\xff\xff",
    b"(",
    b")",
    b"$INCLUDE ",
    b"$GENERATE ",
    b"$ORIGIN ",
    b"$TTL ",
    b" IN ",
    b" A ",
    b"{{ body }}",
    b"\\032",
    b"\\.",
    b"\\#",
];

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(u32, u8),
    SetByte(u32, u8),
    Insert(u32, usize),
    Delete(u32, u16),
    Duplicate(u32, u16, u32),
    Splice(u32, usize, u32, u16),
    Truncate(u32),
}

fn mutation(seeds: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<u32>(), 0..8u8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        (any::<u32>(), any::<u8>()).prop_map(|(at, byte)| Mutation::SetByte(at, byte)),
        (any::<u32>(), 0..DICTIONARY.len()).prop_map(|(at, token)| Mutation::Insert(at, token)),
        (any::<u32>(), 1..64u16).prop_map(|(at, length)| Mutation::Delete(at, length)),
        (any::<u32>(), 1..256u16, any::<u32>())
            .prop_map(|(at, length, to)| Mutation::Duplicate(at, length, to)),
        (any::<u32>(), 0..seeds, any::<u32>(), 1..512u16)
            .prop_map(|(at, seed, from, length)| Mutation::Splice(at, seed, from, length)),
        any::<u32>().prop_map(Mutation::Truncate),
    ]
}

fn apply(seed: &[u8], mutations: &[Mutation], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seed.to_vec();
    let position = |data: &Vec<u8>, at: u32| (at as usize) % (data.len() + 1);
    for mutation in mutations {
        match *mutation {
            Mutation::FlipBit(at, bit) if !data.is_empty() => {
                let at = (at as usize) % data.len();
                data[at] ^= 1 << bit;
            }
            Mutation::SetByte(at, byte) if !data.is_empty() => {
                let at = (at as usize) % data.len();
                data[at] = byte;
            }
            Mutation::Insert(at, token) => {
                let at = position(&data, at);
                data.splice(at..at, DICTIONARY[token].iter().copied());
            }
            Mutation::Delete(at, length) => {
                let at = position(&data, at);
                let end = (at + usize::from(length)).min(data.len());
                data.drain(at..end);
            }
            Mutation::Duplicate(at, length, to) => {
                let at = position(&data, at);
                let end = (at + usize::from(length)).min(data.len());
                let piece = data[at..end].to_vec();
                let to = position(&data, to);
                data.splice(to..to, piece);
            }
            Mutation::Splice(at, seed, from, length) => {
                let other = &seeds[seed];
                let from = (from as usize) % (other.len() + 1);
                let end = (from + usize::from(length)).min(other.len());
                let at = position(&data, at);
                data.splice(at..at, other[from..end].iter().copied());
            }
            Mutation::Truncate(at) => {
                let at = position(&data, at);
                data.truncate(at);
            }
            Mutation::FlipBit(..) | Mutation::SetByte(..) => {}
        }
    }
    data
}

/// Every file in `fuzz/DIRECTORY/TARGET`, sorted by name.
fn corpus(directory: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(directory)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&path) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn cases() -> u32 {
    std::env::var("ZONEGATE_FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(1000)
}

/// The mutations are drawn from a fixed seed unless `ZONEGATE_FUZZ_SEED` names another, so
/// every `cargo test` (and CI) runs the same inputs and a failure reproduces; exploring is the
/// long run's job (`scripts/fuzz.sh`), or this one's with other seeds.
fn seed() -> u64 {
    std::env::var("ZONEGATE_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0)
}

/// Runs `target` on its seeds and regressions, then on `cases()` mutated seeds.
fn fuzz(target: &str, body: fn(&[u8])) {
    let seeds = corpus("seeds", target);
    assert!(!seeds.is_empty(), "fuzz/seeds/{target} has no seed");
    for (name, data) in seeds.iter().chain(&corpus("regressions", target)) {
        let outcome = std::panic::catch_unwind(|| body(data));
        assert!(outcome.is_ok(), "{target}: {name} fails");
    }
    let seeds: Vec<Vec<u8>> = seeds.into_iter().map(|(_, data)| data).collect();
    let strategy = (
        0..seeds.len(),
        prop::collection::vec(mutation(seeds.len()), 1..8),
    );
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed()),
        ..Config::default()
    });
    let result = runner.run(&strategy, |(seed, mutations)| {
        body(&apply(&seeds[seed], &mutations, &seeds));
        Ok(())
    });
    if let Err(error) = result {
        panic!(
            "{target} (ZONEGATE_FUZZ_SEED={}): {error}\nsave the input under fuzz/regressions/{target}/ once it is fixed",
            seed()
        );
    }
}

#[test]
fn cmdb_csv() {
    fuzz("cmdb_csv", |data| harness::cmdb(CmdbFormat::Csv, data));
}

#[test]
fn cmdb_json() {
    fuzz("cmdb_json", |data| harness::cmdb(CmdbFormat::Json, data));
}

#[test]
fn cmdb_netbox() {
    fuzz("cmdb_netbox", |data| {
        harness::cmdb(CmdbFormat::Netbox, data);
    });
}

#[test]
fn config() {
    fuzz("config", harness::config);
}

#[test]
fn assertions() {
    fuzz("assertions", harness::assertion_file);
}

#[test]
fn roundtrip() {
    fuzz("roundtrip", harness::roundtrip);
}

#[test]
fn dns_response() {
    fuzz("dns_response", harness::dns_response);
}

#[test]
fn zonefile() {
    fuzz("zonefile", harness::zonefile);
}

#[test]
fn template() {
    fuzz("template", harness::template);
}

#[test]
fn the_mutator_changes_its_input() {
    let seeds = vec![b"hostname,datacenter\n".to_vec()];
    let mutated = apply(&seeds[0], &[Mutation::Insert(0, 0)], &seeds);
    assert_eq!(mutated, b"&a hostname,datacenter\n");
    let mutated = apply(&seeds[0], &[Mutation::Delete(8, 12)], &seeds);
    assert_eq!(mutated, b"hostname");
    let mutated = apply(&seeds[0], &[Mutation::Splice(0, 0, 9, 11)], &seeds);
    assert_eq!(mutated, b"datacenter\nhostname,datacenter\n");
}

/// The `dns_response` seeds are well-formed responses (answers, referrals, NXDOMAIN, ...): each
/// must decode, or the target would only ever exercise the refusal of malformed bytes.
#[test]
fn every_dns_response_seed_decodes() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/dns_response");
    let mut seeds = 0;
    for entry in std::fs::read_dir(&directory).expect("the seed corpus") {
        let path = entry.expect("a seed").path();
        let bytes = std::fs::read(&path).expect("a readable seed");
        let decoded = zonegate::assertions::wire::Response::parse(&bytes)
            .and_then(|response| response.answer());
        assert!(decoded.is_ok(), "{}: {decoded:?}", path.display());
        seeds += 1;
    }
    assert!(seeds >= 10, "only {seeds} seeds");
}
