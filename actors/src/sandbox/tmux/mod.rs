//! A tmux server of plinth's own (its own socket, so the user's tmux is never touched),
//! driven through the `tmux` command. Sessions are named `<task>--<name>`: an adapter only
//! ever names its own, and cannot reach another task's.
//!
//! The command lines are the same whether tmux runs on the host (unsafe local mode) or
//! inside a container; only how one `tmux` invocation is carried out differs, which is what
//! a [`TmuxRunner`] does.
//!
//! - `server`: [`TmuxServer`], the session operations the adapters' capability asks for.
//! - `command`: the command lines those operations send, and how arguments are spelled.
//! - `pane`: what tmux reports about a pane, and how it is read back.
//! - `runner`: [`TmuxRunner`], and [`HostTmux`], which runs tmux on the host.
//! - `session_env`: how a session's variables reach its program.

mod command;
mod pane;
mod runner;
mod server;
mod session_env;

pub use pane::PaneState;
pub use runner::{HostTmux, TmuxOutput, TmuxRunner};
pub use server::TmuxServer;
