//! Fault injection for `zonegate deploy`, each against a real server started by the test: the
//! reload command fails; the reload is a no-op (the old serial stays served); the zone directory
//! is not writable; the deploy is killed mid-way (the next one recovers); the served serial is
//! ahead; two deploys at once. In every failure the exit code is 1 and the previous zones are
//! served (and on disk) afterwards.
#![allow(clippy::disallowed_methods)] // Tests build and read fixtures directly.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::deploy::{FIRST, zones};
use support::deploy::{TargetConfig, add_host, configure, repository};
use support::servers::{Kind, Server, free_port};
use support::{SOURCE_DATE_EPOCH, zonegate};
use zonegate::deploy::Served;

const FORWARD: &str = "example.net.";
const EDGE: &str = "2.0.192.in-addr.arpa.";

/// A server with the fixture deployed once (every zone at serial 1), and a change (web4) made
/// in the repository but not deployed.
struct Deployed {
    repo: tempfile::TempDir,
    server: Server,
    _server_dir: tempfile::TempDir,
    /// The zone files as the first deploy installed them.
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn deployed(kind: Kind) -> Deployed {
    let repo = repository();
    let server_dir = tempfile::tempdir().unwrap();
    let server = Server::primary(kind, server_dir.path(), &zones(repo.path()));
    configure(repo.path(), &server, &TargetConfig::default());
    let first = zonegate(repo.path(), &["deploy"]);
    assert_eq!(first.code, 0, "{}\n{}", first.transcript(), server.logs());
    for zone in &server.zones {
        assert_eq!(server.served(zone), Served::Serial(FIRST));
    }
    let files = zone_files(&server.zone_directory);
    add_host(repo.path(), "web4", "10.1.250.7");
    Deployed {
        repo,
        server,
        _server_dir: server_dir,
        files,
    }
}

impl Deployed {
    /// The previous zones are served and on disk, byte for byte.
    fn assert_previous_zones(&self) {
        for zone in &self.server.zones {
            assert_eq!(
                self.server.served(zone),
                Served::Serial(FIRST),
                "{zone}\n{}",
                self.server.logs()
            );
        }
        assert_eq!(zone_files(&self.server.zone_directory), self.files);
    }
}

/// The regular files in `directory` (staged leftovers included), sorted, with their bytes.
fn zone_files(directory: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_failing_reload_is_rolled_back() {
    let setup = deployed(Kind::Bind);
    // rndc pointed at a port where nothing listens: the reload fails, as when named is down.
    let mut reload = setup.server.reload.clone();
    reload.splice(1..1, ["-p".to_owned(), free_port().to_string()]);
    configure(
        setup.repo.path(),
        &setup.server,
        &TargetConfig {
            reload: Some(reload),
            ..TargetConfig::default()
        },
    );
    let run = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout.contains("  FAILED: reload: `rndc -p "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("rollback: restored 2 zone file(s)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("deploy to primary failed; the previous zones were restored"),
        "{}",
        run.stdout
    );
    setup.assert_previous_zones();
}

#[test]
fn a_reload_that_changes_nothing_is_rolled_back() {
    let setup = deployed(Kind::Knot);
    configure(
        setup.repo.path(),
        &setup.server,
        &TargetConfig {
            reload: Some(vec!["true".to_owned()]),
            serial_deadline: Some(2),
            ..TargetConfig::default()
        },
    );
    let run = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout.contains(&format!(
            "FAILED: {} did not serve the expected serials within 2s:",
            setup.server.address
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "example.net. expected serial {}, served serial {FIRST}",
            FIRST + 1
        )),
        "{}",
        run.stdout
    );
    setup.assert_previous_zones();

    // The next deploy, with a working reload, installs serial FIRST + 2: FIRST + 1 may have reached a
    // secondary, so it is never used for other content.
    configure(setup.repo.path(), &setup.server, &TargetConfig::default());
    let retry = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(retry.code, 0, "{}", retry.transcript());
    assert_eq!(setup.server.served(FORWARD), Served::Serial(FIRST + 2));
}

#[test]
fn a_live_assertion_that_fails_after_the_reload_is_rolled_back() {
    let setup = deployed(Kind::Bind);
    // The reload command also rewrites the new forward zone's edge address before BIND loads it,
    // as a broken server-side hook would: the new serial is served, the rendered zones passed
    // their assertions in memory, and only the live assertions can see the difference. Files
    // with the previous serial (the rollback's) are left alone.
    let new_serial = (FIRST + 1).to_string();
    let script = format!(
        "if grep -q '\\b{new_serial}\\b' \"$0\"; then sed -i 's/192\\.0\\.2\\.10$/192.0.2.99/' \"$0\"; fi; exec \"$@\""
    );
    let mut reload = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        script,
        "{file}".to_owned(),
    ];
    reload.extend(setup.server.reload.iter().cloned());
    configure(
        setup.repo.path(),
        &setup.server,
        &TargetConfig {
            reload: Some(reload),
            ..TargetConfig::default()
        },
    );
    let run = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout
            .contains(&format!("{} serves the new serials", setup.server.address)),
        "the serials were right: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            " assertion(s) failed against {}:\n    assertions/friendly.yaml:",
            setup.server.address
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("192.0.2.99"),
        "the report shows what the server answered: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("deploy to primary failed; the previous zones were restored"),
        "{}",
        run.stdout
    );
    setup.assert_previous_zones();
}

/// Makes a directory unwritable even for root (`chattr +i`; plain permissions for other
/// users), and writable again when dropped.
struct Immutable(PathBuf);

impl Immutable {
    fn new(path: &Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o555)).unwrap();
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let status = Command::new("chattr").arg("+i").arg(path).status().unwrap();
            assert!(status.success(), "chattr +i {} failed", path.display());
        }
        Immutable(path.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn an_unwritable_zone_directory_changes_nothing() {
    let setup = deployed(Kind::Nsd);
    let guard = Immutable::new(&setup.server.zone_directory);
    let run = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(run.stdout.contains("  FAILED: write "), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rollback: nothing was installed; removed the staged files"),
        "{}",
        run.stdout
    );
    drop(guard);
    setup.assert_previous_zones();
}

/// Starts `zonegate deploy` in its own process group (so the test can kill it and whatever it
/// runs), with stdout and stderr in files.
fn spawn_deploy(repo: &Path, extra: &[&str], output: &Path) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    Command::new(env!("CARGO_BIN_EXE_zonegate"))
        .arg("--repo")
        .arg(repo)
        .arg("deploy")
        .args(extra)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .stdin(Stdio::null())
        .stdout(fs::File::create(output.with_extension("out")).unwrap())
        .stderr(fs::File::create(output.with_extension("err")).unwrap())
        .process_group(0)
        .spawn()
        .unwrap()
}

/// Waits up to 60 s for `condition`.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// A reload command that signals the test by creating `marker`, waits for `release` to exist,
/// then runs the real reload.
fn gated_reload(server: &Server, marker: &Path, release: &Path) -> Vec<String> {
    let script = format!(
        "touch '{}'; while [ ! -e '{}' ]; do sleep 0.02; done; exec \"$@\"",
        marker.display(),
        release.display()
    );
    let mut argv = vec!["sh".to_owned(), "-c".to_owned(), script, "gate".to_owned()];
    argv.extend(server.reload.iter().cloned());
    argv
}

#[test]
fn a_killed_deploy_is_recovered_by_the_next() {
    let setup = deployed(Kind::Bind);
    let gate = tempfile::tempdir().unwrap();
    let marker = gate.path().join("reloading");
    let never = gate.path().join("never");
    configure(
        setup.repo.path(),
        &setup.server,
        &TargetConfig {
            reload: Some(gated_reload(&setup.server, &marker, &never)),
            ..TargetConfig::default()
        },
    );
    let mut child = spawn_deploy(setup.repo.path(), &[], &gate.path().join("killed"));
    wait_until("the deploy to reach its reload", || marker.exists());

    // Killed between installing the new files and reloading: every zone file is complete (the
    // server can load it), and the server still serves the previous serials.
    for (path, _) in zone_files(&setup.server.zone_directory) {
        let origin = format!(
            "{}.",
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".zone")
        );
        let check = Command::new("named-checkzone")
            .args(["-q", &origin])
            .arg(&path)
            .status()
            .unwrap();
        assert!(check.success(), "{} is not a complete zone", path.display());
    }
    // SAFETY: signalling the process group of the child we started.
    unsafe {
        libc::kill(-i32::try_from(child.id()).unwrap(), libc::SIGKILL);
    }
    let _ = child.wait();
    // zonegate runs the reload in a process group of its own, which the kill above does not
    // reach: open the gate so the orphaned script ends instead of outliving the test.
    std::fs::write(&never, "").unwrap();
    assert!(
        setup
            .server
            .zone_directory
            .parent()
            .unwrap()
            .join(".zones.zonegate-deploy/journal.json")
            .exists(),
        "the killed deploy leaves its journal"
    );
    for zone in &setup.server.zones {
        assert_eq!(setup.server.served(zone), Served::Serial(FIRST));
    }

    configure(setup.repo.path(), &setup.server, &TargetConfig::default());
    let next = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(next.code, 0, "{}", next.transcript());
    assert!(
        next.stdout.contains("recovered an interrupted deploy:"),
        "{}",
        next.stdout
    );
    assert!(
        next.stdout.contains("rollback: restored 2 zone file(s)"),
        "{}",
        next.stdout
    );
    assert!(
        next.stderr
            .contains("recovering from an interrupted deploy (pid "),
        "{}",
        next.stderr
    );
    // Serial 2 was written by the killed deploy; the recovered one goes past it.
    assert_eq!(setup.server.served(FORWARD), Served::Serial(FIRST + 2));
    assert_eq!(setup.server.served(EDGE), Served::Serial(FIRST));
}

#[test]
fn two_deploys_at_once_one_waits_and_one_refuses() {
    let setup = deployed(Kind::Knot);
    let gate = tempfile::tempdir().unwrap();
    let marker = gate.path().join("reloading");
    let release = gate.path().join("release");
    configure(
        setup.repo.path(),
        &setup.server,
        &TargetConfig {
            reload: Some(gated_reload(&setup.server, &marker, &release)),
            ..TargetConfig::default()
        },
    );
    let mut first = spawn_deploy(setup.repo.path(), &[], &gate.path().join("first"));
    wait_until("the first deploy to reach its reload", || marker.exists());

    let refused = zonegate(setup.repo.path(), &["deploy", "--no-wait"]);
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    assert!(
        refused.stdout.contains(&format!(
            "deploy to primary refused: another deploy to target `primary` is running (pid {}); not waiting (--no-wait)",
            first.id()
        )),
        "{}",
        refused.stdout
    );

    let waiting_output = gate.path().join("second");
    let mut second = spawn_deploy(setup.repo.path(), &[], &waiting_output);
    wait_until("the second deploy to say it waits", || {
        fs::read_to_string(waiting_output.with_extension("err")).is_ok_and(|text| {
            text.contains("primary: another deploy is running (pid ")
                && text.contains("waiting for it to finish")
        })
    });
    fs::write(&release, "").unwrap();
    assert!(
        first.wait().unwrap().success(),
        "{}",
        fs::read_to_string(gate.path().join("first.out")).unwrap()
    );
    let second_status = second.wait().unwrap();
    let second_stdout = fs::read_to_string(waiting_output.with_extension("out")).unwrap();
    assert!(second_status.success(), "{second_stdout}");
    assert!(
        second_stdout.contains("nothing to deploy: 4 zone(s) unchanged"),
        "the second deploy saw the first one's result: {second_stdout}"
    );
    assert_eq!(setup.server.served(FORWARD), Served::Serial(FIRST + 1));
    assert!(
        !setup
            .server
            .zone_directory
            .parent()
            .unwrap()
            .join(".zones.zonegate-deploy/journal.json")
            .exists()
    );
}

#[test]
fn a_served_serial_ahead_is_refused_or_bumped() {
    let setup = deployed(Kind::Nsd);
    // Someone edits the zone on the server by hand and gives it a serial 100 ahead.
    let file = setup.server.zone_directory.join("example.net.zone");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        text.replace(
            &format!("\t{FIRST}\t; serial"),
            &format!("\t{}\t; serial", FIRST + 100),
        ),
    )
    .unwrap();
    let reload = Command::new(&setup.server.reload[0])
        .args(&setup.server.reload[1..])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(reload.success());
    setup.server.wait_for_serial(FORWARD, FIRST + 100);

    let refused = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(refused.code, 1, "{}", refused.transcript());
    assert!(
        refused.stdout.contains(&format!("error[serial-not-greater]: example.net.: target `primary` serves serial {}, and the new serial {} is not greater", FIRST + 100, FIRST + 1)),
        "{}",
        refused.stdout
    );
    assert!(
        refused
            .stdout
            .contains("deploy to primary refused: the plan is unsafe; nothing was written"),
        "{}",
        refused.stdout
    );
    assert_eq!(setup.server.served(FORWARD), Served::Serial(FIRST + 100));

    configure(
        setup.repo.path(),
        &setup.server,
        &TargetConfig {
            stale_serial: Some("bump"),
            ..TargetConfig::default()
        },
    );
    let bumped = zonegate(setup.repo.path(), &["deploy"]);
    assert_eq!(bumped.code, 0, "{}", bumped.transcript());
    assert!(
        bumped.stdout.contains("(bumped past the served serial)"),
        "{}",
        bumped.stdout
    );
    assert_eq!(setup.server.served(FORWARD), Served::Serial(FIRST + 101));
}
