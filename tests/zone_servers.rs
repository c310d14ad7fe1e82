//! The rendered example repository is loaded by the real checkers of BIND (`named-checkzone`,
//! with its strictest integrity checks), Knot (`kzonecheck`) and NSD (`nsd-checkzone`).
//! `scripts/test.sh` installs them; a missing checker fails the test rather than skipping it.
#![allow(clippy::disallowed_methods)] // Tests build and read fixtures directly.

mod support;

use std::path::Path;
use std::process::Command;

use support::{example_repository, zonegate};

fn checker(program: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run {program} ({error}); run scripts/test.sh, which installs it")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn rendered_zones(out: &Path) -> Vec<(String, String)> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    manifest["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|zone| {
            let origin = zone["origin"].as_str().unwrap().to_owned();
            let file = out
                .join(zone["file"].as_str().unwrap())
                .display()
                .to_string();
            (origin, file)
        })
        .collect()
}

#[test]
fn bind_knot_and_nsd_accept_every_rendered_zone() {
    let repo = example_repository();
    let run = zonegate(repo.path(), &["render"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let zones = rendered_zones(&repo.path().join("out"));
    assert!(
        zones.len() >= 3,
        "forward and two reverse zones expected, got {zones:?}"
    );
    for (origin, file) in &zones {
        let (ok, text) = checker(
            "named-checkzone",
            &[
                "-i", "full", "-k", "fail", "-m", "fail", "-M", "fail", "-n", "fail", "-S", "fail",
                origin, file,
            ],
        );
        assert!(
            ok && text.contains("OK"),
            "named-checkzone rejected {origin}:\n{text}"
        );
        let (ok, text) = checker("kzonecheck", &["-o", origin, file]);
        assert!(ok, "kzonecheck rejected {origin}:\n{text}");
        let (ok, text) = checker("nsd-checkzone", &[origin, file]);
        assert!(
            ok && text.contains("is ok"),
            "nsd-checkzone rejected {origin}:\n{text}"
        );
    }
}

/// Every octet value in TXT and CAA data survives BIND's reading: `named-checkzone -D` dumps the
/// zone in BIND's canonical form, and its escapes must equal ours octet for octet. (This is the
/// part of the round trip hickory-proto's parser cannot check; see `tests/roundtrip.rs`.)
#[test]
fn bind_reads_every_octet_of_txt_and_caa_data_as_written() {
    use zonegate::diagnostic::{FileId, Span};
    use zonegate::model::name::Name;
    use zonegate::model::record::{Caa, Origin, Provenance, RData, Record, Soa};
    use zonegate::model::zone::Zone;
    use zonegate::render::{self, DEFAULT_TEMPLATE, RenderOptions, TemplateLimits};

    let name = |text: &str| Name::parse_absolute(text).unwrap();
    let record = |owner: &str, data: RData| Record {
        name: name(owner),
        ttl: 60,
        data,
        provenance: Provenance {
            span: Span::new(FileId(0), 1, 1),
            origin: Origin::HandEdited,
        },
    };
    let all_octets: Vec<u8> = (0..=255).collect();
    let soa = Soa {
        primary: name("ns.t."),
        contact: name("h.t."),
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum: 5,
    };
    let (zone, _) = Zone::from_records(
        name("t."),
        vec![
            record("t.", RData::Soa(Box::new(soa))),
            record("t.", RData::Ns(name("ns.t."))),
            record("ns.t.", RData::A("192.0.2.1".parse().unwrap())),
            record(
                "t.",
                RData::Txt(all_octets.chunks(128).map(Box::from).collect()),
            ),
            record(
                "t.",
                RData::Caa(Box::new(Caa {
                    flags: 0,
                    tag: "issue".into(),
                    value: "ca.example; policy=\"x\\y\"".into(),
                })),
            ),
        ],
    );
    let options = RenderOptions {
        default_ttl: 60,
        template: DEFAULT_TEMPLATE,
        limits: TemplateLimits::DEFAULT,
        template_name: "built-in",
        abandon: None,
    };
    let text = render::to_string(&zone, 1, &options).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("t.zone");
    std::fs::write(&file, &text).unwrap();
    let (ok, dump) = checker(
        "named-checkzone",
        &["-D", "-o", "-", "t.", &file.display().to_string()],
    );
    assert!(ok, "{dump}");
    for record_type in ["TXT", "CAA"] {
        let ours = text
            .lines()
            .find(|line| line.contains(&format!("\t{record_type}\t")))
            .unwrap();
        let ours = ours.split_once(&format!("\t{record_type}\t")).unwrap().1;
        let bind = dump
            .lines()
            .find(|line| line.contains(&format!(" {record_type}\t")))
            .unwrap();
        let bind = bind
            .split_once(&format!(" {record_type}\t"))
            .unwrap()
            .1
            .trim();
        assert_eq!(bind, ours, "BIND read {record_type} data differently");
    }
}
