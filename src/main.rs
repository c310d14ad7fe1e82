//! The `zonegate` binary: parse arguments, read the clock once, run a command, map the result to
//! an exit code (0 clean, 1 findings, 2 bad input or failure; a closed stdout pipe is 0).
#![allow(clippy::print_stderr)] // The one place that reports top-level errors.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use zonegate::cli::{
    self, Args, CheckFormat, Command, DiffFormat, ForgeArgs, ForgeKind, PrAction, RenderFormat,
    ReviewKind, SchemaKind, TestFormat,
};
use zonegate::commands::{
    self, Context, ForgeChoice, Outcome, bot, check, deploy, diff, explain, init, pr, regen,
    render, schema, test,
};
use zonegate::report::Format;
use zonegate::serial::Clock;

mod memory;

#[global_allocator]
static ALLOCATOR: memory::Budgeted = memory::Budgeted;

/// What `zonegate --version` prints after the name: the package version and the commit it was
/// built from (`0.1.0 (commit 6868eb4a1c2f 2026-12-04)`, see build.rs). Only the binary reads the
/// commit, so a new commit rebuilds this file and not the library.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("ZONEGATE_BUILD_COMMIT"),
    ")"
);

fn main() -> ExitCode {
    if let Err(message) = memory::set_budget_from_environment() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let parsed = Args::command()
        .version(VERSION)
        .try_get_matches()
        .and_then(|matches| Args::from_arg_matches(&matches));
    let args = match parsed {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            // clap: --help/--version are successes, anything else is a usage error (2).
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let context = Context {
        root: args.repository(),
        clock: read_clock(),
        quiet: args.quiet,
        progress: !args.quiet && io::stderr().is_terminal(),
    };
    // The commands style what a person reads; each stream keeps the styles only where colour is
    // wanted (a terminal, neither NO_COLOR nor CLICOLOR=0; or CLICOLOR_FORCE) and drops them
    // otherwise.
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(anstream::AutoStream::auto(stdout.lock()));
    let mut err = anstream::AutoStream::auto(io::stderr());
    let result = match &args.command {
        Command::Render(render_args) => {
            let options = render::Options {
                output: render_args.output.clone(),
                cmdb: render_args.cmdb.clone(),
                json: render_args.format == RenderFormat::Json,
            };
            render::run(&context, &options, &mut out, &mut err)
        }
        Command::Check(check_args) => {
            let format = match check_args.format {
                CheckFormat::Human => Format::Human,
                CheckFormat::Json => Format::Json,
                CheckFormat::Github => Format::Github,
                CheckFormat::Sarif => Format::Sarif,
            };
            check::run(
                &context,
                &check::Options {
                    cmdb: check_args.cmdb.clone(),
                    format,
                },
                &mut out,
                &mut err,
            )
        }
        Command::Diff(diff_args) => diff::run(
            &context,
            &diff::Options {
                base: diff_args.base.clone(),
                head: diff_args.head.clone(),
                format: match diff_args.format {
                    DiffFormat::Human => diff::Format::Human,
                    DiffFormat::Json => diff::Format::Json,
                    DiffFormat::Markdown => diff::Format::Markdown,
                },
                max_bytes: diff_args.max_bytes,
            },
            &mut out,
            &mut err,
        ),
        Command::Bot(bot_args) => bot::run(
            &context,
            bot::Options {
                dry_run: bot_args.dry_run,
                forge: forge_choice(&bot_args.forge),
                max_assertions: bot_args.budget.max_assertions,
                post_receive_timeout: bot_args.post_receive_timeout,
            },
            &mut out,
            &mut err,
        ),
        Command::Pr(pr_args) => pr::run(
            &context,
            &pr_action(&pr_args.action),
            pr_args.signing_key.as_deref(),
            &mut out,
        ),
        Command::Test(test_args) => {
            let options = test::Options {
                cmdb: test_args.cmdb.clone(),
                format: match test_args.format {
                    TestFormat::Human => test::Format::Human,
                    TestFormat::Json => test::Format::Json,
                    TestFormat::Github => test::Format::Github,
                    TestFormat::Junit => test::Format::Junit,
                },
                junit: test_args.junit.clone(),
                coverage: test_args.coverage,
                server: test_args.server.clone(),
                timeout: test_args.timeout,
                tries: usize::from(test_args.tries),
                max_assertions: test_args.budget.max_assertions,
            };
            test::run(&context, &options, &mut out, &mut err)
        }
        Command::Regen(regen_args) => regen::run(
            &context,
            &regen::Options {
                forge: forge_choice(&regen_args.forge),
                cmdb: regen_args.cmdb.clone(),
                download: commands::download::Deadlines {
                    connect: regen_args.cmdb_connect_timeout,
                    read: regen_args.cmdb_read_timeout,
                    total: regen_args.cmdb_timeout,
                },
                branch: regen_args.branch.clone(),
                dry_run: regen_args.dry_run,
            },
            &mut out,
            &mut err,
        ),
        Command::Deploy(deploy_args) => deploy::run(
            &context,
            &deploy::Options {
                cmdb: deploy_args.cmdb.clone(),
                targets: deploy_args.targets.clone(),
                dry_run: deploy_args.dry_run,
                no_wait: deploy_args.no_wait,
                json: deploy_args.format == zonegate::cli::DeployFormat::Json,
                max_assertions: deploy_args.budget.max_assertions,
            },
            &mut out,
            &mut err,
        ),
        Command::Init(init_args) => init::run(
            &init::Options {
                // A new repository goes where it is asked for, not into one found above.
                directory: init_args
                    .directory
                    .clone()
                    .or_else(|| args.repo.clone())
                    .unwrap_or_else(|| ".".into()),
                domain: init_args.domain.clone(),
            },
            args.quiet,
            &mut out,
            &mut err,
        ),
        Command::Explain(explain_args) => {
            let request = match &explain_args.rule {
                Some(rule) if !explain_args.all => explain::Request::Rule(rule.clone()),
                _ => explain::Request::All,
            };
            explain::run(&request, &mut out)
        }
        Command::Schema(schema_args) => schema::run(
            match schema_args.kind {
                SchemaKind::Settings => zonegate::schema::Kind::Settings,
                SchemaKind::Service => zonegate::schema::Kind::Service,
                SchemaKind::Records => zonegate::schema::Kind::Records,
                SchemaKind::Assertions => zonegate::schema::Kind::Assertions,
            },
            &mut out,
        ),
        Command::Completions(completions_args) => out
            .write_all(&cli::completions(completions_args.shell))
            .map(|()| Outcome::Clean)
            .map_err(commands::Error::Write),
        Command::Man(man_args) => write_man_pages(man_args.out.as_deref(), &mut out),
    };
    let flushed = out.flush();
    match (result, flushed) {
        (Err(commands::Error::Write(error)), _) | (_, Err(error))
            if error.kind() == io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        (Ok(Outcome::Clean), _) => ExitCode::SUCCESS,
        (Ok(Outcome::Findings), _) => ExitCode::from(1),
        (Err(error), _) => {
            eprintln!("error: {}", chain(&error));
            ExitCode::from(2)
        }
    }
}

/// `zonegate man`: the main page to stdout, or every page into a directory.
#[allow(clippy::disallowed_methods)] // Writes the pages the user asked for, where they asked.
fn write_man_pages(
    directory: Option<&std::path::Path>,
    out: &mut dyn Write,
) -> Result<Outcome, commands::Error> {
    let pages = cli::man_pages();
    let Some(directory) = directory else {
        if let Some((_, roff)) = pages.first() {
            out.write_all(roff)?;
        }
        return Ok(Outcome::Clean);
    };
    let failed = |path: std::path::PathBuf| {
        move |source: io::Error| {
            commands::Error::Write(io::Error::new(
                source.kind(),
                format!("cannot write {}: {source}", path.display()),
            ))
        }
    };
    std::fs::create_dir_all(directory).map_err(failed(directory.to_path_buf()))?;
    for (name, roff) in &pages {
        let path = directory.join(name);
        std::fs::write(&path, roff).map_err(failed(path.clone()))?;
        writeln!(out, "{}", path.display())?;
    }
    Ok(Outcome::Clean)
}

/// The `pr` action as the command takes it.
fn pr_action(action: &PrAction) -> pr::Action {
    match action.clone() {
        PrAction::List => pr::Action::List,
        PrAction::Open {
            head,
            base,
            title,
            user,
            draft,
            labels,
        } => pr::Action::Open {
            head,
            base,
            title,
            user,
            draft,
            labels,
        },
        PrAction::Review {
            number,
            user,
            state,
        } => pr::Action::Review {
            number,
            user,
            state: match state {
                ReviewKind::Approved => zonegate::merge::ReviewState::Approved,
                ReviewKind::ChangesRequested => zonegate::merge::ReviewState::ChangesRequested,
                ReviewKind::Commented => zonegate::merge::ReviewState::Commented,
                ReviewKind::Dismissed => zonegate::merge::ReviewState::Dismissed,
            },
        },
        PrAction::Label {
            number,
            user,
            labels,
        } => pr::Action::Label {
            number,
            user,
            labels,
        },
        PrAction::Ready {
            number,
            user,
            draft,
        } => pr::Action::Draft {
            number,
            user,
            draft,
        },
    }
}

/// The forge `--forge` names; the GitHub token comes from the environment.
fn forge_choice(args: &ForgeArgs) -> ForgeChoice {
    match args.forge {
        ForgeKind::Local => ForgeChoice::Local,
        ForgeKind::Github => ForgeChoice::GitHub {
            api: args.github_api.clone(),
            repository: args.github_repository.clone().unwrap_or_default(),
            token: zonegate::merge::github::Token::from_environment(|name| {
                std::env::var(name).ok()
            }),
        },
    }
}

/// The run's one reading of the clock. `SOURCE_DATE_EPOCH` (reproducible-builds.org) fixes it,
/// for reproducible output and tests.
#[allow(clippy::disallowed_methods)] // The one place that reads the clock.
fn read_clock() -> Clock {
    let fixed = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|value| value.trim().parse::<u64>().ok());
    let unix_seconds = fixed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    });
    Clock { unix_seconds }
}

/// `error: cause: cause`, like anyhow's `{:#}`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
