//! What an actor implements to run under the kernel (plain structs with handlers), and the
//! actix actor that carries it ([`Carrier`]): it keeps the registry's counters, listens for its
//! supervisor's stop, and records a reported failure. A panic ends the actor's task; the
//! task's join result, in [`crate::incarnation`], turns it into the failure.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix::dev::MessageResponse;
use actix::fut::ActorFutureExt;
use actix::{Actor, ActorContext, AsyncContext, Context, Handler, Message, Running};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::registry::Entry;

/// Retires this incarnation's address, so that new sends wait for the next incarnation (if
/// any) rather than reach one that is ending. The child's stable address provides it.
pub(crate) type Retire = Arc<dyn Fn() + Send + Sync>;

/// An actor the kernel can supervise. Built by a factory on every (re)start, so a restart
/// never reuses a struct a panic may have left half-updated.
pub trait Child: Sized + Unpin + 'static {
    fn started(&mut self, _ctx: &mut Ctx<'_, Self>) {}
    fn stopping(&mut self, _ctx: &mut Ctx<'_, Self>) {}
}

/// Handles message `M`. A panic in `handle` becomes a failure of this actor, with the panic's
/// message and the message type, and the caller gets [`crate::SendError::Died`].
pub trait Handle<M: Message>: Child {
    type Result: MessageResponse<Carrier<Self>, M>;
    fn handle(&mut self, msg: M, ctx: &mut Ctx<'_, Self>) -> Self::Result;
}

/// The actor's view of itself while it runs a hook or a handler.
pub struct Ctx<'a, A: Child> {
    pub(crate) actix: &'a mut Context<Carrier<A>>,
    pub(crate) entry: &'a Arc<Entry>,
    pub(crate) exit: &'a Arc<ExitCell>,
    pub(crate) retire: &'a Retire,
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
        (self.retire)();
        self.actix.stop();
    }

    /// actix's own context, for timers, streams and spawned futures.
    pub fn actix(&mut self) -> &mut Context<Carrier<A>> {
        self.actix
    }
}

/// How an incarnation ended, as far as the actor itself knows.
#[derive(Default)]
pub struct ExitCell {
    failure: Mutex<Option<String>>,
    stop_requested: std::sync::atomic::AtomicBool,
}

impl ExitCell {
    pub(crate) fn fail(&self, reason: String) {
        self.failure.lock().get_or_insert(reason);
    }

    pub(crate) fn failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }

    pub(crate) fn request_stop(&self) {
        self.stop_requested
            .store(true, std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn stop_requested(&self) -> bool {
        self.stop_requested
            .load(std::sync::atomic::Ordering::Acquire)
    }
}

/// The actix actor that carries a [`Child`]: what a `ChildRef` addresses. (Named for what
/// it does; "host" in plinth means other things, see docs/architecture.md, "Names".)
pub struct Carrier<A: Child> {
    inner: A,
    entry: Arc<Entry>,
    exit: Arc<ExitCell>,
    retire: Retire,
    stop: Option<oneshot::Receiver<()>>,
}

impl<A: Child> Carrier<A> {
    pub(crate) fn new(
        inner: A,
        entry: Arc<Entry>,
        exit: Arc<ExitCell>,
        retire: Retire,
        stop: oneshot::Receiver<()>,
    ) -> Self {
        Carrier {
            inner,
            entry,
            exit,
            retire,
            stop: Some(stop),
        }
    }

    fn ctx<'a>(&'a mut self, actix: &'a mut Context<Self>) -> (&'a mut A, Ctx<'a, A>) {
        (
            &mut self.inner,
            Ctx {
                actix,
                entry: &self.entry,
                exit: &self.exit,
                retire: &self.retire,
            },
        )
    }
}

impl<A: Child> Actor for Carrier<A> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The stop request runs beside the mailbox, so a long queue does not delay it.
        if let Some(stop) = self.stop.take() {
            let exit = self.exit.clone();
            let retire = self.retire.clone();
            ctx.spawn(
                actix::fut::wrap_future::<_, Self>(stop).map(move |_, _, ctx| {
                    exit.request_stop();
                    retire();
                    ctx.stop();
                }),
            );
        }
        self.entry.incarnated();
        let (inner, mut ctx) = self.ctx(ctx);
        inner.started(&mut ctx);
    }

    fn stopping(&mut self, ctx: &mut Context<Self>) -> Running {
        (self.retire)();
        let (inner, mut ctx) = self.ctx(ctx);
        inner.stopping(&mut ctx);
        Running::Stop
    }
}

impl<A, M> Handler<M> for Carrier<A>
where
    A: Handle<M>,
    M: Message + 'static,
{
    type Result = <A as Handle<M>>::Result;

    fn handle(&mut self, msg: M, ctx: &mut Context<Self>) -> Self::Result {
        crate::spin::caught_up();
        self.entry.begin(std::any::type_name::<M>());
        let (inner, mut ctx) = self.ctx(ctx);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| inner.handle(msg, &mut ctx)));
        match result {
            Ok(result) => {
                self.entry.end();
                result
            }
            Err(panic) => {
                // Retire this address before the caller learns of the failure, so its next
                // send waits for the next incarnation instead of hitting this dying one.
                (self.retire)();
                std::panic::resume_unwind(panic)
            }
        }
    }
}
