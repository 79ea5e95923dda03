//! plinth's actors. Each runs under a kernel supervisor and keeps everything it must not
//! lose in the store, so a restart rebuilds it from there.
//!
//! - [`projects`]: the repositories plinth works on.
//! - [`task_inputs`]: what a task was asked to do, versioned for upgrades.
//! - [`builtin_adapters`]: the adapters plinth ships, embedded at build time.

pub mod builtin_adapters;
pub mod projects;
pub mod task_inputs;
