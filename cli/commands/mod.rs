mod agents;
mod attach;
mod attach_server;
mod config;
mod dev;
mod doctor;
mod events;
mod gc;
mod home_store;
mod image;
mod onboard;
mod ps;
mod serve;
mod spend;
mod task;
mod task_diff;
mod task_logs;

use plinth_server::Home;

use crate::cli::{Cli, Command, DevCommand, ImageCommand};
use crate::client::Client;
use crate::failure::Failure;

/// Runs the command; `Ok(code)` is the exit code of a command that did its job.
pub async fn run(cli: Cli) -> Result<i32, Failure> {
    let home = cli
        .home
        .clone()
        .map(Home::new)
        .unwrap_or_else(Home::from_env);
    match cli.command {
        None => onboard::run(&home, cli.home.as_deref(), &cli.listen).await,
        Some(Command::Serve(listen)) => serve::run(&home, cli.home.as_deref(), &listen, None).await,
        Some(Command::Ps(args)) if args.watch => ps::watch(&home, args.json).await,
        Some(Command::Ps(args)) => ps::list(&Client::connect(&home)?, args.json).await,
        Some(Command::Inspect { actor, json }) => {
            ps::inspect(&Client::connect(&home)?, &actor, json.json).await
        }
        Some(Command::Events(args)) => events::run(&home, args).await,
        Some(Command::Agents(command)) => agents::run(&home, cli.home.as_deref(), command).await,
        Some(Command::Config(json)) => config::run(cli.home.as_deref(), json.json),
        Some(Command::Doctor(json)) => Ok(doctor::run(&home, cli.home.as_deref(), json.json).await),
        Some(Command::Task(command)) => task::run(&Client::connect(&home)?, &home, command).await,
        Some(Command::Image(ImageCommand::Build { path, agent, json })) => {
            image::build(cli.home.as_deref(), path, agent.as_deref(), json.json).await
        }
        Some(Command::Gc(args)) => gc::run(&home, cli.home.as_deref(), args).await,
        Some(Command::Dev(DevCommand::MockLlm(args))) => dev::mock_llm(args).await,
    }
}
