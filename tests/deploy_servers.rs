//! `zonegate deploy` against real BIND, Knot and NSD servers: each test starts its own server on
//! 127.0.0.1 (a free high port, zone directory in a temporary directory), deploys the
//! repository, confirms the served serials with real DNS queries and runs the repository's
//! assertions against the server, deploys a change and confirms the new serials. NOTIFY: BIND, Knot and NSD secondaries transfer from the primary after
//! zonegate's NOTIFY, long before their refresh timer (one hour) would have fired.
#![allow(clippy::disallowed_methods)] // Tests build and read fixtures directly.

mod support;

use support::deploy::{FIRST, zones};
use support::deploy::{TargetConfig, add_host, configure, repository};
use support::servers::{Kind, Primary, Server};
use support::zonegate;
use zonegate::deploy::Served;

const FORWARD: &str = "example.net.";
const REVERSE_V4: &str = "10.in-addr.arpa.";
const REVERSE_V6: &str = "8.b.d.0.1.0.0.2.ip6.arpa.";
const EDGE: &str = "2.0.192.in-addr.arpa.";

/// Deploys the fixture repository to a fresh `kind` server, then a change, then nothing.
fn deploy_then_change(kind: Kind) {
    let repo = repository();
    let server_dir = tempfile::tempdir().unwrap();
    let server = Server::primary(kind, server_dir.path(), &zones(repo.path()));
    for zone in &server.zones {
        assert!(
            matches!(server.served(zone), Served::NotServed(_)),
            "{kind:?} serves {zone} before the first deploy"
        );
    }
    configure(
        repo.path(),
        &server,
        &TargetConfig {
            check: Some(checker(kind)),
            reload: (kind == Kind::Knot).then(|| {
                // Knot's reload per changed zone: `{origin}` makes deploy run it once per zone.
                let mut reload = server.reload.clone();
                reload.push("{origin}".to_owned());
                reload
            }),
            ..TargetConfig::default()
        },
    );

    let plan = zonegate(repo.path(), &["deploy", "--dry-run"]);
    assert_eq!(plan.code, 0, "{}", plan.transcript());
    assert!(
        squash(&plan.stdout).contains("create example.net."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("dry run: 4 zone(s) would be written"),
        "{}",
        plan.stdout
    );
    assert!(
        !server.zone_directory.join("example.net.zone").exists(),
        "a dry run writes nothing"
    );

    let first = zonegate(repo.path(), &["deploy"]);
    assert_eq!(first.code, 0, "{}\n{}", first.transcript(), server.logs());
    let live = format!("assertion(s) passed against {}", server.address);
    assert!(first.stdout.contains(&live), "{}", first.stdout);
    assert!(
        first.stdout.contains("deploy to primary succeeded"),
        "{}",
        first.stdout
    );
    for zone in &server.zones {
        assert_eq!(
            server.served(zone),
            Served::Serial(FIRST),
            "{zone}\n{}",
            server.logs()
        );
    }

    add_host(repo.path(), "web4", "10.1.250.7");
    let second = zonegate(repo.path(), &["deploy"]);
    assert_eq!(second.code, 0, "{}\n{}", second.transcript(), server.logs());
    assert!(second.stdout.contains(&live), "{}", second.stdout);
    let report = squash(&second.stdout);
    assert!(
        report.contains(&format!(
            "update example.net. served {FIRST} -> {}",
            FIRST + 1
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "update 10.in-addr.arpa. served {FIRST} -> {}",
            FIRST + 1
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "unchanged 8.b.d.0.1.0.0.2.ip6.arpa. served {FIRST}\n"
        )),
        "{report}"
    );
    assert_eq!(server.served(FORWARD), Served::Serial(FIRST + 1));
    assert_eq!(server.served(REVERSE_V4), Served::Serial(FIRST + 1));
    assert_eq!(server.served(EDGE), Served::Serial(FIRST));
    assert_eq!(
        server.served(REVERSE_V6),
        Served::Serial(FIRST),
        "unchanged zone keeps its serial"
    );
    let previous = std::fs::read_to_string(
        server_dir
            .path()
            .join(".zones.zonegate-deploy/previous/example.net.zone"),
    )
    .unwrap();
    assert!(
        previous.contains(&format!("\t{FIRST}\t; serial")),
        "the replaced file is kept:\n{previous}"
    );

    let third = zonegate(repo.path(), &["deploy"]);
    assert_eq!(third.code, 0, "{}", third.transcript());
    assert!(
        third
            .stdout
            .contains("nothing to deploy: 4 zone(s) unchanged"),
        "{}",
        third.stdout
    );
}

/// The text with runs of spaces collapsed (the plan's columns depend on the longest name).
fn squash(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The server's own zone checker, run by deploy on every new file before installing it.
fn checker(kind: Kind) -> Vec<String> {
    let argv: &[&str] = match kind {
        Kind::Bind => &["named-checkzone", "-q", "{origin}", "{file}"],
        Kind::Knot => &["kzonecheck", "-o", "{origin}", "{file}"],
        Kind::Nsd => &["nsd-checkzone", "{origin}", "{file}"],
    };
    argv.iter().map(|&word| word.to_owned()).collect()
}

#[test]
fn bind_serves_each_deploy() {
    deploy_then_change(Kind::Bind);
}

#[test]
fn knot_serves_each_deploy() {
    deploy_then_change(Kind::Knot);
}

#[test]
fn nsd_serves_each_deploy() {
    deploy_then_change(Kind::Nsd);
}

#[test]
fn a_bind_secondary_transfers_after_the_notify() {
    secondary_transfers_after_the_notify(Kind::Bind);
}

#[test]
fn a_knot_secondary_transfers_after_the_notify() {
    secondary_transfers_after_the_notify(Kind::Knot);
}

#[test]
fn an_nsd_secondary_transfers_after_the_notify() {
    secondary_transfers_after_the_notify(Kind::Nsd);
}

/// A BIND primary (which sends no NOTIFY of its own) and a `kind` secondary.
fn secondary_transfers_after_the_notify(kind: Kind) {
    let repo = repository();
    let primary_dir = tempfile::tempdir().unwrap();
    let primary = Server::primary(Kind::Bind, primary_dir.path(), &zones(repo.path()));
    configure(repo.path(), &primary, &TargetConfig::default());
    let first = zonegate(repo.path(), &["deploy"]);
    assert_eq!(first.code, 0, "{}", first.transcript());

    // The secondary loads the first serial by its start-up transfer; its next refresh would be an hour
    // (the SOA refresh) away, and the primary sends no NOTIFY of its own (`notify no`).
    let secondary_dir = tempfile::tempdir().unwrap();
    let secondary = Server::secondary(
        kind,
        secondary_dir.path(),
        &zones(repo.path()),
        Primary {
            address: primary.address,
        },
    );
    for zone in &secondary.zones {
        secondary.wait_for_serial(zone, FIRST);
    }

    // Control: a deploy that notifies nobody leaves the secondary on the first serial.
    add_host(repo.path(), "web4", "10.1.250.7");
    let unnotified = zonegate(repo.path(), &["deploy"]);
    assert_eq!(unnotified.code, 0, "{}", unnotified.transcript());
    assert_eq!(primary.served(FORWARD), Served::Serial(FIRST + 1));
    assert_eq!(secondary.served(FORWARD), Served::Serial(FIRST));

    configure(
        repo.path(),
        &primary,
        &TargetConfig {
            secondaries: vec![secondary.address.to_string()],
            ..TargetConfig::default()
        },
    );
    add_host(repo.path(), "web5", "10.1.250.8");
    let notified = zonegate(repo.path(), &["deploy"]);
    assert_eq!(
        notified.code,
        0,
        "{}\nsecondary:\n{}",
        notified.transcript(),
        secondary.logs()
    );
    assert!(
        notified.stdout.contains(&format!(
            "notified {}; it serves the new serials",
            secondary.address
        )),
        "{}",
        notified.stdout
    );
    assert_eq!(secondary.served(FORWARD), Served::Serial(FIRST + 2));
    assert_eq!(secondary.served(REVERSE_V4), Served::Serial(FIRST + 2));
    assert_eq!(secondary.served(REVERSE_V6), Served::Serial(FIRST));
}
