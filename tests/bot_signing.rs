//! Identity on the local forge (issue 14, item 3): with `.zonegate/allowed_signers` on the base,
//! a review or a label event counts only when its record is signed (git's `gpg.format ssh`
//! signature, made and checked with the real `ssh-keygen`) by a key the file lists for the login
//! it claims; the status says why one does not count.
#![allow(clippy::disallowed_methods)] // Tests make keys and build repositories directly.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::forge::{Fixture, commit_message, servers_with_web4, settings_without_ipv6_reverse};
use zonegate::merge::ReviewState;
use zonegate::merge::Verdict;

/// SSH keys made with ssh-keygen, one per login, in a temporary directory.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new(logins: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for login in logins {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", login, "-f"])
                .arg(dir.path().join(login))
                .status()
                .expect("ssh-keygen runs (scripts/test.sh installs openssh-client)");
            assert!(status.success());
        }
        Self { dir }
    }

    fn private(&self, login: &str) -> PathBuf {
        self.dir.path().join(login)
    }

    /// `login keytype key` lines for `logins` (ssh-keygen's ALLOWED SIGNERS format).
    fn allowed_signers(&self, logins: &[&str]) -> String {
        let mut lines = String::new();
        for login in logins {
            let public =
                std::fs::read_to_string(self.dir.path().join(format!("{login}.pub"))).unwrap();
            let mut words = public.split_whitespace();
            let _ = writeln!(
                lines,
                "{login} {} {}",
                words.next().unwrap(),
                words.next().unwrap()
            );
        }
        lines
    }
}

/// `main` with allowed signers for bob and carol; mallory has a key nobody listed.
fn signed_forge() -> (Fixture, Keys) {
    let keys = Keys::new(&["bob", "carol", "mallory"]);
    let signers = keys.allowed_signers(&["bob", "carol"]);
    let fixture = Fixture::with(&[(".zonegate/allowed_signers", &signers)]);
    (fixture, keys)
}

fn add_web4(fixture: &Fixture) -> u64 {
    fixture.pull(
        "add-web4",
        &[("zones/cmdb/servers.csv", Some(&servers_with_web4()))],
    )
}

fn approve_signed(fixture: &Fixture, number: u64, user: &str, key: &Path) {
    fixture
        .forge()
        .signing_with(key.to_path_buf())
        .review(number, user, ReviewState::Approved, None)
        .unwrap();
}

/// The last status's description of pull request `number`.
fn status(fixture: &Fixture, number: u64) -> String {
    let record = fixture.forge().record(number).unwrap();
    record.statuses.last().unwrap().description.clone()
}

#[test]
fn an_unsigned_approval_does_not_count_and_the_status_says_why() {
    let (fixture, _keys) = signed_forge();
    let main = fixture.main();
    let number = add_web4(&fixture);
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert_eq!(fixture.main(), main);
    let status = status(&fixture, number);
    assert!(
        status.starts_with("waiting: 0 of 1 required approval(s)"),
        "{status}"
    );
    assert!(status.ends_with("; bob's review is unsigned"), "{status}");
}

#[test]
fn an_approval_signed_with_a_key_not_listed_for_the_reviewer_does_not_count() {
    let (fixture, keys) = signed_forge();
    let main = fixture.main();
    let number = add_web4(&fixture);
    // mallory signs a review that claims to be bob's; carol signs one claiming to be dave's.
    approve_signed(&fixture, number, "bob", &keys.private("mallory"));
    approve_signed(&fixture, number, "dave", &keys.private("carol"));
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert_eq!(fixture.main(), main);
    let reason = &outcomes[0].reasons[0];
    assert!(
        reason.contains(
            "; bob's review is not signed by bob's key in .zonegate/allowed_signers; dave's review is not signed by dave's key in .zonegate/allowed_signers"
        ),
        "{reason}"
    );
}

#[test]
fn an_approval_signed_through_the_cli_with_the_reviewers_key_counts_and_git_verifies_it() {
    let (fixture, keys) = signed_forge();
    let number = add_web4(&fixture);
    let key = keys.private("bob");
    let review = support::zonegate(
        &fixture.path,
        &[
            "pr",
            "review",
            &number.to_string(),
            "--user",
            "bob",
            "--state",
            "approved",
            "--signing-key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(review.code, 0, "{}", review.transcript());

    // The review's record is a commit git itself verifies as bob's (gpg.format ssh).
    let record = fixture
        .repository
        .find_reference(&format!("refs/zonegate/pulls/{number}"))
        .unwrap()
        .target()
        .unwrap();
    let signers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(signers.path(), keys.allowed_signers(&["bob", "carol"])).unwrap();
    let verify = Command::new("git")
        .arg("--git-dir")
        .arg(&fixture.path)
        .args(["-c", "gpg.format=ssh", "-c"])
        .arg(format!(
            "gpg.ssh.allowedSignersFile={}",
            signers.path().display()
        ))
        .args(["verify-commit", &record.to_string()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "{said}");
    assert!(said.contains("Good \"git\" signature for bob"), "{said}");

    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
    let message = commit_message(&fixture, fixture.main());
    assert!(message.contains("\nApproved-by: bob\n"), "{message}");
}

#[test]
fn a_review_edited_after_it_was_signed_does_not_count() {
    let (fixture, keys) = signed_forge();
    let number = add_web4(&fixture);
    // carol's signed review asks for changes; an unsigned record then turns it into bob's
    // approval in place.
    fixture
        .forge()
        .signing_with(keys.private("carol"))
        .review(number, "carol", ReviewState::ChangesRequested, None)
        .unwrap();
    let mut record = fixture.forge().record(number).unwrap();
    "bob".clone_into(&mut record.reviews[0].user);
    "approved".clone_into(&mut record.reviews[0].state);
    let json = serde_json::to_string_pretty(&record).unwrap();
    let reference = format!("refs/zonegate/pulls/{number}");
    let parent = fixture
        .repository
        .find_reference(&reference)
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let blob = fixture.repository.blob(json.as_bytes()).unwrap();
    let mut tree = fixture.repository.treebuilder(None).unwrap();
    tree.insert("pull.json", blob, 0o100_644).unwrap();
    let tree = fixture.repository.find_tree(tree.write().unwrap()).unwrap();
    let signature = git2::Signature::now("bob", "bob@zonegate.invalid").unwrap();
    fixture
        .repository
        .commit(
            Some(&reference),
            &signature,
            &signature,
            "review of #1 by bob: approved",
            &tree,
            &[&parent],
        )
        .unwrap();
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcomes[0].reasons[0].ends_with("; bob's review is unsigned"),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main);
}

#[test]
fn the_override_label_counts_only_from_a_signed_label_event() {
    let keys = Keys::new(&["bob", "carol"]);
    let signers = keys.allowed_signers(&["bob", "carol"]);
    let fixture = Fixture::with(&[(".zonegate/allowed_signers", &signers)]);
    // A large change: the IPv6 reverse zone is dropped.
    let settings = settings_without_ipv6_reverse();
    let number = fixture.pull("drop-ipv6", &[("zones/zonegate.yaml", Some(&settings))]);
    approve_signed(&fixture, number, "bob", &keys.private("bob"));
    fixture.label(number, "carol", &["large-change-approved"]);
    let main = fixture.main();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Wait), "{log}");
    assert!(
        outcomes[0].reasons[0].ends_with(
            "the label `large-change-approved` does not count: the event applying it as carol is unsigned"
        ),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main);

    fixture.label(number, "carol", &[]);
    fixture
        .forge()
        .signing_with(keys.private("carol"))
        .set_labels(number, "carol", &["large-change-approved"])
        .unwrap();
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Merge), "{log}");
    let message = commit_message(&fixture, fixture.main());
    assert!(message.contains("\nOverride-by: carol\n"), "{message}");
}
