//! The store's handle: cheap to clone, shared by everything in the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::broadcast;

use crate::database;
use crate::error::StoreError;
use crate::event::{Event, NewEvent};
use crate::filter::EventFilter;
use crate::limits::LIVE_CAPACITY;
use crate::reader_pool::ReaderPool;
use crate::reads;
use crate::scrollback::{self, Scrollback, ScrollbackWrite};
use crate::stats::WriterStats;
use crate::subscription::Subscription;
use crate::versioned::{self, Versioned};
use crate::write_op::{PendingEvent, StateWrite, WriteOp};
use crate::writer::{WriterHandle, WriterShared};

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: WriterHandle,
    shared: Arc<WriterShared>,
    /// Subscriptions hold the readers but not the writer, so a forgotten subscription does
    /// not keep the writer thread alive.
    readers: Arc<ReaderPool>,
    /// Weak, so the live channel closes (ending every subscription) when the writer exits.
    live: broadcast::WeakSender<Event>,
}

impl Store {
    /// Opens the database at `path`, creating it and its directory if missing, migrates it,
    /// and starts the writer thread. Refuses, without modifying it, a file that is not a
    /// plinth database or was written by a newer plinth.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = database::open_for_writing(path)?;
        let shared = Arc::new(WriterShared::default());
        let last_seq = reads::last_seq(&conn).map_err(StoreError::Read)?;
        shared.last_seq.store(last_seq, Ordering::Release);
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        let weak_live = live.downgrade();
        let writer =
            WriterHandle::spawn(conn, shared.clone(), live).map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        tracing::debug!(path = %path.display(), last_seq, "store opened");
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer,
                shared,
                readers: Arc::new(ReaderPool::new(path.to_path_buf())),
                live: weak_live,
            }),
        })
    }

    /// The database file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Appends one event; resolves once it is committed to disk.
    pub async fn append(&self, event: NewEvent) -> Result<Event, StoreError> {
        let mut events = self.append_all(vec![event]).await?;
        events
            .pop()
            .ok_or_else(|| StoreError::Write("internal error: the writer returned no event".into()))
    }

    /// Appends events atomically, with consecutive seqs: all are committed, or none.
    pub async fn append_all(&self, events: Vec<NewEvent>) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.write_with_events(None, events).await
    }

    /// Stores `value` under `key` and appends `events`, in one transaction: a record and
    /// the events that tell of its change are committed together, or neither is.
    pub async fn put_state_and_append<T: Versioned>(
        &self,
        key: &str,
        value: &T,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Event>, StoreError> {
        let write = versioned::encode(key, value)?;
        self.write_with_events(Some(write), events).await
    }

    async fn write_with_events(
        &self,
        state: Option<StateWrite>,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Event>, StoreError> {
        let events = events
            .into_iter()
            .map(PendingEvent::encode)
            .collect::<Result<Vec<_>, _>>()?;
        self.inner
            .writer
            .request(|reply| WriteOp::Append {
                state,
                events,
                reply,
            })
            .await
    }

    /// Stored events matching `filter` with `seq > after`, oldest first, at most `limit`.
    /// Blocks on SQLite: from async code call it through `spawn_blocking`.
    pub fn read(
        &self,
        filter: &EventFilter,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.inner
            .readers
            .with(|conn| reads::events(conn, filter, after, limit))
    }

    /// Every event matching `filter` with `seq > after`, in order, then live events until
    /// the store closes.
    pub fn subscribe(&self, filter: EventFilter, after: u64) -> Subscription {
        // The strong sender exists only for this call, so it never keeps the channel open.
        let live = self.inner.live.upgrade().map(|sender| sender.subscribe());
        Subscription::start(self.inner.readers.clone(), live, filter, after)
    }

    /// The seq of the last committed event (0 for an empty log).
    pub fn last_seq(&self) -> u64 {
        self.inner.shared.last_seq.load(Ordering::Acquire)
    }

    /// Commits what is queued, checkpoints and stops the writer. Later writes fail with
    /// [`StoreError::Closed`]; reads keep working. Idempotent.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.inner.writer.close().await;
        Ok(())
    }

    pub fn writer_stats(&self) -> WriterStats {
        self.inner.shared.counters.snapshot()
    }

    /// Stores `value` under `key`, replacing what was there. Goes through the writer, so it
    /// is ordered with appends made before it.
    pub async fn put_state<T: Versioned>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let write = versioned::encode(key, value)?;
        self.inner
            .writer
            .request(|reply| WriteOp::PutState { write, reply })
            .await
    }

    /// The value under `key`, migrated to the latest version; `None` if there is none.
    pub fn get_state<T: Versioned>(&self, key: &str) -> Result<Option<T::Latest>, StoreError> {
        let row = self.inner.readers.with(|conn| reads::state(conn, key))?;
        row.map(versioned::decode::<T>).transpose()
    }

    /// Every value of kind `T::KIND` whose key starts with `key_prefix`, ordered by key.
    pub fn list_state<T: Versioned>(
        &self,
        key_prefix: &str,
    ) -> Result<Vec<(String, T::Latest)>, StoreError> {
        let rows = self
            .inner
            .readers
            .with(|conn| reads::states(conn, T::KIND, key_prefix))?;
        rows.into_iter()
            .map(|row| {
                let key = row.key.clone();
                versioned::decode::<T>(row).map(|value| (key, value))
            })
            .collect()
    }

    /// Removes `key`; `true` if it existed.
    pub async fn delete_state(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.inner
            .writer
            .request(|reply| WriteOp::DeleteState { key, reply })
            .await
    }

    /// The saved position of the named subscriber, if it saved one.
    pub fn get_cursor(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.inner.readers.with(|conn| reads::cursor(conn, name))
    }

    /// Saves the named subscriber's position.
    pub async fn set_cursor(&self, name: &str, seq: u64) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.inner
            .writer
            .request(|reply| WriteOp::SetCursor { name, seq, reply })
            .await
    }
}

impl Store {
    /// Stores `text` as the scrollback of `task`'s `stream`, replacing the row's previous
    /// text. `true` when the row changed; an identical text is left as it was (and keeps its
    /// `captured_at`). The caller bounds the text: the store keeps what it is given.
    pub async fn put_scrollback(
        &self,
        task: &str,
        stream: &str,
        text: String,
    ) -> Result<bool, StoreError> {
        let write = ScrollbackWrite::new(task.to_owned(), stream.to_owned(), text);
        self.inner
            .writer
            .request(|reply| WriteOp::PutScrollback { write, reply })
            .await
    }

    /// Every stream's scrollback of `task`, ordered by stream; empty when none was captured.
    /// Blocks on SQLite: from async code call it through `spawn_blocking`.
    pub fn scrollback(&self, task: &str) -> Result<Vec<Scrollback>, StoreError> {
        self.inner
            .readers
            .with(|conn| scrollback::rows(conn, task, None))
    }

    /// One stream's scrollback of `task`, if it was captured.
    pub fn scrollback_stream(
        &self,
        task: &str,
        stream: &str,
    ) -> Result<Option<Scrollback>, StoreError> {
        let mut rows = self
            .inner
            .readers
            .with(|conn| scrollback::rows(conn, task, Some(stream)))?;
        Ok(rows.pop())
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("last_seq", &self.last_seq())
            .finish()
    }
}
