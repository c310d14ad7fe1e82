//! A bot merge reaches the servers as a push does (issue 14, item 4): on the local forge the bot
//! moves the base branch inside the repository, where no push happens, so it runs the
//! repository's `hooks/post-receive` itself with git's input. End to end: the README's hook,
//! copied from the README, deploys the bot's merge to a real BIND, which then serves the new
//! record; a hook past its deadline is killed and reported.
#![allow(clippy::disallowed_methods)] // Tests write hooks and build repositories directly.

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use support::deploy::{FIRST, TargetConfig, configure, repository, zones};
use support::forge::Fixture;
use support::servers::{Kind, Server};
use zonegate::assertions::Backend as _;
use zonegate::assertions::live;
use zonegate::deploy::Served;
use zonegate::dns::name::Name;
use zonegate::dns::record_type::RecordType;
use zonegate::model::record::RData;

const FORWARD: &str = "example.net.";

/// The post-receive hook the README's "Wiring it up" gives, exactly as written there.
fn readme_hook() -> String {
    let readme = include_str!("../README.md");
    let start = readme
        .find("Post-receive hook on the zones repository's server")
        .expect("the README has the post-receive recipe");
    let block = &readme[start..];
    let body = &block[block.find("```sh\n").unwrap() + "```sh\n".len()..];
    body[..body.find("```").unwrap()].to_owned()
}

fn install_hook(fixture: &Fixture, script: &str) {
    let hooks = fixture.path.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("post-receive");
    std::fs::write(&hook, script).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `zonegate --repo <forge> bot <args>` with `zonegate` on the PATH (the hook calls it).
fn bot(forge: &Path, args: &[&str]) -> support::Run {
    let binary = Path::new(env!("CARGO_BIN_EXE_zonegate"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut all = vec!["bot"];
    all.extend_from_slice(args);
    let output = support::command(forge, &all)
        .env("PATH", path)
        .output()
        .unwrap();
    support::Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The example repository with a deploy target for `server`, as a bare forge.
fn forge_deploying_to(server: &Server) -> Fixture {
    let example = repository();
    configure(
        example.path(),
        server,
        &TargetConfig {
            check: Some(
                ["named-checkzone", "-q", "{origin}", "{file}"]
                    .map(str::to_owned)
                    .to_vec(),
            ),
            ..TargetConfig::default()
        },
    );
    // configure keeps the settings it started from beside them; the forge does not need it.
    std::fs::remove_file(example.path().join("zones/zonegate.yaml.base")).unwrap();
    Fixture::from_directory(example.path())
}

/// Pull request #1 adding web9 (10.1.250.7) in ash, by alice, approved by bob.
fn add_web9(fixture: &Fixture) {
    let servers = fixture.file(fixture.main(), "zones/cmdb/servers.csv")
        + "web9,ash,ash-r99,10.1.250.7,,playlist,in_use,team-playlist\n";
    let number = fixture.pull("add-web9", &[("zones/cmdb/servers.csv", Some(&servers))]);
    fixture.approve(number, "bob");
}

#[test]
fn a_bot_merge_is_served_by_bind_through_the_readmes_post_receive_hook() {
    let server_dir = tempfile::tempdir().unwrap();
    let example = repository();
    let server = Server::primary(Kind::Bind, server_dir.path(), &zones(example.path()));
    let fixture = forge_deploying_to(&server);
    install_hook(&fixture, &readme_hook());
    add_web9(&fixture);
    let base = fixture.main();
    assert!(matches!(server.served(FORWARD), Served::NotServed(_)));

    let run = bot(&fixture.path, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.transcript(), server.logs());
    let merged = fixture.main();
    assert_ne!(merged, base, "{}", run.stdout);
    // The hook was told what git tells it, and its output (the deploy's report) is the bot's.
    assert!(
        run.stdout.contains(&format!(
            "post-receive {} {} refs/heads/main: ",
            &base.to_string()[..7],
            &merged.to_string()[..7]
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("hooks/post-receive exited 0 after "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  | deploy to primary succeeded"),
        "{}",
        run.stdout
    );

    // BIND serves the merge: the first deploy's serial, and the record the pull request added.
    assert_eq!(
        server.served(FORWARD),
        Served::Serial(FIRST),
        "{}",
        server.logs()
    );
    let live = live::Server::new(server.address, live::Options::default());
    let name = Name::parse_absolute("web9.ash.example.net.").unwrap();
    let answer = live.query(&name, RecordType::A).unwrap();
    let addresses: Vec<String> = answer
        .answer
        .iter()
        .filter_map(|record| match record.data.as_ref() {
            RData::A(address) => Some(address.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(addresses, ["10.1.250.7"], "{answer:?}");
}

#[test]
fn a_post_receive_hook_past_its_deadline_is_killed_and_reported() {
    let fixture = Fixture::new();
    install_hook(
        &fixture,
        "#!/bin/sh\nread -r old new ref\necho \"deploying $new\"\nsleep 60\necho never\n",
    );
    fixture.commit_add_web4();
    let number = fixture
        .forge()
        .create_pull(&zonegate::merge::local::NewPull {
            title: "add web4",
            author: "alice",
            head: "add-web4",
            base: "main",
            draft: false,
            labels: &[],
        })
        .unwrap();
    fixture.approve(number, "bob");
    let started = std::time::Instant::now();
    let run = bot(&fixture.path, &["--post-receive-timeout", "1"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // Merged (as a push whose hook fails stays pushed), and the exit status says the hook failed.
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert!(
        run.stdout
            .contains(&format!("  | deploying {}", fixture.main())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "hooks/post-receive did not finish within 1 s; it and everything it started were killed"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("never"), "{}", run.stdout);
}
