//! The web terminal: a viewer attached to one of a task's tmux sessions, as a terminal it
//! can type into. The viewer is a `tmux attach` client of its own, on the same tmux server
//! as the agent: in a pseudo-terminal on the host (unsafe local mode) or in a TTY exec
//! inside the container (Docker). Closing the viewer ends that client only; the session
//! and the agent in it go on.
//!
//! - `size`: a terminal's size, kept within sane bounds.
//! - [`session`]: which session a viewer attaches to, and the `tmux attach` command line.
//! - [`local_pty`]: the client in a host pseudo-terminal.
//! - [`docker_tty`]: the client in a TTY exec inside the container; `docker_client`
//!   resizes and ends it once it runs.
//! - `terminal`: the open terminal's three parts (output, input, closer).
//! - [`open`]: opens a terminal for an environment.
//! - `shell`: a shell session for the viewer of an ended task, whose sessions are gone.
//! - [`ttyd`]: a ttyd process serving a session instead (when `terminal.ttyd` is set).

mod docker_client;
pub mod docker_tty;
mod error;
pub mod local_pty;
mod open;
pub mod session;
mod shell;
mod size;
#[allow(clippy::module_inception)]
mod terminal;
pub mod ttyd;

pub use error::TerminalError;
pub use open::{open, pick_session};
pub use shell::{SHELL_SESSION, pick_or_open_shell};
pub use size::TermSize;
pub use terminal::{Terminal, TerminalCloser, TerminalInput, TerminalOutput};
pub use ttyd::Ttyd;
