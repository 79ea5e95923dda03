//! Opening a terminal for a task's environment, whichever kind it is.

use super::error::TerminalError;
use super::size::TermSize;
use super::terminal::Terminal;
use super::{docker_tty, local_pty, session};
use crate::environments::record::EnvironmentKind;
use crate::environments::{DockerClient, Environment};

/// The full name of the session a viewer of `env` gets (see [`session::choose`]). Blocks:
/// asking tmux is a process, or an exec in the container.
pub fn pick_session(env: &Environment, requested: Option<&str>) -> Result<String, TerminalError> {
    let sessions = env
        .sandbox
        .task_sessions()
        .tmux()
        .list_task_sessions(&env.task)
        .map_err(TerminalError::Tmux)?;
    session::choose(&env.task, &sessions, requested)
}

/// Attaches a new client to session `full` of `env`. `docker_address` is the daemon's
/// (`docker.socket` in the config); a connection is made for this terminal on the
/// caller's runtime, which is where its streams are then read.
pub async fn open(
    env: &Environment,
    docker_address: &str,
    full: &str,
    size: TermSize,
) -> Result<Terminal, TerminalError> {
    match env.kind {
        EnvironmentKind::Local => {
            local_pty::open(env.sandbox.task_sessions().tmux().socket(), full, size)
        }
        EnvironmentKind::Docker => {
            let container = env.container.as_deref().ok_or(TerminalError::NoContainer)?;
            let client = DockerClient::connect_to(docker_address).await?;
            docker_tty::open(client.api(), container, full, size).await
        }
    }
}
