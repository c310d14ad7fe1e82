//! Crash safety of `zonegate render`: the binary is killed with SIGKILL at random moments over
//! hundreds of runs, and after every kill the output directory holds the complete old set or
//! the complete new set (every file as the manifest lists it, byte for byte, nothing else), and
//! the next run recovers with no manual help.
//!
//! `ZONEGATE_CRASH_RUNS` sets the number of killed runs (default 200), `ZONEGATE_CRASH_SEED` the
//! random seed (printed, so a failure can be replayed).
#![allow(clippy::print_stderr)] // The reliability tests print their figures (RELIABILITY.md).
#![allow(clippy::disallowed_methods)] // Tests write repositories and run the binary.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::SOURCE_DATE_EPOCH;
use support::reliability::{Random, environment_number, verify_complete, write_repository};

fn render_command(root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zonegate"));
    command
        .arg("--repo")
        .arg(root)
        .args(["--quiet", "render"])
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Renders to completion; returns the time it took.
fn render_fully(root: &Path) -> Duration {
    let started = Instant::now();
    let output = render_command(root).output().unwrap();
    assert!(
        output.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    started.elapsed()
}

fn leftovers(parent: &Path) -> Vec<String> {
    fs::read_dir(parent)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name.starts_with(".out.zonegate-new") || name.starts_with(".out.zonegate-old")
        })
        .collect()
}

#[test]
fn render_killed_at_random_moments_leaves_the_old_or_the_new_set() {
    let runs = environment_number("ZONEGATE_CRASH_RUNS", 200);
    let seed = environment_number("ZONEGATE_CRASH_SEED", 0x5eed_2026);
    eprintln!("crash safety: {runs} runs, seed {seed}");
    let mut random = Random::new(seed);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let out = root.join("out");
    let hosts = 1500;

    // The identity of each variant's complete set, and how long a full run takes.
    let mut identities = Vec::new();
    let mut durations = Vec::new();
    for variant in [0, 1, 0] {
        write_repository(root, hosts, variant);
        durations.push(render_fully(root));
        identities.push(verify_complete(&out).unwrap().unwrap());
    }
    assert_ne!(identities[0], identities[1], "the variants differ");
    assert_eq!(
        identities[0], identities[2],
        "a set is a function of its input"
    );
    durations.sort();
    let full = durations[1];
    // Kills fall between half of `end` and `end`, which adapts so that about two runs in three
    // are killed, most of them late in the run where files are written: it shrinks when a run
    // finished before its kill and grows when it was killed. Timing on a shared machine varies too much for a fixed window.
    let mut end = u64::try_from(full.as_micros()).unwrap().max(1000);
    eprintln!("a full render takes {full:?}");
    let mut current = Some(identities[0].clone());
    let (mut killed, mut killed_writing, mut finished, mut changed) = (0, 0, 0, 0);
    for run in 0..runs {
        let variant = u32::from(run % 2 == 0);
        write_repository(root, hosts, variant);
        let target = identities[variant as usize].clone();
        let mut child = render_command(root).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(end / 2 + random.below(end / 2)));
        // SIGKILL: nothing runs after it, not even destructors.
        let was_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if was_running {
            killed += 1;
            if !leftovers(root).is_empty() {
                killed_writing += 1;
            }
            end = end * 21 / 20;
        } else {
            finished += 1;
            end = end * 9 / 10;
            assert!(status.success(), "run {run} failed on its own: {status}");
        }
        let found = verify_complete(&out).unwrap_or_else(|problem| {
            panic!("run {run} (seed {seed}) left a broken set: {problem}")
        });
        assert!(
            found == current || found.as_ref() == Some(&target),
            "run {run} (seed {seed}) left a set that is neither the old nor the new one"
        );
        if found != current {
            changed += 1;
        }
        current = found;
    }
    write_repository(root, hosts, 1);
    eprintln!(
        "crash safety: {killed} killed while running ({killed_writing} while writing: a staging directory was left), {finished} finished first, {changed} swapped in the new set"
    );
    assert!(
        killed >= runs / 4,
        "runs must be killed mid-way, or the test proves little: {killed} of {runs}"
    );

    // A first run killed: there is no output directory, or the complete new set.
    for run in 0..runs / 20 {
        fs::remove_dir_all(&out).unwrap();
        let mut child = render_command(root).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(random.below(end)));
        child.kill().unwrap();
        child.wait().unwrap();
        let found = verify_complete(&out).unwrap_or_else(|problem| {
            panic!("first run {run} (seed {seed}) left a broken set: {problem}")
        });
        assert!(found.is_none() || found.as_ref() == Some(&identities[1]));
        render_fully(root);
        assert_eq!(verify_complete(&out).unwrap(), Some(identities[1].clone()));
    }

    // The next run recovers by itself: it finishes, the set is the new one, no leftovers.
    render_fully(root);
    assert_eq!(verify_complete(&out).unwrap(), Some(identities[1].clone()));
    assert!(leftovers(root).is_empty(), "{:?}", leftovers(root));
}

/// Appends a `kind: dir` deploy target installing into `<repo>/installed`.
fn dir_target(root: &Path) {
    let settings = root.join("zones/zonegate.yaml");
    let mut text = fs::read_to_string(&settings).unwrap();
    if !text.contains("deploy:") {
        text.push_str(
            "deploy:\n  targets:\n    - name: files\n      kind: dir\n      zone_directory: installed\n",
        );
        fs::write(settings, text).unwrap();
    }
    fs::create_dir_all(root.join("installed")).unwrap();
}

/// The installed zone files (hidden staging files aside), each with its SHA-256.
fn installed(root: &Path) -> std::collections::BTreeMap<String, String> {
    use sha2::Digest as _;
    fs::read_dir(root.join("installed"))
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| {
            let bytes = fs::read(entry.path()).unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                zonegate::render::hex(&sha2::Sha256::digest(&bytes)),
            )
        })
        .collect()
}

fn deploy_command(root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zonegate"));
    command
        .arg("--repo")
        .arg(root)
        .args(["--quiet", "deploy"])
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn deploy_fully(root: &Path) -> std::collections::BTreeMap<String, String> {
    let output = deploy_command(root).output().unwrap();
    assert!(
        output.status.success(),
        "deploy failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !root
            .join(".installed.zonegate-deploy/journal.json")
            .exists(),
        "a finished deploy leaves no journal"
    );
    installed(root)
}

#[test]
fn deploy_killed_at_random_moments_leaves_whole_files_and_the_next_run_recovers() {
    let runs = environment_number("ZONEGATE_CRASH_RUNS", 200);
    let seed = environment_number("ZONEGATE_CRASH_SEED", 0x5eed_2026) ^ 0xdeb1;
    eprintln!("deploy crash safety: {runs} runs, seed {seed}");
    let mut random = Random::new(seed);
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    let hosts = 600;
    write_repository(root, hosts, 0);
    dir_target(root);

    let started = Instant::now();
    let mut current = deploy_fully(root);
    let full = started.elapsed();
    let mut end = u64::try_from(full.as_micros()).unwrap().max(1000);
    let (mut killed, mut mixed, mut finished) = (0, 0, 0);
    for run in 0..runs {
        let variant = u32::from(run % 2 == 0);
        write_repository(root, hosts, variant);
        dir_target(root);
        if run % 10 == 9 {
            // Every tenth run is left to finish: it recovers whatever the killed ones left and
            // installs the complete new set.
            current = deploy_fully(root);
            finished += 1;
            continue;
        }
        let mut child = deploy_command(root).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(end / 2 + random.below(end / 2)));
        let was_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        if was_running {
            killed += 1;
            end = end * 21 / 20;
        } else {
            end = end * 9 / 10;
        }
        // Every file is whole (the server can load it), and the set of files is the same.
        let found = installed(root);
        assert_eq!(
            found.keys().collect::<Vec<_>>(),
            current.keys().collect::<Vec<_>>(),
            "run {run} (seed {seed}): the set of zone files changed"
        );
        for (file, hash) in &found {
            if current.get(file) == Some(hash) {
                continue;
            }
            let text = fs::read_to_string(root.join("installed").join(file)).unwrap();
            let origin =
                hickory_proto::rr::Name::from_ascii(file.trim_end_matches("zone")).unwrap();
            hickory_proto::serialize::txt::Parser::new(&text, None, Some(origin))
                .parse()
                .unwrap_or_else(|error| {
                    panic!("run {run} (seed {seed}): {file} is not a whole zone: {error}")
                });
        }
        let changed = found
            .iter()
            .filter(|(file, hash)| current.get(*file) != Some(*hash))
            .count();
        if changed > 0 && changed < found.len() {
            mixed += 1;
        }
        current = found;
    }
    // The next run recovers with no help and installs the complete set.
    write_repository(root, hosts, 1);
    dir_target(root);
    let last = deploy_fully(root);
    let again = deploy_fully(root);
    assert_eq!(last, again, "a finished deploy is stable");
    eprintln!(
        "deploy crash safety: {killed} killed while running, {mixed} left old and new files side by side until the next deploy, {finished} finished"
    );
    assert!(killed >= runs / 4, "{killed} of {runs} killed mid-way");
}
