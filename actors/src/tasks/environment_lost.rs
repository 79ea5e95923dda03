//! A task whose environment failed under it (its container killed from outside, run out of
//! memory, removed): the agent cannot go on, whether or not it noticed. An agent waiting on
//! a timer, or between commands, would otherwise go on saying `working` for good. The
//! environment manager's `environment.failed` events are followed from a cursor; each one
//! for a running task fails the task, ends its agent host, and brings back what the agent
//! had committed (the sync wakes the stopped container just long enough, `super::wake`).
//!
//! A failure from before this start (a container that stopped while plinth was down, with
//! the machine, say) is not one: the start's launch starts the environment again and the
//! agent goes on.

use actix::AsyncContext;
use futures::StreamExt;
use plinth_kernel::{Ctx, Handle};
use plinth_store::EventFilter;

use super::agent_hosts::agent_host_name;
use super::ending::{announce_end, settle};
use super::protocol::EnvironmentLost;
use super::state::TaskService;

/// The store cursor of this follower: the last `environment.failed` event applied.
const CURSOR: &str = "task-service/environment-failed";

impl TaskService {
    /// Follows `environment.failed` from where the last incarnation stopped, then live.
    pub(super) fn follow_lost_environments(&self, ctx: &mut Ctx<'_, Self>) {
        let store = self.deps.store.clone();
        // The first start begins at the present (earlier failures were dealt with, or not,
        // by a plinth that did not follow them) and says so at once: a failure the
        // environment manager finds at a later start, before this follower runs, is then
        // read from the cursor rather than missed.
        let cursor = store.get_cursor(CURSOR).ok().flatten();
        let now = store.last_seq();
        let after = cursor.unwrap_or(now);
        let mut failures = store.subscribe(EventFilter::kind("environment.failed"), after);
        let addr = ctx.actix().address();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            if cursor.is_none() {
                let _ = store.set_cursor(CURSOR, after).await;
            }
            // A store failure ends the stream; the next start reads on from the cursor.
            while let Some(Ok(event)) = failures.next().await {
                let Some(task) = event.task.clone() else {
                    continue;
                };
                addr.do_send(EnvironmentLost {
                    seq: event.seq,
                    // Found while plinth was down (by the environment manager's start, or
                    // left by the last run): this start's launch starts it again.
                    before_start: event.seq <= now,
                    task,
                    reason: event.data["reason"]
                        .as_str()
                        .unwrap_or("it stopped")
                        .to_string(),
                });
            }
        }));
    }
}

impl Handle<EnvironmentLost> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: EnvironmentLost, ctx: &mut Ctx<'_, Self>) {
        let store = self.deps.store.clone();
        let task = match self.get(&msg.task) {
            Ok(task) if task.lifecycle.is_active() && !msg.before_start => task,
            // Not ours, or already ended (a stop removes its container on purpose).
            _ => {
                ctx.actix().spawn(actix::fut::wrap_future(async move {
                    let _ = store.set_cursor(CURSOR, msg.seq).await;
                }));
                return;
            }
        };
        let saved = self.fail(task, format!("its environment failed: {}", msg.reason));
        let deps = self.deps.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            // Nothing is left for its agent to drive.
            if deps.running.remove(&msg.task).is_some() {
                let _ = deps
                    .hosts
                    .terminate_child(&agent_host_name(&msg.task))
                    .await;
            }
            match saved.await {
                Ok(task) => {
                    announce_end(&deps.store, &task).await;
                    settle(&deps, task).await;
                }
                Err(err) => {
                    tracing::error!(%err, task = %msg.task, "cannot record the task's failure")
                }
            }
            let _ = deps.store.set_cursor(CURSOR, msg.seq).await;
        }));
    }
}
