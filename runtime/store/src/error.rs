//! Everything the store can fail with. Each message names what failed and what the user can
//! do about it, because these errors reach the terminal of someone who never read this code.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{} is not a plinth database (it is corrupt or not SQLite): move it aside and plinth will create a new one",
        .path.display()
    )]
    NotADatabase { path: PathBuf },

    #[error(
        "{} belongs to another program (application_id {application_id:#010x}); plinth will not touch it: set PLINTH_HOME to another directory",
        .path.display()
    )]
    Foreign { path: PathBuf, application_id: u32 },

    #[error(
        "{} was written by a newer plinth (schema {found}, this build knows {supported}): upgrade plinth",
        .path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error(
        "cannot open the database {}: {source}: check that the directory is writable and the disk is not full",
        .path.display()
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error(
        "{} cannot be written ({source}): plinth must write its store to run. Check, for the user plinth runs as: the file's owner and mode (chmod u+w), its immutable attribute (lsattr; chattr -i), that its filesystem is not mounted read-only, and that the disk is not full",
        .path.display()
    )]
    ReadOnly {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error(
        "{} is empty (0 bytes), so it holds none of plinth's state: it was truncated, or made by something else. Restore it from a backup, or to start afresh with an empty store, delete it (rm {}) and start plinth again",
        .path.display(),
        .path.display()
    )]
    Empty { path: PathBuf },

    #[error("cannot create {}: {source}: check the permissions of its parent directory", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "writing to the store failed, nothing of this write was saved: {0}: check free disk space and the permissions of the database file"
    )]
    Write(String),

    #[error(
        "reading the store failed: {0}: check the disk and the permissions of the database file"
    )]
    Read(#[source] rusqlite::Error),

    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        what: String,
        source: serde_json::Error,
    },

    #[error(
        "cannot decode {what}: {detail}: it was written by an incompatible plinth or edited by hand; restore it from a backup or delete it"
    )]
    Decode { what: String, detail: String },

    #[error(
        "state key {key:?} holds a {found:?} record, not a {expected:?}: two parts of plinth use the same key; this is a bug, please report it"
    )]
    WrongKind {
        key: String,
        expected: String,
        found: String,
    },

    #[error("the store is closed (plinth is shutting down)")]
    Closed,
}

impl StoreError {
    /// SQLite reports a file that is not a database, or a damaged one, with these two codes;
    /// either way the fix for the user is the same.
    pub(crate) fn is_not_a_database(err: &rusqlite::Error) -> bool {
        matches!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_database_message_tells_to_move_the_file_aside() {
        let err = StoreError::NotADatabase {
            path: "/home/ada/.plinth/plinth.db".into(),
        };
        let msg = err.to_string();
        assert!(msg.contains("/home/ada/.plinth/plinth.db"));
        assert!(msg.contains("move it aside"));
    }

    #[test]
    fn foreign_message_shows_the_application_id_in_hex() {
        let err = StoreError::Foreign {
            path: "x.db".into(),
            application_id: 0x1234,
        };
        assert!(err.to_string().contains("0x00001234"));
        assert!(err.to_string().contains("PLINTH_HOME"));
    }

    #[test]
    fn too_new_message_names_both_schema_versions() {
        let err = StoreError::TooNew {
            path: "x.db".into(),
            found: 999,
            supported: 1,
        };
        let msg = err.to_string();
        assert!(msg.contains("schema 999"));
        assert!(msg.contains("knows 1"));
        assert!(msg.contains("upgrade plinth"));
    }
}
