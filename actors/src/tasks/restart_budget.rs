//! An agent's restarts are its task's business. Each task's agent host runs under the
//! `tasks` supervisor with a restart budget of its own (`tasks.max_restarts` within
//! `tasks.restart_window_ms`, with backoff), so a crash-looping adapter never counts
//! against the supervisor, which never gives up because of agents. Past its budget the
//! host is not restarted: a monitor hears it, and the task fails with the reason.
//!
//! The failure goes through the store as the agent's `task.status` (`failed`, with the
//! reason as its detail), the way an adapter reports its own failure: the service's status
//! follower records it from its cursor, so it is applied even if plinth stops right after,
//! and the task is announced, synced and never resumed, like any failed task.

use std::time::Duration;

use plinth_kernel::{Backoff, Down, Intensity, Monitor, RestartBudget};
use plinth_store::{NewEvent, Store};
use serde_json::json;

use super::agent_hosts::AgentHosts;
use crate::agent_host::kind;
use crate::config::TaskConfig;
use crate::limits::RESTART_BACKOFF_INITIAL;
use crate::limits::RESTART_BACKOFF_MAX;

/// Each task's agent host gets this budget.
pub fn budget(config: &TaskConfig) -> RestartBudget {
    RestartBudget {
        intensity: Intensity {
            max_restarts: config.max_restarts,
            within: config.restart_window(),
        },
        backoff: Backoff {
            initial: RESTART_BACKOFF_INITIAL,
            max: RESTART_BACKOFF_MAX,
            factor: 2,
        },
    }
}

/// Waits (on the current worker, past the service's incarnation: the host outlives it) for
/// task `id`'s agent host to end for good, and fails the task if it spent its budget. Any
/// other end is someone's decision (a stop, a lost environment, plinth stopping) and is
/// recorded by whoever made it.
pub(super) fn watch(running: AgentHosts, store: Store, id: String, host: Monitor) {
    actix::spawn(async move {
        let Down::BudgetSpent {
            exits,
            within,
            last,
        } = host.await
        else {
            return;
        };
        // Signals for it are dropped from now on, not sent to a host that is gone.
        running.remove(&id);
        let reason = reason(exits, within, &last);
        tracing::warn!(task = %id, %reason, "the task's agent spent its restart budget");
        let status = NewEvent::new(kind::STATUS, json!({"status": "failed", "detail": reason}))
            .for_task(&id);
        if let Err(err) = store.append(status).await {
            tracing::error!(task = %id, %err, "cannot record that the task's agent gave up");
        }
    });
}

/// "the adapter failed 6 times in 60 s (5 restarts allowed): adapter's start: …"
pub fn reason(exits: u32, within: Duration, last: &str) -> String {
    let window = if within.as_millis().is_multiple_of(1000) {
        format!("{} s", within.as_secs())
    } else {
        format!("{} ms", within.as_millis())
    };
    let count = if exits == 1 {
        "once".to_string()
    } else {
        format!("{exits} times")
    };
    format!(
        "the adapter failed {count} in {window} ({} restarts allowed): {last}",
        exits.saturating_sub(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_says_how_often_within_what_and_the_last_failure() {
        assert_eq!(
            reason(6, Duration::from_secs(60), "adapter's start: wasm trap"),
            "the adapter failed 6 times in 60 s (5 restarts allowed): adapter's start: wasm trap"
        );
        assert_eq!(
            reason(1, Duration::from_millis(1500), "x"),
            "the adapter failed once in 1500 ms (0 restarts allowed): x"
        );
    }

    #[test]
    fn the_budget_comes_from_the_task_settings() {
        let mut config = crate::config::Config::default().tasks;
        config.max_restarts = 2;
        config.restart_window_ms = 30_000;
        let b = budget(&config);
        assert_eq!(b.intensity.max_restarts, 2);
        assert_eq!(b.intensity.within, Duration::from_secs(30));
        assert_eq!(b.backoff.delay(1), RESTART_BACKOFF_INITIAL);
    }
}
