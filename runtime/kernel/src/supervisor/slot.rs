//! A supervisor's record of one child: how to start it, its registry entry, the running
//! incarnation if any, its restart log and whoever monitors it.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use tokio::sync::oneshot;

use crate::exit::Exit;
use crate::incarnation::{Running, Starter};
use crate::monitor::Down;
use crate::policy::{Restart, RestartBudget, RestartLog};
use crate::registry::Entry;

pub(super) struct Slot {
    pub(super) name: String,
    pub(super) restart: Restart,
    pub(super) starter: Box<dyn Starter>,
    pub(super) entry: Arc<Entry>,
    pub(super) running: Option<Running>,
    pub(super) restart_at: Option<Instant>,
    pub(super) log: RestartLog,
    pub(super) budget: Option<RestartBudget>,
    pub(super) monitors: Vec<oneshot::Sender<Down>>,
    /// What its monitors hear should its supervisor end it for good without a new exit.
    pub(super) last_exit: Exit,
}

impl Slot {
    /// The child will not run again: its incarnations' callers and its monitors learn so.
    pub(super) fn finish(&mut self, down: Down) {
        self.starter.finished();
        for monitor in self.monitors.drain(..) {
            let _ = monitor.send(down.clone());
        }
    }
}

/// The first child whose running incarnation has exited, and how.
pub(super) async fn next_exit(slots: &mut [Slot]) -> (usize, Exit) {
    poll_fn(|cx| {
        for (i, slot) in slots.iter_mut().enumerate() {
            if let Some(running) = &mut slot.running
                && let Poll::Ready(result) = Pin::new(&mut running.exit).poll(cx)
            {
                let exit = result
                    .unwrap_or_else(|_| Exit::Failed("its task vanished without an exit".into()));
                return Poll::Ready((i, exit));
            }
        }
        Poll::Pending
    })
    .await
}
