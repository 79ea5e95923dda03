//! The writer's counters. They are atomics written by the writer thread and read by anyone
//! (the actor inspector polls them), so reading never waits on a write.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;

/// A snapshot of the writer's counters.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WriterStats {
    /// Items (events and state changes) sent to the writer and not yet taken into a batch.
    pub queued: u64,
    /// Items committed since the store was opened.
    pub written: u64,
    /// Transactions committed since the store was opened.
    pub batches: u64,
    /// The most recent failed batch, if any failed since the store was opened.
    pub last_error: Option<String>,
    /// The last batch failed and none committed since: the store is not taking writes
    /// (a full disk, a file made read-only). The next batch that commits clears it.
    pub failing: bool,
}

#[derive(Default)]
pub(crate) struct WriterCounters {
    queued: AtomicU64,
    written: AtomicU64,
    batches: AtomicU64,
    last_error: Mutex<Option<String>>,
    failing: AtomicBool,
}

impl WriterCounters {
    pub(crate) fn enqueued(&self, items: u64) {
        self.queued.fetch_add(items, Ordering::Relaxed);
    }

    pub(crate) fn dequeued(&self, items: u64) {
        self.queued.fetch_sub(items, Ordering::Relaxed);
    }

    pub(crate) fn committed(&self, items: u64) {
        self.written.fetch_add(items, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.failing.store(false, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self, error: String) {
        *self.last_error.lock() = Some(error);
        self.failing.store(true, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WriterStats {
        WriterStats {
            queued: self.queued.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
            last_error: self.last_error.lock().clone(),
            failing: self.failing.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_in_the_snapshot() {
        let c = WriterCounters::default();
        c.enqueued(5);
        c.dequeued(3);
        c.committed(3);
        c.failed("disk full".into());
        let s = c.snapshot();
        assert_eq!((s.queued, s.written, s.batches), (2, 3, 1));
        assert_eq!(s.last_error.as_deref(), Some("disk full"));
    }

    #[test]
    fn a_failed_batch_marks_the_store_failing_until_one_commits() {
        let c = WriterCounters::default();
        assert!(!c.snapshot().failing);
        c.failed("disk full".into());
        assert!(c.snapshot().failing);
        c.committed(1);
        let s = c.snapshot();
        assert!(!s.failing);
        assert_eq!(
            s.last_error.as_deref(),
            Some("disk full"),
            "the last error stays"
        );
    }
}
