//! Monitors (Erlang's `monitor/2`, for a supervised child): someone outside the tree learns
//! when a child has ended for good, and why. A restart is not an end; a child that will not
//! run again is, however that came about.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::exit::Exit;

/// How a child ended for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Down {
    /// Its restart type makes this exit final, or its supervisor stopped it for good
    /// (removed, a temporary sibling in one_for_all, the tree stopping: `Exit::Shutdown`).
    Exited(Exit),
    /// It needed one restart more than its own [`crate::RestartBudget`] allows: `exits`
    /// that called for a restart within `within` (failures, for a transient child), the
    /// last one for `last`.
    BudgetSpent {
        exits: u32,
        within: Duration,
        last: String,
    },
}

impl Down {
    pub fn is_failure(&self) -> bool {
        match self {
            Down::Exited(exit) => exit.is_failure(),
            Down::BudgetSpent { .. } => true,
        }
    }
}

/// Resolves once the child it watches has ended for good.
pub struct Monitor(pub(crate) oneshot::Receiver<Down>);

impl Monitor {
    pub(crate) fn new() -> (oneshot::Sender<Down>, Monitor) {
        let (tx, rx) = oneshot::channel();
        (tx, Monitor(rx))
    }
}

impl Future for Monitor {
    type Output = Down;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Down> {
        Pin::new(&mut self.0).poll(cx).map(|got| {
            // The supervisor vanished without finishing its children (it panicked and lost
            // its state): nothing will run the child again.
            got.unwrap_or_else(|_| {
                Down::Exited(Exit::Failed(
                    "its supervisor ended without saying how it did".into(),
                ))
            })
        })
    }
}
