//! What reaches a running task from outside besides a stop: a person's message, its agent's
//! hooks, and a resume after a stop. Handlers of the [`TaskService`], kept apart from its
//! life cycle.

use actix::{AsyncContext, Message, ResponseFuture};
use chrono::Utc;
use plinth_kernel::{Ctx, Handle};
use plinth_store::NewEvent;
use plinth_wasm::wit::{HookEvent, Signal};

use super::record::{Lifecycle, Task};
use super::service::{Launch, Launched, TaskError, TaskService};
use crate::agent_host::Deliver;
use crate::environments::StartEnvironment;

/// A message for the task's agent, as if the user typed it.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct SendMessage {
    pub id: String,
    pub text: String,
}

/// Starts a stopped task again: its environment comes back as it was left, and its agent
/// starts with its saved state.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct ResumeTask {
    pub id: String,
}

impl Handle<SendMessage> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: SendMessage, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        if msg.text.trim().is_empty() {
            return Box::pin(async move { Err(TaskError::EmptyMessage) });
        }
        if !task.lifecycle.is_active() {
            let err = TaskError::WrongState {
                id: task.id.clone(),
                state: task.lifecycle.name(),
                action: "a message",
                needs: "running (resume it first)",
            };
            return Box::pin(async move { Err(err) });
        }
        // While its agent host is being started (a new task, a restart of plinth) the
        // message is held for it.
        let target = self.route_signal(&task.id, Signal::UserMessage(msg.text));
        Box::pin(async move {
            if let Some((host, signal)) = target {
                host.send(Deliver(signal))
                    .await
                    .map_err(|e| TaskError::Actor(e.to_string()))?;
            }
            Ok(task)
        })
    }
}

impl Handle<ResumeTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: ResumeTask, ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let mut task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        if task.lifecycle != Lifecycle::Stopped {
            let err = TaskError::WrongState {
                id: task.id.clone(),
                state: task.lifecycle.name(),
                action: "resume",
                // An ended task's adapter state is final: its agent would not go on.
                needs: if task.lifecycle.is_ended() {
                    "stopped; an ended task's agent cannot go on (start a new task for more; \
                     its diff, sync and terminal still work)"
                } else {
                    "stopped"
                },
            };
            return Box::pin(async move { Err(err) });
        }
        task.lifecycle = Lifecycle::Starting;
        task.updated_at = Utc::now();
        let saved = self.save(task.clone(), "task.resumed");
        let environments = self.deps.environments.clone();
        let id = task.id.clone();
        let addr = ctx.actix().address();
        Box::pin(async move {
            let task = saved.await?;
            // The environment first, so the launch finds it running rather than making one.
            let started = environments
                .send(StartEnvironment { task: id.clone() })
                .await
                .map_err(|e| TaskError::Actor(e.to_string()))?;
            match started {
                Ok(_) => addr.do_send(Launch(task.clone())),
                Err(err) => addr.do_send(Launched {
                    task: task.id.clone(),
                    result: Err(err.to_string()),
                }),
            }
            Ok(task)
        })
    }
}

/// A hook the task's agent posted (Claude Code's SessionStart, PreToolUse, Stop, ...):
/// recorded as a `task.hook` event and given to the adapter as a signal.
#[derive(Message)]
#[rtype(result = "Result<(), TaskError>")]
pub struct DeliverHook {
    pub id: String,
    pub name: String,
    /// The hook's input, as the agent sent it (JSON).
    pub body: String,
}

impl Handle<DeliverHook> for TaskService {
    type Result = ResponseFuture<Result<(), TaskError>>;

    fn handle(&mut self, msg: DeliverHook, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        // A hook that arrives while the agent host is being started (between a restart
        // of plinth and the relaunch) is held for it.
        let signal = Signal::Hook(HookEvent {
            name: msg.name.clone(),
            body: msg.body.clone(),
        });
        let target = self.route_signal(&task.id, signal);
        let store = self.deps.store.clone();
        Box::pin(async move {
            let body: serde_json::Value = serde_json::from_str(&msg.body)
                .unwrap_or(serde_json::Value::String(msg.body.clone()));
            store
                .append(
                    NewEvent::new(
                        "task.hook",
                        serde_json::json!({"name": msg.name, "body": body}),
                    )
                    .for_task(&task.id),
                )
                .await?;
            if let Some((host, signal)) = target {
                host.send(Deliver(signal))
                    .await
                    .map_err(|e| TaskError::Actor(e.to_string()))?;
            }
            Ok(())
        })
    }
}

/// A signal for the task's agent from elsewhere in plinth (the model proxy's calls);
/// held while the task's agent host is being started, dropped when the task is not active.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SignalAgent {
    pub id: String,
    pub signal: Signal,
}

impl Handle<SignalAgent> for TaskService {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: SignalAgent, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let target = self.route_signal(&msg.id, msg.signal);
        Box::pin(async move {
            if let Some((host, signal)) = target {
                let _ = host.send(Deliver(signal)).await;
            }
        })
    }
}
