//! One batch of writes as one transaction. Batching is what makes durable appends fast: with
//! `synchronous=FULL` every commit waits for the disk, so the writer commits everything that
//! queued up while the previous commit was waiting, paying for one sync instead of hundreds.

use rusqlite::{Connection, TransactionBehavior, params};

use crate::reads::to_sql_seq;
use crate::scrollback;
use crate::write_op::{StateWrite, WriteOp};

/// What a committed op did, in the order of the ops.
#[derive(Debug, PartialEq)]
pub(crate) enum Outcome {
    Appended(Vec<u64>),
    Stored,
    Deleted(bool),
    /// A scrollback row was written (`false`: its text was already that).
    Changed(bool),
}

const INSERT_EVENT: &str = "INSERT INTO events (task, kind, at, data) VALUES (?1, ?2, ?3, ?4)";
const UPSERT_STATE: &str = "INSERT INTO state (key, kind, version, data, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (key) DO UPDATE SET
         kind = excluded.kind, version = excluded.version,
         data = excluded.data, updated_at = excluded.updated_at";
const DELETE_STATE: &str = "DELETE FROM state WHERE key = ?1";
const UPSERT_CURSOR: &str = "INSERT INTO streams (name, cursor) VALUES (?1, ?2)
     ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor";

/// Writes every op and commits, or writes nothing: on error the transaction rolls back as it
/// is dropped. `at` is the commit time recorded on events and state rows.
pub(crate) fn commit(
    conn: &mut Connection,
    ops: &[WriteOp],
    at: &str,
) -> rusqlite::Result<Vec<Outcome>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        let outcome = match op {
            WriteOp::Append { state, events, .. } => {
                if let Some(write) = state {
                    upsert_state(&tx, write, at)?;
                }
                let mut insert = tx.prepare_cached(INSERT_EVENT)?;
                let mut seqs = Vec::with_capacity(events.len());
                for event in events {
                    insert.execute(params![event.task, event.kind, at, event.json])?;
                    seqs.push(tx.last_insert_rowid() as u64);
                }
                Outcome::Appended(seqs)
            }
            WriteOp::PutState { write, .. } => {
                upsert_state(&tx, write, at)?;
                Outcome::Stored
            }
            WriteOp::DeleteState { key, .. } => {
                let deleted = tx.prepare_cached(DELETE_STATE)?.execute([key])?;
                Outcome::Deleted(deleted > 0)
            }
            WriteOp::SetCursor { name, seq, .. } => {
                tx.prepare_cached(UPSERT_CURSOR)?
                    .execute(params![name, to_sql_seq(*seq)])?;
                Outcome::Stored
            }
            WriteOp::PutScrollback { write, .. } => {
                let changed = tx.prepare_cached(scrollback::UPSERT)?.execute(params![
                    write.task,
                    write.stream,
                    write.text,
                    i64::try_from(write.lines).unwrap_or(i64::MAX),
                    at
                ])?;
                Outcome::Changed(changed > 0)
            }
        };
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}

fn upsert_state(tx: &Connection, write: &StateWrite, at: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(UPSERT_STATE)?.execute(params![
        write.key,
        write.kind,
        write.version,
        write.json,
        at
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::NewEvent;
    use crate::migrations;
    use crate::write_op::{PendingEvent, StateWrite};
    use serde_json::json;
    use tokio::sync::oneshot;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::apply(&mut conn).unwrap();
        conn
    }

    fn append(kinds: &[&str]) -> WriteOp {
        let events = kinds
            .iter()
            .map(|k| PendingEvent::encode(NewEvent::new(*k, json!({}))).unwrap())
            .collect();
        WriteOp::Append {
            state: None,
            events,
            reply: oneshot::channel().0,
        }
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn appends_in_one_batch_get_consecutive_seqs_in_op_order() {
        let mut conn = db();
        let ops = [append(&["a", "b"]), append(&["c"])];
        let outcomes = commit(&mut conn, &ops, "2026-01-01T00:00:00.000Z").unwrap();
        assert_eq!(
            outcomes,
            [Outcome::Appended(vec![1, 2]), Outcome::Appended(vec![3])]
        );
    }

    #[test]
    fn a_record_and_its_events_are_committed_together_or_not_at_all() {
        let with_record = || {
            let WriteOp::Append { events, reply, .. } = append(&["thing.changed"]) else {
                unreachable!()
            };
            WriteOp::Append {
                state: Some(StateWrite {
                    key: "thing/1".into(),
                    kind: "thing",
                    version: 1,
                    json: "{}".into(),
                }),
                events,
                reply,
            }
        };
        let mut conn = db();
        let outcomes = commit(&mut conn, &[with_record()], "t").unwrap();
        assert_eq!(outcomes, [Outcome::Appended(vec![1])]);
        assert_eq!((count(&conn, "state"), count(&conn, "events")), (1, 1));

        // The event cannot be written: the record it tells of is not written either.
        let mut conn = db();
        conn.execute_batch("DROP TABLE events").unwrap();
        assert!(commit(&mut conn, &[with_record()], "t").is_err());
        assert_eq!(count(&conn, "state"), 0);
    }

    #[test]
    fn state_put_replaces_and_delete_reports_whether_a_row_went() {
        let mut conn = db();
        let put = |json: &str| WriteOp::PutState {
            write: StateWrite {
                key: "k".into(),
                kind: "thing",
                version: 1,
                json: json.into(),
            },
            reply: oneshot::channel().0,
        };
        let delete = || WriteOp::DeleteState {
            key: "k".into(),
            reply: oneshot::channel().0,
        };
        commit(&mut conn, &[put("{}"), put("{\"a\":1}")], "t").unwrap();
        assert_eq!(count(&conn, "state"), 1);
        let outcomes = commit(&mut conn, &[delete(), delete()], "t").unwrap();
        assert_eq!(outcomes, [Outcome::Deleted(true), Outcome::Deleted(false)]);
    }

    #[test]
    fn scrollback_is_replaced_in_place_and_an_identical_text_is_no_change() {
        let mut conn = db();
        let put = |text: &str| WriteOp::PutScrollback {
            write: crate::scrollback::ScrollbackWrite::new("t".into(), "agent".into(), text.into()),
            reply: oneshot::channel().0,
        };
        let outcomes = commit(&mut conn, &[put("a"), put("a\nb"), put("a\nb")], "t1").unwrap();
        assert_eq!(
            outcomes,
            [
                Outcome::Changed(true),
                Outcome::Changed(true),
                Outcome::Changed(false)
            ]
        );
        assert_eq!(count(&conn, "scrollback"), 1);
        let outcomes = commit(&mut conn, &[put("a\nb")], "t2").unwrap();
        assert_eq!(outcomes, [Outcome::Changed(false)]);
        let (text, lines, at): (String, i64, String) = conn
            .query_row("SELECT text, lines, captured_at FROM scrollback", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((text.as_str(), lines, at.as_str()), ("a\nb", 2, "t1"));
    }

    #[test]
    fn a_failing_op_rolls_back_the_whole_batch() {
        let mut conn = db();
        conn.execute_batch("DROP TABLE streams").unwrap();
        let ops = [
            append(&["a"]),
            WriteOp::SetCursor {
                name: "n".into(),
                seq: 1,
                reply: oneshot::channel().0,
            },
        ];
        assert!(commit(&mut conn, &ops, "t").is_err());
        assert_eq!(count(&conn, "events"), 0);
    }
}
