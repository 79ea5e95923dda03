//! `plinth task attach`: the agent's tmux session in the user's own terminal, through the
//! docker CLI for a container or tmux itself in local mode. plinth replaces itself with
//! the attaching process, so the terminal behaves exactly as tmux's own. An ended task's
//! environment is stopped: [`super::attach_server`] goes through the server instead.

use std::io::IsTerminal;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use plinth_actors::environments::docker::image::AGENT_USER;
use plinth_actors::environments::docker::sandbox::TMUX_SOCKET;
use plinth_actors::environments::manager::LOCAL_TMUX_SOCKET;
use plinth_actors::tasks::TaskView;
use serde_json::Value;

use crate::failure::{Failure, code};

/// `task attach` draws in your terminal: it fails without one.
pub fn need_terminal() -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(
            code::USAGE,
            "task attach needs a terminal; run it from an interactive shell",
        ));
    }
    Ok(())
}

pub fn attach(
    home: &Path,
    task: &TaskView,
    environments: &Value,
    session: Option<&str>,
) -> Result<i32, Failure> {
    need_terminal()?;
    let environment = environments["environments"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["task"] == task.id.as_str()))
        .ok_or_else(|| {
            Failure::other(format!(
                "task {} has no environment yet (it is {})",
                task.id, task.status
            ))
        })?;
    if environment["status"]["state"] != "running" {
        return Err(Failure::other(format!(
            "task {}'s environment is not running; `plinth task resume {}` starts it again",
            task.id, task.id
        )));
    }
    let tmux: Vec<String> = match environment["container"].as_str() {
        Some(container) => ["docker", "exec", "-u", AGENT_USER, container, "tmux", "-S"]
            .into_iter()
            .chain([TMUX_SOCKET])
            .map(String::from)
            .collect(),
        None => vec![
            "tmux".into(),
            "-S".into(),
            home.join(LOCAL_TMUX_SOCKET).display().to_string(),
        ],
    };
    let name = session_name(&tmux, &task.id, session)?;
    let mut command = Command::new(&tmux[0]);
    let mut args: Vec<String> = tmux[1..].to_vec();
    if tmux[0] == "docker" {
        // A TTY and stdin for the attaching client, which the listing above did not need.
        args.splice(1..1, ["-it".to_string()]);
    }
    command.args(&args).args(["attach-session", "-t", &name]);
    let err = command.exec();
    Err(Failure::other(format!("cannot run {}: {err}", tmux[0])))
}

/// The tmux session to attach to: `<task>--<session>`, or the task's first one.
fn session_name(tmux: &[String], task: &str, session: Option<&str>) -> Result<String, Failure> {
    let out = Command::new(&tmux[0])
        .args(&tmux[1..])
        .args(["list-sessions", "-F", "#{session_name}"])
        .output()
        .map_err(|err| Failure::other(format!("cannot run {}: {err}", tmux[0])))?;
    let listed = String::from_utf8_lossy(&out.stdout);
    let prefix = format!("{task}--");
    let mut names = listed.lines().filter(|n| n.starts_with(&prefix));
    let found = match session {
        Some(session) => names.find(|n| n[prefix.len()..] == *session),
        None => names.next(),
    };
    found.map(str::to_string).ok_or_else(|| {
        Failure::other(match session {
            Some(session) => format!("task {task} has no session named {session:?}"),
            None => format!("task {task} has no tmux session (yet)"),
        })
    })
}
