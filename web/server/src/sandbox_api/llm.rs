//! The model proxy as tasks see it: their token opens it, and what it reads off their model
//! calls becomes the task's events (`task.llm.*`, with the number of calls in flight),
//! its spend (`task.spend`, priced as the calls go, the totals stored with each call's
//! end) and signals to its adapter (`llm-call-started`, `llm-call-finished`), in order.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use plinth_actors::spend::{self, BudgetReached, SpendBook, SpendView, Tokens};
use plinth_actors::tasks::notify::notify;
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
    spend: SpendBook,
    /// Tasks refused for their budget since it was last raised: the first refusal tells
    /// the user, later ones (the agent retrying) do not.
    refused: Mutex<HashSet<String>>,
    store: Store,
    events: mpsc::UnboundedSender<(String, ProxyEvent)>,
}

impl TaskProxyHost {
    /// The host, and the task that publishes its events until the proxy is dropped.
    pub fn start(
        keys: TaskKeys,
        store: Store,
        tasks: ChildRef<TaskService>,
        spend: SpendBook,
    ) -> Self {
        let (events, rx) = mpsc::unbounded_channel();
        tokio::spawn(publish(rx, store.clone(), tasks, spend.clone()));
        TaskProxyHost {
            keys,
            spend,
            refused: Mutex::default(),
            store,
            events,
        }
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

    fn admit(&self, task: &str) -> Result<(), String> {
        let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        match self.spend.admit(task) {
            Ok(()) => {
                refused.remove(task);
                Ok(())
            }
            Err(reached) => {
                if refused.insert(task.to_string()) {
                    tokio::spawn(tell_budget_reached(
                        self.store.clone(),
                        task.to_string(),
                        reached.clone(),
                    ));
                }
                Err(format!(
                    "task {task}'s {reached}. Raise it with `plinth task budget {task} AMOUNT` \
                     (or on the task's page), then tell the agent to go on."
                ))
            }
        }
    }
}

async fn publish(
    mut rx: mpsc::UnboundedReceiver<(String, ProxyEvent)>,
    store: Store,
    tasks: ChildRef<TaskService>,
    spend: SpendBook,
) {
    // Before this server's first call is reported: whatever is open then was cut.
    match cut_calls::close(&store).await {
        Ok(0) => {}
        Ok(closed) => tracing::info!(closed, "closed the model calls a kill of plinth cut"),
        Err(err) => tracing::warn!(%err, "cannot close the model calls a kill of plinth cut"),
    }
    let mut in_flight: HashMap<String, u32> = HashMap::new();
    // The model each call under way asked for, to price its usage before it ends.
    let mut models: HashMap<String, String> = HashMap::new();
    while let Some((task, event)) = rx.recv().await {
        let spent = account(&spend, &mut models, &task, &event);
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
        let mut events = vec![NewEvent::new(kind, data).for_task(&task)];
        let written = match spent {
            Some((record, view)) => {
                events.push(NewEvent::new("task.spend", spend_data(&view)).for_task(&task));
                match record {
                    // The call's end and the totals it makes, in one transaction.
                    Some(record) => {
                        store
                            .put_state_and_append(&spend::key(&task), &record, events)
                            .await
                    }
                    None => store.append_all(events).await,
                }
            }
            None => store.append_all(events).await,
        };
        if let Err(err) = written {
            tracing::warn!(%err, task, "cannot record a model call's event");
        }
        if let Some(signal) = signal {
            let _ = tasks.send(SignalAgent { id: task, signal }).await;
        }
    }
}

/// What `event` changes in the task's spend: the view after it, and for a call's end the
/// record to store with it.
fn account(
    book: &SpendBook,
    models: &mut HashMap<String, String>,
    task: &str,
    event: &ProxyEvent,
) -> Option<(Option<spend::SpendRecord>, SpendView)> {
    match event {
        ProxyEvent::CallStarted { id, model } => {
            models.insert(id.clone(), model.clone());
            None
        }
        ProxyEvent::Usage {
            id,
            input_tokens,
            output_tokens,
            cache_read,
            cache_creation,
        } => {
            let model = models.get(id).map(String::as_str).unwrap_or("");
            let tokens = tokens(*input_tokens, *output_tokens, *cache_read, *cache_creation);
            Some((None, book.call_usage(task, id, model, tokens)))
        }
        ProxyEvent::CallFinished {
            id,
            model,
            input_tokens,
            output_tokens,
            cache_read,
            cache_creation,
            ..
        } => {
            models.remove(id);
            let tokens = tokens(*input_tokens, *output_tokens, *cache_read, *cache_creation);
            let (record, view) = book.call_finished(task, id, model, tokens);
            Some((Some(record), view))
        }
        ProxyEvent::TextDelta { .. } | ProxyEvent::ToolUse { .. } => None,
    }
}

/// An event's four counts, as the spend book takes them.
fn tokens(input: u64, output: u64, cache_read: u64, cache_creation: u64) -> Tokens {
    Tokens {
        input,
        output,
        cache_read,
        cache_creation,
    }
}

fn spend_data(view: &SpendView) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// The first refusal of a task over its budget: a `task.budget` event (the task's views
/// now say it waits for its user) and a notification.
async fn tell_budget_reached(store: Store, task: String, reached: BudgetReached) {
    let data = serde_json::json!({
        "budget": reached.budget, "spent": reached.spent, "reached": true
    });
    let event = NewEvent::new("task.budget", data).for_task(&task);
    if let Err(err) = store.append(event).await {
        tracing::warn!(%err, task, "cannot record that a task reached its budget");
    }
    let body = format!(
        "{reached}: its agent's model calls are refused until you raise it \
         (plinth task budget {task} AMOUNT)"
    );
    if let Err(err) = notify(&store, &task, "Budget reached", &body, "needs-attention").await {
        tracing::warn!(%err, task, "cannot notify that a task reached its budget");
    }
}
