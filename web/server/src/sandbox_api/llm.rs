//! The model proxy as tasks see it: their token opens it, and what it reads off their model
//! calls becomes the task's events (`task.llm.*`, with the number of calls in flight) and
//! signals to its adapter (`llm-call-started`, `llm-call-finished`), in order.

use std::collections::HashMap;

use plinth_actors::tasks::{SignalAgent, TaskKeys, TaskService};
use plinth_kernel::ChildRef;
use plinth_store::{NewEvent, Store};
use plinth_wasm::wit::{LlmCall, LlmResult, Signal};
use serde_json::Value;
use tokio::sync::mpsc;

use super::cut_calls;
use crate::llm_proxy::{ProxyEvent, ProxyHost};

pub struct TaskProxyHost {
    keys: TaskKeys,
    events: mpsc::UnboundedSender<(String, ProxyEvent)>,
}

impl TaskProxyHost {
    /// The host, and the task that publishes its events until the proxy is dropped.
    pub fn start(keys: TaskKeys, store: Store, tasks: ChildRef<TaskService>) -> Self {
        let (events, rx) = mpsc::unbounded_channel();
        tokio::spawn(publish(rx, store, tasks));
        TaskProxyHost { keys, events }
    }
}

impl ProxyHost for TaskProxyHost {
    fn authorize(&self, task: &str, token: &str) -> bool {
        self.keys.verify(task, token)
    }

    fn event(&self, task: &str, event: ProxyEvent) {
        // On the request's path: a channel send, never a wait.
        let _ = self.events.send((task.to_string(), event));
    }
}

async fn publish(
    mut rx: mpsc::UnboundedReceiver<(String, ProxyEvent)>,
    store: Store,
    tasks: ChildRef<TaskService>,
) {
    // Before this server's first call is reported: whatever is open then was cut.
    match cut_calls::close(&store).await {
        Ok(0) => {}
        Ok(closed) => tracing::info!(closed, "closed the model calls a kill of plinth cut"),
        Err(err) => tracing::warn!(%err, "cannot close the model calls a kill of plinth cut"),
    }
    let mut in_flight: HashMap<String, u32> = HashMap::new();
    while let Some((task, event)) = rx.recv().await {
        let count = in_flight.entry(task.clone()).or_default();
        let (kind, signal) = match &event {
            ProxyEvent::CallStarted { id, model } => {
                *count += 1;
                (
                    "task.llm.started",
                    Some(Signal::LlmCallStarted(LlmCall {
                        id: id.clone(),
                        model: model.clone(),
                    })),
                )
            }
            ProxyEvent::TextDelta { .. } => ("task.llm.text", None),
            ProxyEvent::ToolUse { .. } => ("task.llm.tool", None),
            ProxyEvent::Usage { .. } => ("task.llm.usage", None),
            ProxyEvent::CallFinished {
                id,
                model,
                stop_reason,
                input_tokens,
                output_tokens,
                error,
                ..
            } => {
                *count = count.saturating_sub(1);
                (
                    "task.llm.finished",
                    Some(Signal::LlmCallFinished(LlmResult {
                        id: id.clone(),
                        model: model.clone(),
                        stop_reason: stop_reason.clone(),
                        input_tokens: u32::try_from(*input_tokens).unwrap_or(u32::MAX),
                        output_tokens: u32::try_from(*output_tokens).unwrap_or(u32::MAX),
                        error: error.clone(),
                    })),
                )
            }
        };
        let mut data = serde_json::to_value(&event).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut data {
            map.insert("in_flight".into(), Value::from(*count));
        }
        if *count == 0 {
            in_flight.remove(&task);
        }
        if let Err(err) = store
            .append(NewEvent::new(kind, data).for_task(&task))
            .await
        {
            tracing::warn!(%err, task, "cannot record a model call's event");
        }
        if let Some(signal) = signal {
            let _ = tasks.send(SignalAgent { id: task, signal }).await;
        }
    }
}
