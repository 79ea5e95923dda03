//! Appending and reading the event log.

use plinth_store::{EventFilter, NewEvent, Store, StoreError};
use serde_json::json;
use tempfile::TempDir;

fn open() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("plinth.db")).unwrap();
    (dir, store)
}

fn seqs(events: &[plinth_store::Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

#[tokio::test]
async fn appended_events_read_back_in_order_with_seqs_from_one() {
    let (_dir, store) = open();
    for i in 0..10 {
        let event = store
            .append(NewEvent::new("tick", json!({"i": i})))
            .await
            .unwrap();
        assert_eq!(event.seq, i + 1);
    }
    let events = store.read(&EventFilter::default(), 0, 100).unwrap();
    assert_eq!(seqs(&events), (1..=10).collect::<Vec<_>>());
    assert_eq!(events[3].data, json!({"i": 3}));
    assert_eq!(store.last_seq(), 10);
}

#[tokio::test]
async fn append_returns_exactly_what_a_later_read_returns() {
    let (_dir, store) = open();
    let appended = store
        .append(NewEvent::new("task.started", json!({"x": [1, 2.5, "s"]})).for_task("t1"))
        .await
        .unwrap();
    let read = store.read(&EventFilter::default(), 0, 1).unwrap();
    assert_eq!(read, [appended]);
}

#[tokio::test]
async fn read_pages_with_after_and_limit() {
    let (_dir, store) = open();
    let batch = (0..20).map(|i| NewEvent::new("tick", json!(i))).collect();
    store.append_all(batch).await.unwrap();
    let page = store.read(&EventFilter::default(), 5, 4).unwrap();
    assert_eq!(seqs(&page), [6, 7, 8, 9]);
    assert!(
        store
            .read(&EventFilter::default(), 20, 10)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn read_filters_by_exact_kind_kind_family_and_task() {
    let (_dir, store) = open();
    store
        .append_all(vec![
            NewEvent::new("task.started", json!({})).for_task("a"),
            NewEvent::new("task", json!({})),
            NewEvent::new("task.x.y", json!({})).for_task("b"),
            NewEvent::new("tasks.other", json!({})).for_task("a"),
            NewEvent::new("notification", json!({})).for_task("a"),
        ])
        .await
        .unwrap();
    let read = |filter: EventFilter| seqs(&store.read(&filter, 0, 100).unwrap());
    assert_eq!(read(EventFilter::kind("task")), [2]);
    assert_eq!(read(EventFilter::kind("task.*")), [1, 3]);
    assert_eq!(read(EventFilter::task("a")), [1, 4, 5]);
    let both = EventFilter {
        kind: Some("task.*".into()),
        task: Some("a".into()),
    };
    assert_eq!(read(both), [1]);
}

#[tokio::test]
async fn append_all_gives_consecutive_seqs_and_an_empty_list_writes_nothing() {
    let (_dir, store) = open();
    store
        .append(NewEvent::new("first", json!(null)))
        .await
        .unwrap();
    let events = store
        .append_all((0..5).map(|i| NewEvent::new("n", json!(i))).collect())
        .await
        .unwrap();
    assert_eq!(seqs(&events), [2, 3, 4, 5, 6]);
    assert!(store.append_all(Vec::new()).await.unwrap().is_empty());
    assert_eq!(store.last_seq(), 6);
}

#[tokio::test]
async fn appended_events_survive_close_and_reopen_and_seqs_continue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let store = Store::open(&path).unwrap();
    for i in 0..50 {
        store.append(NewEvent::new("tick", json!(i))).await.unwrap();
    }
    store.close().await.unwrap();

    let reopened = Store::open(&path).unwrap();
    assert_eq!(reopened.last_seq(), 50);
    let events = reopened.read(&EventFilter::default(), 0, 1000).unwrap();
    assert_eq!(seqs(&events), (1..=50).collect::<Vec<_>>());
    let next = reopened
        .append(NewEvent::new("tick", json!(50)))
        .await
        .unwrap();
    assert_eq!(next.seq, 51);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appenders_get_distinct_seqs_and_share_commits() {
    const TASKS: u64 = 32;
    const EACH: u64 = 200;
    let (_dir, store) = open();
    let appenders: Vec<_> = (0..TASKS)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..EACH {
                    let event =
                        NewEvent::new("load", json!({"t": t, "i": i})).for_task(format!("t{t}"));
                    seqs.push(store.append(event).await.unwrap().seq);
                }
                seqs
            })
        })
        .collect();
    let mut all = Vec::new();
    for appender in appenders {
        let seqs = appender.await.unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one task's seqs increase"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=TASKS * EACH).collect::<Vec<_>>());
    assert_eq!(store.last_seq(), TASKS * EACH);
    let stats = store.writer_stats();
    assert_eq!(stats.written, TASKS * EACH);
    assert_eq!(stats.queued, 0);
    assert!(
        stats.batches < TASKS * EACH,
        "expected batching, got {} commits for {} events",
        stats.batches,
        TASKS * EACH
    );
}

#[tokio::test]
async fn writes_after_close_fail_with_closed_and_close_is_idempotent() {
    let (_dir, store) = open();
    store.append(NewEvent::new("a", json!(1))).await.unwrap();
    store.close().await.unwrap();
    let err = store
        .append(NewEvent::new("a", json!(2)))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Closed), "{err}");
    assert!(matches!(
        store.set_cursor("c", 1).await.unwrap_err(),
        StoreError::Closed
    ));
    store.close().await.unwrap();
    assert_eq!(store.read(&EventFilter::default(), 0, 10).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn appends_queued_before_close_are_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let store = Store::open(&path).unwrap();
    let pending: Vec<_> = (0..100)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.append(NewEvent::new("a", json!(i))).await })
        })
        .collect();
    store.close().await.unwrap();
    let mut acknowledged = 0;
    for p in pending {
        match p.await.unwrap() {
            Ok(_) => acknowledged += 1,
            Err(StoreError::Closed) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    let reopened = Store::open(&path).unwrap();
    let stored = reopened
        .read(&EventFilter::default(), 0, 1000)
        .unwrap()
        .len();
    assert_eq!(
        stored, acknowledged,
        "every acknowledged append is stored, and only those"
    );
}

#[tokio::test]
async fn a_failed_batch_reports_the_error_and_the_writer_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let store = Store::open(&path).unwrap();
    // Break one table behind the store's back so writes to it fail.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE streams")
        .unwrap();
    let err = store.set_cursor("sub", 3).await.unwrap_err();
    assert!(matches!(err, StoreError::Write(_)), "{err}");
    assert!(err.to_string().contains("streams"), "{err}");
    assert!(store.writer_stats().last_error.is_some());
    let event = store
        .append(NewEvent::new("after", json!({})))
        .await
        .unwrap();
    assert_eq!(event.seq, 1);
}

#[tokio::test]
async fn named_cursors_are_saved_and_replaced() {
    let (_dir, store) = open();
    assert_eq!(store.get_cursor("ui").unwrap(), None);
    store.set_cursor("ui", 10).await.unwrap();
    store.set_cursor("ui", 12).await.unwrap();
    store.set_cursor("cli", 3).await.unwrap();
    assert_eq!(store.get_cursor("ui").unwrap(), Some(12));
    assert_eq!(store.get_cursor("cli").unwrap(), Some(3));
}
