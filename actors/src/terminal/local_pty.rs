//! The viewer's `tmux attach` client on the host (unsafe local mode), in a pseudo-terminal
//! of its own.

use std::path::Path;

use super::error::TerminalError;
use super::session::attach_command;
use super::size::TermSize;
use super::terminal::{
    Closer, Input, Output, Terminal, TerminalCloser, TerminalInput, TerminalOutput,
};

/// Attaches to session `full` of the tmux server on `socket`. Must run inside a tokio
/// runtime (the pseudo-terminal registers with its reactor).
pub fn open(socket: &Path, full: &str, size: TermSize) -> Result<Terminal, TerminalError> {
    let (pty, pts) = pty_process::open()?;
    pty.resize(pty_process::Size::new(size.rows, size.cols))?;
    let argv = attach_command(socket, full);
    let child = pty_process::Command::new(&argv[0])
        .args(&argv[1..])
        .env("TERM", "xterm-256color")
        // tmux refuses to attach from inside another tmux client without this gone, and
        // plinth itself may have been started from one.
        .env_remove("TMUX")
        .kill_on_drop(true)
        .spawn(pts)?;
    let (read, write) = pty.into_split();
    Ok(Terminal {
        session: full.to_string(),
        output: TerminalOutput(Output::Local(Box::pin(read))),
        input: TerminalInput(Input::Local(write)),
        closer: TerminalCloser(Some(Closer::Local(child))),
    })
}
