//! One viewer's `tmux attach` client inside a container, once it runs: resizing its TTY,
//! and ending it. Docker does not end an exec's process when the connection to it closes,
//! so the client recorded its pid in a file when it started (see `docker_tty`), and ending
//! it signals that pid through a second, short exec.

use bollard::Docker;
use bollard::exec::ResizeExecOptions;

use super::error::TerminalError;
use super::size::TermSize;
use crate::environments::docker::exec::{ExecSpec, exec};
use crate::environments::docker::image::{AGENT_USER, WORKDIR};
use crate::limits::TERMINAL_END_ATTEMPTS;
use crate::limits::TERMINAL_END_RETRY;
use crate::limits::TERMINAL_END_TIMEOUT;

/// Hangs up the client whose pid is in "$0" (tmux clients exit on SIGHUP) and forgets it.
const HANG_UP: &str = r#"kill -HUP "$(cat "$0")" 2>/dev/null; rm -f "$0""#;

/// One viewer's client in a container, to be ended.
pub struct Client {
    pub(super) docker: Docker,
    pub(super) container: String,
    pub(super) pidfile: String,
}

impl Client {
    pub async fn end(self) {
        let spec = || ExecSpec {
            command: ["sh", "-c", HANG_UP, &self.pidfile]
                .map(String::from)
                .to_vec(),
            user: AGENT_USER.into(),
            workdir: Some(WORKDIR.into()),
            env: Vec::new(),
            stdin: None,
            timeout: TERMINAL_END_TIMEOUT,
        };
        // A busy daemon now and then refuses a connection; a client left attached stays
        // until the container stops, so it is worth asking again.
        for attempt in 1..=TERMINAL_END_ATTEMPTS {
            match exec(&self.docker, &self.container, spec()).await {
                Ok(_) => return,
                Err(err) if attempt == TERMINAL_END_ATTEMPTS => {
                    // The container may be gone, and every client in it with it.
                    tracing::warn!(%err, container = %self.container, "cannot end a terminal client");
                }
                Err(_) => tokio::time::sleep(TERMINAL_END_RETRY).await,
            }
        }
    }
}

pub async fn resize(docker: &Docker, exec: &str, size: TermSize) -> Result<(), TerminalError> {
    docker
        .resize_exec(
            exec,
            ResizeExecOptions {
                height: size.rows,
                width: size.cols,
            },
        )
        .await?;
    Ok(())
}
