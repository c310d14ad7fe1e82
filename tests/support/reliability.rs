//! Helpers of the reliability tests (crash safety, concurrency, soak): a replayable random
//! number generator, a generated repository of any size, and the check that an output directory
//! holds one complete set.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

/// A small deterministic random number generator (xorshift64*), so a run can be replayed.
pub(crate) struct Random(u64);

impl Random {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

pub(crate) fn environment_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

pub(crate) const SETTINGS: &str = "domain: example.com.
datacenters: [ams, nyc, sgp, lax]
zones:
  forward: [example.com.]
  reverse: [10.0.0.0/8, 2001:db8::/32]
nameservers: [ns1.example.com., ns2.example.com.]
soa:
  contact: hostmaster@example.com
serial: counter
";

/// A CMDB of `hosts` hosts; `variant` 1 drops every seventh host and moves every eleventh,
/// so the two variants differ in every zone.
pub(crate) fn cmdb(hosts: u32, variant: u32) -> String {
    let datacenters = ["ams", "nyc", "sgp", "lax"];
    let mut text = String::from("hostname,datacenter,ipv4,ipv6,roles,status\n");
    for index in 0..hosts {
        if variant == 1 && index % 7 == 0 {
            continue;
        }
        let dc = datacenters[(index % 4) as usize];
        let moved = u32::from(variant == 1 && index % 11 == 0);
        let (high, low) = ((index >> 8) & 0xff, index & 0xff);
        // A few SRV targets per datacenter: large RRsets are refused by `check`.
        let role = match index % 100 {
            0 => "web",
            50 => "api",
            _ => "",
        };
        let _ = writeln!(
            text,
            "h{index},{dc},10.{}.{high}.{low},2001:db8:{:x}::{:x},{role},in_use",
            (index % 4) + 1 + moved * 8,
            (index % 4) + 1,
            index + 1
        );
    }
    text
}

pub(crate) fn write_repository(root: &Path, hosts: u32, variant: u32) {
    fs::create_dir_all(root.join("zones/cmdb")).unwrap();
    fs::create_dir_all(root.join("zones/services")).unwrap();
    fs::create_dir_all(root.join("zones/records")).unwrap();
    fs::write(
        root.join("zones/records/nameservers.yaml"),
        "records:\n  - { name: ns1, type: A, address: 192.0.2.53 }\n  - { name: ns2, type: A, address: 192.0.2.54 }\n",
    )
    .unwrap();
    fs::write(root.join("zones/zonegate.yaml"), SETTINGS).unwrap();
    fs::write(root.join("zones/services/web.yaml"), "port: 443\n").unwrap();
    fs::write(root.join("zones/services/api.yaml"), "port: 8443\n").unwrap();
    // Written aside and renamed, so a render never reads half a CMDB.
    let temporary = root.join("zones/cmdb/.servers.csv.tmp");
    fs::write(&temporary, cmdb(hosts, variant)).unwrap();
    fs::rename(&temporary, root.join("zones/cmdb/servers.csv")).unwrap();
}

/// The content hashes of a complete set, by zone file: what "a set" is, independent of serials.
pub(crate) type SetIdentity = BTreeMap<String, String>;

/// Checks that `out` holds one complete set: a manifest, every file it lists with the size and
/// SHA-256 it records, and nothing else. Returns the set's identity (`None` when there is no
/// output directory).
pub(crate) fn verify_complete(out: &Path) -> Result<Option<SetIdentity>, String> {
    if !out.exists() {
        return Ok(None);
    }
    let text = fs::read(out.join("manifest.json"))
        .map_err(|error| format!("no readable manifest.json: {error}"))?;
    let manifest: zonegate::output::Manifest = serde_json::from_slice(&text)
        .map_err(|error| format!("manifest.json does not parse: {error}"))?;
    let mut expected: Vec<String> = manifest.zones.iter().map(|z| z.file.clone()).collect();
    expected.push("manifest.json".to_owned());
    expected.sort();
    let mut present: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    if present != expected {
        return Err(format!(
            "files {present:?} are not the manifest's {expected:?}"
        ));
    }
    let mut identity = SetIdentity::new();
    for zone in &manifest.zones {
        let bytes = fs::read(out.join(&zone.file)).map_err(|error| format!("{error}"))?;
        let digest = zonegate::render::hex(&Sha256::digest(&bytes));
        if digest != zone.sha256 || bytes.len() as u64 != zone.bytes {
            return Err(format!(
                "{} has sha256 {digest} and {} bytes; the manifest says {} and {}",
                zone.file,
                bytes.len(),
                zone.sha256,
                zone.bytes
            ));
        }
        identity.insert(zone.file.clone(), zone.content_hash.clone());
    }
    Ok(Some(identity))
}
