//! Every limit and timeout of this crate, named, each with why it is what it is.

use std::time::Duration;

// SQLite connections.

/// How long a connection waits on a lock held by another connection (a checkpoint, or a
/// second process) before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough cached statements for every distinct query the store runs.
pub(crate) const STATEMENT_CACHE: usize = 32;

/// Idle read connections kept for reuse: more readers than this at once is rare, and each
/// idle one holds file handles and cache.
pub(crate) const MAX_IDLE_READERS: usize = 4;

// Writing.

/// The most items one transaction takes from the queue, so one commit (and the wait of the
/// callers in it) stays short even under a flood.
pub(crate) const MAX_BATCH_ITEMS: u64 = 4096;

// Subscriptions.

/// How many live events a subscriber may fall behind before it has to go back to reading
/// the store.
pub(crate) const LIVE_CAPACITY: usize = 4096;

/// Stored events are read in pages of this many, so a subscriber starting far back neither
/// holds a huge result in memory nor keeps a read transaction open for long.
pub(crate) const SUBSCRIPTION_PAGE: usize = 512;
