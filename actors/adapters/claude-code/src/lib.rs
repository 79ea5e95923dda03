//! plinth's Claude Code adapter: runs the Claude Code CLI in a tmux session of the task's
//! sandbox, types the user's messages into it, and turns its hooks, the model proxy's calls
//! and its screen into a status and a transcript. A permission dialog is asked as a
//! question (`events.ask`: "Allow Bash?", the command, Yes / Yes, and don't ask again / No);
//! its `answer`, or a message saying yes or no, picks the dialog's choice.
//!
//! - [`driver`]: start/resume, signals and stop, through the capabilities.
//! - [`decide`]: signal + state → new state and effects (pure).
//! - [`delivery`]: when and how a queued message is typed in (pure); [`answer`]: a dialog's
//!   choices, and the keys an answer types.
//! - [`saved`] and [`phase`]: what survives a restart.
//! - [`config`] and [`launch`]: Claude Code's config files, command and environment.
//! - [`hooks`], [`screen`], [`reply`], [`tool_use`]: reading what Claude Code shows.
//! - [`trouble`]: what stops Claude Code that only its user can fix.
//! - [`caps`] and [`host`]: the capabilities as a trait, and over the WIT imports.

pub use guest_support::{exports, plinth};

pub mod answer;
pub mod caps;
pub mod config;
pub mod decide;
pub mod delivery;
pub mod driver;
pub mod guest;
pub mod hooks;
pub mod host;
pub mod launch;
pub mod phase;
pub mod reply;
pub mod saved;
pub mod screen;
pub mod tool_use;
pub mod trouble;

#[cfg(test)]
mod decide_tests;
#[cfg(test)]
mod driver_tests;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod screens;

// Exported only in the component: the export names (`plinth:agent/agent@0.2.0#start`)
// are not symbols a host linker takes, and host builds exist only for the unit tests.
#[cfg(target_arch = "wasm32")]
use guest::ClaudeCode;
#[cfg(target_arch = "wasm32")]
guest_support::export!(ClaudeCode);
