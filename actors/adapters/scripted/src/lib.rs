//! plinth's scripted agent: the task's prompt is a script (`#!scripted`, then one step a
//! line; the steps are listed in actors/adapters/README.md) that it follows through the
//! capability imports. `ask TEXT | CHOICE | CHOICE ...` asks a question (`events.ask`) and
//! waits for its answer, so tests can drive a wait a person answers at a glance. It stands in for a real agent in
//! plinth's tests, so it can also misbehave on purpose: trap, spin, grow without end.
//!
//! - [`script`]: the prompt parsed into steps.
//! - [`runner`]: runs the steps, blocking steps waiting on signals.
//! - [`progress`]: what is saved through `state` so a restart resumes.
//! - [`caps`] and [`host`]: the capabilities as a trait, and over the WIT imports.
//! - [`halt`]: the misbehaviours, carried out.

pub use guest_support::{exports, plinth};

pub mod caps;
pub mod guest;
pub mod halt;
pub mod host;
pub mod output;
pub mod progress;
pub mod runner;
pub mod script;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod runner_tests;

// Exported only in the component: the export names (`plinth:agent/agent@0.2.0#start`)
// are not symbols a host linker takes, and host builds exist only for the unit tests.
#[cfg(target_arch = "wasm32")]
use guest::Scripted;
#[cfg(target_arch = "wasm32")]
guest_support::export!(Scripted);
