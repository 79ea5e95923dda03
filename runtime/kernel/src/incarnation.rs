//! One run of a child, from its factory to its exit. The actor's future is spawned as its own
//! task on an arbiter so that a panic in any handler ends that task alone; the task's join
//! result tells the supervisor whether the actor panicked, failed, stopped or was stopped.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix::{AsyncContext, Context};
use parking_lot::Mutex;
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinError};

use crate::child::{Carrier, Child, ExitCell};
use crate::child_ref::{Incarnation, Shared};
use crate::exit::{Exit, panic_message, short_type_name};
use crate::registry::{Entry, Registry};
use crate::workers::Workers;

/// A running incarnation, as its supervisor holds it.
pub(crate) struct Running {
    pub(crate) exit: oneshot::Receiver<Exit>,
    stop: Option<oneshot::Sender<()>>,
    abort: Arc<Mutex<Option<AbortHandle>>>,
}

impl Running {
    pub(crate) fn new() -> (Running, RunningEnds) {
        let (exit_tx, exit) = oneshot::channel();
        let (stop, stop_rx) = oneshot::channel();
        let abort = Arc::new(Mutex::new(None));
        (
            Running {
                exit,
                stop: Some(stop),
                abort: abort.clone(),
            },
            RunningEnds {
                exit: exit_tx,
                stop: stop_rx,
                abort,
            },
        )
    }

    /// Asks the child to stop; it finishes the message in hand, runs `stopping`, and exits.
    pub(crate) fn request_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Hands the exit over to whoever watches it in place of the supervisor.
    pub(crate) fn take_exit(&mut self) -> oneshot::Receiver<Exit> {
        std::mem::replace(&mut self.exit, oneshot::channel().1)
    }

    /// Drops the child's task where it stands, for a child that did not stop in time.
    pub(crate) fn kill(&self) {
        if let Some(abort) = self.abort.lock().take() {
            abort.abort();
        }
    }
}

/// The incarnation's side of [`Running`].
pub(crate) struct RunningEnds {
    pub(crate) exit: oneshot::Sender<Exit>,
    pub(crate) stop: oneshot::Receiver<()>,
    pub(crate) abort: Arc<Mutex<Option<AbortHandle>>>,
}

/// Starts incarnations of one child.
pub(crate) trait Starter: Send + Sync {
    /// Joins the tree: called once, when the child's supervisor registers it.
    fn attach(&mut self, entry: &Arc<Entry>, registry: &Arc<Registry>, workers: &Arc<Workers>);
    fn start(&self, workers: &Arc<Workers>, entry: &Arc<Entry>) -> Running;
    /// The child will not run again.
    fn finished(&self);
}

pub(crate) type Factory<A> = dyn Fn() -> Result<A, String> + Send + Sync;

pub(crate) struct ActorStarter<A: Child> {
    pub(crate) factory: Arc<Factory<A>>,
    pub(crate) shared: Arc<Shared<A>>,
}

impl<A: Child> Starter for ActorStarter<A> {
    fn attach(&mut self, entry: &Arc<Entry>, _registry: &Arc<Registry>, _workers: &Arc<Workers>) {
        self.shared.attach(entry.clone());
    }

    fn start(&self, workers: &Arc<Workers>, entry: &Arc<Entry>) -> Running {
        let (running, ends) = Running::new();
        let factory = self.factory.clone();
        let shared = self.shared.clone();
        let entry = entry.clone();
        let RunningEnds { exit, stop, abort } = ends;
        let exit = Arc::new(Mutex::new(Some(exit)));
        let exit_if_not_spawned = exit.clone();
        let spawned = workers.pick().spawn_fn(move || {
            let report = move |e: Exit| {
                if let Some(tx) = exit.lock().take() {
                    let _ = tx.send(e);
                }
            };
            let actor = match std::panic::catch_unwind(AssertUnwindSafe(|| factory())) {
                Ok(Ok(actor)) => actor,
                Ok(Err(err)) => return report(Exit::Failed(format!("could not start: {err}"))),
                Err(panic) => {
                    return report(Exit::Failed(format!(
                        "panicked while starting: {}",
                        panic_message(panic.as_ref())
                    )));
                }
            };
            let cell = Arc::new(ExitCell::default());
            let ctx = Context::new();
            let addr = ctx.address();
            let task = tokio::task::spawn_local(ctx.into_future(Carrier::new(
                actor,
                entry.clone(),
                cell.clone(),
                shared.retirer(),
                stop,
            )));
            *abort.lock() = Some(task.abort_handle());
            entry.new_mailbox();
            shared.set(Incarnation::Running(addr));
            tokio::task::spawn_local(async move {
                let joined = task.await;
                shared.set(Incarnation::Between);
                report(classify(joined, &cell, &entry));
            });
        });
        if !spawned && let Some(tx) = exit_if_not_spawned.lock().take() {
            let _ = tx.send(Exit::Failed(
                "the kernel's worker threads have stopped".into(),
            ));
        }
        running
    }

    fn finished(&self) {
        self.shared.set(Incarnation::Stopped);
    }
}

fn classify(joined: Result<(), JoinError>, cell: &ExitCell, entry: &Entry) -> Exit {
    match joined {
        Err(err) if err.is_panic() => {
            let message = panic_message(err.into_panic().as_ref());
            Exit::Failed(match entry.in_flight() {
                Some(msg) => format!(
                    "panicked while handling {}: {message}",
                    short_type_name(msg)
                ),
                None => format!("panicked: {message}"),
            })
        }
        // Aborted: killed after it did not stop in time.
        Err(_) => Exit::Shutdown,
        Ok(()) => match cell.failure() {
            Some(reason) => Exit::Failed(reason),
            None if cell.stop_requested() => Exit::Shutdown,
            None => Exit::Normal,
        },
    }
}
