//! The JSON Schemas: the shipped files are the generated ones, every example file names its schema
//! on its first line and validates against it, the good fixtures validate, and bad input that
//! zonegate rejects is rejected by the schema too.
//!
//! `UPDATE_EXPECT=1 cargo test --test schemas` rewrites `schemas/*.json` after a change to the
//! types they are generated from (read the diff before committing it).
#![allow(clippy::disallowed_methods)] // Tests read (and on request rewrite) the shipped files.

use std::fs;
use std::path::{Path, PathBuf};

use zonegate::schema::{self, Kind};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The validation errors of `yaml` against the schema of `kind`, as `/path: message` lines.
fn errors(kind: Kind, yaml: &str) -> Vec<String> {
    // Read as an editor's yaml-language-server reads it (YAML 1.2): `off` and `yes` are strings.
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    let instance: serde_json::Value = match serde_saphyr::from_str_with_options(yaml, options) {
        Ok(instance) => instance,
        Err(error) => return vec![format!("not YAML: {error}")],
    };
    let schema = schema::generate(kind);
    let validator = jsonschema::validator_for(&schema).expect("the schema itself is valid");
    validator
        .iter_errors(&instance)
        .map(|error| {
            let at = error.instance_path().to_string();
            format!("{}: {error}", if at.is_empty() { "/" } else { &at })
        })
        .collect()
}

/// Every YAML file zonegate reads under `directory` (a repository root), relative paths sorted.
fn yaml_files(directory: &Path) -> Vec<(String, Kind)> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = fs::read_dir(directory.join(&relative)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = relative.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                let text = path.to_string_lossy().replace('\\', "/");
                if let Some(kind) = Kind::for_path(&text) {
                    found.push((text, kind));
                }
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[test]
fn the_shipped_schemas_are_the_generated_ones() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|value| value == "1");
    let mut stale = Vec::new();
    for kind in Kind::ALL {
        let path = root().join(schema::DIRECTORY).join(kind.file_name());
        let generated = schema::text(kind);
        let shipped = fs::read_to_string(&path).unwrap_or_default();
        if shipped == generated {
            continue;
        }
        if update {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &generated).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "these schemas differ from the ones the types generate: {stale:?}\n\
         run `UPDATE_EXPECT=1 cargo test --test schemas` and read the diff"
    );
}

#[test]
fn every_example_file_names_its_schema_and_validates() {
    let files = yaml_files(root());
    // The example repository: settings, the services, the records and the assertions.
    for kind in Kind::ALL {
        assert!(
            files.iter().any(|(_, found)| *found == kind),
            "no example of {kind}"
        );
    }
    for (path, kind) in files {
        let text = fs::read_to_string(root().join(&path)).unwrap();
        assert_eq!(
            text.lines().next(),
            Some(kind.modeline(&path).as_str()),
            "{path} must start with its schema line"
        );
        // The line points at the shipped file, relative to the file itself.
        let target = kind.modeline(&path);
        let relative = target.split_once("$schema=").unwrap().1;
        let schema_path = root().join(&path).parent().unwrap().join(relative);
        assert!(schema_path.is_file(), "{path}: {}", schema_path.display());
        assert_eq!(errors(kind, &text), Vec::<String>::new(), "{path}");
    }
}

#[test]
fn the_good_fixtures_and_the_init_scaffold_validate() {
    let mut checked = 0;
    for fixture in ["base", "nested-zone", "assertions"] {
        let directory = root().join("tests/fixtures").join(fixture);
        for (path, kind) in yaml_files(&directory) {
            let text = fs::read_to_string(directory.join(&path)).unwrap();
            assert_eq!(
                errors(kind, &text),
                Vec::<String>::new(),
                "{fixture}/{path}"
            );
            checked += 1;
        }
    }
    for (path, text) in zonegate::commands::init::scaffold("example.com.").unwrap() {
        if let Some(kind) = Kind::for_path(&path) {
            assert_eq!(errors(kind, &text), Vec::<String>::new(), "init: {path}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} files checked");
}

#[test]
fn bad_fixtures_are_rejected_by_the_schema_too() {
    // Each of these makes zonegate exit 2 (tests/bad_inputs.rs); an editor flags them as typed.
    let rejected: Vec<String> = [
        ("yaml-bad-duration", "zones/services/web.yaml"),
        ("yaml-field-not-for-type", "zones/records/bad.yaml"),
        ("yaml-missing-port", "zones/services/web.yaml"),
        ("yaml-unknown-key-typo", "zones/zonegate.yaml"),
        ("yaml-wrong-type", "zones/services/web.yaml"),
        ("unknown-rule-id", "zones/zonegate.yaml"),
        ("input-rule-not-configurable", "zones/zonegate.yaml"),
        // Numbers only: a pattern cannot bound the sum of `3550w6d`.
        ("ttl-out-of-range", "zones/zonegate.yaml"),
        ("ttl-out-of-range", "zones/services/api.yaml"),
    ]
    .into_iter()
    .map(|(fixture, path)| {
        let text =
            fs::read_to_string(root().join("tests/fixtures/bad").join(fixture).join(path)).unwrap();
        let kind = Kind::for_path(path).unwrap();
        format!("{fixture}: {}", errors(kind, &text).join("; "))
    })
    .collect();
    insta::assert_snapshot!(rejected.join("\n"));
}

#[test]
fn the_shapes_of_hand_written_deserializers_are_accepted() {
    let accepted = [
        (
            Kind::Settings,
            "domain: example.com.\ndatacenters: [ams]\nzones: { forward: [example.com.] }\n\
             nameservers: [ns1.example.com.]\ncmdb: { path: cmdb/hosts.json, format: netbox }\n\
             ttl: { default: 3600, srv: 1h30m }\ncheck: { rules: { missing-reverse: off } }\n\
             policy: { approvals: 2, thresholds: { zone_percent: 7.5 }, merge_method: squash }\n",
        ),
        (
            Kind::Settings,
            "domain: example.com.\ndatacenters: [ams]\nzones: { reverse: [10.0.0.0/8] }\nnameservers: [ns1.example.com.]\ncmdb: cmdb/servers.csv\n",
        ),
        (
            Kind::Service,
            "port: 53\nprotocol: udp\nrequired_in: [ams, nyc]\nttl: 300\n",
        ),
        (
            Kind::Settings,
            "domain: example.com.\ndatacenters: [ams]\nzones: { forward: [example.com.] }\n\
             nameservers: [ns1.example.com.]\ndeploy:\n  stale_serial: bump\n  targets:\n    \
             - { name: primary, kind: bind, zone_directory: /var/lib/bind, server: \"127.0.0.1:53\",\n        \
             check: [named-checkzone, -q, \"{origin}\", \"{file}\"], reload: [rndc, reload],\n        \
             secondaries: [\"192.0.2.2:53\"], deadlines: { command: 60s, serial: 30, notify: 1m } }\n    \
             - { name: archive, kind: dir, zone_directory: archive, file_name: \"{zone}.db\" }\n",
        ),
        (Kind::Service, "port: 443\nrequired_in: all\nglobal: true\n"),
        (
            Kind::Records,
            "records:\n  - { name: \"@\", type: txt, text: [a, b] }\n  \
             - { name: \"@\", type: CAA, tag: issue, value: letsencrypt.org }\n  \
             - { name: mail, type: Mx, preference: 10, exchange: mx1.example.com. }\n",
        ),
        (
            Kind::Assertions,
            "- it: x\n  for_each: { dc: datacenters, h: { from: dc.hosts, where: { status: [in_use] }, sample: 3 } }\n  \
             query: \"{{ h }}\"\n  expect: NXDOMAIN\n\
             - it: y\n  for_each: { n: [a.example.com., 1] }\n  query: \"{{ n }}\"\n  type: SRV\n  \
             expect: { port: 443, target: [a., b.], at_least: 2, covers_role: { role: web, datacenter: all } }\n",
        ),
    ];
    for (kind, yaml) in accepted {
        assert_eq!(errors(kind, yaml), Vec::<String>::new(), "{yaml}");
    }
}

#[test]
fn mistakes_an_editor_should_flag() {
    let cases = [
        (
            Kind::Settings,
            "domain: example.com.\ndatacenters: []\nzones: {}\nnameservers: [ns1.example.com.]\n",
        ),
        (
            Kind::Settings,
            "domain: example.com.\ndatacenters: [ams]\nzones: {}\nnameservers: [ns1.]\nserial: weekly\ncmdb: { path: x.csv, format: xml }\n",
        ),
        (
            Kind::Service,
            "port: 443\nprotocol: http\nrequired_in: some\n",
        ),
        (
            Kind::Records,
            "records:\n  - { name: www, type: CNAME, target: a., address: 10.0.0.1 }\n  - { name: mail, type: MX, exchange: mx1. }\n  - { name: x, type: SOA }\n",
        ),
        (
            Kind::Assertions,
            "- it: x\n  query: a.example.com.\n  expect: nxdomian\n- it: y\n  for_each: {}\n  query: b.\n  expect: { adress: 10.0.0.1 }\n",
        ),
        (
            Kind::Assertions,
            "it: not a list\nquery: a.\nexpect: nodata\n",
        ),
    ];
    let report: Vec<String> = cases
        .iter()
        .map(|(kind, yaml)| format!("{kind}:\n  {}", errors(*kind, yaml).join("\n  ")))
        .collect();
    insta::assert_snapshot!(report.join("\n"));
}

#[test]
fn deploy_mistakes_an_editor_should_flag() {
    // The `deploy:` section alone, against the settings schema's definition of it, so each
    // problem is reported where it is rather than as "no alternative of `deploy` matched".
    let settings = schema::generate(Kind::Settings);
    let deploy = serde_json::json!({
        "$schema": settings["$schema"],
        "definitions": settings["definitions"],
        "$ref": "#/definitions/Deploy"
    });
    let validator = jsonschema::validator_for(&deploy).unwrap();
    let instance: serde_json::Value = serde_saphyr::from_str(
        "stale_serial: maybe\ntargets:\n  \
         - { name: primary, kind: bind, zone_directory: /var/lib/bind, reload: rndc reload }\n  \
         - { name: spare, kind: powerdns, zone_directory: \"\", server: \"127.0.0.1:53\" }\n  \
         - { name: copy, kind: dir, zone_directory: copy, secondaries: [\"192.0.2.2:53\"] }\n  \
         - { name: files, kind: dir, zone_directory: files, deadlines: { serial: soon } }\n",
    )
    .unwrap();
    let mut errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    errors.sort();
    insta::assert_snapshot!(errors.join("\n"));
}
