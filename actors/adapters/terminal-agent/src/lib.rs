//! What plinth's adapters for terminal agents share (Gemini CLI, Codex CLI): the agent runs
//! in a tmux session of the task's sandbox, the user's messages are typed into it when its
//! screen is ready, and its hooks, the model proxy's calls, its screen and its exit become
//! a status, questions and a transcript. Each agent supplies a [`profile::Profile`].
//!
//! - [`driver`]: start/resume, signals and stop, through the capabilities.
//! - [`decide`]: signal + state → new state and effects (pure).
//! - [`delivery`]: when and how a queued message or an answer is typed (pure).
//! - [`question`]: an agent's question, its choices, and a message read as an answer.
//! - [`saved`] and [`phase`]: what survives a restart.
//! - [`profile`], [`config`], [`launch`]: what each agent supplies, config merging and the
//!   hook command, the session.
//! - [`tool_use`], [`trouble`]: transcript entries for tools, errors only the user can fix.
//! - [`caps`], [`host`], [`fake`]: the capabilities as a trait, over the WIT imports, and
//!   recorded for tests.
//! - [`guest`]: the exports, for each agent's component to hand its calls to.

pub mod caps;
pub mod config;
pub mod decide;
pub mod delivery;
pub mod driver;
pub mod fake;
pub mod guest;
pub mod host;
pub mod launch;
pub mod phase;
pub mod profile;
pub mod question;
pub mod saved;
pub mod tool_use;
pub mod trouble;

#[cfg(test)]
mod driver_tests;
