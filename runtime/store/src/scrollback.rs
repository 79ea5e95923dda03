//! Terminal scrollback kept past the life of the terminal: one row per task and stream (a
//! tmux session of the task), replaced in place at every capture. Rows are not events: a
//! capture is the whole text again, and only the newest one is worth keeping.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::timestamp;

/// One stream's scrollback as last captured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scrollback {
    pub task: String,
    /// The session's short name (`agent` for the session `<task>--agent`).
    pub stream: String,
    pub text: String,
    /// How many lines `text` holds.
    pub lines: u64,
    /// When this text was captured; an identical later capture leaves it as it was.
    pub captured_at: DateTime<Utc>,
}

/// A row to insert or update.
pub(crate) struct ScrollbackWrite {
    pub task: String,
    pub stream: String,
    pub text: String,
    pub lines: u64,
}

impl ScrollbackWrite {
    pub(crate) fn new(task: String, stream: String, text: String) -> Self {
        let lines = text.lines().count() as u64;
        ScrollbackWrite {
            task,
            stream,
            text,
            lines,
        }
    }
}

/// The insert-or-update. The `WHERE` leaves a row whose text is unchanged untouched, so
/// its `captured_at` says when the text last changed and the caller learns nothing changed.
pub(crate) const UPSERT: &str =
    "INSERT INTO scrollback (task, stream, text, lines, captured_at) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (task, stream) DO UPDATE SET
         text = excluded.text, lines = excluded.lines, captured_at = excluded.captured_at
     WHERE scrollback.text IS NOT excluded.text";

/// The task's rows ordered by stream, or only `stream`'s.
pub(crate) fn rows(
    conn: &Connection,
    task: &str,
    stream: Option<&str>,
) -> Result<Vec<Scrollback>, StoreError> {
    let sql = "SELECT task, stream, text, lines, captured_at FROM scrollback
               WHERE task = ?1 AND (?2 IS NULL OR stream = ?2) ORDER BY stream";
    let mut stmt = conn.prepare_cached(sql).map_err(StoreError::Read)?;
    let mut rows = stmt
        .query(rusqlite::params![task, stream])
        .map_err(StoreError::Read)?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::Read)? {
        found.push(from_row(row)?);
    }
    Ok(found)
}

fn from_row(row: &Row<'_>) -> Result<Scrollback, StoreError> {
    let get = |i| -> Result<String, StoreError> { row.get(i).map_err(StoreError::Read) };
    let (task, stream, text) = (get(0)?, get(1)?, get(2)?);
    let lines: i64 = row.get(3).map_err(StoreError::Read)?;
    let at = get(4)?;
    let captured_at = timestamp::parse(&at).map_err(|e| StoreError::Decode {
        what: format!("the scrollback of task {task:?}, stream {stream:?}"),
        detail: format!("bad time {at:?}: {e}"),
    })?;
    Ok(Scrollback {
        task,
        stream,
        text,
        lines: lines.max(0) as u64,
        captured_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_the_lines_of_the_text_whatever_its_last_newline() {
        let count = |text: &str| ScrollbackWrite::new("t".into(), "s".into(), text.into()).lines;
        assert_eq!(count(""), 0);
        assert_eq!(count("one"), 1);
        assert_eq!(count("one\ntwo"), 2);
        assert_eq!(count("one\ntwo\n"), 2);
    }
}
