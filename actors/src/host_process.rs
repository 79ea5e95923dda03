//! Running a program on the host with its output collected, for the short commands plinth
//! itself runs there (git, tmux). An agent's commands in unsafe local mode go through
//! `sandbox::local_exec` instead: they are bounded (a time limit, an output cap, a process
//! group to kill), so they share only how the pipes are set up.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Why a program on the host gave no output.
#[derive(Debug)]
pub(crate) enum HostRunError {
    /// It could not be started, or waited for.
    Run(std::io::Error),
    /// Its standard input could not be written.
    Feed(std::io::Error),
}

/// Pipes for `cmd`'s stdout and stderr, and for its stdin when it is fed (otherwise none,
/// so a program that reads it sees its end at once).
pub(crate) fn pipes(cmd: &mut Command, fed: bool) -> &mut Command {
    cmd.stdin(if fed { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
}

/// Runs `cmd` to completion, fed `stdin` when given; what it printed and how it ended.
pub(crate) fn output(cmd: &mut Command, stdin: Option<&[u8]>) -> Result<Output, HostRunError> {
    let mut child = pipes(cmd, stdin.is_some())
        .spawn()
        .map_err(HostRunError::Run)?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input).map_err(HostRunError::Feed)?;
    }
    child.wait_with_output().map_err(HostRunError::Run)
}
