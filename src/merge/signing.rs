//! SSH signatures of the local forge's records (IO edge: runs `ssh-keygen`).
//!
//! On the local forge every review and label change is a commit on `refs/zonegate/pulls/N`.
//! With a signing key it is signed the way git signs a commit under `gpg.format ssh`: an
//! `SSH SIGNATURE` over the commit, namespace `git`, in the commit's `gpgsig` header, so
//! `git verify-commit` with `gpg.ssh.allowedSignersFile` checks it too. The bot checks each
//! review and label event against the allowed-signers file of the base branch
//! ([`super::ALLOWED_SIGNERS`], ssh-keygen's ALLOWED SIGNERS format), with the login the record
//! claims as the principal: an unsigned record, or one signed by a key the file does not list
//! for that login, does not count.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::hook::{HookEnd, run_bounded};
use super::{LabelApplier, PullRequestFacts, ReviewState, Signature};

/// The signature namespace git uses for commits.
pub const NAMESPACE: &str = "git";

/// How long one `ssh-keygen` may take (a key with a passphrase and no agent would wait for it).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Signs `payload` with the private key at `key` (or the key an agent holds for the public key
/// at `key`, as git's `user.signingKey` works); returns the armored signature.
///
/// # Errors
/// Why `ssh-keygen -Y sign` did not sign, with its output.
pub fn sign(key: &Path, payload: &[u8]) -> Result<String, String> {
    let directory = tempfile::tempdir().map_err(|error| format!("cannot sign: {error}"))?;
    let message = directory.path().join("record");
    write_file(&message, payload)?;
    let mut command = Command::new("ssh-keygen");
    command
        .args(["-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key)
        .arg(&message);
    let run = run_bounded(command, &[], DEADLINE)
        .map_err(|error| format!("cannot run ssh-keygen: {error}"))?;
    if run.end != HookEnd::Exited(0) {
        return Err(format!(
            "ssh-keygen -Y sign with {} {}: {}",
            key.display(),
            ended(&run.end),
            run.output.trim()
        ));
    }
    let signature = directory.path().join("record.sig");
    std::fs::read(&signature)
        .map_err(|error| format!("ssh-keygen wrote no {}: {error}", signature.display()))
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| "ssh-keygen wrote a signature that is not text".to_owned())
        })
}

/// Checks that `signature` was made by a key `allowed_signers` lists for `principal`, in git's
/// namespace. `Err` says why not, in words for a status line.
pub fn verify(
    allowed_signers: &[u8],
    principal: &str,
    signature: &Signature,
) -> Result<(), String> {
    let directory = tempfile::tempdir().map_err(|error| format!("cannot be checked: {error}"))?;
    let signers = directory.path().join("allowed_signers");
    let armored = directory.path().join("signature");
    write_file(&signers, allowed_signers)?;
    write_file(&armored, signature.armored.as_bytes())?;
    let mut command = Command::new("ssh-keygen");
    command
        .args(["-Y", "verify", "-n", NAMESPACE, "-f"])
        .arg(&signers)
        .arg("-I")
        .arg(principal)
        .arg("-s")
        .arg(&armored);
    let run = run_bounded(command, &signature.payload, DEADLINE)
        .map_err(|error| format!("cannot be checked: {error}"))?;
    match run.end {
        HookEnd::Exited(0) => Ok(()),
        HookEnd::Exited(_) => Err(format!(
            "is not signed by {principal}'s key in {}",
            super::ALLOWED_SIGNERS
        )),
        end => Err(format!("cannot be checked: ssh-keygen {}", ended(&end))),
    }
}

/// `pull` with only the reviews whose record is signed by a key `allowed_signers` lists for
/// the reviewer (comments, which count for nothing, are kept), and why each other one does not
/// count (`bob's review is unsigned`).
pub fn verified_reviews(
    pull: &PullRequestFacts,
    allowed_signers: &[u8],
) -> (PullRequestFacts, Vec<String>) {
    let mut checked = pull.clone();
    let mut unverified = Vec::new();
    checked.reviews.retain(|review| {
        if matches!(review.state, ReviewState::Commented | ReviewState::Pending) {
            return true;
        }
        match signed_by(allowed_signers, &review.user, review.signature.as_ref()) {
            Ok(()) => true,
            Err(reason) => {
                unverified.push(format!("{}'s review {reason}", review.user));
                false
            }
        }
    });
    (checked, unverified)
}

/// A claimed label event checked against `allowed_signers`: signed by a key listed for the
/// login, they may approve (the file lists who may); otherwise it does not count, and why.
pub fn checked_applier(applier: LabelApplier, allowed_signers: &[u8]) -> LabelApplier {
    let LabelApplier::Claimed { login, signature } = applier else {
        return applier;
    };
    match signed_by(allowed_signers, &login, signature.as_ref()) {
        Ok(()) => LabelApplier::By {
            login,
            may_approve: true,
        },
        Err(reason) => LabelApplier::Untrusted { login, reason },
    }
}

/// Whether `signature` is one `allowed_signers` lists a key of `login` for; why not otherwise.
fn signed_by(
    allowed_signers: &[u8],
    login: &str,
    signature: Option<&Signature>,
) -> Result<(), String> {
    let signature = signature.ok_or_else(|| "is unsigned".to_owned())?;
    verify(allowed_signers, login, signature)
}

fn ended(end: &HookEnd) -> String {
    match end {
        HookEnd::Exited(code) => format!("exited {code}"),
        HookEnd::Signalled(signal) => format!("was ended by signal {signal}"),
        HookEnd::TimedOut => format!("did not finish within {} s", DEADLINE.as_secs()),
        HookEnd::NotStarted(why) => format!("could not be started ({why})"),
        HookEnd::Absent | HookEnd::NotExecutable => "is missing".to_owned(),
    }
}

/// Writes a new private file (in a fresh temporary directory).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::File::create_new(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}
