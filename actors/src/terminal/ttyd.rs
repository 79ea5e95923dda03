//! A ttyd process serving one session's terminal (when `terminal.ttyd` is configured):
//! ttyd's own web page and WebSocket, on a Unix socket the server proxies to behind its
//! guard. ttyd starts a `tmux attach` client per viewer and hangs it up when the viewer
//! leaves. Local mode only: in a container the client would have to be reached through the
//! Docker CLI, which plinth does not require; Docker tasks use the built-in bridge.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::error::TerminalError;
use super::session::attach_command;
use crate::environments::Environment;
use crate::environments::record::EnvironmentKind;
use crate::limits::POLL;
use crate::limits::TTYD_START_TIMEOUT;
use crate::limits::TTYD_STOP_WAIT;

pub struct Ttyd {
    child: tokio::process::Child,
    socket: PathBuf,
}

impl Ttyd {
    /// Starts `binary` serving session `full` of `env` on `socket`, for requests under
    /// `base_path` (what the proxy forwards, e.g. `/api/tasks/T/ttyd/agent`).
    pub async fn start(
        binary: &Path,
        socket: PathBuf,
        base_path: &str,
        env: &Environment,
        full: &str,
    ) -> Result<Ttyd, TerminalError> {
        if env.kind != EnvironmentKind::Local {
            return Err(TerminalError::TtydLocalOnly);
        }
        let _ = std::fs::remove_file(&socket);
        let attach = attach_command(env.sandbox.task_sessions().tmux().socket(), full);
        let mut command = tokio::process::Command::new(binary);
        command
            .arg("--interface")
            .arg(&socket)
            .args(["--base-path", base_path, "--writable", "--"])
            .args(&attach)
            .env("TERM", "xterm-256color")
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| TerminalError::Ttyd {
            binary: binary.to_path_buf(),
            reason: e.to_string(),
        })?;
        let deadline = tokio::time::Instant::now() + TTYD_START_TIMEOUT;
        while !socket.exists() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(TerminalError::Ttyd {
                    binary: binary.to_path_buf(),
                    reason: format!("it exited at start ({status})"),
                });
            }
            if tokio::time::Instant::now() > deadline {
                return Err(TerminalError::Ttyd {
                    binary: binary.to_path_buf(),
                    reason: format!("it did not listen on {} in time", socket.display()),
                });
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(Ttyd { child, socket })
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops ttyd; it hangs up every viewer's tmux client as it goes.
    pub async fn stop(mut self) {
        // SIGTERM lets ttyd hang up its clients; SIGKILL would leave them to the tmux
        // server to notice.
        if let Some(pid) = self.child.id() {
            // SAFETY: signalling our own child.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
        if tokio::time::timeout(TTYD_STOP_WAIT, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}
