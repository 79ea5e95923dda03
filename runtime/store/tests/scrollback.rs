//! Scrollback rows through the store's handle: upserted in place per task and stream, an
//! identical text left untouched, read back per task or per stream, kept across a reopen.

use plinth_store::Store;
use tempfile::TempDir;

fn open() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("plinth.db")).unwrap();
    (dir, store)
}

#[tokio::test]
async fn a_stream_has_one_row_replaced_in_place_by_each_new_text() {
    let (_dir, store) = open();
    assert!(
        store
            .put_scrollback("t1", "agent", "one".into())
            .await
            .unwrap()
    );
    assert!(
        store
            .put_scrollback("t1", "agent", "one\ntwo".into())
            .await
            .unwrap()
    );
    let rows = store.scrollback("t1").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].stream, "agent");
    assert_eq!(rows[0].text, "one\ntwo");
    assert_eq!(rows[0].lines, 2);
}

#[tokio::test]
async fn an_identical_text_is_not_rewritten_and_keeps_its_capture_time() {
    let (_dir, store) = open();
    store
        .put_scrollback("t1", "agent", "same".into())
        .await
        .unwrap();
    let first = store.scrollback_stream("t1", "agent").unwrap().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let changed = store
        .put_scrollback("t1", "agent", "same".into())
        .await
        .unwrap();
    assert!(!changed, "the same text again is no change");
    let again = store.scrollback_stream("t1", "agent").unwrap().unwrap();
    assert_eq!(again.captured_at, first.captured_at);
}

#[tokio::test]
async fn rows_are_per_task_and_stream_and_read_back_ordered_by_stream() {
    let (_dir, store) = open();
    store
        .put_scrollback("t1", "shell", "s".into())
        .await
        .unwrap();
    store
        .put_scrollback("t1", "agent", "a".into())
        .await
        .unwrap();
    store
        .put_scrollback("t2", "agent", "other".into())
        .await
        .unwrap();
    let streams: Vec<(String, String)> = store
        .scrollback("t1")
        .unwrap()
        .into_iter()
        .map(|r| (r.stream, r.text))
        .collect();
    assert_eq!(
        streams,
        [("agent".into(), "a".into()), ("shell".into(), "s".into())]
    );
    assert!(store.scrollback("nobody").unwrap().is_empty());
    assert!(store.scrollback_stream("t1", "nothing").unwrap().is_none());
    assert_eq!(
        store
            .scrollback_stream("t2", "agent")
            .unwrap()
            .unwrap()
            .text,
        "other"
    );
}

#[tokio::test]
async fn scrollback_survives_closing_and_reopening_the_store() {
    let (dir, store) = open();
    store
        .put_scrollback("t1", "agent", "kept".into())
        .await
        .unwrap();
    store.close().await.unwrap();
    let err = store.put_scrollback("t1", "agent", "late".into()).await;
    assert!(err.is_err(), "a closed store refuses the write");
    drop(store);
    let store = Store::open(&dir.path().join("plinth.db")).unwrap();
    assert_eq!(
        store
            .scrollback_stream("t1", "agent")
            .unwrap()
            .unwrap()
            .text,
        "kept"
    );
}
