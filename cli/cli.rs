use std::net::IpAddr;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// Run AI coding agents in sandboxes, supervised, with their work brought back as git
/// branches. Run `plinth` inside a git repository to register it and open the UI.
#[derive(Parser, Debug)]
#[command(name = "plinth", version, propagate_version = true)]
pub struct Cli {
    /// Where plinth keeps its state (default: ~/.local/share/plinth).
    #[arg(long, global = true, env = "PLINTH_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// More log output (-vv for everything); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The server's options when no command is given (`plinth` starts one); `serve` has
    /// its own, and no other command takes them.
    #[command(flatten)]
    pub listen: Listen,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The command line, or clap's exit with a message. The server's options given before
    /// a command (`plinth --port 0 serve`) are an error: they were once every command's,
    /// and silently ignoring them would start the server elsewhere than asked.
    pub fn parse_args() -> Cli {
        let matches = Cli::command().get_matches();
        if let Err(err) = listen_before_command(&matches) {
            err.exit();
        }
        Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
    }
}

/// Refuses a server option typed on `plinth` itself when a command follows; one set in the
/// environment (`PLINTH_PORT`) is no one's mistake and stays allowed.
fn listen_before_command(matches: &ArgMatches) -> Result<(), clap::Error> {
    let Some((command, _)) = matches.subcommand() else {
        return Ok(());
    };
    let options = Listen::augment_args(clap::Command::new("listen"));
    for arg in options.get_arguments() {
        if matches.value_source(arg.get_id().as_str()) != Some(ValueSource::CommandLine) {
            continue;
        }
        let option = format!("--{}", arg.get_long().unwrap_or_default());
        let message = if command == "serve" {
            format!("{option} goes after the command: `plinth serve {option} …`")
        } else {
            format!(
                "{option} is for starting a server (`plinth` or `plinth serve`); `plinth {command}` starts none"
            )
        };
        return Err(Cli::command().error(ErrorKind::ArgumentConflict, message));
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the server (without registering a project).
    Serve(Listen),
    /// The actor tree: state, mailbox, messages handled, restarts, uptime.
    Ps(PsArgs),
    /// Everything the registry knows about one actor (by id or name, e.g. root/projects).
    Inspect {
        actor: String,
        #[command(flatten)]
        json: Json,
    },
    /// The event log; `--follow` keeps streaming new events.
    Events(EventsArgs),
    /// Agent adapters: the built-in ones and those you added, with what they may do.
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// The effective configuration, each value with where it came from.
    Config(Json),
    /// Check what plinth needs (Docker, images, tmux, ttyd, git, disk, store), with fixes;
    /// exits 1 when tasks cannot run here.
    Doctor(Json),
    /// Tasks: an agent works on a prompt in its own sandbox, on branch `plinth/<id>`.
    #[command(subcommand)]
    Task(TaskCommand),
    /// The image tasks run in: the project's Dockerfile, or plinth's agent image.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Remove what tasks left behind: containers labelled as plinth's whose task is
    /// unknown, and worktrees with no task. Says what it will remove first.
    Gc(GcArgs),
    /// Tools for developing plinth and testing agents.
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Subcommand, Debug)]
pub enum DevCommand {
    /// Serve a scripted stand-in for the Anthropic, OpenAI and Gemini APIs until Ctrl-C or
    /// SIGTERM (point the agent's base URL at the URL it prints); the script format is in
    /// docs/mock-llm.md.
    MockLlm(MockLlmArgs),
}

#[derive(Args, Debug)]
pub struct MockLlmArgs {
    /// The JSON script of replies.
    #[arg(long, value_name = "FILE")]
    pub script: PathBuf,
    /// Address to listen on (a Docker network's gateway to reach it from containers).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Append every request (method, path, headers, body, what answered it) to FILE as
    /// one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum TaskCommand {
    /// Start a task: the agent works on PROMPT in a sandbox of its own.
    New {
        /// What the agent should do.
        prompt: String,
        /// The agent (adapter) to run; `plinth agents list` shows them.
        #[arg(long, default_value = "claude-code")]
        agent: String,
        /// Where it runs: docker, or local (unsafe: on this machine, as you). Default:
        /// `sandbox.default` from the configuration.
        #[arg(long, value_parser = ["docker", "local"])]
        sandbox: Option<String>,
        /// The branch to start from (default: the repository's current branch).
        #[arg(long)]
        base: Option<String>,
        /// The repository (default: the one around the current directory).
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Carry your uncommitted changes into the sandbox.
        #[arg(long)]
        include_uncommitted: bool,
        /// The most its model calls may cost, in dollars (default: `tasks.budget`). When it
        /// is reached the agent's next call is refused and the task waits for you.
        #[arg(long)]
        budget: Option<f64>,
        #[command(flatten)]
        json: Json,
    },
    /// The tasks, oldest first.
    List {
        /// Archived tasks too.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        json: Json,
    },
    /// One task in full.
    Show {
        id: String,
        #[command(flatten)]
        json: Json,
    },
    /// Stop the task's agent and its sandbox's processes (its files stay).
    Stop {
        id: String,
        #[command(flatten)]
        json: Json,
    },
    /// Send the task's agent a message, as if you typed it to the agent.
    Send {
        id: String,
        message: String,
        #[command(flatten)]
        json: Json,
    },
    /// Answer the question the task's agent waits on (`task show` lists its choices):
    /// CHOICE is a choice's id or label, or yes (approve), always, or no (deny).
    Answer {
        id: String,
        choice: String,
        #[command(flatten)]
        json: Json,
    },
    /// Start a stopped task again, where it was left.
    Resume {
        id: String,
        #[command(flatten)]
        json: Json,
    },
    /// The agent's terminal (its tmux session) in yours; detach with Ctrl-b d.
    Attach {
        id: String,
        /// Which of the task's sessions (default: the first).
        #[arg(long)]
        session: Option<String>,
    },
    /// Set the task's budget: AMOUNT in dollars (e.g. 5, 2.50), or `none` to lift it. An
    /// agent stopped by its budget goes on when you tell it to (`plinth task send`).
    Budget {
        id: String,
        amount: String,
        #[command(flatten)]
        json: Json,
    },
    /// Hide a task that no longer runs from `task list`.
    Archive {
        id: String,
        #[command(flatten)]
        json: Json,
    },
    /// Bring the task's commits into your repository as branch `plinth/<id>` now. Never
    /// checks anything out, and never moves a branch you moved, committed to or checked out.
    Sync {
        id: String,
        #[command(flatten)]
        json: Json,
    },
    /// The task's changes against its base, as a unified diff (committed and uncommitted
    /// work while its sandbox runs; what was synced otherwise).
    Diff {
        id: String,
        /// Only the files changed and their line counts.
        #[arg(long)]
        stat: bool,
        #[command(flatten)]
        json: Json,
    },
    /// What the task did, as a transcript: messages, tool uses, statuses, notifications,
    /// its log, each with its time.
    Logs {
        id: String,
        /// Keep streaming until interrupted.
        #[arg(short, long)]
        follow: bool,
        /// Every event of the task, raw: one JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Build (or find already built) the image tasks of this project will run in, with
    /// progress. Tasks build it themselves when needed; this does it ahead of time.
    Build {
        /// A directory in the project's repository (default: the current one).
        path: Option<PathBuf>,
        /// With this agent's CLI too (codex, gemini, opencode, aider: each is a layer of its
        /// own; Claude Code is in the image already).
        #[arg(long)]
        agent: Option<String>,
        #[command(flatten)]
        json: Json,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgentsCommand {
    /// Check a WebAssembly component, show what it asks for, and install it.
    Add {
        /// The component (`.wasm`), built against plinth's `adapter` world.
        path: PathBuf,
        /// Install it under this name instead of the one it gives itself.
        #[arg(long)]
        name: Option<String>,
        /// Grant this capability (tmux, environment, events, log, state); repeat or
        /// separate with commas. Without any, everything it imports is granted once you
        /// confirm.
        #[arg(long = "grant", value_name = "CAP", value_delimiter = ',')]
        grants: Vec<String>,
        /// Don't ask for confirmation.
        #[arg(short, long)]
        yes: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Every agent: name, version, built in or added, imports and grants.
    List(Json),
    /// One agent in full.
    Inspect {
        name: String,
        #[command(flatten)]
        json: Json,
    },
    /// Uninstall an agent you added (built-in ones stay).
    Remove {
        name: String,
        #[command(flatten)]
        json: Json,
    },
}

/// The options of the commands that start a server: `plinth` itself and `plinth serve`.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Server options")]
pub struct Listen {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "PLINTH_BIND")]
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 7433, env = "PLINTH_PORT")]
    pub port: u16,
    /// Another host name the server answers to (checked against Host and Origin).
    #[arg(long, env = "PLINTH_PUBLIC_NAME", value_name = "NAME")]
    pub public_name: Option<String>,
    /// Don't open the browser.
    #[arg(long)]
    pub no_open: bool,
}

#[derive(Args, Debug, Clone, Copy)]
pub struct Json {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Keep showing the tree as it changes (a crash or restart at once, counts within half
    /// a second) until interrupted; with --json, one JSON array per change.
    #[arg(long, short)]
    pub watch: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Keep streaming new events until interrupted.
    #[arg(short, long)]
    pub follow: bool,
    /// Only events of this kind (`task.*` matches a prefix).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only events of this task.
    #[arg(long)]
    pub task: Option<String>,
    /// Start after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// One JSON object per line: seq, kind, task, at, data.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct GcArgs {
    /// Remove without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Only containers that also carry this label (`key` or `key=value`); tests use it
    /// to leave everyone else's containers alone.
    #[arg(long, hide = true)]
    pub label: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let matches = Cli::command()
            .try_get_matches_from(std::iter::once("plinth").chain(args.iter().copied()))?;
        listen_before_command(&matches)?;
        Cli::from_arg_matches(&matches)
    }

    fn options_of(path: &[&str]) -> Vec<String> {
        let mut command = Cli::command();
        command.build();
        let mut at = &command;
        for name in path {
            at = at.find_subcommand(name).expect(name);
        }
        at.get_arguments()
            .filter_map(|a| a.get_long().map(String::from))
            .collect()
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn only_the_commands_that_start_a_server_take_its_options() {
        for path in [&[][..], &["serve"]] {
            let options = options_of(path);
            for option in ["bind", "port", "public-name", "no-open"] {
                assert!(
                    options.iter().any(|o| o == option),
                    "{path:?} takes --{option}"
                );
            }
        }
        for path in [
            &["task", "new"][..],
            &["task", "logs"],
            &["ps"],
            &["agents", "list"],
        ] {
            let options = options_of(path);
            for option in ["bind", "port", "public-name", "no-open"] {
                assert!(
                    !options.iter().any(|o| o == option),
                    "{path:?} has no --{option}: {options:?}"
                );
            }
            assert!(
                options.iter().any(|o| o == "home"),
                "--home stays global: {path:?}"
            );
        }
    }

    #[test]
    fn server_options_go_after_serve_or_on_plinth_alone() {
        let cli = parse(&["serve", "--port", "0", "--no-open"]).unwrap();
        let Some(Command::Serve(listen)) = cli.command else {
            panic!("serve")
        };
        assert_eq!((listen.port, listen.no_open), (0, true));
        let cli = parse(&["--no-open", "--port", "0"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!((cli.listen.port, cli.listen.no_open), (0, true));

        let err = parse(&["--port", "0", "serve"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ArgumentConflict);
        assert!(err.to_string().contains("plinth serve --port"), "{err}");
        let err = parse(&["--no-open", "task", "list"]).unwrap_err();
        assert!(
            err.to_string().contains("`plinth task` starts none"),
            "{err}"
        );
    }

    #[test]
    fn global_options_still_go_before_or_after_any_command() {
        let cli = parse(&["--home", "/h", "-v", "config"]).unwrap();
        assert_eq!(cli.home.as_deref(), Some(std::path::Path::new("/h")));
        let cli = parse(&["task", "list", "--home", "/h", "-vv"]).unwrap();
        assert_eq!((cli.home.is_some(), cli.verbose), (true, 2));
    }

    #[test]
    fn mock_llm_keeps_its_own_default_port() {
        let cli = parse(&["dev", "mock-llm", "--script", "s.json"]).unwrap();
        let Some(Command::Dev(DevCommand::MockLlm(args))) = cli.command else {
            panic!("mock-llm")
        };
        assert_eq!(args.port, 0);
    }
}
