//! Where an agent runs: the unsafe local mode (a directory on the host and plinth's own
//! tmux server) here; Docker sandboxes in [`crate::environments`], which share the tmux
//! driving and session watching below.

mod confine;
mod local;
mod local_exec;
mod session_env;
mod task_sessions;
mod tmux;
mod watch;

pub use confine::confine;
pub use local::LocalSandbox;
pub use task_sessions::{DirResolver, TaskSessions};
pub use tmux::{HostTmux, PaneState, TmuxOutput, TmuxRunner, TmuxServer};
pub use watch::SessionWatch;
