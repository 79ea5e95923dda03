//! How one `tmux` invocation is carried out: the [`TmuxRunner`] a [`super::TmuxServer`]
//! sends its command lines through, and [`HostTmux`], which runs tmux on the host.

use std::path::Path;
use std::process::Command;

use plinth_wasm::wit::CapError;

use crate::host_process::{self, HostRunError};

/// What one `tmux` invocation gave back.
#[derive(Clone, Debug, Default)]
pub struct TmuxOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Carries out `tmux -S <socket> <args>`, wherever that tmux lives. An `Err` means tmux
/// could not be run at all; tmux's own failures come back as `success: false`.
pub trait TmuxRunner: Send + Sync {
    fn run(
        &self,
        socket: &Path,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<TmuxOutput, CapError>;
}

/// Runs tmux as a process on the host.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostTmux;

impl TmuxRunner for HostTmux {
    fn run(
        &self,
        socket: &Path,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<TmuxOutput, CapError> {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(socket).args(args);
        let out = host_process::output(&mut cmd, stdin).map_err(|e| match e {
            HostRunError::Run(e) => spawn_error(e),
            HostRunError::Feed(e) => CapError::Failed(format!("cannot write to tmux: {e}")),
        })?;
        Ok(TmuxOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

fn spawn_error(err: std::io::Error) -> CapError {
    if err.kind() == std::io::ErrorKind::NotFound {
        CapError::Failed("tmux is not installed: apt-get install tmux".into())
    } else {
        CapError::Failed(format!("cannot run tmux: {err}"))
    }
}
