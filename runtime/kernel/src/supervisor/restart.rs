//! The restart decision: what a child's exit leads to under its restart type, the
//! supervisor's strategy and intensity, or the child's own budget.

use std::time::{Duration, Instant};

use crate::exit::Exit;
use crate::monitor::Down;
use crate::policy::{Restart, RestartBudget};
use crate::registry::ActorState;

use super::Supervisor;
use super::slot::Slot;

impl Supervisor {
    /// Applies the policy to child `i`'s exit; `Some` when this supervisor gives up.
    pub(super) async fn on_exit(&mut self, i: usize, exit: Exit) -> Option<Exit> {
        let slot = &mut self.slots[i];
        slot.running = None;
        slot.last_exit = exit.clone();
        if let Exit::Failed(reason) = &exit {
            tracing::warn!(actor = %slot.entry.name(), %reason, "actor failed");
            slot.entry.set_error(reason.clone());
        }
        if !slot.restart.restarts_after(&exit) {
            slot.entry.set_state(if exit.is_failure() {
                ActorState::Failed
            } else {
                ActorState::Stopped
            });
            slot.finish(Down::Exited(exit));
            return None;
        }
        let now = Instant::now();
        if let Some(budget) = slot.budget {
            restart_alone(slot, budget, &exit, now);
            return None;
        }
        if !self.log.allow(self.intensity, now) {
            return Some(self.give_up(i, &exit).await);
        }
        let affected = self.strategy.affected(i, self.slots.len());
        // Siblings that were running (or about to) come back; finished ones stay finished.
        let live: Vec<usize> = affected
            .clone()
            .filter(|&j| {
                j == i || self.slots[j].running.is_some() || self.slots[j].restart_at.is_some()
            })
            .collect();
        for &j in live.iter().rev() {
            if j != i {
                self.stop_slot(j).await;
            }
        }
        let nth = self.slots[i].log.record(now, self.intensity.within);
        let at = now + self.backoff.delay(nth);
        for j in live {
            let slot = &mut self.slots[j];
            if j != i && slot.restart == Restart::Temporary {
                slot.finish(Down::Exited(Exit::Shutdown));
                continue;
            }
            slot.entry.count_restart();
            slot.entry.set_state(ActorState::Restarting);
            slot.restart_at = Some(at);
        }
        None
    }

    async fn give_up(&mut self, i: usize, exit: &Exit) -> Exit {
        let within = self.intensity.within;
        let last = match exit {
            Exit::Failed(reason) => reason.clone(),
            other => format!("{other:?}"),
        };
        let slot = &mut self.slots[i];
        let reason = format!(
            "`{}` needed more than {} restarts within {}; last failure: {last}",
            slot.name,
            self.intensity.max_restarts,
            human(within)
        );
        slot.entry.set_error(format!(
            "not restarted: restart limit reached ({} within {}); last failure: {last}",
            self.intensity.max_restarts,
            human(within)
        ));
        slot.entry.set_state(ActorState::Failed);
        self.stop_all().await;
        // `stop_all` marks every child stopped; the one that caused this stays failed.
        self.slots[i].entry.set_state(ActorState::Failed);
        let entry = &self.attached().entry;
        tracing::error!(supervisor = %entry.name(), %reason, "supervisor gives up");
        entry.set_error(reason.clone());
        entry.set_state(ActorState::Failed);
        Exit::Failed(reason)
    }
}

/// The policy for a child with a budget of its own: it alone is restarted, after its own
/// backoff, until it needs more restarts than its budget allows; then it is finished as
/// failed. Its supervisor's intensity and its siblings are not touched either way.
fn restart_alone(slot: &mut Slot, budget: RestartBudget, exit: &Exit, now: Instant) {
    let exits = slot.log.record(now, budget.intensity.within);
    if exits > budget.intensity.max_restarts {
        let within = budget.intensity.within;
        let last = match exit {
            Exit::Failed(reason) => reason.clone(),
            other => format!("{other:?}"),
        };
        tracing::warn!(actor = %slot.entry.name(), exits, %last, "restart budget spent; not restarted");
        slot.entry.set_error(format!(
            "not restarted: its restart budget is spent ({exits} exits within {}, {} restarts allowed); last failure: {last}",
            human(within),
            budget.intensity.max_restarts
        ));
        slot.entry.set_state(ActorState::Failed);
        slot.finish(Down::BudgetSpent {
            exits,
            within,
            last,
        });
        return;
    }
    slot.entry.count_restart();
    slot.entry.set_state(ActorState::Restarting);
    slot.restart_at = Some(now + budget.backoff.delay(exits));
}

fn human(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
