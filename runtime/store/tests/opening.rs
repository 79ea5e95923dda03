//! Opening a database: creating it, and refusing, untouched, files that are not ours.

use std::path::Path;

use plinth_store::{NewEvent, Store, StoreError};
use rusqlite::Connection;
use serde_json::json;

const OUR_APPLICATION_ID: i64 = 0x706c_6e74;

/// Opening must fail and leave the file byte for byte as it was.
fn assert_refused_untouched(path: &Path) -> StoreError {
    let before = std::fs::read(path).unwrap();
    let err = Store::open(path).expect_err("the store opened a file that is not its own");
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "the refused file was modified"
    );
    err
}

/// Deterministic noise, without a random number crate.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[tokio::test]
async fn a_missing_file_and_its_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/home/plinth.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.last_seq(), 0);
    store.append(NewEvent::new("a", json!({}))).await.unwrap();
    assert!(path.exists());
}

#[test]
fn an_empty_file_is_refused_and_left_as_it_was() {
    // A zero-byte file is not a fresh store: it is one whose contents were lost (a copy cut
    // short, a truncation). Starting an empty store in its place would hide that.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    std::fs::write(&path, b"").unwrap();
    let err = Store::open(&path).expect_err("an empty file is refused");
    assert!(matches!(err, StoreError::Empty { .. }), "{err:?}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn a_new_database_uses_wal_and_carries_our_application_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let _store = Store::open(&path).unwrap();
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(id, OUR_APPLICATION_ID);
}

#[test]
fn random_bytes_are_not_a_database_and_stay_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    std::fs::write(&path, noise(8192)).unwrap();
    let err = assert_refused_untouched(&path);
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("move it aside"), "{err}");
}

#[tokio::test]
async fn a_plinth_database_with_a_damaged_schema_page_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let store = Store::open(&path).unwrap();
    store.append(NewEvent::new("a", json!({}))).await.unwrap();
    store.close().await.unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    // Keep the 100-byte header, so the file still looks like SQLite, and damage the rest of
    // the first page, which holds the schema.
    bytes[100..4096].copy_from_slice(&noise(3996));
    std::fs::write(&path, bytes).unwrap();
    let err = assert_refused_untouched(&path);
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
}

#[test]
fn another_programs_sqlite_database_is_foreign_and_stays_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO users (name) VALUES ('ada');",
    )
    .unwrap();
    drop(conn);
    let err = assert_refused_untouched(&path);
    assert!(
        matches!(
            err,
            StoreError::Foreign {
                application_id: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("PLINTH_HOME"), "{err}");
    assert!(!dir.path().join("plinth.db-wal").exists());
}

#[test]
fn a_database_with_another_application_id_is_foreign_even_without_tables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "application_id", 42)
        .unwrap();
    let err = assert_refused_untouched(&path);
    assert!(
        matches!(
            err,
            StoreError::Foreign {
                application_id: 42,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_database_from_a_newer_plinth_is_too_new_and_stays_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", OUR_APPLICATION_ID)
        .unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    conn.execute_batch("CREATE TABLE from_the_future (x)")
        .unwrap();
    drop(conn);
    let err = assert_refused_untouched(&path);
    match &err {
        StoreError::TooNew {
            found, supported, ..
        } => assert_eq!((*found, *supported), (999, 2)),
        other => panic!("expected TooNew, got {other}"),
    }
    assert!(err.to_string().contains("upgrade plinth"), "{err}");
}

#[tokio::test]
async fn reopening_keeps_events_and_continues_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    {
        let store = Store::open(&path).unwrap();
        store
            .append_all(vec![
                NewEvent::new("a", json!(1)),
                NewEvent::new("b", json!(2)),
            ])
            .await
            .unwrap();
        // No close: dropping the handle must also leave a consistent database.
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.last_seq(), 2);
    let next = store.append(NewEvent::new("c", json!(3))).await.unwrap();
    assert_eq!(next.seq, 3);
}

#[test]
fn a_path_that_is_a_directory_fails_to_open_with_the_path_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
}
