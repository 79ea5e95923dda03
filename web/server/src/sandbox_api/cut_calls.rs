//! Model calls an earlier server left open. Every call the proxy reports is a
//! `task.llm.started` and, last, one `task.llm.finished`; a kill -9 of plinth cuts the calls
//! under way and their end is never recorded (the agent retries them as new calls). At
//! start, before the proxy reports anything, each is closed with a `task.llm.finished` that
//! says so: the log keeps its promise, and a reader counting calls in flight is not misled.

use std::collections::{HashMap, HashSet};

use plinth_store::{Event, EventFilter, NewEvent, Store, StoreError};
use serde_json::Value;

use crate::limits::CUT_CALLS_PAGE;
use crate::llm_proxy::ProxyEvent;

/// Up to where the log's calls are known closed, so a start reads only what came since.
const CURSOR: &str = "llm-proxy/calls-closed";
/// The `error` of a call closed here.
pub const CUT: &str = "cut off: plinth stopped while the call was under way";

#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the model calls left open failed: {0}")]
    Reader(#[from] tokio::task::JoinError),
}

/// A call with a start and no end.
#[derive(Debug, Clone, PartialEq)]
struct OpenCall {
    task: String,
    id: String,
    model: String,
}

/// Closes the calls left open in the log; how many. Must run before this server's proxy
/// reports a call, since any call open in the log is then an earlier server's.
pub async fn close(store: &Store) -> Result<usize, CloseError> {
    let reader = store.clone();
    let open = tokio::task::spawn_blocking(move || open_calls(&reader)).await??;
    let mut left: HashMap<&str, usize> = HashMap::new();
    for call in &open {
        *left.entry(&call.task).or_default() += 1;
    }
    let closings = open
        .iter()
        .map(|call| {
            let count = left.get_mut(call.task.as_str()).expect("counted above");
            *count -= 1;
            NewEvent::new("task.llm.finished", closing(call, *count)).for_task(&call.task)
        })
        .collect();
    // One commit for them all.
    store.append_all(closings).await?;
    store.set_cursor(CURSOR, store.last_seq()).await?;
    Ok(open.len())
}

/// The calls started after the cursor and not finished, in the order they started.
fn open_calls(store: &Store) -> Result<Vec<OpenCall>, StoreError> {
    let after = store.get_cursor(CURSOR)?.unwrap_or(0);
    let finished: HashSet<String> = read_all(store, "task.llm.finished", after)?
        .iter()
        .filter_map(|e| e.data["id"].as_str().map(str::to_string))
        .collect();
    Ok(read_all(store, "task.llm.started", after)?
        .into_iter()
        .filter_map(|e| {
            let text = |k: &str| e.data[k].as_str().unwrap_or_default().to_string();
            Some(OpenCall {
                task: e.task.clone()?,
                id: text("id"),
                model: text("model"),
            })
        })
        .filter(|call| !finished.contains(&call.id))
        .collect())
}

fn read_all(store: &Store, kind: &str, mut after: u64) -> Result<Vec<Event>, StoreError> {
    let filter = EventFilter::kind(kind);
    let mut out = Vec::new();
    loop {
        let page = store.read(&filter, after, CUT_CALLS_PAGE)?;
        let full = page.len() == CUT_CALLS_PAGE;
        if let Some(last) = page.last() {
            after = last.seq;
        }
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// The `task.llm.finished` of a cut call: the proxy's own shape, with nothing received.
fn closing(call: &OpenCall, in_flight: usize) -> Value {
    let event = ProxyEvent::CallFinished {
        id: call.id.clone(),
        model: call.model.clone(),
        stop_reason: None,
        status: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read: 0,
        cache_creation: 0,
        error: Some(CUT.to_string()),
        duration_ms: 0,
    };
    let mut data = serde_json::to_value(&event).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut data {
        map.insert("in_flight".into(), Value::from(in_flight));
    }
    data
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    async fn append(store: &Store, kind: &str, task: &str, id: &str) {
        let data = json!({"kind": kind, "id": id, "model": "claude-x", "in_flight": 1});
        store
            .append(NewEvent::new(format!("task.llm.{kind}"), data).for_task(task))
            .await
            .unwrap();
    }

    fn finished(store: &Store) -> Vec<Event> {
        store
            .read(&EventFilter::kind("task.llm.finished"), 0, 100)
            .unwrap()
    }

    #[tokio::test]
    async fn calls_without_an_end_get_one_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        append(&store, "started", "t1", "a").await;
        append(&store, "started", "t1", "b").await;
        append(&store, "started", "t2", "c").await;
        append(&store, "finished", "t1", "a").await;
        append(&store, "started", "t1", "d").await;

        assert_eq!(close(&store).await.unwrap(), 3);
        let closed: Vec<(String, String, u64)> = finished(&store)[1..]
            .iter()
            .map(|e| {
                assert_eq!(e.data["error"], CUT);
                assert_eq!(e.data["kind"], "call_finished");
                assert_eq!(e.data["model"], "claude-x");
                (
                    e.task.clone().unwrap(),
                    e.data["id"].as_str().unwrap().to_string(),
                    e.data["in_flight"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            closed,
            [
                ("t1".into(), "b".into(), 1),
                ("t2".into(), "c".into(), 0),
                ("t1".into(), "d".into(), 0)
            ]
        );

        // The next start finds nothing open, old or new.
        assert_eq!(close(&store).await.unwrap(), 0);
        append(&store, "started", "t1", "e").await;
        append(&store, "finished", "t1", "e").await;
        assert_eq!(close(&store).await.unwrap(), 0);
        assert_eq!(finished(&store).len(), 5);
    }

    #[tokio::test]
    async fn an_end_after_the_cursor_for_a_start_before_it_is_no_call() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        append(&store, "started", "t1", "a").await;
        store.set_cursor(CURSOR, store.last_seq()).await.unwrap();
        append(&store, "finished", "t1", "a").await;
        assert_eq!(close(&store).await.unwrap(), 0);
    }
}
