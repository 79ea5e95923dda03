//! What is handed to a task's agent from outside: a person's message ([`SendMessage`]), its
//! agent's hooks ([`DeliverHook`]), and plinth's own signals ([`SignalAgent`]). While the
//! agent host is being started (a new task, a restart of plinth) each is held for it.

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};
use plinth_store::NewEvent;
use plinth_wasm::wit::{HookEvent, Signal};

use super::error::TaskError;
use super::protocol::{DeliverHook, SendMessage, SignalAgent};
use super::record::Task;
use super::state::TaskService;
use crate::agent_host::Deliver;

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
        let handed = self.signal_agent(&task.id, Signal::UserMessage(msg.text));
        Box::pin(async move {
            handed.await?;
            Ok(task)
        })
    }
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
        let handed = self.signal_agent(&task.id, signal);
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
            handed.await
        })
    }
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
