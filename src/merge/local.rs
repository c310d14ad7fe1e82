//! A forge kept in a git repository (IO edge), for dry runs, air-gapped setups and tests.
//!
//! Pull requests are branches; everything else is recorded in git itself. Pull request `N` is the
//! reference `refs/zonegate/pulls/N`, pointing at a commit whose tree holds one file,
//! `pull.json`:
//!
//! ```json
//! {
//!   "number": 3, "title": "add web3", "author": "alice",
//!   "head": "add-web3", "base": "main", "draft": false, "labels": ["do-not-merge"],
//!   "state": "open", "merged_commit": null,
//!   "label_events": [{ "label": "do-not-merge", "actor": "alice", "action": "labeled" }],
//!   "reviews": [{ "user": "bob", "state": "approved", "commit": "<sha>" }],
//!   "comments": [{ "id": 1, "author": "zonegate", "body": "..." }],
//!   "statuses": [{ "sha": "<sha>", "context": "zonegate/bot", "state": "success", "description": "..." }]
//! }
//! ```
//!
//! Every change (a review, a label, the bot's comment or status, the merge) is a new commit on
//! that reference whose parent is the previous one, authored by whoever made it, so
//! `git log -p refs/zonegate/pulls/3` is the pull request's audit trail. References move with a
//! compare-and-swap, so two writers never lose each other's change silently. `git push` and
//! `git fetch` of `refs/zonegate/*` carry the records between clones.
//!
//! Review states are GitHub's, lower-case: `approved`, `changes_requested`, `commented`,
//! `dismissed`. A review's `commit` is the head it was given on; an approval on an older commit
//! is stale. Merging fast-forwards the base branch to the commit the bot tested, so the base
//! points at exactly that commit. The base must not be checked out in a work tree (as
//! `git push` refuses to update a checked-out branch): use a bare repository as the forge.

use serde::{Deserialize, Serialize};

use super::forge::{
    CommentAction, CommitStatus, Error, Forge, MergeOutcome, StatusState, TestedMerge,
};
use super::{LabelApplier, PullRequestFacts, Review, ReviewState, Signature};
use crate::git::{Oid, Repo};

/// Where pull requests are recorded.
pub const PULLS_NAMESPACE: &str = "refs/zonegate/pulls/";

/// How many times a record update is applied again after losing a race with another writer.
const UPDATE_TRIES: usize = 8;

/// A forge in a git repository.
#[derive(Clone, Debug)]
pub struct Local {
    repo: Repo,
    /// Seconds since the epoch for the records' commits (the run's clock).
    now: i64,
    /// Who the bot is in the records.
    bot: String,
    /// The SSH key every record this handle writes is signed with (`pr --signing-key`).
    signing_key: Option<std::path::PathBuf>,
}

/// A pull request to open.
#[derive(Clone, Debug)]
pub struct NewPull<'a> {
    /// Title.
    pub title: &'a str,
    /// Author's login.
    pub author: &'a str,
    /// The branch with the change.
    pub head: &'a str,
    /// The branch to merge into.
    pub base: &'a str,
    /// A draft.
    pub draft: bool,
    /// Labels.
    pub labels: &'a [&'a str],
}

/// One pull request as recorded (`pull.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRecord {
    /// Number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Author's login.
    pub author: String,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
    /// A draft.
    #[serde(default)]
    pub draft: bool,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Every label added or removed, oldest first, with who did it (GitHub's issue events).
    #[serde(default)]
    pub label_events: Vec<LabelEventRecord>,
    /// `open`, `merged` or `closed`.
    pub state: String,
    /// The commit the base pointed at after the merge.
    #[serde(default)]
    pub merged_commit: Option<String>,
    /// Reviews, oldest first.
    #[serde(default)]
    pub reviews: Vec<ReviewRecord>,
    /// Comments, oldest first.
    #[serde(default)]
    pub comments: Vec<CommentRecord>,
    /// Commit statuses, latest per (sha, context).
    #[serde(default)]
    pub statuses: Vec<StatusRecord>,
}

/// A review as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRecord {
    /// Reviewer's login.
    pub user: String,
    /// `approved`, `changes_requested`, `commented` or `dismissed`.
    pub state: String,
    /// The head commit it was given on.
    pub commit: String,
}

/// A label added or removed, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelEventRecord {
    /// The label.
    pub label: String,
    /// Who added or removed it.
    pub actor: String,
    /// `labeled` or `unlabeled` (GitHub's event names).
    pub action: String,
}

const LABELED: &str = "labeled";
const UNLABELED: &str = "unlabeled";

/// The events that turn `before` into `after`, by `actor`: removals first, then additions.
fn label_changes(before: &[String], after: &[String], actor: &str) -> Vec<LabelEventRecord> {
    let event = |label: &String, action: &str| LabelEventRecord {
        label: label.clone(),
        actor: actor.to_owned(),
        action: action.to_owned(),
    };
    let removed = before
        .iter()
        .filter(|label| !after.contains(label))
        .map(|label| event(label, UNLABELED));
    let added = after
        .iter()
        .filter(|label| !before.contains(label))
        .map(|label| event(label, LABELED));
    removed.chain(added).collect()
}

/// A record's commit before it is on a reference.
enum Unsigned {
    /// Written, unsigned.
    Commit(Oid),
    /// Its bytes, to be signed with the key and then written.
    Bytes(String, std::path::PathBuf),
}

/// The signatures of a pull request's reviews and label events, index for index.
struct Signatures {
    reviews: Vec<Option<Signature>>,
    labels: Vec<Option<Signature>>,
}

/// Makes `commit` the origin of every entry of `now` that `known` does not hold as it is.
fn attribute<T: PartialEq>(known: &mut Vec<(T, Oid)>, now: Vec<T>, commit: Oid) {
    known.truncate(now.len());
    for (index, entry) in now.into_iter().enumerate() {
        match known.get_mut(index) {
            Some((existing, _)) if *existing == entry => {}
            Some(slot) => *slot = (entry, commit),
            None => known.push((entry, commit)),
        }
    }
}

/// A comment as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentRecord {
    /// Number within the pull request.
    pub id: u64,
    /// Who wrote it.
    pub author: String,
    /// Markdown.
    pub body: String,
}

/// A commit status as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRecord {
    /// The commit.
    pub sha: String,
    /// Context.
    pub context: String,
    /// `pending`, `success`, `failure` or `error`.
    pub state: String,
    /// One line.
    pub description: String,
}

impl Local {
    /// The forge in `repo`; its records are written with time `now` (seconds since the epoch).
    pub fn new(repo: Repo, now: i64) -> Self {
        Self {
            repo,
            now,
            bot: "zonegate".to_owned(),
            signing_key: None,
        }
    }

    /// The same forge, signing every record it writes with the SSH key at `key` (git's
    /// `gpg.format ssh` signature in the commit's `gpgsig` header): how reviews and label events
    /// prove who made them when the base has allowed signers.
    #[must_use]
    pub fn signing_with(mut self, key: std::path::PathBuf) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// Opens pull request for `pull.head` into `pull.base` and returns its number.
    pub fn create_pull(&self, pull: &NewPull<'_>) -> Result<u64, Error> {
        if self.repo.branch_tip(pull.head)?.is_none() {
            return Err(Error::Local(format!("no branch `{}`", pull.head)));
        }
        let number = self.numbers()?.last().map_or(1, |last| last + 1);
        let labels: Vec<String> = pull
            .labels
            .iter()
            .map(|label| (*label).to_owned())
            .collect();
        let record = PullRecord {
            number,
            title: pull.title.to_owned(),
            author: pull.author.to_owned(),
            head: pull.head.to_owned(),
            base: pull.base.to_owned(),
            draft: pull.draft,
            label_events: label_changes(&[], &labels, pull.author),
            labels,
            state: "open".to_owned(),
            merged_commit: None,
            reviews: Vec::new(),
            comments: Vec::new(),
            statuses: Vec::new(),
        };
        self.save(
            number,
            None,
            &record,
            pull.author,
            &format!("open #{number}: {}", pull.title),
        )?;
        Ok(number)
    }

    /// Records a review by `user` on `commit` (default: the head branch's current tip).
    pub fn review(
        &self,
        number: u64,
        user: &str,
        state: ReviewState,
        commit: Option<&str>,
    ) -> Result<(), Error> {
        self.update(number, user, |record, forge| {
            let commit = match commit {
                Some(commit) => commit.to_owned(),
                None => forge
                    .repo
                    .branch_tip(&record.head)?
                    .ok_or_else(|| Error::Local(format!("no branch `{}`", record.head)))?
                    .to_string(),
            };
            record.reviews.push(ReviewRecord {
                user: user.to_owned(),
                state: state.as_github().to_ascii_lowercase(),
                commit,
            });
            Ok(format!(
                "review of #{number} by {user}: {}",
                state.as_github().to_ascii_lowercase()
            ))
        })
    }

    /// Renames pull request `number` (`regen` keeps its one pull request's title current).
    pub fn set_title(&self, number: u64, actor: &str, title: &str) -> Result<(), Error> {
        self.update(number, actor, |record, _| {
            title.clone_into(&mut record.title);
            Ok(format!("title of #{number}: {title}"))
        })
    }

    /// Replaces the labels of pull request `number`.
    pub fn set_labels(&self, number: u64, actor: &str, labels: &[&str]) -> Result<(), Error> {
        self.update(number, actor, |record, _| {
            let new: Vec<String> = labels.iter().map(|label| (*label).to_owned()).collect();
            let events = label_changes(&record.labels, &new, actor);
            record.label_events.extend(events);
            record.labels = new;
            Ok(format!("labels of #{number}: {}", labels.join(", ")))
        })
    }

    /// Marks pull request `number` as a draft or ready.
    pub fn set_draft(&self, number: u64, actor: &str, draft: bool) -> Result<(), Error> {
        self.update(number, actor, |record, _| {
            record.draft = draft;
            Ok(format!("#{number} draft: {draft}"))
        })
    }

    /// The record of pull request `number`.
    pub fn record(&self, number: u64) -> Result<PullRecord, Error> {
        self.load(number).map(|(record, _)| record)
    }

    fn numbers(&self) -> Result<Vec<u64>, Error> {
        let mut numbers = self
            .repo
            .with(|repository| -> Result<Vec<u64>, git2::Error> {
                let mut numbers = Vec::new();
                for reference in repository.references_glob(&format!("{PULLS_NAMESPACE}*"))? {
                    let reference = reference?;
                    if let Some(number) = reference
                        .name()
                        .ok()
                        .and_then(|name| name.strip_prefix(PULLS_NAMESPACE))
                        .and_then(|number| number.parse::<u64>().ok())
                    {
                        numbers.push(number);
                    }
                }
                Ok(numbers)
            })
            .map_err(|error| Error::Local(format!("cannot list pull requests: {error}")))?;
        numbers.sort_unstable();
        Ok(numbers)
    }

    fn load(&self, number: u64) -> Result<(PullRecord, Oid), Error> {
        let name = format!("{PULLS_NAMESPACE}{number}");
        let (bytes, commit) = self
            .repo
            .with(|repository| -> Result<(Vec<u8>, Oid), git2::Error> {
                let commit = repository.find_reference(&name)?.peel_to_commit()?;
                let entry = commit.tree()?.get_path(std::path::Path::new("pull.json"))?;
                let blob = repository.find_blob(entry.id())?;
                Ok((blob.content().to_vec(), commit.id()))
            })
            .map_err(|error| Error::Local(format!("cannot read {name}: {error}")))?;
        let record: PullRecord = serde_json::from_slice(&bytes)
            .map_err(|error| Error::Local(format!("{name}:pull.json: {error}")))?;
        Ok((record, commit))
    }

    /// Applies `change` to the latest record and saves it; when another writer saved in between
    /// (two bot passes at once), applies it again to their record, so neither change is lost.
    fn update(
        &self,
        number: u64,
        actor: &str,
        mut change: impl FnMut(&mut PullRecord, &Self) -> Result<String, Error>,
    ) -> Result<(), Error> {
        for attempt in 0..UPDATE_TRIES {
            if attempt > 0 {
                // Let the other writer finish before reading its record.
                std::thread::sleep(std::time::Duration::from_millis(5 << attempt.min(5)));
            }
            let (mut record, previous) = self.load(number)?;
            let message = change(&mut record, self)?;
            if self.try_save(number, Some(previous), &record, actor, &message)? {
                return Ok(());
            }
        }
        Err(Error::Local(format!(
            "{PULLS_NAMESPACE}{number} kept changing while it was being updated ({UPDATE_TRIES} tries); run again"
        )))
    }

    fn save(
        &self,
        number: u64,
        previous: Option<Oid>,
        record: &PullRecord,
        actor: &str,
        message: &str,
    ) -> Result<(), Error> {
        if self.try_save(number, previous, record, actor, message)? {
            Ok(())
        } else {
            Err(Error::Local(format!(
                "{PULLS_NAMESPACE}{number} changed while it was being updated; run again"
            )))
        }
    }

    /// Saves `record` as the successor of `previous`; false when the reference no longer points
    /// at `previous` (another writer was first).
    fn try_save(
        &self,
        number: u64,
        previous: Option<Oid>,
        record: &PullRecord,
        actor: &str,
        message: &str,
    ) -> Result<bool, Error> {
        let name = format!("{PULLS_NAMESPACE}{number}");
        let json = serde_json::to_vec_pretty(record)
            .map_err(|error| Error::Local(format!("cannot encode {name}: {error}")))?;
        let now = self.now;
        let cannot = |error: git2::Error| Error::Local(format!("cannot write {name}: {error}"));
        let email = format!("{actor}@zonegate.invalid");
        // The record's commit: written at once, or (to be signed) first as its bytes.
        let unsigned = self
            .repo
            .with(|repository| -> Result<Unsigned, git2::Error> {
                let blob = repository.blob(&json)?;
                let mut builder = repository.treebuilder(None)?;
                builder.insert("pull.json", blob, i32::from(git2::FileMode::Blob))?;
                let tree = repository.find_tree(builder.write()?)?;
                let signature = git2::Signature::new(actor, &email, &git2::Time::new(now, 0))?;
                let parents = match previous {
                    Some(parent) => vec![repository.find_commit(parent)?],
                    None => Vec::new(),
                };
                let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
                let Some(key) = &self.signing_key else {
                    let commit = repository
                        .commit(None, &signature, &signature, message, &tree, &parents)?;
                    return Ok(Unsigned::Commit(commit));
                };
                let buffer = repository
                    .commit_create_buffer(&signature, &signature, message, &tree, &parents)?;
                Ok(Unsigned::Bytes(buffer.as_str()?.to_owned(), key.clone()))
            })
            .map_err(cannot)?;
        let commit = match unsigned {
            Unsigned::Commit(commit) => commit,
            Unsigned::Bytes(buffer, key) => {
                let armored = super::signing::sign(&key, buffer.as_bytes())
                    .map_err(|why| Error::Local(format!("cannot sign {name}: {why}")))?;
                self.repo
                    .with(|repository| repository.commit_signed(&buffer, &armored, Some("gpgsig")))
                    .map_err(cannot)?
            }
        };
        let outcome = self
            .repo
            .with(|repository| -> Result<bool, git2::Error> {
                let moved = match previous {
                    Some(previous) => {
                        repository.reference_matching(&name, commit, true, previous, message)
                    }
                    None => repository.reference(&name, commit, false, message),
                };
                match moved {
                    Ok(_) => Ok(true),
                    // Another writer moved the reference, or is moving it (`.lock`).
                    Err(error)
                        if matches!(
                            error.code(),
                            git2::ErrorCode::Modified
                                | git2::ErrorCode::Exists
                                | git2::ErrorCode::Locked
                        ) =>
                    {
                        Ok(false)
                    }
                    Err(error) => Err(error),
                }
            })
            .map_err(cannot)?;
        Ok(outcome)
    }

    /// The signature behind every review and every label event of pull request `number` as
    /// recorded at `tip`: the commit of its history that made the entry what it is there (an
    /// entry edited later is the editing commit's), and that commit's `gpgsig`, if any.
    fn signatures(&self, number: u64, tip: Oid) -> Result<Signatures, Error> {
        let name = format!("{PULLS_NAMESPACE}{number}");
        let history = self
            .repo
            .with(|repository| -> Result<Vec<(Oid, Vec<u8>)>, git2::Error> {
                let mut commit = repository.find_commit(tip)?;
                let mut history = Vec::new();
                loop {
                    let entry = commit.tree()?.get_path(std::path::Path::new("pull.json"))?;
                    let blob = repository.find_blob(entry.id())?;
                    history.push((commit.id(), blob.content().to_vec()));
                    match commit.parents().next() {
                        Some(parent) => commit = parent,
                        None => break,
                    }
                }
                history.reverse();
                Ok(history)
            })
            .map_err(|error| Error::Local(format!("cannot read {name}: {error}")))?;
        let mut reviews: Vec<(ReviewRecord, Oid)> = Vec::new();
        let mut labels: Vec<(LabelEventRecord, Oid)> = Vec::new();
        for (commit, bytes) in history {
            let record: PullRecord = serde_json::from_slice(&bytes)
                .map_err(|error| Error::Local(format!("{name}@{commit}:pull.json: {error}")))?;
            attribute(&mut reviews, record.reviews, commit);
            attribute(&mut labels, record.label_events, commit);
        }
        let signature = |commit: Oid| -> Option<Signature> {
            self.repo.with(|repository| {
                let (armored, payload) =
                    repository.extract_signature(&commit, Some("gpgsig")).ok()?;
                Some(Signature {
                    armored: armored.as_str().ok()?.to_owned(),
                    payload: payload.to_vec(),
                })
            })
        };
        Ok(Signatures {
            reviews: reviews
                .into_iter()
                .map(|(_, commit)| signature(commit))
                .collect(),
            labels: labels
                .into_iter()
                .map(|(_, commit)| signature(commit))
                .collect(),
        })
    }

    /// What the bot reads of `record`, recorded at `tip`.
    fn facts(&self, record: &PullRecord, tip: Oid) -> Result<Option<PullRequestFacts>, Error> {
        let Some(head) = self.repo.branch_tip(&record.head)? else {
            return Ok(None);
        };
        let signatures = self.signatures(record.number, tip)?;
        let reviews = record
            .reviews
            .iter()
            .zip(signatures.reviews)
            .filter_map(|(review, signature)| {
                Some(Review {
                    user: review.user.clone(),
                    state: ReviewState::parse(&review.state)?,
                    commit_id: review.commit.clone(),
                    signature,
                })
            })
            .collect();
        Ok(Some(PullRequestFacts {
            number: record.number,
            title: record.title.clone(),
            author: record.author.clone(),
            head_sha: head.to_string(),
            head_ref: record.head.clone(),
            base_ref: record.base.clone(),
            draft: record.draft,
            labels: record.labels.clone(),
            reviews,
        }))
    }
}

impl Forge for Local {
    fn describe(&self) -> String {
        format!("local forge {}", self.repo.git_dir().display())
    }

    fn default_branch(&self) -> Result<String, Error> {
        self.repo
            .with(|repository| {
                let head = repository.find_reference("HEAD").ok()?;
                let target = head.symbolic_target().ok()??;
                target.strip_prefix("refs/heads/").map(str::to_owned)
            })
            .ok_or_else(|| {
                Error::Local("HEAD does not name a branch; cannot tell the default branch".into())
            })
    }

    fn open_pull_requests(&self, base: &str) -> Result<Vec<PullRequestFacts>, Error> {
        let mut pulls = Vec::new();
        for number in self.numbers()? {
            let (record, tip) = self.load(number)?;
            if record.state != "open" || record.base != base {
                continue;
            }
            // A pull request whose branch was deleted has nothing to merge.
            if let Some(facts) = self.facts(&record, tip)? {
                pulls.push(facts);
            }
        }
        Ok(pulls)
    }

    fn pull_request(&self, number: u64) -> Result<PullRequestFacts, Error> {
        let (record, tip) = self.load(number)?;
        self.facts(&record, tip)?
            .ok_or_else(|| Error::Local(format!("the branch of #{number} was deleted")))
    }

    fn branch_tip(&self, branch: &str) -> Result<String, Error> {
        self.repo
            .branch_tip(branch)?
            .map(|oid| oid.to_string())
            .ok_or_else(|| Error::Local(format!("no branch `{branch}`")))
    }

    fn team_members(&self, _team: &str) -> Result<Option<Vec<String>>, Error> {
        Ok(None)
    }

    fn label_applier(&self, pull: &PullRequestFacts, label: &str) -> Result<LabelApplier, Error> {
        let (record, tip) = self.load(pull.number)?;
        let Some(index) = record
            .label_events
            .iter()
            .rposition(|event| event.action == LABELED && event.label.eq_ignore_ascii_case(label))
        else {
            return Ok(LabelApplier::Unknown);
        };
        let mut signatures = self.signatures(pull.number, tip)?.labels;
        // Whether the login is who signed it is for the bot to check against the base's allowed
        // signers.
        Ok(LabelApplier::Claimed {
            login: record.label_events[index].actor.clone(),
            signature: signatures.get_mut(index).and_then(Option::take),
        })
    }

    fn status(
        &self,
        pull: &PullRequestFacts,
        sha: &str,
        context: &str,
    ) -> Result<Option<(StatusState, String)>, Error> {
        let (record, _) = self.load(pull.number)?;
        Ok(record
            .statuses
            .iter()
            .find(|status| status.sha == sha && status.context == context)
            .and_then(|status| {
                Some((
                    StatusState::parse(&status.state)?,
                    status.description.clone(),
                ))
            }))
    }

    fn set_status(
        &self,
        pull: &PullRequestFacts,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), Error> {
        let bot = self.bot.clone();
        self.update(pull.number, &bot, |record, _| {
            record
                .statuses
                .retain(|existing| !(existing.sha == sha && existing.context == status.context));
            record.statuses.push(StatusRecord {
                sha: sha.to_owned(),
                context: status.context.clone(),
                state: status.state.as_str().to_owned(),
                description: status.description.clone(),
            });
            Ok(format!(
                "status of #{} {}: {} {}",
                pull.number,
                super::short(sha),
                status.state.as_str(),
                status.description
            ))
        })
    }

    fn upsert_comment(
        &self,
        pull: &PullRequestFacts,
        marker: &str,
        body: &str,
    ) -> Result<CommentAction, Error> {
        let (record, _) = self.load(pull.number)?;
        let existing = record
            .comments
            .iter()
            .position(|comment| comment.body.contains(marker));
        if let Some(index) = existing
            && record.comments[index].body == body
        {
            return Ok(CommentAction::Unchanged);
        }
        let bot = self.bot.clone();
        self.update(pull.number, &bot, |record, _| {
            // Looked up again: another writer may have added the comment since.
            let existing = record
                .comments
                .iter()
                .position(|comment| comment.body.contains(marker));
            if let Some(index) = existing {
                body.clone_into(&mut record.comments[index].body);
            } else {
                let id = record.comments.iter().map(|c| c.id).max().unwrap_or(0) + 1;
                record.comments.push(CommentRecord {
                    id,
                    author: bot.clone(),
                    body: body.to_owned(),
                });
            }
            Ok(format!("comment on #{}", pull.number))
        })?;
        Ok(if existing.is_some() {
            CommentAction::Updated
        } else {
            CommentAction::Created
        })
    }

    fn signed_records(&self) -> bool {
        true
    }

    fn post_receive_hook(&self) -> Option<super::hook::HookSite> {
        Some(self.repo.with(|repository| {
            let hooks_path = repository
                .config()
                .ok()
                .and_then(|config| config.get_path("core.hooksPath").ok());
            super::hook::site(
                repository.path(),
                repository.workdir(),
                hooks_path.as_deref(),
                "post-receive",
            )
        }))
    }

    fn merge(&self, pull: &PullRequestFacts, tested: &TestedMerge) -> Result<MergeOutcome, Error> {
        let checked_out = self.repo.with(|repository| {
            !repository.is_bare()
                && repository
                    .head()
                    .ok()
                    .and_then(|head| head.name().ok().map(str::to_owned))
                    == Some(format!("refs/heads/{}", pull.base_ref))
        });
        if checked_out {
            return Err(Error::Local(format!(
                "`{}` is checked out in the work tree of {}; the local forge moves branches as a server does, so keep it in a bare repository (git clone --bare)",
                pull.base_ref,
                self.repo.git_dir().display()
            )));
        }
        let current_head = self
            .repo
            .branch_tip(&pull.head_ref)?
            .map(|oid| oid.to_string());
        if current_head.as_deref() != Some(tested.head_sha.as_str()) {
            return Ok(MergeOutcome::HeadMoved);
        }
        let parse = |sha: &str| {
            Oid::from_str(sha)
                .map_err(|error| Error::Local(format!("`{sha}` is not a commit id: {error}")))
        };
        let moved = self.repo.compare_and_swap(
            &format!("refs/heads/{}", pull.base_ref),
            parse(&tested.base_sha)?,
            parse(&tested.commit)?,
            &format!("zonegate: merge #{}", pull.number),
        )?;
        if !moved {
            return Ok(MergeOutcome::BaseMoved);
        }
        let bot = self.bot.clone();
        self.update(pull.number, &bot, |record, _| {
            "merged".clone_into(&mut record.state);
            record.merged_commit = Some(tested.commit.clone());
            Ok(format!("merge #{} as {}", pull.number, tested.commit))
        })?;
        Ok(MergeOutcome::Merged {
            sha: tested.commit.clone(),
        })
    }
}
