//! Where an agent runs. This step has the unsafe local mode (a directory on the host and
//! plinth's own tmux server); Docker sandboxes come with the environment manager.

mod confine;
mod local;
mod local_exec;
mod tmux;

pub use confine::confine;
pub use local::LocalSandbox;
pub use tmux::{PaneState, TmuxServer};
