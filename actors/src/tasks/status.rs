//! The agents' statuses into their tasks' records. Agents report through the store as
//! `task.status` events; the service follows them from a named cursor, so none is lost to a
//! restart. A status may end the task (`finished`, `failed`): it is then announced, its
//! work brought back and what it holds freed (`super::ending`). A status that waits for the
//! user brings the work back too. A status that asks a question keeps it on the record
//! until the next status.

use actix::AsyncContext;
use chrono::Utc;
use futures::StreamExt;
use plinth_kernel::{Ctx, Handle};
use plinth_store::EventFilter;

use super::ending::{announce_end, settle};
use super::protocol::{FollowerDown, StatusSeen};
use super::record::Lifecycle;
use super::state::TaskService;

/// The store cursor of the status follower: the last `task.status` event applied.
const STATUS_CURSOR: &str = "task-service/status";

impl TaskService {
    /// Follows `task.status` from where the last incarnation stopped applying them, then
    /// live; each is sent back as [`StatusSeen`].
    pub(super) fn follow_statuses(&self, ctx: &mut Ctx<'_, Self>) {
        let addr = ctx.actix().address();
        let after = self
            .deps
            .store
            .get_cursor(STATUS_CURSOR)
            .ok()
            .flatten()
            .unwrap_or(0);
        let mut statuses = self
            .deps
            .store
            .subscribe(EventFilter::kind("task.status"), after);
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            while let Some(event) = statuses.next().await {
                let event = match event {
                    Ok(event) => event,
                    Err(err) => {
                        // A new incarnation re-subscribes from the cursor: nothing is lost.
                        addr.do_send(FollowerDown(err.to_string()));
                        return;
                    }
                };
                let Some(task) = event.task.clone() else {
                    continue;
                };
                let text = |k: &str| event.data[k].as_str().unwrap_or_default().to_string();
                // Only `events.ask` writes a question; a malformed one is no question.
                let question = serde_json::from_value(event.data["question"].clone())
                    .ok()
                    .flatten();
                addr.do_send(StatusSeen {
                    seq: event.seq,
                    task,
                    status: text("status"),
                    detail: text("detail"),
                    question,
                });
            }
        }));
    }
}

impl Handle<FollowerDown> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: FollowerDown, ctx: &mut Ctx<'_, Self>) {
        ctx.fail(format!("following the agents' statuses failed: {}", msg.0));
    }
}

impl Handle<StatusSeen> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: StatusSeen, ctx: &mut Ctx<'_, Self>) {
        let store = self.deps.store.clone();
        let Ok(mut task) = self.get(&msg.task) else {
            // Not one of ours (an agent host run outside the service): only the cursor moves.
            ctx.actix().spawn(actix::fut::wrap_future(async move {
                let _ = store.set_cursor(STATUS_CURSOR, msg.seq).await;
            }));
            return;
        };
        task.agent_status = Some(msg.status.clone());
        task.agent_detail = Some(msg.detail.clone()).filter(|d| !d.is_empty());
        // Any status replaces the question: the agent asks again if it still waits.
        task.agent_question = msg.question.clone();
        let mut kind = "task.updated";
        if task.lifecycle.is_active() {
            match msg.status.as_str() {
                "finished" => {
                    task.lifecycle = Lifecycle::Finished;
                    kind = "task.finished";
                }
                "failed" => {
                    task.lifecycle = Lifecycle::Failed {
                        reason: if msg.detail.is_empty() {
                            "the agent failed".into()
                        } else {
                            msg.detail.clone()
                        },
                    };
                    kind = "task.failed";
                }
                _ => task.lifecycle = Lifecycle::Running,
            }
        }
        task.updated_at = Utc::now();
        // The agent stopped to wait (Claude Code's Stop hook ends a turn in `idle`), is done,
        // or failed: what it committed goes back to the user's repository now. A task that
        // has just ended is then released (its agent host ended, its environment stopped).
        let ended = kind != "task.updated";
        if !ended
            && matches!(
                msg.status.as_str(),
                "idle" | "waiting-for-user" | "finished" | "failed"
            )
        {
            self.sync_later(&task, ctx);
        }
        let saved = self.save(task, kind);
        let deps = self.deps.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            let task = match saved.await {
                Ok(task) => task,
                Err(err) => {
                    tracing::error!(%err, task = %msg.task, "cannot record the agent's status");
                    return;
                }
            };
            // Only the status that ended the task announces it, not later ones.
            if ended {
                announce_end(&store, &task).await;
            }
            let _ = store.set_cursor(STATUS_CURSOR, msg.seq).await;
            if ended {
                settle(&deps, task).await;
            }
        }));
    }
}
