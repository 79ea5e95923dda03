//! A shell for the viewer of an ended task. Its environment was stopped once its work was
//! synced, and its tmux sessions ended with it; woken for a terminal, it has none left to
//! attach to. The viewer gets a shell in the task's work tree instead, to look at what the
//! agent left (the agent's last screen is in the store: `GET /api/tasks/{id}/scrollback`).

use plinth_wasm::wit::SessionSpec;

use super::error::TerminalError;
use super::open::pick_session;
use crate::environments::Environment;

/// The shell session's name (`<task>--shell` in tmux).
pub const SHELL_SESSION: &str = "shell";

/// The session `requested` (or the task's first), as [`pick_session`]; when the task has
/// none and the viewer did not ask for another by name, a new shell session.
/// Blocks: tmux is a process, or an exec in the container.
pub fn pick_or_open_shell(
    env: &Environment,
    requested: Option<&str>,
) -> Result<String, TerminalError> {
    match pick_session(env, requested) {
        Err(TerminalError::NoSession { .. })
            if requested.is_none_or(|name| name == SHELL_SESSION) =>
        {
            let spec = SessionSpec {
                name: SHELL_SESSION.to_string(),
                command: vec!["bash".to_string(), "-l".to_string()],
                env: Vec::new(),
                workdir: None,
                width: 200,
                height: 50,
            };
            env.sandbox
                .clone()
                .tmux()
                .create(spec)
                .map_err(TerminalError::Tmux)?;
            pick_session(env, Some(SHELL_SESSION))
        }
        other => other,
    }
}
