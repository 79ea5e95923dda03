//! tmux servers a test started on sockets of its own.

use std::path::Path;
use std::process::Command;

/// Ends the tmux server on `socket` and every session in it; quiet if none runs.
pub fn kill_server(socket: &Path) {
    let _ = Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .arg("kill-server")
        .output();
}
