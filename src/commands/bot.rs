//! `zonegate bot`: one pass of the merge bot over the open pull requests into the default branch.
//!
//! For each pull request, lowest number first:
//! 1. read the policy, CODEOWNERS and assertions from the base branch's *current* tip (never from
//!    the pull request);
//! 2. merge the head onto that tip in memory (`git merge` semantics; a conflict is reported);
//! 3. load and build the merge result, diff it against the base (blast radius), and add a large
//!    change for every base assertion the change removes or edits;
//! 4. [`merge::decide`]: drafts and `do-not-merge` are skipped; a freeze on the base (but for an
//!    emergency merge approved by admins), approvals, changes requested, owners and the
//!    large-change rule (and who applied its override label) may make it wait;
//! 5. when it may merge, the gate runs on the merge result: render, check, and the assertions of
//!    the base plus those the change adds;
//! 6. the bot commits exactly the tested tree (parents: the tested base and the head; or the base
//!    alone for `squash`) with trailers saying why, and asks the forge to merge only if the head
//!    is still the tested head and the base still the tested base; if the base moved, it tests
//!    again on the new tip (up to three times per pass);
//! 7. one commit status and one comment per pull request are set, changed only when what they
//!    say changes;
//! 8. on the local forge, after a merge, the repository's `post-receive` hook runs as a push
//!    would run it ([`hook`]).
//!
//! `--dry-run` does all of it but step 6's writes, step 7 and step 8: objects go to memory, and what
//! would be said is printed.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;

use super::ForgeChoice;
use super::pipeline::{Built, build, revision_files, verify_templates, with_check};
use super::{Context, Error, Outcome};
use crate::assertions::Verdict as AssertionVerdict;
use crate::assertions::resolver::Resolver;
use crate::diagnostic::{self, Severity};
use crate::diff::{self, RevisionFiles, Side, report as diff_report};
use crate::git::{GitTree, Identity, Merged, Oid, Repo};
use crate::inventory::policy::{MergeMethod, Policy};
use crate::merge::codeowners::{self, CodeOwners};
use crate::merge::forge::{Forge, MergeOutcome, TestedMerge};
use crate::merge::github::GitHub;
use crate::merge::hook::{self, HookEnd, HookRun, RefUpdate};
use crate::merge::local::Local;
use crate::merge::report::{self, COMMENT_MARKER, Summary};
use crate::merge::{
    self, Assessment, Decision, Gate, MergeCheck, PullRequestFacts, TestCounts, Verdict, short,
};
use crate::serial::Clock;

/// How many times one pass tests a pull request again after the base moved under it.
pub const MAX_ATTEMPTS: usize = 3;

/// Most failures listed in a comment; the rest are counted.
const FAILURES_SHOWN: usize = 20;

/// The budget of the diff in the bot's comment: three quarters of a comment, so the decision,
/// approvals and test results above it fit in the rest.
const BOT_DIFF_BUDGET: usize = diff::markdown::COMMENT_BUDGET / 4 * 3;

/// Options of `zonegate bot`.
#[derive(Debug)]
pub struct Options {
    /// Decide and print, change nothing.
    pub dry_run: bool,
    /// Which forge.
    pub forge: ForgeChoice,
    /// The most assertions `for_each` may expand to in the gate (`--max-assertions`).
    pub max_assertions: u64,
    /// How long the `post-receive` hook may run after a merge on the local forge.
    pub post_receive_timeout: std::time::Duration,
}

/// What one pass needs besides the forge and the repository.
#[derive(Clone, Debug)]
pub struct PassSettings {
    /// Change nothing.
    pub dry_run: bool,
    /// The run's clock (merge commit times, serials in the gate's render).
    pub clock: Clock,
    /// The most assertions the gate's `for_each` may expand to, per tree.
    pub max_assertions: u64,
    /// How long the `post-receive` hook may run after a merge on the local forge.
    pub post_receive_timeout: std::time::Duration,
}

/// What happened to one pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullOutcome {
    /// The pull request.
    pub number: u64,
    /// The last decision (`None` when it could not be evaluated).
    pub verdict: Option<Verdict>,
    /// Why, as decided.
    pub reasons: Vec<String>,
    /// The commit the base points at after merging it.
    pub merged: Option<String>,
    /// How many times it was tested in this pass.
    pub tests: usize,
    /// Why it could not be evaluated.
    pub error: Option<String>,
    /// The repository's `post-receive` hook, run after merging it on the local forge.
    pub post_receive: Option<HookRun>,
}

/// Runs `bot`.
pub fn run(
    context: &Context,
    options: Options,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let repo = Repo::discover(&context.root)?;
    if options.dry_run {
        repo.write_to_memory()?;
    }
    let forge: Box<dyn Forge> = match options.forge {
        ForgeChoice::Local => Box::new(Local::new(repo.clone(), unix_seconds(context.clock))),
        ForgeChoice::GitHub {
            api,
            repository,
            token,
        } => {
            if repository.trim().is_empty() {
                return Err(Error::Forge(crate::merge::forge::Error::Configuration(
                    "no GitHub repository: pass --github-repository OWNER/NAME or set GITHUB_REPOSITORY".to_owned(),
                )));
            }
            let token = token.ok_or_else(|| {
                Error::Forge(crate::merge::forge::Error::Configuration(
                    "no GitHub token: set ZONEGATE_TOKEN or GITHUB_TOKEN".to_owned(),
                ))
            })?;
            Box::new(GitHub::new(&api, &repository, token)?)
        }
    };
    let settings = PassSettings {
        dry_run: options.dry_run,
        clock: context.clock,
        max_assertions: options.max_assertions,
        post_receive_timeout: options.post_receive_timeout,
    };
    let outcomes = pass(forge.as_ref(), &repo, &settings, out)?;
    // A merge whose hook failed is merged, as a push whose hook fails is pushed; the exit
    // status says that it did not reach everywhere the hook takes it.
    let hook_failed = outcomes.iter().any(|outcome| {
        outcome
            .post_receive
            .as_ref()
            .is_some_and(|run| !run.succeeded())
    });
    Ok(
        if hook_failed || outcomes.iter().any(|outcome| outcome.error.is_some()) {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
    )
}

/// One pass over the open pull requests into the forge's default branch.
pub fn pass(
    forge: &dyn Forge,
    repo: &Repo,
    settings: &PassSettings,
    log: &mut dyn Write,
) -> Result<Vec<PullOutcome>, Error> {
    let base = forge.default_branch()?;
    let pulls = forge.open_pull_requests(&base)?;
    writeln!(
        log,
        "{}: {} open pull request(s) into {base}{}",
        forge.describe(),
        pulls.len(),
        if settings.dry_run { " (dry run)" } else { "" }
    )?;
    let mut state = PassState::default();
    let mut outcomes = Vec::new();
    for pull in &pulls {
        match process(forge, repo, settings, pull, &mut state, log) {
            Ok(outcome) => outcomes.push(outcome),
            Err(Error::Write(error)) => return Err(Error::Write(error)),
            Err(error) => {
                let text = error_chain(&error);
                writeln!(
                    log,
                    "#{} {}: error: {text}",
                    pull.number,
                    quoted(&pull.title)
                )?;
                if !settings.dry_run {
                    let status = crate::merge::forge::CommitStatus {
                        context: report::STATUS_CONTEXT.to_owned(),
                        state: crate::merge::forge::StatusState::Error,
                        description: truncate_line(
                            &format!("zonegate could not evaluate: {text}"),
                            140,
                        ),
                    };
                    // Best effort: the forge may be what failed.
                    let _ = forge.set_status(pull, &pull.head_sha, &status);
                }
                outcomes.push(PullOutcome {
                    number: pull.number,
                    verdict: None,
                    reasons: Vec::new(),
                    merged: None,
                    tests: 0,
                    error: Some(text),
                    post_receive: None,
                });
            }
        }
    }
    Ok(outcomes)
}

/// What one pass carries from one pull request to the next.
#[derive(Default)]
struct PassState {
    /// Commits the forge made when it merged (GitHub's merge commits), each with the bot's own
    /// tested commit of the same tree and parents: later pull requests build on that.
    equivalents: HashMap<String, Oid>,
    /// The base, built, with its file facts, by tree.
    base: Option<(Oid, Built, RevisionFiles)>,
}

/// Evaluates, tests and perhaps merges one pull request.
fn process(
    forge: &dyn Forge,
    repo: &Repo,
    settings: &PassSettings,
    pull: &PullRequestFacts,
    state: &mut PassState,
    log: &mut dyn Write,
) -> Result<PullOutcome, Error> {
    let mut outcome = PullOutcome {
        number: pull.number,
        verdict: None,
        reasons: Vec::new(),
        merged: None,
        tests: 0,
        error: None,
        post_receive: None,
    };
    for _ in 0..MAX_ATTEMPTS {
        let base_sha = forge.branch_tip(&pull.base_ref)?;
        // The base moving on the forge after this clone fetched it is a race, not a fault: the
        // next pass (with a fresh fetch) takes it up.
        let Some(base_commit) = local_commit(repo, &base_sha, &state.equivalents) else {
            writeln!(
                log,
                "#{} {}: {} is now at {}, which this clone has not fetched; trying again next pass",
                pull.number,
                quoted(&pull.title),
                pull.base_ref,
                short(&base_sha)
            )?;
            outcome.verdict = Some(Verdict::Wait);
            return Ok(outcome);
        };
        let head_commit = local_commit(repo, &pull.head_sha, &HashMap::new()).ok_or_else(|| {
            Error::Bot(format!(
                "head {} is not in the local repository; fetch it first (the workflow fetches refs/pull/*/head)",
                pull.head_sha
            ))
        })?;
        // Another pass (or a push) may have merged it meanwhile: the base already holds the head,
        // and merging it again would only add an empty merge commit.
        if repo.contains(base_commit, head_commit)? {
            writeln!(
                log,
                "#{} {}: already merged into {} (it holds {})",
                pull.number,
                quoted(&pull.title),
                pull.base_ref,
                short(&pull.head_sha)
            )?;
            outcome.verdict = Some(Verdict::Skip);
            outcome.reasons = vec![format!("already merged into {}", pull.base_ref)];
            return Ok(outcome);
        }
        let mut evaluation =
            evaluate(forge, repo, pull, base_commit, head_commit, &mut state.base)?;
        let (checked, unverified) = verified(pull, evaluation.allowed_signers.as_deref());
        evaluation.assessment.unverified = unverified;
        let mut decision = merge::decide(&checked, &evaluation.policy, &evaluation.assessment);
        if decision.verdict == Verdict::Test {
            if let Some(merged) = &evaluation.merged {
                evaluation.assessment.gate = gate(merged, &evaluation.base_files, settings);
                outcome.tests += 1;
            }
            decision = merge::decide(&checked, &evaluation.policy, &evaluation.assessment);
        }
        outcome.verdict = Some(decision.verdict);
        outcome.reasons.clone_from(&decision.reasons);
        let merged_tree = evaluation.merged.as_ref().map(|merged| merged.tree);
        let (Verdict::Merge, false, Some(tree)) = (decision.verdict, settings.dry_run, merged_tree)
        else {
            publish(
                forge,
                settings,
                pull,
                &decision,
                &evaluation,
                &base_sha,
                None,
                log,
            )?;
            return Ok(outcome);
        };

        // Reviews may have changed while the gate ran: decide again on fresh facts.
        let fresh = forge.pull_request(pull.number)?;
        if fresh.head_sha != pull.head_sha {
            writeln!(
                log,
                "#{} {}: the head moved from {} to {} during the test; it is evaluated again next pass",
                pull.number,
                quoted(&pull.title),
                short(&pull.head_sha),
                short(&fresh.head_sha)
            )?;
            outcome.verdict = Some(Verdict::Wait);
            return Ok(outcome);
        }
        // The override label may have been removed and applied again by someone else.
        evaluation.assessment.override_applier = override_applier(
            forge,
            &fresh,
            &evaluation.policy,
            &evaluation.assessment.large_changes,
            evaluation.allowed_signers.as_deref(),
        )?;
        let (fresh_checked, unverified) = verified(&fresh, evaluation.allowed_signers.as_deref());
        evaluation.assessment.unverified = unverified;
        let decision = merge::decide(&fresh_checked, &evaluation.policy, &evaluation.assessment);
        outcome.verdict = Some(decision.verdict);
        outcome.reasons.clone_from(&decision.reasons);
        if decision.verdict != Verdict::Merge {
            publish(
                forge,
                settings,
                &fresh,
                &decision,
                &evaluation,
                &base_sha,
                None,
                log,
            )?;
            return Ok(outcome);
        }

        let method = evaluation.policy.merge_method;
        let (title, body) = report::commit_message(
            &fresh,
            &decision,
            &evaluation.assessment,
            &evaluation.blast_radius,
            &base_sha,
        );
        let parents = match method {
            MergeMethod::Merge => vec![base_commit, head_commit],
            MergeMethod::Squash => vec![base_commit],
        };
        let identity = Identity {
            name: "zonegate".to_owned(),
            email: "zonegate@zonegate.invalid".to_owned(),
            unix_seconds: unix_seconds(settings.clock),
        };
        let commit = repo.commit(tree, &parents, &format!("{title}\n\n{body}"), &identity)?;
        let tested = TestedMerge {
            base_sha: base_sha.clone(),
            head_sha: fresh.head_sha.clone(),
            tree: tree.to_string(),
            commit: commit.to_string(),
            title,
            body,
            method,
        };
        match forge.merge(&fresh, &tested)? {
            MergeOutcome::Merged { sha } => {
                state.equivalents.insert(sha.clone(), commit);
                publish(
                    forge,
                    settings,
                    &fresh,
                    &decision,
                    &evaluation,
                    &base_sha,
                    Some(&sha),
                    log,
                )?;
                // After the status says merged, as a push's hook runs after the push.
                outcome.post_receive = post_receive(
                    forge,
                    settings,
                    pull,
                    &RefUpdate {
                        old: base_sha.clone(),
                        new: sha.clone(),
                        reference: format!("refs/heads/{}", pull.base_ref),
                    },
                    log,
                )?;
                outcome.merged = Some(sha);
                return Ok(outcome);
            }
            MergeOutcome::BaseMoved => {
                writeln!(
                    log,
                    "#{} {}: {} moved during the test; testing again on its new tip",
                    pull.number,
                    quoted(&pull.title),
                    pull.base_ref
                )?;
            }
            MergeOutcome::HeadMoved => {
                writeln!(
                    log,
                    "#{} {}: the head moved before the merge; it is evaluated again next pass",
                    pull.number,
                    quoted(&pull.title)
                )?;
                outcome.verdict = Some(Verdict::Wait);
                return Ok(outcome);
            }
            MergeOutcome::Refused(message) => {
                let refused = Decision {
                    verdict: Verdict::Reject,
                    reasons: vec![format!("the forge refused the merge: {message}")],
                    ..decision
                };
                outcome.verdict = Some(Verdict::Reject);
                outcome.reasons.clone_from(&refused.reasons);
                publish(
                    forge,
                    settings,
                    &fresh,
                    &refused,
                    &evaluation,
                    &base_sha,
                    None,
                    log,
                )?;
                return Ok(outcome);
            }
        }
    }
    writeln!(
        log,
        "#{} {}: {} moved {MAX_ATTEMPTS} times while testing; trying again next pass",
        pull.number,
        quoted(&pull.title),
        pull.base_ref
    )?;
    outcome.verdict = Some(Verdict::Wait);
    Ok(outcome)
}

/// Everything found out about a pull request on one base.
struct Evaluation {
    policy: Policy,
    assessment: Assessment,
    diff_markdown: Option<String>,
    blast_radius: Vec<String>,
    merged: Option<MergeResult>,
    /// The base, for its assertions.
    base_files: GitTree,
    /// The base's allowed signers, when the forge's records must be signed.
    allowed_signers: Option<Vec<u8>>,
}

/// The merge result, loaded.
struct MergeResult {
    tree: Oid,
    files: GitTree,
    built: Built,
}

fn evaluate(
    forge: &dyn Forge,
    repo: &Repo,
    pull: &PullRequestFacts,
    base_commit: Oid,
    head_commit: Oid,
    base_cache: &mut Option<(Oid, Built, RevisionFiles)>,
) -> Result<Evaluation, Error> {
    let base_tree = repo.commit_tree(base_commit)?;
    let base_files = repo.files(base_tree, &pull.base_ref)?;
    // Every pull request of a pass is evaluated on the same base until one merges: build it once.
    if base_cache
        .as_ref()
        .is_none_or(|(tree, _, _)| *tree != base_tree)
    {
        let built = build(&base_files).map_err(|error| {
            Error::Bot(format!(
                "the base branch `{}` does not load, so there is no policy to apply: {}",
                pull.base_ref,
                describe_load_error(error)
            ))
        })?;
        let facts = revision_files(&repo.root_files(base_tree, &pull.base_ref), &base_files)
            .map_err(Error::Read)?;
        *base_cache = Some((base_tree, built, facts));
    }
    let (_, base, base_facts) = base_cache.as_ref().expect("filled above");
    let policy = base.inventory.settings.policy.clone();
    let codeowners = parse_codeowners(base_facts);
    // A draft or a pull request labelled to stay out is reported as such, not tested.
    let not_evaluated = merge::not_evaluated(pull, &policy).is_some();
    // Signatures are checked only where the forge takes names as given and the base lists
    // whose keys count.
    let allowed_signers = base_facts
        .allowed_signers
        .as_ref()
        .filter(|_| forge.signed_records())
        .map(|(_, bytes)| bytes.clone());
    let freeze = merge::freeze(
        &policy,
        base_facts
            .freeze
            .as_ref()
            .map(|(_, bytes)| bytes.as_slice()),
    );
    let mut evaluation = Evaluation {
        policy,
        assessment: Assessment {
            merge: MergeCheck::Clean,
            large_changes: Vec::new(),
            owners: Vec::new(),
            gate: Gate::NotRun,
            override_applier: None,
            freeze,
            unverified: Vec::new(),
        },
        allowed_signers,
        diff_markdown: None,
        blast_radius: Vec::new(),
        merged: None,
        base_files,
    };
    if not_evaluated {
        return Ok(evaluation);
    }
    let tree = match repo.merge(base_commit, head_commit)? {
        Merged::Conflicts { paths } => {
            evaluation.assessment.merge = MergeCheck::Conflicts(paths);
            return Ok(evaluation);
        }
        Merged::Clean { tree } => tree,
    };

    let changed = repo.changed_paths(base_tree, tree)?;
    let mut team_error = None;
    evaluation.assessment.owners = merge::owner_requirements(&codeowners, &changed, |team| {
        if let Some(members) = evaluation.policy.team_members(team) {
            return Some(members.to_vec());
        }
        match forge.team_members(team) {
            Ok(members) => members,
            Err(error) => {
                team_error.get_or_insert(error);
                None
            }
        }
    });
    if let Some(error) = team_error {
        return Err(Error::Forge(error));
    }

    let merged_label = format!("merge-of-#{}", pull.number);
    let merged_files = repo.files(tree, &merged_label)?;
    let merged_facts = revision_files(&repo.root_files(tree, &merged_label), &merged_files)
        .map_err(Error::Read)?;
    let file_pair = diff::large::FilePair {
        base: base_facts,
        head: &merged_facts,
    };
    let large;
    match build(&merged_files) {
        Ok(built) => {
            let (base_side, merged_side) = (
                Side {
                    inventory: &base.inventory,
                    zones: &base.zones,
                },
                Side {
                    inventory: &built.inventory,
                    zones: &built.zones,
                },
            );
            let difference = diff::diff(base_side, merged_side);
            large = diff::large_changes(
                &difference,
                base_side,
                merged_side,
                file_pair,
                &evaluation.policy,
            );
            evaluation.blast_radius = blast_radius(&difference);
            let head_label = format!("#{} merged", pull.number);
            evaluation.diff_markdown = Some(diff::markdown::markdown(
                &difference,
                &diff_report::Labels {
                    base: &pull.base_ref,
                    head: &head_label,
                    large_changes: &large,
                    // The merge result exists only in memory: no one command prints it again.
                    rerun: None,
                },
                BOT_DIFF_BUDGET,
            ));
            evaluation.merged = Some(MergeResult {
                tree,
                files: merged_files,
                built,
            });
        }
        Err(crate::inventory::Error::Invalid {
            mut diagnostics,
            sources,
        }) => {
            diagnostic::sort(&mut diagnostics);
            large = diff::large::file_changes(file_pair, &evaluation.policy);
            evaluation.assessment.gate = Gate::NotLoaded {
                count: diagnostics.len(),
                failures: shown(
                    diagnostics
                        .iter()
                        .map(|diagnostic| diagnostic.display(&sources).to_string())
                        .collect(),
                ),
            };
        }
        Err(error @ crate::inventory::Error::Read { .. }) => return Err(Error::Read(error)),
    }
    evaluation.assessment.override_applier = override_applier(
        forge,
        pull,
        &evaluation.policy,
        &large,
        evaluation.allowed_signers.as_deref(),
    )?;
    evaluation.assessment.large_changes = large;
    Ok(evaluation)
}

/// Runs the repository's `post-receive` hook for a merge the forge made by moving the branch
/// itself, as `git push` would have run it, and logs what it did with its output.
fn post_receive(
    forge: &dyn Forge,
    settings: &PassSettings,
    pull: &PullRequestFacts,
    update: &RefUpdate,
    log: &mut dyn Write,
) -> Result<Option<HookRun>, Error> {
    let Some(site) = forge.post_receive_hook() else {
        return Ok(None);
    };
    let run = hook::post_receive(
        &site,
        std::slice::from_ref(update),
        settings.post_receive_timeout,
    )
    .map_err(|error| {
        Error::Bot(format!(
            "#{} was merged, but {} could not be run: {error}",
            pull.number,
            site.path.display()
        ))
    })?;
    if run.end == HookEnd::Absent {
        return Ok(None);
    }
    writeln!(
        log,
        "#{} {}: post-receive {} {} {}: {}",
        pull.number,
        quoted(&pull.title),
        short(&update.old),
        short(&update.new),
        update.reference,
        run.summary()
    )?;
    for line in run.output.lines() {
        writeln!(log, "  | {line}")?;
    }
    Ok(Some(run))
}

/// Who applied the override label, asked of the forge only when it could matter: the change is
/// large and carries the label.
fn override_applier(
    forge: &dyn Forge,
    pull: &PullRequestFacts,
    policy: &Policy,
    large: &[diff::LargeChange],
    allowed_signers: Option<&[u8]>,
) -> Result<Option<merge::LabelApplier>, Error> {
    let Some(label) = policy.override_label.as_deref() else {
        return Ok(None);
    };
    if large.is_empty()
        || !pull
            .labels
            .iter()
            .any(|candidate| candidate.eq_ignore_ascii_case(label))
    {
        return Ok(None);
    }
    let applier = forge.label_applier(pull, label)?;
    Ok(Some(match allowed_signers {
        Some(signers) => merge::signing::checked_applier(applier, signers),
        // The local forge without allowed signers takes names as given.
        None => match applier {
            merge::LabelApplier::Claimed { login, .. } => merge::LabelApplier::By {
                login,
                may_approve: true,
            },
            other => other,
        },
    }))
}

/// `pull` with only the reviews whose signature holds against `allowed_signers` (all of them
/// when there is no such file), and why each other one does not count.
fn verified(
    pull: &PullRequestFacts,
    allowed_signers: Option<&[u8]>,
) -> (PullRequestFacts, Vec<String>) {
    match allowed_signers {
        Some(signers) => merge::signing::verified_reviews(pull, signers),
        None => (pull.clone(), Vec::new()),
    }
}

/// Render, check and test on the merge result.
fn gate(merged: &MergeResult, base_files: &GitTree, settings: &PassSettings) -> Gate {
    let inventory = &merged.built.inventory;
    let zones = &merged.built.zones;
    let mut counts = TestCounts {
        zones: zones.zones.len(),
        records: zones.record_count(),
        ..TestCounts::default()
    };
    let mut failures = Vec::new();

    let diagnostics = with_check(merged.built.diagnostics.clone(), zones, inventory);
    for finding in &diagnostics {
        match finding.severity {
            Severity::Error => {
                counts.check_errors += 1;
                failures.push(finding.display(&inventory.sources).to_string());
            }
            Severity::Warning => counts.check_warnings += 1,
            Severity::Off => {}
        }
    }
    // Render as `render` would, reading every zone back: a template may fail on the new zones,
    // or write text that does not hold exactly their records.
    match verify_templates(inventory, zones, settings.clock) {
        Ok(findings) => {
            counts.check_errors += findings.len();
            failures.extend(
                findings
                    .iter()
                    .map(|finding| finding.display(&inventory.sources).to_string()),
            );
        }
        Err(error) => failures.push(format!("render: {}", error_chain(&error))),
    }

    let run = run_assertions(merged, base_files, settings.max_assertions);
    counts.assertions_passed = run.passed;
    counts.assertions_failed = run.failed;
    failures.extend(run.failures);

    if failures.is_empty() {
        Gate::Passed(counts)
    } else {
        Gate::Failed {
            counts,
            failures: shown(failures),
        }
    }
}

/// What the assertions did on the merge result.
struct AssertionRun {
    passed: usize,
    failed: usize,
    failures: Vec<String>,
}

/// Runs every assertion of the merge result (what the change adds or keeps) and every
/// assertion of the base (the bar the change must clear, even where it edits or deletes it)
/// against the merge result's zones, in memory. An assertion present in both runs once; a
/// failing assertion that exists only on the base says so. Malformed assertion files are
/// failures too: what cannot be run was not tested.
fn run_assertions(merged: &MergeResult, base_files: &GitTree, max_assertions: u64) -> AssertionRun {
    let inventory = &merged.built.inventory;
    let mut sources = inventory.sources.clone();
    let mut run = AssertionRun {
        passed: 0,
        failed: 0,
        failures: Vec::new(),
    };
    let mut all = Vec::new();
    let mut from_base = Vec::new();
    let mut seen = HashSet::new();
    for (files, is_base) in [(&merged.files as &GitTree, false), (base_files, true)] {
        let loaded = crate::assertions::load(files, inventory, &mut sources, max_assertions);
        let (loaded, problems) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                run.failed += 1;
                run.failures.push(format!(
                    "the assertions of {} cannot be read: {}",
                    if is_base { "the base" } else { "the change" },
                    error_chain(&error)
                ));
                continue;
            }
        };
        for problem in problems {
            run.failed += 1;
            run.failures.push(problem.display(&sources).to_string());
        }
        for assertion in loaded {
            // Identity without the span: the same assertion at another line is the same bar.
            let key = format!(
                "{}\u{0}{:?}\u{0}{}\u{0}{:?}\u{0}{:?}",
                assertion.it,
                assertion.bindings,
                assertion.query,
                assertion.record_type,
                assertion.expect
            );
            if seen.insert(key) {
                from_base.push(is_base);
                all.push(assertion);
            }
        }
    }
    if all.is_empty() {
        return run;
    }
    let resolver = Resolver::new(&merged.built.zones);
    let outcomes = crate::assertions::run(&all, &resolver);
    for ((assertion, outcome), is_base) in all.iter().zip(&outcomes).zip(from_base) {
        match outcome.verdict {
            AssertionVerdict::Pass => run.passed += 1,
            AssertionVerdict::Skip => {}
            AssertionVerdict::Fail => {
                run.failed += 1;
                let mut line = format!(
                    "{}: assertion failed: {}{}",
                    sources.locate(assertion.span),
                    assertion.title(),
                    if is_base {
                        " (an assertion of the base branch)"
                    } else {
                        ""
                    }
                );
                for mismatch in &outcome.mismatches {
                    let _ = write!(
                        line,
                        "; {}: expected {}, got {}",
                        mismatch.matcher, mismatch.expected, mismatch.actual
                    );
                }
                run.failures.push(line);
            }
        }
    }
    run
}

/// Sets the status and the comment (or prints them in a dry run) and logs the decision.
#[allow(clippy::too_many_arguments)] // One call site per outcome; a struct would only rename them.
fn publish(
    forge: &dyn Forge,
    settings: &PassSettings,
    pull: &PullRequestFacts,
    decision: &Decision,
    evaluation: &Evaluation,
    base_sha: &str,
    merged: Option<&str>,
    log: &mut dyn Write,
) -> Result<(), Error> {
    let summary = Summary {
        facts: pull,
        decision,
        assessment: &evaluation.assessment,
        base_branch: &pull.base_ref,
        base_sha,
        diff_markdown: evaluation.diff_markdown.as_deref(),
        merged,
        dry_run: settings.dry_run,
    };
    let verdict = match (decision.verdict, merged) {
        (_, Some(sha)) => format!("merged as {}", short(sha)),
        (Verdict::Merge, None) => "would merge".to_owned(),
        (Verdict::Test, None) => "testing".to_owned(),
        (Verdict::Wait, None) => "waiting".to_owned(),
        (Verdict::Reject, None) => "not merged".to_owned(),
        (Verdict::Skip, None) => "not evaluated".to_owned(),
    };
    writeln!(
        log,
        "#{} {} by {}: {verdict}",
        pull.number,
        quoted(&pull.title),
        pull.author
    )?;
    for reason in &decision.reasons {
        writeln!(log, "  {}", reason.replace('\n', "\n  "))?;
    }
    let status = report::status(&summary);
    let comment = report::comment(&summary);
    if settings.dry_run {
        writeln!(
            log,
            "  would set status {} on {}: {}",
            status.state.as_str(),
            short(&pull.head_sha),
            status.description
        )?;
        writeln!(log, "  would comment:")?;
        for line in comment.lines() {
            writeln!(log, "  | {line}")?;
        }
        return Ok(());
    }
    let current = forge.status(pull, &pull.head_sha, &status.context)?;
    if current != Some((status.state, status.description.clone())) {
        forge.set_status(pull, &pull.head_sha, &status)?;
    }
    forge.upsert_comment(pull, COMMENT_MARKER, &comment)?;
    Ok(())
}

/// Summary lines for the merge commit's `Blast-radius:` trailers.
fn blast_radius(difference: &diff::Diff) -> Vec<String> {
    let mut lines: Vec<String> = difference
        .zones
        .iter()
        .filter(|zone| !zone.counts.is_empty() || zone.serial_changes)
        .map(|zone| format!("{}: {}", zone.origin, diff_report::zone_summary(zone)))
        .collect();
    let losing = difference
        .services
        .iter()
        .filter(|service| !service.lost.is_empty())
        .count();
    if losing > 0 {
        lines.push(format!("{losing} SRV RRset(s) lose targets"));
    }
    if !difference.vanished.is_empty() {
        lines.push(format!(
            "{} name(s) lose every address",
            difference.vanished.len()
        ));
    }
    lines
}

/// The base's CODEOWNERS: the first of GitHub's locations that exists (the file facts list
/// them in that order).
fn parse_codeowners(facts: &RevisionFiles) -> CodeOwners {
    facts
        .codeowners
        .first()
        .map_or_else(CodeOwners::default, |(path, bytes)| {
            let mut sources = crate::diagnostic::SourceMap::default();
            let file = sources.add(path);
            codeowners::parse(&String::from_utf8_lossy(bytes), file).0
        })
}

/// The local commit for a forge's commit id: the commit itself, or the bot's own tested commit
/// that the forge's merge commit is equivalent to (same tree, same parents).
fn local_commit(repo: &Repo, sha: &str, equivalents: &HashMap<String, Oid>) -> Option<Oid> {
    if let Ok(oid) = Oid::from_str(sha)
        && repo.has_commit(oid)
    {
        return Some(oid);
    }
    equivalents.get(sha).copied()
}

fn describe_load_error(error: crate::inventory::Error) -> String {
    match error {
        crate::inventory::Error::Invalid {
            mut diagnostics,
            sources,
        } => {
            diagnostic::sort(&mut diagnostics);
            let first = diagnostics
                .first()
                .map(|diagnostic| diagnostic.display(&sources).to_string())
                .unwrap_or_default();
            format!("{} input error(s), first: {first}", diagnostics.len())
        }
        error @ crate::inventory::Error::Read { .. } => error_chain(&error),
    }
}

fn shown(mut failures: Vec<String>) -> Vec<String> {
    if failures.len() > FAILURES_SHOWN {
        let more = failures.len() - FAILURES_SHOWN;
        failures.truncate(FAILURES_SHOWN);
        failures.push(format!("... and {more} more"));
    }
    failures
}

fn quoted(title: &str) -> String {
    format!("\"{}\"", title.lines().next().unwrap_or(""))
}

fn truncate_line(text: &str, limit: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= limit {
        line.to_owned()
    } else {
        let mut cut: String = line.chars().take(limit - 1).collect();
        cut.push('…');
        cut
    }
}

fn unix_seconds(clock: Clock) -> i64 {
    i64::try_from(clock.unix_seconds).unwrap_or(i64::MAX)
}

/// `error: cause: cause`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
