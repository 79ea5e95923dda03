//! The database schema, as an ordered list of migrations. `PRAGMA user_version` records how
//! many have run; each new schema change is a new entry at the end, never an edit of an old
//! one, because databases in the field have already run the old ones.

use rusqlite::{Connection, TransactionBehavior};

/// `PRAGMA application_id` of every plinth database: "plnt" in ASCII. A file that carries
/// another id belongs to another program.
pub(crate) const APPLICATION_ID: u32 = 0x706c_6e74;

const MIGRATIONS: &[&str] = &[
    // 1: the event log, versioned state, and named subscriber cursors.
    "CREATE TABLE events (
         seq  INTEGER PRIMARY KEY,
         task TEXT NULL,
         kind TEXT NOT NULL,
         at   TEXT NOT NULL,
         data TEXT NOT NULL
     );
     CREATE INDEX events_kind_seq ON events (kind, seq);
     CREATE INDEX events_task_seq ON events (task, seq);
     CREATE TABLE state (
         key        TEXT PRIMARY KEY,
         kind       TEXT NOT NULL,
         version    INTEGER NOT NULL,
         data       TEXT NOT NULL,
         updated_at TEXT NOT NULL
     );
     CREATE TABLE streams (
         name   TEXT PRIMARY KEY,
         cursor INTEGER NOT NULL
     );",
    // 2: each task's terminal scrollback, one row per task and stream, updated in place.
    "CREATE TABLE scrollback (
         task        TEXT NOT NULL,
         stream      TEXT NOT NULL,
         text        TEXT NOT NULL,
         lines       INTEGER NOT NULL,
         captured_at TEXT NOT NULL,
         PRIMARY KEY (task, stream)
     );",
];

/// The schema version this build creates and understands.
pub(crate) const LATEST: u32 = MIGRATIONS.len() as u32;

/// Runs every migration the database has not seen, all in one transaction: a crash halfway
/// leaves the database as it was. The application id is set in the same transaction, so a
/// database with our tables always carries our id.
pub(crate) fn apply(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current >= LATEST {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tracing::debug!(to = index + 1, "applying store migration");
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", LATEST)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn fresh_database_gets_every_table_the_latest_version_and_our_id() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        assert_eq!(
            table_names(&conn),
            ["events", "scrollback", "state", "streams"]
        );
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let id: u32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST);
        assert_eq!(id, APPLICATION_ID);
    }

    #[test]
    fn applying_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        assert_eq!(table_names(&conn).len(), 4);
    }

    #[test]
    fn a_version_1_database_gains_the_scrollback_table_and_keeps_its_events() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO events (kind, at, data) VALUES ('old', 't', '{}')",
            [],
        )
        .unwrap();
        apply(&mut conn).unwrap();
        assert!(table_names(&conn).contains(&"scrollback".to_string()));
        let kinds: String = conn
            .query_row("SELECT group_concat(kind) FROM events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kinds, "old");
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2);
    }

    #[test]
    fn scrollback_is_keyed_by_task_and_stream() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        let insert = |task: &str, stream: &str| {
            conn.execute(
                "INSERT INTO scrollback (task, stream, text, lines, captured_at)
                 VALUES (?1, ?2, '', 0, 't')",
                [task, stream],
            )
        };
        insert("t1", "agent").unwrap();
        insert("t1", "shell").unwrap();
        insert("t2", "agent").unwrap();
        assert!(insert("t1", "agent").is_err(), "a second row for t1/agent");
    }

    #[test]
    fn application_id_spells_plnt() {
        assert_eq!(&APPLICATION_ID.to_be_bytes(), b"plnt");
    }
}
