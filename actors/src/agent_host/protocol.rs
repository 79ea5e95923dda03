//! What an agent host takes and what it answers: read this first. A host is built from an
//! [`AgentSpec`](super::AgentSpec) (see `spec`).
//!
//! | message       | answers                                                             |
//! |---------------|---------------------------------------------------------------------|
//! | [`Deliver`]   | nothing: the signal is queued for the adapter, in order             |
//! | [`StopAgent`] | once the adapter's `stop` returned, or why it could not run          |
//!
//! `GuestDown` is the host's own: its guest thread ended abnormally.

use actix::Message;
use plinth_wasm::wit::Signal;

/// A signal for the adapter (a hook, a user message, ...). Delivered in order. Handled in
/// `relay`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deliver(pub Signal);

/// Stops the task for good: the adapter's `stop` runs (it ends what it started). A host
/// stopped any other way (plinth shutting down, a restart) leaves the agent running.
/// Handled in `relay`.
#[derive(Message)]
#[rtype(result = "Result<(), String>")]
pub struct StopAgent;

/// The guest thread ended abnormally; the actor fails with this reason. Handled in
/// `lifecycle`.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct GuestDown(pub String);
