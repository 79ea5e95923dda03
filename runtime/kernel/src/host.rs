//! The actix actor that carries a [`Child`]: it keeps the registry's counters, listens for
//! its supervisor's stop, and records a reported failure. A panic ends the actor's task; the
//! task's join result, in [`crate::incarnation`], turns it into the failure.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix::fut::ActorFutureExt;
use actix::{Actor, ActorContext, AsyncContext, Context, Handler, Message, Running};
use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::child::{Child, Ctx, Handle};
use crate::child_ref::{Incarnation, Shared};
use crate::registry::Entry;

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

pub struct Host<A: Child> {
    inner: A,
    entry: Arc<Entry>,
    exit: Arc<ExitCell>,
    shared: Arc<Shared<A>>,
    stop: Option<oneshot::Receiver<()>>,
}

impl<A: Child> Host<A> {
    pub(crate) fn new(
        inner: A,
        entry: Arc<Entry>,
        exit: Arc<ExitCell>,
        shared: Arc<Shared<A>>,
        stop: oneshot::Receiver<()>,
    ) -> Self {
        Host {
            inner,
            entry,
            exit,
            shared,
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
                shared: &self.shared,
            },
        )
    }
}

impl<A: Child> Actor for Host<A> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // The stop request runs beside the mailbox, so a long queue does not delay it.
        if let Some(stop) = self.stop.take() {
            let exit = self.exit.clone();
            let shared = self.shared.clone();
            ctx.spawn(
                actix::fut::wrap_future::<_, Self>(stop).map(move |_, _, ctx| {
                    exit.request_stop();
                    shared.set(Incarnation::Between);
                    ctx.stop();
                }),
            );
        }
        self.entry.incarnated();
        let (inner, mut ctx) = self.ctx(ctx);
        inner.started(&mut ctx);
    }

    fn stopping(&mut self, ctx: &mut Context<Self>) -> Running {
        self.shared.set(Incarnation::Between);
        let (inner, mut ctx) = self.ctx(ctx);
        inner.stopping(&mut ctx);
        Running::Stop
    }
}

impl<A, M> Handler<M> for Host<A>
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
                self.shared.set(Incarnation::Between);
                std::panic::resume_unwind(panic)
            }
        }
    }
}
