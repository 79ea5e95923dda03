//! What an actor implements to run under the kernel: plain structs with handlers; the kernel
//! wraps them in an actix actor ([`Host`]) that counts, catches and reports.

use std::sync::Arc;

use actix::dev::MessageResponse;
use actix::{ActorContext, Context, Message};

use crate::child_ref::{Incarnation, Shared};
use crate::host::{ExitCell, Host};
use crate::registry::Entry;

/// An actor the kernel can supervise. Built by a factory on every (re)start, so a restart
/// never reuses a struct a panic may have left half-updated.
pub trait Child: Sized + Unpin + 'static {
    fn started(&mut self, _ctx: &mut Ctx<'_, Self>) {}
    fn stopping(&mut self, _ctx: &mut Ctx<'_, Self>) {}
}

/// Handles message `M`. A panic in `handle` becomes a failure of this actor, with the panic's
/// message and the message type, and the caller gets [`crate::SendError::Died`].
pub trait Handle<M: Message>: Child {
    type Result: MessageResponse<Host<Self>, M>;
    fn handle(&mut self, msg: M, ctx: &mut Ctx<'_, Self>) -> Self::Result;
}

/// The actor's view of itself while it runs a hook or a handler.
pub struct Ctx<'a, A: Child> {
    pub(crate) actix: &'a mut Context<Host<A>>,
    pub(crate) entry: &'a Arc<Entry>,
    pub(crate) exit: &'a Arc<ExitCell>,
    pub(crate) shared: &'a Arc<Shared<A>>,
}

impl<A: Child> Ctx<'_, A> {
    pub fn id(&self) -> u64 {
        self.entry.id()
    }

    /// The path in the supervision tree, e.g. `root/projects`.
    pub fn name(&self) -> &str {
        self.entry.name()
    }

    /// Stops this actor as a failure: its supervisor sees `reason` and applies its policy.
    pub fn fail(&mut self, reason: impl Into<String>) {
        self.exit.fail(reason.into());
        self.stop();
    }

    /// Stops this actor normally (a transient child is then not restarted).
    pub fn stop(&mut self) {
        // New sends wait for the next incarnation (if any) rather than reach this one.
        self.shared.set(Incarnation::Between);
        self.actix.stop();
    }

    /// actix's own context, for timers, streams and spawned futures.
    pub fn actix(&mut self) -> &mut Context<Host<A>> {
        self.actix
    }
}
