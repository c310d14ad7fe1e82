//! Real authoritative servers for the deploy tests: BIND (`named -g`), Knot (`knotd`) and NSD
//! (`nsd -d`), each started in the foreground on 127.0.0.1 with a free high port, its
//! configuration, control channel and zone directory in a temporary directory, and stopped by
//! PID when the [`Server`] is dropped.
//!
//! The tests run as root in CI. None of the servers is told to switch users: `named` without
//! `-u` stays root, NSD's `username: ""` keeps the current user, and Knot has no `user:` line,
//! so every server can read and write the temporary directories the test created.
//!
//! Control channels: BIND gets an HMAC key and a `controls` statement on loopback (rndc reads
//! the same key from `rndc.conf`); Knot and NSD use a UNIX socket in the temporary directory
//! (NSD's `control-interface` with an absolute path needs no TLS keys).

use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zonegate::deploy::Served;
use zonegate::deploy::dns::query_serial;

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bind,
    Knot,
    Nsd,
}

impl Kind {
    /// The `kind:` of a deploy target.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Bind => "bind",
            Kind::Knot => "knot",
            Kind::Nsd => "nsd",
        }
    }
}

/// A running server, stopped (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Server {
    pub(crate) kind: Kind,
    /// Where it answers queries.
    pub(crate) address: SocketAddr,
    /// Where it reads zone files (a primary) or keeps transferred zones (a secondary).
    pub(crate) zone_directory: PathBuf,
    /// The reload command, as a YAML flow sequence for zonegate.yaml.
    pub(crate) reload: Vec<String>,
    /// Its configuration and logs.
    pub(crate) directory: PathBuf,
    /// The zones it is configured with.
    pub(crate) zones: Vec<String>,
    child: Child,
    log: PathBuf,
}

/// A free port on 127.0.0.1 for both UDP and TCP (as free as it can be known without holding
/// it), never the same twice in one test process, so servers started by parallel tests cannot
/// be handed one port.
pub(crate) fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if port >= 10_000 && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            let mut given = GIVEN.lock().unwrap();
            if !given.contains(&port) {
                given.push(port);
                return port;
            }
        }
    }
}

/// Where a secondary transfers its zones from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Primary {
    pub(crate) address: SocketAddr,
}

impl Server {
    /// Starts a primary for `zones` reading `<directory>/zones/<origin>zone`.
    pub(crate) fn primary(kind: Kind, directory: &Path, zones: &[String]) -> Server {
        Self::start(kind, directory, zones, None)
    }

    /// Starts a secondary for `zones` that transfers from `primary` and accepts its NOTIFYs
    /// (from 127.0.0.1).
    pub(crate) fn secondary(
        kind: Kind,
        directory: &Path,
        zones: &[String],
        primary: Primary,
    ) -> Server {
        Self::start(kind, directory, zones, Some(primary))
    }

    fn start(kind: Kind, directory: &Path, zones: &[String], primary: Option<Primary>) -> Server {
        fs::create_dir_all(directory).unwrap();
        let directory = directory.canonicalize().unwrap();
        let zone_directory = directory.join("zones");
        fs::create_dir_all(&zone_directory).unwrap();
        let port = free_port();
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = directory.join("server.log");
        let (command, reload) = match kind {
            Kind::Bind => bind(&directory, &zone_directory, zones, port, primary),
            Kind::Knot => knot(&directory, &zone_directory, zones, port, primary),
            Kind::Nsd => nsd(&directory, &zone_directory, zones, port, primary),
        };
        let mut command = command;
        let child = command
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log).unwrap())
            .stderr(fs::File::create(directory.join("server.stderr")).unwrap())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start {kind:?} ({error}); scripts/test.sh installs bind9, knot and nsd"
                )
            });
        let mut server = Server {
            kind,
            address,
            zone_directory,
            reload,
            directory,
            zones: zones.to_vec(),
            child,
            log,
        };
        server.wait_until_answering();
        server
    }

    /// Blocks until the server answers a query at all (any response code).
    fn wait_until_answering(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{:?} exited ({status}) instead of serving on {}:\n{}",
                    self.kind,
                    self.address,
                    self.logs()
                );
            }
            if query_serial(self.address, &self.zones[0], Duration::from_millis(300)).is_ok() {
                return;
            }
        }
        panic!(
            "{:?} did not start answering on {}:\n{}",
            self.kind,
            self.address,
            self.logs()
        );
    }

    /// What the server serves for `zone` now.
    pub(crate) fn served(&self, zone: &str) -> Served {
        query_serial(self.address, zone, Duration::from_secs(3))
            .unwrap_or_else(|error| panic!("{:?}: {error}\n{}", self.kind, self.logs()))
    }

    /// Waits (up to 30 s) until `zone` is served with `serial`; panics with the logs otherwise.
    pub(crate) fn wait_for_serial(&self, zone: &str, serial: u32) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = Served::Unknown;
        while Instant::now() < deadline {
            last = query_serial(self.address, zone, Duration::from_millis(500))
                .unwrap_or(Served::Unknown);
            if last == Served::Serial(serial) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{:?} on {} serves {last:?} for {zone}, expected serial {serial}\n{}",
            self.kind,
            self.address,
            self.logs()
        );
    }

    /// The server's output so far, for failure messages.
    pub(crate) fn logs(&self) -> String {
        let mut text = String::new();
        for file in [&self.log, &self.directory.join("server.stderr")] {
            let content = fs::read(file).unwrap_or_default();
            let content = String::from_utf8_lossy(&content);
            let tail: Vec<&str> = content.lines().rev().take(40).collect();
            for line in tail.into_iter().rev() {
                let _ = writeln!(text, "  | {line}");
            }
        }
        text
    }

    /// The reload command as a YAML flow sequence.
    pub(crate) fn reload_yaml(&self) -> String {
        yaml_list(&self.reload)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pid = i32::try_from(self.child.id()).expect("PIDs fit in pid_t");
        // SAFETY: signalling our own child by its PID.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `[a, "b c"]`: every word double-quoted (JSON strings are YAML strings).
pub(crate) fn yaml_list(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|word| serde_json::to_string(word).unwrap())
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn zone_file(zone_directory: &Path, origin: &str) -> String {
    zone_directory
        .join(format!("{}.zone", origin.trim_end_matches('.')))
        .display()
        .to_string()
}

/// BIND 9: `named -g` (foreground, logs to stderr), `notify no` so that only zonegate's NOTIFY
/// reaches a secondary, rndc over an HMAC key on a loopback control port.
fn bind(
    directory: &Path,
    zones: &Path,
    origins: &[String],
    port: u16,
    primary: Option<Primary>,
) -> (Command, Vec<String>) {
    let control_port = free_port();
    let secret = "emdhdGUtdGVzdC1vbmx5LWtleS1ub3QtYS1zZWNyZXQ=";
    let key = format!("key \"rndc-key\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n");
    let d = directory.display();
    let mut config = format!(
        "options {{\n  directory \"{d}\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  pid-file \"{d}/named.pid\";\n  session-keyfile \"{d}/session.key\";\n  managed-keys-directory \"{d}\";\n  recursion no;\n  notify no;\n  dnssec-validation no;\n  allow-transfer {{ 127.0.0.1; }};\n}};\n{key}controls {{ inet 127.0.0.1 port {control_port} allow {{ 127.0.0.1; }} keys {{ \"rndc-key\"; }}; }};\n"
    );
    for origin in origins {
        let file = zone_file(zones, origin);
        match primary {
            None => {
                let _ = writeln!(
                    config,
                    "zone \"{origin}\" {{ type primary; file \"{file}\"; }};"
                );
            }
            Some(primary) => {
                let _ = writeln!(
                    config,
                    "zone \"{origin}\" {{ type secondary; file \"{file}\"; primaries {{ {} port {}; }}; allow-notify {{ 127.0.0.1; }}; }};",
                    primary.address.ip(),
                    primary.address.port()
                );
            }
        }
    }
    fs::write(directory.join("named.conf"), config).unwrap();
    fs::write(
        directory.join("rndc.conf"),
        format!("{key}options {{ default-key \"rndc-key\"; default-server 127.0.0.1; default-port {control_port}; }};\n"),
    )
    .unwrap();
    let mut command = Command::new("named");
    command
        .arg("-g")
        .arg("-c")
        .arg(directory.join("named.conf"));
    let reload = vec![
        "rndc".to_owned(),
        "-c".to_owned(),
        directory.join("rndc.conf").display().to_string(),
        "reload".to_owned(),
    ];
    (command, reload)
}

/// Knot DNS: `knotd -c` in the foreground, control over a UNIX socket. The zone files are
/// zonegate's alone: Knot never writes them back (`zonefile-sync: -1`) and keeps no journal of
/// its own (`journal-content: none`), so a reload loads exactly the file installed.
fn knot(
    directory: &Path,
    zones: &Path,
    origins: &[String],
    port: u16,
    primary: Option<Primary>,
) -> (Command, Vec<String>) {
    let d = directory.display();
    let z = zones.display();
    let mut config = format!(
        "server:\n    rundir: \"{d}\"\n    listen: 127.0.0.1@{port}\n    pidfile: \"{d}/knot.pid\"\nlog:\n  - target: stdout\n    any: info\ndatabase:\n    storage: \"{d}/db\"\ncontrol:\n    listen: \"{d}/knot.sock\"\n"
    );
    match primary {
        None => {
            let _ = write!(
                config,
                "template:\n  - id: default\n    storage: \"{z}\"\n    file: \"%s.zone\"\n    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\nzone:\n"
            );
            for origin in origins {
                let _ = writeln!(config, "  - domain: {origin}");
            }
        }
        Some(primary) => {
            let _ = write!(
                config,
                "remote:\n  - id: primary\n    address: {}@{}\nacl:\n  - id: notify-from-primary\n    address: 127.0.0.1\n    action: notify\ntemplate:\n  - id: default\n    storage: \"{z}\"\n    file: \"%s.zone\"\n    master: primary\n    acl: notify-from-primary\nzone:\n",
                primary.address.ip(),
                primary.address.port()
            );
            for origin in origins {
                let _ = writeln!(config, "  - domain: {origin}");
            }
        }
    }
    fs::write(directory.join("knot.conf"), config).unwrap();
    let mut command = Command::new("knotd");
    command.arg("-c").arg(directory.join("knot.conf"));
    let reload = vec![
        "knotc".to_owned(),
        "-s".to_owned(),
        directory.join("knot.sock").display().to_string(),
        "zone-reload".to_owned(),
    ];
    (command, reload)
}

/// NSD: `nsd -d` (foreground), no privilege drop (`username: ""`), no zone database, control
/// over a UNIX socket (no TLS keys needed).
fn nsd(
    directory: &Path,
    zones: &Path,
    origins: &[String],
    port: u16,
    primary: Option<Primary>,
) -> (Command, Vec<String>) {
    let d = directory.display();
    let mut config = format!(
        "server:\n    ip-address: 127.0.0.1@{port}\n    port: {port}\n    username: \"\"\n    chroot: \"\"\n    zonesdir: \"{}\"\n    database: \"\"\n    pidfile: \"{d}/nsd.pid\"\n    xfrdfile: \"{d}/xfrd.state\"\n    zonelistfile: \"{d}/zone.list\"\n    xfrdir: \"{d}\"\n    server-count: 1\n    verbosity: 2\nremote-control:\n    control-enable: yes\n    control-interface: \"{d}/nsd.sock\"\n",
        zones.display()
    );
    for origin in origins {
        let _ = write!(
            config,
            "zone:\n    name: {origin}\n    zonefile: \"{}\"\n",
            zone_file(zones, origin)
        );
        if let Some(primary) = primary {
            let _ = write!(
                config,
                "    request-xfr: {}@{} NOKEY\n    allow-notify: 127.0.0.1 NOKEY\n",
                primary.address.ip(),
                primary.address.port()
            );
        } else {
            let _ = writeln!(config, "    provide-xfr: 127.0.0.1 NOKEY");
        }
    }
    fs::write(directory.join("nsd.conf"), config).unwrap();
    let mut command = Command::new("nsd");
    command.arg("-d").arg("-c").arg(directory.join("nsd.conf"));
    let reload = vec![
        "nsd-control".to_owned(),
        "-c".to_owned(),
        directory.join("nsd.conf").display().to_string(),
        "reload".to_owned(),
    ];
    (command, reload)
}
