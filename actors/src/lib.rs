//! plinth's actors. Each runs under a kernel supervisor and keeps everything it must not
//! lose in the store, so a restart rebuilds it from there.
//!
//! - [`projects`]: the repositories plinth works on.
//! - [`task_inputs`]: what a task was asked to do, versioned for upgrades.
//! - [`config`]: `config.toml` and its `PLINTH_*` overrides, with where each value came from.
//! - [`builtin_adapters`]: the adapters plinth ships, embedded at build time.
//! - [`agents`]: the agent adapters plinth knows, and their grants.
//! - [`agent_host`]: the actor that runs a task's adapter component.
//! - [`sandbox`]: where an agent runs (unsafe local mode, for now).
//! - [`environments`]: Docker environments and their images.
//! - [`terminal`]: the web terminal's `tmux attach` client, on the host or in a container.
//! - `host_process`: running one of plinth's own commands (git, tmux) on the host.

pub mod agent_host;
pub mod agents;
pub mod builtin_adapters;
pub mod config;
pub mod environments;
mod host_process;
pub mod limits;
pub mod projects;
pub mod sandbox;
pub mod spend;
pub mod task_inputs;
pub mod tasks;
pub mod terminal;
