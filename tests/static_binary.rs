//! The static Linux binary the release workflow ships, checked on this machine: `file` says it
//! is statically linked, it runs on the example repository, and the container image built from
//! the Dockerfile (`FROM scratch`, nothing pulled from a registry) runs it.
//!
//! Building it is a release build for its own target (`scripts/static.sh` does it and then runs
//! these tests with `ZONEGATE_STATIC_BINARY` naming the binary), so they are ignored in a plain
//! `cargo test`; CI runs them through the script.
#![allow(clippy::disallowed_methods)] // Tests run file, podman and the binary.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test, from `ZONEGATE_STATIC_BINARY`.
fn binary() -> PathBuf {
    let path = std::env::var_os("ZONEGATE_STATIC_BINARY")
        .expect("ZONEGATE_STATIC_BINARY names the static binary (scripts/static.sh sets it)");
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{} is not a file", path.display());
    path
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
#[ignore = "needs the static build: scripts/static.sh"]
fn file_says_the_binary_is_statically_linked() {
    let description = text(&run(Command::new("file").arg("--brief").arg(binary())));
    // A position-independent static binary is `static-pie linked` to file 5.39 and later; both
    // mean no interpreter and no shared library.
    assert!(
        description.contains("statically linked") || description.contains("static-pie linked"),
        "{description}"
    );
    assert!(!description.contains("dynamically linked"), "{description}");
    assert!(!description.contains("interpreter"), "{description}");
    // glibc's ldd agrees: nothing to load.
    let output = Command::new("ldd").arg(binary()).output().unwrap();
    let loader = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        loader.contains("statically linked") || loader.contains("not a dynamic executable"),
        "{loader}"
    );
}

#[test]
#[ignore = "needs the static build: scripts/static.sh"]
fn the_static_binary_renders_and_tests_the_example_repository() {
    let example = support::example_repository();
    let version = text(&run(Command::new(binary()).arg("--version")));
    assert!(
        version.starts_with(&format!("zonegate {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    run(Command::new(binary())
        .arg("--repo")
        .arg(example.path())
        .arg("render")
        .env("SOURCE_DATE_EPOCH", support::SOURCE_DATE_EPOCH));
    assert!(example.path().join("out/manifest.json").is_file());
    let test = text(&run(Command::new(binary())
        .arg("--repo")
        .arg(example.path())
        .arg("test")));
    assert!(test.contains(" 0 failed"), "{test}");
}

/// podman with the options this machine and GitHub's runners both accept: runc, and limits no
/// higher than the caller's (a container inside a container may not raise them).
fn podman() -> Command {
    let mut command = Command::new("podman");
    command.args(["--runtime", "runc"]);
    command
}

#[test]
#[ignore = "needs the static build and podman: scripts/static.sh"]
fn the_container_image_from_scratch_runs_the_binary() {
    let context = tempfile::tempdir().unwrap();
    fs::copy(binary(), context.path().join("zonegate-linux-amd64")).unwrap();
    let dockerfile = Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile");
    let first = fs::read_to_string(&dockerfile).unwrap();
    assert!(first.lines().any(|line| line == "FROM scratch"), "{first}");
    let image = format!("localhost/zonegate-test:{}", std::process::id());
    run(podman()
        .args([
            "build",
            "--quiet",
            // No intermediate images left behind.
            "--layers=false",
            "--pull=never",
            "--build-arg",
            "TARGETARCH=amd64",
            "--tag",
            &image,
            "--file",
        ])
        .arg(&dockerfile)
        .arg(context.path()));
    let removed = Remove(image.clone());
    let example = support::example_repository();
    let run_image = |arguments: &[&str]| {
        text(&run(podman()
            .args([
                "run",
                "--rm",
                "--pull=never",
                "--network=none",
                "--ulimit",
                "nofile=1024:1024",
                "--ulimit",
                "nproc=4096:4096",
                "--env",
                &format!("SOURCE_DATE_EPOCH={}", support::SOURCE_DATE_EPOCH),
                "--volume",
            ])
            .arg(format!("{}:/repo", example.path().display()))
            .arg(&image)
            .args(arguments)))
    };
    let version = run_image(&["--version"]);
    assert!(version.starts_with("zonegate "), "{version}");
    // Exit 0 (run asserts it): no finding on the example.
    run_image(&["check"]);
    run_image(&["render"]);
    assert!(example.path().join("out/manifest.json").is_file());
    let test = run_image(&["test"]);
    assert!(test.contains(" 0 failed"), "{test}");
    drop(removed);
}

/// Removes the test's image when the test ends, passed or not.
struct Remove(String);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = podman().args(["rmi", "--force", &self.0]).output();
    }
}
