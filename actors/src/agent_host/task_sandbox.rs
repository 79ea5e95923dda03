//! What an agent host needs from the task's sandbox: the two capabilities that act inside
//! it, and what it noticed on its own (a screen that changed, a program that ended); and
//! what a viewer needs to watch along: the tmux server the task's sessions live on.

use std::sync::Arc;

use plinth_wasm::wit::Signal;
use plinth_wasm::{EnvironmentCap, TmuxCap};

use crate::sandbox::TaskSessions;

/// A task's running sandbox (`LocalSandbox` or `DockerSandbox`), as the agent host and the
/// viewers use it. Which of the two a task asked for is [`crate::task_inputs::Sandbox`].
pub trait TaskSandbox: Send + Sync + 'static {
    fn tmux(self: Arc<Self>) -> Arc<dyn TmuxCap>;
    fn environment(self: Arc<Self>) -> Arc<dyn EnvironmentCap>;
    /// Signals since the last poll, oldest first. Called on every tick.
    fn poll(&self) -> Vec<Signal>;
    /// Where the repository's working copy is, as the agent sees it.
    fn workdir(&self) -> String;
    /// The agent's home directory, as the agent sees it.
    fn home(&self) -> String;
    /// The task's tmux sessions, for readers other than the adapter (the scrollback
    /// capture; the web terminal attaches to their server, `task_sessions().tmux()`).
    fn task_sessions(&self) -> &TaskSessions;
}
