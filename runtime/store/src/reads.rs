//! The store's read queries. Each takes a connection so the same code serves the reader pool
//! and the writer (which reads its starting `seq` at open).

use rusqlite::{Connection, OptionalExtension, Row, params_from_iter, types::Value as SqlValue};

use crate::error::StoreError;
use crate::event::Event;
use crate::filter::{EventFilter, KindMatch};
use crate::timestamp;

/// Events matching `filter` with `seq > after`, oldest first, at most `limit`.
pub(crate) fn events(
    conn: &Connection,
    filter: &EventFilter,
    after: u64,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    let mut sql = String::from("SELECT seq, task, kind, at, data FROM events WHERE seq > ?");
    let mut args: Vec<SqlValue> = vec![SqlValue::Integer(to_sql_seq(after))];
    match filter.kind_match() {
        KindMatch::Any => {}
        KindMatch::Exact(kind) => {
            sql.push_str(" AND kind = ?");
            args.push(SqlValue::Text(kind.to_owned()));
        }
        KindMatch::Prefix(prefix) => {
            // A range rather than LIKE: exact bytes, no wildcard escaping, and it can use the
            // kind index. Every kind starting with "x." sorts in ["x.", "x/").
            sql.push_str(" AND kind >= ? AND kind < ?");
            args.push(SqlValue::Text(prefix.to_owned()));
            args.push(SqlValue::Text(prefix_upper_bound(prefix)));
        }
    }
    if let Some(task) = &filter.task {
        sql.push_str(" AND task = ?");
        args.push(SqlValue::Text(task.clone()));
    }
    sql.push_str(" ORDER BY seq LIMIT ?");
    args.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));

    let mut stmt = conn.prepare_cached(&sql).map_err(StoreError::Read)?;
    let mut rows = stmt
        .query(params_from_iter(args))
        .map_err(StoreError::Read)?;
    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::Read)? {
        events.push(event_from_row(row)?);
    }
    Ok(events)
}

fn event_from_row(row: &Row<'_>) -> Result<Event, StoreError> {
    let seq: i64 = row.get(0).map_err(StoreError::Read)?;
    let task: Option<String> = row.get(1).map_err(StoreError::Read)?;
    let kind: String = row.get(2).map_err(StoreError::Read)?;
    let at: String = row.get(3).map_err(StoreError::Read)?;
    let data: String = row.get(4).map_err(StoreError::Read)?;
    let what = || format!("event {seq} ({kind})");
    let at = timestamp::parse(&at).map_err(|e| StoreError::Decode {
        what: what(),
        detail: format!("bad time {at:?}: {e}"),
    })?;
    let data = serde_json::from_str(&data).map_err(|e| StoreError::Decode {
        what: what(),
        detail: e.to_string(),
    })?;
    Ok(Event {
        seq: seq as u64,
        kind,
        task,
        at,
        data,
    })
}

/// The smallest string greater than every string that starts with `prefix`, given that the
/// prefix ends in an ASCII byte below 0x7f (it ends in '.').
fn prefix_upper_bound(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    if let Some(last) = bytes.last_mut() {
        *last += 1;
    }
    String::from_utf8(bytes).unwrap_or_else(|_| prefix.to_owned())
}

pub(crate) fn last_seq(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| {
        row.get::<_, i64>(0)
    })
    .map(|seq| seq as u64)
}

/// A state row as stored, before its payload is decoded.
pub(crate) struct StateRow {
    pub key: String,
    pub kind: String,
    pub data: String,
}

pub(crate) fn state(conn: &Connection, key: &str) -> Result<Option<StateRow>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT key, kind, data FROM state WHERE key = ?1")
        .map_err(StoreError::Read)?;
    stmt.query_row([key], state_row)
        .optional()
        .map_err(StoreError::Read)
}

/// Rows of one kind whose key starts with `prefix`, ordered by key.
pub(crate) fn states(
    conn: &Connection,
    kind: &str,
    prefix: &str,
) -> Result<Vec<StateRow>, StoreError> {
    // Keys are walked in order from the prefix with the primary key index; the first key
    // without the prefix ends the range.
    let mut stmt = conn
        .prepare_cached("SELECT key, kind, data FROM state WHERE key >= ?1 ORDER BY key")
        .map_err(StoreError::Read)?;
    let mut rows = stmt.query([prefix]).map_err(StoreError::Read)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::Read)? {
        let row = state_row(row).map_err(StoreError::Read)?;
        if !row.key.starts_with(prefix) {
            break;
        }
        if row.kind == kind {
            found.push(row);
        }
    }
    Ok(found)
}

fn state_row(row: &Row<'_>) -> rusqlite::Result<StateRow> {
    Ok(StateRow {
        key: row.get(0)?,
        kind: row.get(1)?,
        data: row.get(2)?,
    })
}

pub(crate) fn cursor(conn: &Connection, name: &str) -> Result<Option<u64>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT cursor FROM streams WHERE name = ?1")
        .map_err(StoreError::Read)?;
    stmt.query_row([name], |row| row.get::<_, i64>(0))
        .optional()
        .map(|cursor| cursor.map(|c| c as u64))
        .map_err(StoreError::Read)
}

/// Sequence numbers are `u64` in the API and `INTEGER` (i64) in SQLite; a cursor past
/// `i64::MAX` cannot exist, so it clamps.
pub(crate) fn to_sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_upper_bound_bumps_the_trailing_dot() {
        assert_eq!(prefix_upper_bound("task."), "task/");
        assert!("task.zzz" < "task/");
        assert!("task" < "task.");
    }

    #[test]
    fn seqs_beyond_i64_clamp_instead_of_wrapping() {
        assert_eq!(to_sql_seq(u64::MAX), i64::MAX);
        assert_eq!(to_sql_seq(5), 5);
    }
}
