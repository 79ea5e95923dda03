//! `plinth doctor`: what plinth needs on this machine, whether it is there and working, and
//! how to fix what is not.
//!
//! Every check runs even when an earlier one fails, so one run shows everything to fix.
//! The exit code answers one question, "can plinth run tasks here?": Docker is the sandbox,
//! but a machine with tmux and no Docker can still run tasks in the (unsafe) local mode.
//!
//! The checks by area: `config` (inline below), `docker` (the daemon and the limits a
//! task asks of it), `images` (the base and agent images), `reach` (a container reaching
//! plinth), `programs` (tmux, ttyd, git on this machine), `adapters` (the built-in
//! adapters), `home` (disk space and the store). `check` is what each gives back, and
//! `report` turns them into the output and the exit code.

use std::io::Write;
use std::path::Path;

use plinth_actors::config::Config;
use plinth_actors::environments::DockerClient;
use plinth_server::Home;

mod adapters;
mod agent_images;
mod check;
mod docker;
mod home;
mod images;
mod programs;
mod reach;
mod report;

use check::Check;
use report::{render, verdict};

const GIB: u64 = 1 << 30;

pub async fn run(home: &Home, explicit_home: Option<&Path>, json: bool) -> i32 {
    let checks = checks(home, explicit_home).await;
    let verdict = verdict(&checks);
    let text = if json {
        match serde_json::to_string_pretty(&checks) {
            Ok(text) => format!("{text}\n"),
            Err(err) => {
                eprintln!("plinth: cannot print the checks: {err}");
                String::new()
            }
        }
    } else {
        format!("{}\n{}\n", render(&checks), verdict.message)
    };
    // A reader that stops early (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(text.as_bytes());
    if json {
        eprintln!("{}", verdict.message);
    }
    verdict.code
}

async fn checks(home: &Home, explicit_home: Option<&Path>) -> Vec<Check> {
    let (config, config_check) = match Config::load(explicit_home) {
        Ok((config, sources)) => {
            let detail = if sources.file_found {
                format!("{} loads", sources.file.display())
            } else {
                format!("no file at {}: defaults apply", sources.file.display())
            };
            (config, Check::ok("config", detail))
        }
        Err(err) => (
            // The other checks still run, on the defaults.
            Config::default(),
            Check::fail(
                "config",
                err.to_string(),
                "correct the key or value named (every key is in docs/configuration.md); \
                 `plinth config` shows what is in effect",
            ),
        ),
    };
    let mut checks = vec![config_check];
    let docker = DockerClient::connect_to(&config.docker.socket).await;
    checks.push(docker::docker_check(&docker).await);
    checks.extend(images::image_checks(docker.as_ref().ok(), &config).await);
    checks.push(agent_images::agents_check(docker.as_ref().ok(), &config).await);
    checks.push(docker::limits_check(docker.as_ref().ok(), &config).await);
    checks.push(reach::check(docker.as_ref().ok(), &config).await);
    checks.push(programs::tmux_check());
    checks.push(programs::ttyd_check(config.terminal.ttyd.as_deref()));
    checks.push(programs::git_check());
    checks.push(adapters::adapters_check());
    checks.push(home::disk_check(home.root()));
    checks.push(home::store_check(home));
    checks
}
