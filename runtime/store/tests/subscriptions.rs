//! Subscriptions: stored events after a cursor, then live ones, each once and in order.

use std::time::Duration;

use futures::StreamExt;
use plinth_store::{Event, EventFilter, NewEvent, Store, Subscription};
use serde_json::json;
use tempfile::TempDir;

/// Generous: only a broken subscription comes near it.
const PATIENCE: Duration = Duration::from_secs(30);

fn open() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("plinth.db")).unwrap();
    (dir, store)
}

async fn append_n(store: &Store, kind: &str, n: usize) {
    let events = (0..n)
        .map(|i| NewEvent::new(kind, json!({"i": i})))
        .collect();
    store.append_all(events).await.unwrap();
}

async fn take(stream: &mut Subscription, n: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(n);
    while events.len() < n {
        let next = tokio::time::timeout(PATIENCE, stream.next())
            .await
            .expect("the subscription stalled");
        events.push(next.expect("the subscription ended early").unwrap());
    }
    events
}

fn seqs(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resuming_from_a_cursor_yields_missed_then_live_events_without_gaps_or_duplicates() {
    let (_dir, store) = open();
    for i in 0..100 {
        store.append(NewEvent::new("tick", json!(i))).await.unwrap();
    }
    let mut stream = store.subscribe(EventFilter::default(), 40);
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 100..200 {
                store.append(NewEvent::new("tick", json!(i))).await.unwrap();
            }
        })
    };
    let events = take(&mut stream, 160).await;
    writer.await.unwrap();
    assert_eq!(seqs(&events), (41..=200).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_from_zero_catches_up_across_many_pages_while_appends_continue() {
    let (_dir, store) = open();
    append_n(&store, "old", 3000).await;
    let mut stream = store.subscribe(EventFilter::default(), 0);
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                append_n(&store, "new", 20).await;
            }
        })
    };
    let events = take(&mut stream, 4000).await;
    writer.await.unwrap();
    assert_eq!(seqs(&events), (1..=4000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filtered_subscriber_sees_only_matching_stored_and_live_events() {
    let (_dir, store) = open();
    store
        .append_all(vec![
            NewEvent::new("task.started", json!({})).for_task("a"),
            NewEvent::new("notification", json!({})),
            NewEvent::new("task.done", json!({})).for_task("b"),
        ])
        .await
        .unwrap();
    let mut stream = store.subscribe(EventFilter::kind("task.*"), 0);
    let stored = take(&mut stream, 2).await;
    store
        .append_all(vec![
            NewEvent::new("notification", json!({})),
            NewEvent::new("task.x.y", json!({})),
            NewEvent::new("tasks", json!({})),
        ])
        .await
        .unwrap();
    let live = take(&mut stream, 1).await;
    assert_eq!(seqs(&stored), [1, 3]);
    assert_eq!(seqs(&live), [5]);
    assert_eq!(live[0].kind, "task.x.y");

    let mut by_task = store.subscribe(EventFilter::task("b"), 0);
    store
        .append(NewEvent::new("log", json!({})).for_task("b"))
        .await
        .unwrap();
    assert_eq!(seqs(&take(&mut by_task, 2).await), [3, 7]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lagging_subscriber_still_gets_every_event_in_order() {
    let (_dir, store) = open();
    store
        .append(NewEvent::new("first", json!({})))
        .await
        .unwrap();
    let mut stream = store.subscribe(EventFilter::default(), 0);
    // Now it is following live events; it is not polled while far more than the live
    // channel holds is appended.
    assert_eq!(seqs(&take(&mut stream, 1).await), [1]);
    for _ in 0..10 {
        append_n(&store, "flood", 1000).await;
    }
    let flood = take(&mut stream, 10_000).await;
    assert_eq!(seqs(&flood), (2..=10_001).collect::<Vec<_>>());
    // And it is live again afterwards.
    store
        .append(NewEvent::new("after", json!({})))
        .await
        .unwrap();
    assert_eq!(seqs(&take(&mut stream, 1).await), [10_002]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stream_ends_after_close() {
    let (_dir, store) = open();
    let mut stream = store.subscribe(EventFilter::default(), 0);
    append_n(&store, "a", 3).await;
    store.close().await.unwrap();
    let rest: Vec<_> = tokio::time::timeout(PATIENCE, stream.by_ref().collect::<Vec<_>>())
        .await
        .expect("the subscription did not end after close");
    let rest: Vec<Event> = rest.into_iter().map(Result::unwrap).collect();
    assert_eq!(seqs(&rest), [1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribing_after_close_yields_stored_events_then_ends() {
    let (_dir, store) = open();
    append_n(&store, "a", 2).await;
    store.close().await.unwrap();
    let events: Vec<_> = tokio::time::timeout(
        PATIENCE,
        store
            .subscribe(EventFilter::default(), 1)
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].as_ref().unwrap().seq, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_every_store_handle_stops_the_writer_and_ends_subscriptions() {
    let (_dir, store) = open();
    let mut stream = store.subscribe(EventFilter::default(), 0);
    append_n(&store, "a", 1).await;
    drop(store);
    let rest: Vec<_> = tokio::time::timeout(PATIENCE, stream.by_ref().collect::<Vec<_>>())
        .await
        .expect("the writer kept running without any store handle");
    assert_eq!(rest.len(), 1);
}

#[test]
fn subscriptions_can_move_between_threads_and_live_anywhere() {
    fn assert_send_unpin_static<T: Send + Unpin + 'static>() {}
    assert_send_unpin_static::<Subscription>();
    fn assert_store<T: Clone + Send + Sync + 'static>() {}
    assert_store::<Store>();
}
