use plinth_wasm::wit::CapError;

/// Why a terminal could not be opened or driven.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("task {task} has no tmux session yet; its agent has not started one")]
    NoSession { task: String },
    #[error("task {task} has no tmux session named {name:?}; it has: {}", .known.join(", "))]
    UnknownSession {
        task: String,
        name: String,
        known: Vec<String>,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("cannot ask tmux for the task's sessions: {0}")]
    Tmux(CapError),
    #[error("the environment is a Docker one but has no container")]
    NoContainer,
    #[error("cannot start `tmux attach` in a pseudo-terminal: {0}")]
    Pty(#[from] pty_process::Error),
    #[error(transparent)]
    DockerDown(#[from] crate::environments::DockerError),
    #[error("cannot start `tmux attach` in the container: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error(
        "ttyd serves local-mode terminals only; this task runs in Docker: use the built-in terminal (unset terminal.ttyd)"
    )]
    TtydLocalOnly,
    #[error("cannot run ttyd ({}): {reason}; check terminal.ttyd in config.toml (`plinth doctor`)", .binary.display())]
    Ttyd {
        binary: std::path::PathBuf,
        reason: String,
    },
    #[error("the terminal's worker thread failed: {0}")]
    Join(String),
}
