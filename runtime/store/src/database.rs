//! Opening the database file: recognising it as ours before changing anything, then
//! configuring and migrating it. The order matters: switching to WAL writes to the file, so
//! a foreign or newer database must be refused before that.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::StoreError;
use crate::limits::BUSY_TIMEOUT;
use crate::limits::STATEMENT_CACHE;
use crate::migrations::{self, APPLICATION_ID};

/// Opens (creating if missing) and migrates the database; the connection returned is the
/// one the writer owns.
pub(crate) fn open_for_writing(path: &Path) -> Result<Connection, StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    refuse_empty(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    identify(&conn, path)?;
    configure_writer(&mut conn).map_err(|e| write_error(path, e))?;
    probe_write(&conn).map_err(|e| write_error(path, e))?;
    Ok(conn)
}

/// SQLite takes a zero-length file for a new database; for plinth an existing one is a
/// store that lost everything (truncated, or made by something else), not a fresh start.
fn refuse_empty(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == 0 => Err(StoreError::Empty {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Commits a write that changes nothing. SQLite opens a file it may not write read-only
/// without a word, and whether a write is possible is not in the mode bits (root, an
/// immutable file, a read-only mount, a full disk): trying is the only sure test.
fn probe_write(conn: &Connection) -> rusqlite::Result<()> {
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    conn.pragma_update(None, "user_version", version)
}

/// A failure to configure, migrate or write to the database: refused as unwritable when
/// SQLite says so, else as a failure to open it.
fn write_error(path: &Path, source: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{CannotOpen, DiskFull, ReadOnly};
    match source.sqlite_error_code() {
        Some(ReadOnly | CannotOpen | DiskFull) => StoreError::ReadOnly {
            path: path.to_path_buf(),
            source,
        },
        _ => open_error(path, source),
    }
}

/// A connection for reads only. WAL lets it read while the writer commits.
pub(crate) fn open_for_reading(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    let configure = || -> rusqlite::Result<()> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(())
    };
    configure().map_err(|e| open_error(path, e))?;
    Ok(conn)
}

/// Refuses anything that is not a plinth database this build can use, without writing.
fn identify(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let read = |sql: &str| -> Result<i64, StoreError> {
        conn.query_row(sql, [], |row| row.get(0))
            .map_err(|e| open_error(path, e))
    };
    // The header read also detects a file that is not SQLite at all.
    let application_id = read("PRAGMA application_id")? as u32;
    if application_id != APPLICATION_ID {
        // An empty database (a new or zero-length file) is ours to initialise; one with
        // tables but no id is someone else's SQLite file.
        let objects = read("SELECT count(*) FROM sqlite_master")?;
        if application_id != 0 || objects > 0 {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                application_id,
            });
        }
    }
    let found = read("PRAGMA user_version")? as u32;
    if found > migrations::LATEST {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: migrations::LATEST,
        });
    }
    Ok(())
}

fn configure_writer(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        // Only possible on filesystems without shared memory support; keep going, slower.
        tracing::warn!(%mode, "the store could not switch to WAL mode");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    migrations::apply(conn)
}

fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    if StoreError::is_not_a_database(&source) {
        StoreError::NotADatabase {
            path: path.to_path_buf(),
        }
    } else {
        StoreError::Open {
            path: path.to_path_buf(),
            source,
        }
    }
}
