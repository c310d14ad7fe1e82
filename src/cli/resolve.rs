//! The command line resolved into what the library runs: each clap type becomes the options of
//! its command ([`Invocation`]), so no command sees a clap type and `main` only dispatches.

use std::path::PathBuf;

use super::{
    Args, CheckFormat, Command, DeployFormat, DiffFormat, ForgeArgs, ForgeKind, PrAction,
    RenderFormat, ReviewKind, SchemaKind, TestFormat,
};
use crate::commands::{
    ForgeChoice, Invocation, bot, check, deploy, diff, download, explain, init, pr, regen, render,
    test,
};
use crate::merge::ReviewState;
use crate::merge::github::Token;
use crate::report::Format;
use crate::schema::Kind;

/// A command line in the library's terms.
#[derive(Debug)]
pub struct Resolved {
    /// The zones repository: `--repo` (or `ZONEGATE_REPO`), else the one found from here.
    pub repo: PathBuf,
    /// Print nothing but findings and errors (`--quiet`).
    pub quiet: bool,
    /// The command and its options.
    pub invocation: Invocation,
}

impl Args {
    /// The command line in the library's terms. `environment` looks a variable up (the GitHub
    /// token is read from `ZONEGATE_TOKEN` or `GITHUB_TOKEN`, never from an argument).
    pub fn resolve(self, environment: &dyn Fn(&str) -> Option<String>) -> Resolved {
        let repo = self.repository();
        let invocation = match self.command {
            Command::Render(args) => Invocation::Render(render::Options {
                output: args.output,
                cmdb: args.cmdb,
                json: args.format == RenderFormat::Json,
            }),
            Command::Check(args) => Invocation::Check(check::Options {
                cmdb: args.cmdb,
                format: match args.format {
                    CheckFormat::Human => Format::Human,
                    CheckFormat::Json => Format::Json,
                    CheckFormat::Github => Format::Github,
                    CheckFormat::Sarif => Format::Sarif,
                },
            }),
            Command::Diff(args) => Invocation::Diff(diff::Options {
                base: args.base,
                head: args.head,
                format: match args.format {
                    DiffFormat::Human => diff::Format::Human,
                    DiffFormat::Json => diff::Format::Json,
                    DiffFormat::Markdown => diff::Format::Markdown,
                },
                max_bytes: args.max_bytes,
            }),
            Command::Bot(args) => Invocation::Bot(bot::Options {
                dry_run: args.dry_run,
                forge: forge_choice(args.forge, environment),
                max_assertions: args.budget.max_assertions,
                post_receive_timeout: args.post_receive_timeout,
            }),
            Command::Pr(args) => Invocation::Pr {
                action: pr_action(args.action),
                signing_key: args.signing_key,
            },
            Command::Test(args) => Invocation::Test(test::Options {
                cmdb: args.cmdb,
                format: match args.format {
                    TestFormat::Human => test::Format::Human,
                    TestFormat::Json => test::Format::Json,
                    TestFormat::Github => test::Format::Github,
                    TestFormat::Junit => test::Format::Junit,
                },
                junit: args.junit,
                coverage: args.coverage,
                server: args.server,
                timeout: args.timeout,
                tries: usize::from(args.tries),
                max_assertions: args.budget.max_assertions,
            }),
            Command::Regen(args) => Invocation::Regen(regen::Options {
                forge: forge_choice(args.forge, environment),
                cmdb: args.cmdb,
                download: download::Deadlines {
                    connect: args.cmdb_connect_timeout,
                    read: args.cmdb_read_timeout,
                    total: args.cmdb_timeout,
                },
                branch: args.branch,
                dry_run: args.dry_run,
            }),
            Command::Deploy(args) => Invocation::Deploy(deploy::Options {
                cmdb: args.cmdb,
                targets: args.targets,
                dry_run: args.dry_run,
                no_wait: args.no_wait,
                json: args.format == DeployFormat::Json,
                max_assertions: args.budget.max_assertions,
            }),
            Command::Init(args) => Invocation::Init(init::Options {
                // A new repository goes where it is asked for, not into one found above.
                directory: args.directory.or(self.repo).unwrap_or_else(|| ".".into()),
                domain: args.domain,
            }),
            Command::Explain(args) => Invocation::Explain(match args.rule {
                Some(rule) if !args.all => explain::Request::Rule(rule),
                _ => explain::Request::All,
            }),
            Command::Schema(args) => Invocation::Schema(match args.kind {
                SchemaKind::Settings => Kind::Settings,
                SchemaKind::Service => Kind::Service,
                SchemaKind::Records => Kind::Records,
                SchemaKind::Assertions => Kind::Assertions,
            }),
            Command::Completions(args) => Invocation::Completions(super::completions(args.shell)),
            Command::Man(args) => Invocation::Man {
                pages: super::man_pages(),
                directory: args.out,
            },
        };
        Resolved {
            repo,
            quiet: self.quiet,
            invocation,
        }
    }
}

/// The `pr` action as the command takes it.
fn pr_action(action: PrAction) -> pr::Action {
    match action {
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
                ReviewKind::Approved => ReviewState::Approved,
                ReviewKind::ChangesRequested => ReviewState::ChangesRequested,
                ReviewKind::Commented => ReviewState::Commented,
                ReviewKind::Dismissed => ReviewState::Dismissed,
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
fn forge_choice(args: ForgeArgs, environment: &dyn Fn(&str) -> Option<String>) -> ForgeChoice {
    match args.forge {
        ForgeKind::Local => ForgeChoice::Local,
        ForgeKind::Github => ForgeChoice::GitHub {
            api: args.github_api,
            repository: args.github_repository.unwrap_or_default(),
            token: Token::from_environment(environment),
        },
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn resolve(line: &[&str], environment: &[(&str, &str)]) -> Resolved {
        let args =
            Args::try_parse_from(std::iter::once("zonegate").chain(line.iter().copied())).unwrap();
        args.resolve(&|name| {
            environment
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn the_global_flags_and_a_commands_options_are_resolved() {
        let resolved = resolve(
            &["--repo", "zones.git", "-q", "check", "--format", "sarif"],
            &[],
        );
        assert_eq!(resolved.repo, PathBuf::from("zones.git"));
        assert!(resolved.quiet);
        let Invocation::Check(options) = resolved.invocation else {
            panic!("{:?}", resolved.invocation);
        };
        assert_eq!(options.format, Format::Sarif);
        assert_eq!(options.cmdb, None);
    }

    #[test]
    fn init_defaults_to_the_repository_directory() {
        let Invocation::Init(options) = resolve(&["--repo", "dns", "init"], &[]).invocation else {
            panic!("not init");
        };
        assert_eq!(options.directory, PathBuf::from("dns"));
        let Invocation::Init(options) = resolve(&["--repo", "dns", "init", "new"], &[]).invocation
        else {
            panic!("not init");
        };
        assert_eq!(options.directory, PathBuf::from("new"));
    }

    #[test]
    fn the_github_token_comes_from_the_environment() {
        let line = ["bot", "--forge", "github", "--github-repository", "o/r"];
        let Invocation::Bot(options) =
            resolve(&line, &[("GITHUB_TOKEN", "ghp_fromTheEnvironment")]).invocation
        else {
            panic!("not bot");
        };
        let ForgeChoice::GitHub {
            repository, token, ..
        } = options.forge
        else {
            panic!("not github");
        };
        assert_eq!(repository, "o/r");
        assert!(token.is_some());
        let Invocation::Bot(options) = resolve(&line, &[]).invocation else {
            panic!("not bot");
        };
        assert!(matches!(
            options.forge,
            ForgeChoice::GitHub { token: None, .. }
        ));
    }

    #[test]
    fn a_review_verdict_becomes_the_forges_state() {
        let line = [
            "pr",
            "review",
            "3",
            "--user",
            "bob",
            "--state",
            "changes-requested",
        ];
        let Invocation::Pr {
            action: pr::Action::Review { number, state, .. },
            ..
        } = resolve(&line, &[]).invocation
        else {
            panic!("not a review");
        };
        assert_eq!((number, state), (3, ReviewState::ChangesRequested));
    }
}
