//! Command-line arguments: the only module that knows about clap.
//!
//! [`Args`] is what the user typed; [`Args::resolve`] (`cli/resolve.rs`) turns it into the
//! commands' plain options ([`crate::commands::Invocation`]), so no stage ever sees a clap type.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

mod resolve;

pub use resolve::Resolved;

/// GitOps DNS: CMDB + YAML -> zone files, checks, assertions, blast radius, merge bot, deploy.
#[derive(Debug, Parser)]
#[command(name = "zonegate", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Exit status: 0 success, 1 a check/test/policy failed, 2 bad input or usage.\n\
Run `zonegate <command> --help` for examples."
)]
pub struct Args {
    /// The zones repository: the directory that holds `zones/` and `assertions/` [default: the
    /// nearest directory holding zones/zonegate.yaml, from the current one up to the top of its
    /// git work tree; else the current directory].
    #[arg(long, global = true, env = "ZONEGATE_REPO", value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// Print nothing but findings and errors (no summary, no progress bar).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Args {
    /// The zones repository the command works on: `--repo` (or `ZONEGATE_REPO`) as given, else
    /// the one [`find_repository`] finds from the current directory, else the current directory
    /// (whose error then says what is missing).
    pub fn repository(&self) -> PathBuf {
        self.repo.clone().unwrap_or_else(|| {
            let here = std::env::current_dir().ok();
            match here.as_deref().and_then(find_repository) {
                Some(found) if Some(found.as_path()) != here.as_deref() => found,
                _ => PathBuf::from("."),
            }
        })
    }
}

/// The nearest of `start` and its ancestors that holds `zones/zonegate.yaml`, as git finds
/// `.git`: the search stops at the top of the git work tree `start` is in (the directory
/// holding `.git`), so a zones repository of an enclosing project is never picked up.
pub fn find_repository(start: &Path) -> Option<PathBuf> {
    for directory in start.ancestors() {
        if directory.join("zones/zonegate.yaml").is_file() {
            return Some(directory.to_path_buf());
        }
        if directory.join(".git").exists() {
            return None;
        }
    }
    None
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the zone files and manifest into the output directory (after checking).
    #[command(
        after_help = "Examples:\n  zonegate render\n  zonegate render --output /srv/zones --cmdb export.csv\n\n\
Writes one master file per zone plus manifest.json, replacing the directory atomically.\n\
Refuses (exit 1) when `check` finds an error; nothing is written then."
    )]
    Render(RenderArgs),

    /// Validate the zone set: every rule, with file:line:column of the input that caused it.
    #[command(
        after_help = "Examples:\n  zonegate check\n  zonegate check --format sarif > zonegate.sarif\n  \
zonegate check --format github   # annotations in a GitHub Actions log\n\n\
Rule severities are set per repository in zones/zonegate.yaml under `check.rules`."
    )]
    Check(CheckArgs),

    /// Run the assertions in assertions/ against the zones in memory, or against a live server.
    #[command(
        after_help = "Examples:\n  zonegate test\n  zonegate test --server 127.0.0.1:5353\n  \
zonegate test --format github --junit test-results.xml\n  zonegate test --coverage\n\n\
Exit status: 0 every assertion passed, 1 one failed, 2 an assertion file is malformed or the\n\
server does not answer. in_authority/in_additional are checked against a live server only."
    )]
    Test(TestArgs),

    /// Record-level diff of two git revisions with the blast radius (read from git objects).
    #[command(
        after_help = "Examples:\n  zonegate diff --base main                 # main against the working tree\n  \
zonegate diff --base main --head HEAD     # main against the last commit\n  \
zonegate diff --base HEAD^1 --head HEAD --format markdown   # a PR's merge commit, for a comment\n  \
zonegate diff --base main --format markdown --max-bytes 0   # the whole report, however long\n\n\
Without --head the head is the working tree, as with `git diff REV`. Revisions are read\n\
straight from git objects: nothing is checked out. Large changes are measured against the\n\
base's `policy.thresholds`. A Markdown report keeps within --max-bytes: the totals, the\n\
large-change reasons and the blast radius first, long lists ending with \"and N more\", and a\n\
last line naming the command that prints the whole difference."
    )]
    Diff(DiffArgs),

    /// One pass of the merge bot over the open pull requests into the default branch.
    #[command(
        after_help = "Examples:\n  zonegate bot --dry-run                              # local forge, change nothing\n  \
zonegate bot --forge github --github-repository example/zones\n\n\
The GitHub token comes from ZONEGATE_TOKEN or GITHUB_TOKEN and is never printed.\n\
Exit status: 0 the pass ran; 1 a pull request could not be evaluated (or a merge could not\n\
be verified); 2 the forge or repository is unusable."
    )]
    Bot(BotArgs),

    /// Pull requests on the local forge: open, review, label, list (recorded in git).
    #[command(
        after_help = "Examples:\n  zonegate --repo zones.git pr open --head add-web4 --title \"add web4\" --user alice\n  \
zonegate --repo zones.git pr review 1 --user bob --state approved\n  \
zonegate --repo zones.git pr label 1 --user bob do-not-merge\n  zonegate --repo zones.git pr list\n\n\
Each pull request is refs/zonegate/pulls/N; every change is a commit there (docs/formats.md)."
    )]
    Pr(PrArgs),

    /// Install the zones on the authoritative servers, verify them live, roll back on failure.
    #[command(
        after_help = "Examples:\n  zonegate deploy --dry-run\n  zonegate deploy\n  zonegate deploy --target primary --no-wait\n\n\
Targets are configured under `deploy:` in zones/zonegate.yaml. Steps per target: check, plan\n\
(refusing serials that are not newer than the served ones), write the zone files atomically\n\
keeping the previous set, check, reload, wait until the new serials are served, run the\n\
assertions live, NOTIFY the secondaries and wait for them. On any failure the previous zones\n\
are restored and reloaded (exit 1). One deploy per target at a time."
    )]
    Deploy(DeployArgs),

    /// Propose a new CMDB export: commit it on a branch and open or update one pull request.
    #[command(
        after_help = "Examples:\n  zonegate regen --cmdb /exports/servers.csv\n  zonegate regen --cmdb export.csv --dry-run\n\n\
Builds the default branch with and without the new export. When records change, the export is\n\
committed on the branch (one commit on top of the default branch, replaced on each run) and\n\
its one pull request is opened or updated, with the diff. An unchanged export, or one already\n\
proposed, writes nothing. Safe to run from cron. The GitHub token comes from ZONEGATE_TOKEN\n\
or GITHUB_TOKEN and is never printed."
    )]
    Regen(RegenArgs),

    /// Start a new zones repository that renders, checks and tests green at once.
    ///
    /// Writes the settings, a CMDB export, a service, a record file, an assertion file, the JSON
    /// Schemas the YAML files name for editors, and the GitHub workflows (gate and merge bot).
    #[command(
        after_help = "Examples:\n  zonegate init dns             # a new repository in ./dns\n  \
zonegate init --domain corp.example.org.\n\n\
Writes nothing when any of its files exists already (exit 2, with the list)."
    )]
    Init(InitArgs),

    /// Explain a rule (what it checks, why it matters, how to fix a finding) or a change class.
    #[command(after_help = "Examples:\n  zonegate explain cname-and-other-data\n  \
zonegate explain apex-ns-changed      # a change class: large whatever its size\n  \
zonegate explain --all          # every rule id with its default severity and summary, then the change classes\n\n\
Rule ids appear in brackets in every finding: error[cname-and-other-data]; change classes in the\n\
diff's and the bot's list of large changes.")]
    Explain(ExplainArgs),

    /// Print the JSON Schema of a kind of YAML file (what editors use to complete and check).
    #[command(
        after_help = "Examples:\n  zonegate schema settings > schemas/zonegate.schema.json\n  \
zonegate schema assertions\n\n\
Each YAML file names its schema on its first line, for editors that use yaml-language-server:\n  \
# yaml-language-server: $schema=../../schemas/service.schema.json"
    )]
    Schema(SchemaArgs),

    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  zonegate completions bash > ~/.local/share/bash-completion/completions/zonegate\n  \
zonegate completions zsh > ~/.zfunc/_zonegate\n  \
zonegate completions fish > ~/.config/fish/completions/zonegate.fish"
    )]
    Completions(CompletionsArgs),

    /// Print the manual page (roff), or write one page per command.
    #[command(after_help = "Examples:\n  zonegate man | man -l -\n  \
zonegate man --out /usr/local/share/man/man1")]
    Man(ManArgs),
}

/// `zonegate regen`.
#[derive(Debug, clap::Args)]
pub struct RegenArgs {
    /// The new CMDB export, a file or an http(s) URL (CSV, JSON or NetBox, as configured or by
    /// its extension).
    #[arg(long, value_name = "FILE|URL")]
    pub cmdb: PathBuf,

    /// Seconds to wait for a connection to the --cmdb URL (name lookup and TLS included).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub cmdb_connect_timeout: std::time::Duration,

    /// Seconds the --cmdb URL's server may send nothing before the download is given up.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub cmdb_read_timeout: std::time::Duration,

    /// Seconds the whole download of the --cmdb URL may take, redirects included.
    #[arg(long, value_name = "SECONDS", default_value = "600", value_parser = parse_seconds)]
    pub cmdb_timeout: std::time::Duration,

    /// The branch proposals are committed on.
    #[arg(long, default_value = "zonegate/regen", value_name = "BRANCH")]
    pub branch: String,

    /// Print the summary and what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Where to propose.
    #[command(flatten)]
    pub forge: ForgeArgs,
}

/// `zonegate init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to create the repository (created when missing); default: `--repo`, the current
    /// directory unless given.
    #[arg(value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// The domain the hosts are named under, absolute.
    #[arg(long, default_value = "example.com.", value_name = "DOMAIN")]
    pub domain: String,
}

/// `zonegate explain`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["rule", "all"]))]
pub struct ExplainArgs {
    /// The rule id, as printed in brackets in a finding, or a change class id.
    #[arg(value_name = "RULE-ID", value_parser = RuleId, hide_possible_values = true)]
    pub rule: Option<String>,

    /// List every rule id with its default severity and summary, then every change class.
    #[arg(long)]
    pub all: bool,
}

/// A rule id: any text (`explain` itself names the ids closest to an unknown one), with the
/// registry's ids and the change classes' as the values shell completion offers, each with its
/// summary.
#[derive(Clone, Copy, Debug)]
struct RuleId;

impl clap::builder::TypedValueParser for RuleId {
    type Value = String;

    fn parse_ref(
        &self,
        command: &clap::Command,
        argument: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(command, argument, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let rules = crate::rules::RULES
            .iter()
            .map(|rule| clap::builder::PossibleValue::new(rule.id()).help(rule.summary()));
        let classes = crate::change_class::CLASSES
            .iter()
            .map(|class| clap::builder::PossibleValue::new(class.id).help(class.summary));
        Some(Box::new(rules.chain(classes)))
    }
}

/// `zonegate schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which file's schema.
    #[arg(value_enum, value_name = "KIND")]
    pub kind: SchemaKind,
}

/// The kinds of YAML file with a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// zones/zonegate.yaml.
    Settings,
    /// zones/services/*.yaml.
    Service,
    /// zones/records/*.yaml.
    Records,
    /// assertions/*.yaml.
    Assertions,
}

/// `zonegate completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `zonegate man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write zonegate.1 and one zonegate-COMMAND.1 per command into this directory instead of
    /// printing zonegate.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The process's command line, `--version` printing `version`. On `--help`, `--version` or a
/// usage error clap has printed what it says, and `Err` holds the exit status: 0 for the first
/// two, 2 for a usage error.
pub fn parse(version: &'static str) -> Result<Args, u8> {
    use clap::{CommandFactory, FromArgMatches};
    Args::command()
        .version(version)
        .try_get_matches()
        .and_then(|matches| Args::from_arg_matches(&matches))
        .map_err(|error| {
            let _ = error.print();
            if error.use_stderr() { 2 } else { 0 }
        })
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut command = <Args as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "zonegate", &mut script);
    script
}

/// The manual pages: `zonegate.1` first, then `zonegate-COMMAND.1` for every command (and
/// `zonegate-pr-ACTION.1` for nested ones), each as (file name, roff).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut command = <Args as clap::CommandFactory>::command();
    command.build();
    let mut pages = Vec::new();
    collect_man_pages(&command, &mut pages);
    pages
}

/// One page for `command` and each of its subcommands; `build` has named them
/// `zonegate-render`, `zonegate-pr-open`, ...
fn collect_man_pages(command: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name());
    let mut roff = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = clap_mangen::Man::new(command.clone()).render(&mut roff);
    pages.push((format!("{name}.1"), with_common_sections(roff)));
    for subcommand in command.get_subcommands() {
        if subcommand.get_name() != "help" {
            collect_man_pages(subcommand, pages);
        }
    }
}

/// What every command's exit status means (the man pages' EXIT STATUS).
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success: nothing failed (warnings alone pass)."),
    (
        "1",
        "A check, an assertion or a merge policy failed; the findings were printed. render refuses and writes nothing.",
    ),
    (
        "2",
        "Bad input (every problem located as path:line:column), a usage error, or a failure to read, write or reach a server; nothing was written.",
    ),
];

/// The environment variables zonegate reads (the man pages' ENVIRONMENT).
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "ZONEGATE_REPO",
        "The zones repository, when --repo is not given (before the search upwards from the current directory).",
    ),
    (
        "ZONEGATE_TOKEN",
        "The GitHub token of bot and regen with --forge github (else GITHUB_TOKEN); never printed.",
    ),
    (
        "GITHUB_TOKEN",
        "The GitHub token when ZONEGATE_TOKEN is unset.",
    ),
    (
        "GITHUB_REPOSITORY",
        "The GitHub repository (owner/name) of --forge github, as --github-repository.",
    ),
    (
        "GITHUB_API_URL",
        "The GitHub REST API's URL, as --github-api (GitHub Enterprise Server).",
    ),
    (
        "ZONEGATE_SIGNING_KEY",
        "The SSH key pr signs reviews, labels and records with, as --signing-key.",
    ),
    (
        "ZONEGATE_MAX_ASSERTIONS",
        "The most assertions for_each may expand to, as --max-assertions (1,000,000 by default).",
    ),
    (
        "ZONEGATE_MEMORY_LIMIT",
        "The memory budget in MiB (4096 by default; 0 for none): past it zonegate stops with an error, exit 2.",
    ),
    (
        "SOURCE_DATE_EPOCH",
        "The clock, in seconds since the Unix epoch, for date-based serials: reproducible runs.",
    ),
    (
        "NO_COLOR",
        "Set and not empty: no colour, even on a terminal (no-color.org).",
    ),
    (
        "CLICOLOR",
        "0: no colour, even on a terminal. Findings are coloured only on a terminal otherwise.",
    ),
    (
        "CLICOLOR_FORCE",
        "Set and not 0: colour even where the output is not a terminal (unless NO_COLOR).",
    ),
];

/// `roff` with EXIT STATUS and ENVIRONMENT added before its VERSION section (or at its end).
fn with_common_sections(roff: Vec<u8>) -> Vec<u8> {
    let mut page = String::from_utf8(roff)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    let mut sections = String::new();
    for (heading, entries) in [
        ("\"EXIT STATUS\"", EXIT_STATUS),
        ("ENVIRONMENT", ENVIRONMENT),
    ] {
        let _ = writeln!(sections, ".SH {heading}");
        for (term, meaning) in entries {
            let _ = write!(sections, ".TP\n\\fB{term}\\fR\n{}\n", roff_text(meaning));
        }
    }
    let at = page.find("\n.SH VERSION\n").map_or(page.len(), |at| at + 1);
    page.insert_str(at, &sections);
    page.into_bytes()
}

/// `text` as a roff text line: backslashes and hyphens escaped, no line starting with a
/// control character.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// `zonegate pr`.
#[derive(Debug, clap::Args)]
pub struct PrArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: PrAction,

    /// Sign the record with this SSH key (a private key, or a public key whose private half an
    /// agent holds), as git signs with `gpg.format ssh`: when the base has
    /// `.zonegate/allowed_signers`, only signed reviews and labels count.
    #[arg(long, global = true, env = "ZONEGATE_SIGNING_KEY", value_name = "KEY")]
    pub signing_key: Option<PathBuf>,
}

/// `zonegate pr` actions.
#[derive(Clone, Debug, Subcommand)]
pub enum PrAction {
    /// List the open pull requests with their reviews and labels.
    #[command(after_help = "Examples:\n  zonegate --repo zones.git pr list")]
    List,
    /// Open a pull request for a branch.
    #[command(
        after_help = "Examples:\n  zonegate --repo zones.git pr open --head add-web4 --title \"add web4\" --user alice\n  \
zonegate --repo zones.git pr open --head wip --title wip --user alice --draft --label do-not-merge"
    )]
    Open {
        /// The branch with the change.
        #[arg(long, value_name = "BRANCH")]
        head: String,
        /// The branch to merge into (default: the repository's HEAD branch).
        #[arg(long, value_name = "BRANCH")]
        base: Option<String>,
        /// Title.
        #[arg(long)]
        title: String,
        /// Who opens it (the author).
        #[arg(long, value_name = "LOGIN")]
        user: String,
        /// Open it as a draft.
        #[arg(long)]
        draft: bool,
        /// A label (repeatable).
        #[arg(long = "label", value_name = "LABEL")]
        labels: Vec<String>,
    },
    /// Review the pull request's current head commit.
    #[command(
        after_help = "Examples:\n  zonegate --repo zones.git pr review 1 --user bob --state approved\n  \
zonegate --repo zones.git pr review 1 --user carol --state changes-requested"
    )]
    Review {
        /// The pull request.
        number: u64,
        /// Who reviews.
        #[arg(long, value_name = "LOGIN")]
        user: String,
        /// The verdict.
        #[arg(long, value_enum)]
        state: ReviewKind,
    },
    /// Replace the labels of a pull request.
    #[command(
        after_help = "Examples:\n  zonegate --repo zones.git pr label 1 --user bob do-not-merge\n  \
zonegate --repo zones.git pr label 1 --user bob          # clears the labels"
    )]
    Label {
        /// The pull request.
        number: u64,
        /// Who labels.
        #[arg(long, value_name = "LOGIN")]
        user: String,
        /// The new labels (none clears them).
        labels: Vec<String>,
    },
    /// Mark a draft ready for review (or a pull request a draft again with --draft).
    #[command(
        after_help = "Examples:\n  zonegate --repo zones.git pr ready 1 --user alice\n  \
zonegate --repo zones.git pr ready 1 --user alice --draft"
    )]
    Ready {
        /// The pull request.
        number: u64,
        /// Who.
        #[arg(long, value_name = "LOGIN")]
        user: String,
        /// Back to draft.
        #[arg(long)]
        draft: bool,
    },
}

/// Review verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReviewKind {
    /// Approve.
    Approved,
    /// Request changes.
    ChangesRequested,
    /// Comment only.
    Commented,
    /// Withdraw the reviewer's earlier verdict.
    Dismissed,
}

/// `zonegate diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The base revision (branch, tag, SHA, `HEAD~1`, ...).
    #[arg(long, value_name = "REV")]
    pub base: String,

    /// The head revision; default: the working tree.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,

    /// How to print the difference.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,

    /// With --format markdown: the most bytes the report may take; 0 for no limit. The default
    /// fits a pull-request comment (GitHub refuses more than 65,536 characters).
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<usize>,
}

/// Output formats of `diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Summary and records for people.
    Human,
    /// One JSON object.
    Json,
    /// GitHub-flavoured markdown, for a pull-request comment.
    Markdown,
}

/// `zonegate bot`.
#[derive(Debug, clap::Args)]
pub struct BotArgs {
    /// Decide and print what would be done; merge nothing, post nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Where the pull requests are.
    #[command(flatten)]
    pub forge: ForgeArgs,

    /// How many assertions the gate may expand to.
    #[command(flatten)]
    pub budget: AssertionBudgetArgs,

    /// How long the repository's `hooks/post-receive` may run after the bot merges on the
    /// local forge (as a push would run it); past it, it and what it started are killed.
    #[arg(long, value_name = "SECONDS", default_value = "900", value_parser = parse_seconds)]
    pub post_receive_timeout: std::time::Duration,
}

/// The assertion budget (`test`, `bot`, `deploy`): set by whoever runs zonegate, never by the
/// repository, so a pull request cannot raise it.
#[derive(Debug, clap::Args)]
pub struct AssertionBudgetArgs {
    /// The most assertions `for_each` may expand to; an assertion that would take the count
    /// past it is refused (exit 2) before anything runs.
    #[arg(
        long,
        env = "ZONEGATE_MAX_ASSERTIONS",
        value_name = "N",
        default_value_t = crate::assertions::DEFAULT_MAX_ASSERTIONS,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_assertions: u64,
}

/// Where pull requests are (`bot`, `regen`).
#[derive(Debug, clap::Args)]
pub struct ForgeArgs {
    /// Pull requests recorded in the repository itself, or on GitHub.
    #[arg(long, value_enum, default_value_t = ForgeKind::Local)]
    pub forge: ForgeKind,

    /// The GitHub repository (`--forge github`).
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub github_repository: Option<String>,

    /// The GitHub API base URL (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(
        long,
        env = "GITHUB_API_URL",
        default_value = "https://api.github.com",
        value_name = "URL"
    )]
    pub github_api: String,
}

/// Forges the bot can work with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ForgeKind {
    /// Pull requests recorded in the git repository itself (refs/zonegate/pulls/N).
    Local,
    /// The GitHub REST API.
    Github,
}

/// `zonegate deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,

    /// Deploy only this target (repeatable; default: every configured target, in order).
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,

    /// Print the plan (zones, served and new serials) and stop; nothing is written.
    #[arg(long)]
    pub dry_run: bool,

    /// When another deploy is running, refuse (exit 1) instead of waiting for it.
    #[arg(long)]
    pub no_wait: bool,

    /// How to print the plans and reports.
    #[arg(long, value_enum, default_value_t = DeployFormat::Human)]
    pub format: DeployFormat,

    /// How many assertions may be run.
    #[command(flatten)]
    pub budget: AssertionBudgetArgs,
}

/// Output formats of `deploy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeployFormat {
    /// The plan table and a line per step, as the deploy goes.
    Human,
    /// One JSON document at the end: per target the plan, steps, failure and rollback.
    Json,
}

/// `zonegate render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Output directory (default: `output` in zonegate.yaml, `out` unless set).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,

    /// How to print findings and the summary.
    #[arg(long, value_enum, default_value_t = RenderFormat::Human)]
    pub format: RenderFormat,
}

/// Output formats of `render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// Findings and a per-zone summary for people.
    Human,
    /// The manifest and findings as JSON.
    Json,
}

/// `zonegate check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,

    /// How to print findings.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
}

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// `path:line:col: severity[rule]: message`, with hints.
    Human,
    /// A JSON array of findings.
    Json,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// `zonegate test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Query this DNS server (ADDR or ADDR:PORT, default port 53) instead of the in-memory
    /// resolver.
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub server: Option<String>,

    /// How to print the results.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,

    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Report which services, datacenters and hand-edited records the assertions touch.
    #[arg(long)]
    pub coverage: bool,

    /// Seconds each try of a query may take in all: the UDP wait and, after a truncated
    /// answer, the whole TCP exchange (a query gives up after --tries of them).
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    pub timeout: std::time::Duration,

    /// Tries per query before giving up on the server.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub tries: u16,

    /// Read this CMDB export instead of the one configured in zonegate.yaml.
    #[arg(long, value_name = "FILE")]
    pub cmdb: Option<PathBuf>,

    /// How many assertions may be run.
    #[command(flatten)]
    pub budget: AssertionBudgetArgs,
}

/// A positive number of seconds (fractions allowed), at most an hour.
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!(
            "`{text}` is not a timeout; expected seconds between 0 and 3600, e.g. 2 or 0.5"
        )),
    }
}

/// Output formats of `test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// Each failure with expected, actual and the resolution trace; then a summary.
    Human,
    /// One JSON document with every result.
    Json,
    /// GitHub Actions annotations at each failed assertion's line.
    Github,
    /// JUnit XML.
    Junit,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }
}
