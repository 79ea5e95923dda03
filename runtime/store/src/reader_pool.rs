//! Read connections, reused across calls. Opening a connection costs a schema parse, so a few
//! idle ones are kept; more are opened when reads run in parallel and closed afterwards.

use std::path::PathBuf;

use parking_lot::Mutex;
use rusqlite::Connection;

use crate::database;
use crate::error::StoreError;
use crate::limits::MAX_IDLE_READERS;

pub(crate) struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    pub(crate) fn new(path: PathBuf) -> Self {
        ReaderPool {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on a connection of its own: the lock is held only to take and return it,
    /// never while a query runs.
    pub(crate) fn with<R>(
        &self,
        read: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let taken = self.idle.lock().pop();
        let conn = match taken {
            Some(conn) => conn,
            None => database::open_for_reading(&self.path)?,
        };
        let result = read(&conn);
        let mut idle = self.idle.lock();
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}
