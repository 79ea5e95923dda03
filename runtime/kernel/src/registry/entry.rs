//! One actor's live record: its counters are atomics the kernel updates on the message path
//! and the registry reads at any time.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;

use super::changes::Changes;
use super::info::{ActorInfo, ActorState, RestartLimit, millis_since_epoch};

/// The live record of one actor or supervisor; the kernel updates it, the registry reads it.
pub struct Entry {
    pub(crate) id: u64,
    pub(crate) name: String,
    kind: String,
    pub(super) parent: Option<u64>,
    restart_limit: Option<RestartLimit>,
    state: AtomicU8,
    // Signed: a send counted just before an incarnation's reset must not wrap around.
    mailbox: AtomicI64,
    handled: AtomicU64,
    restarts: AtomicU64,
    last_error: Mutex<Option<String>>,
    in_flight: Mutex<Option<&'static str>>,
    started: Mutex<(SystemTime, Instant)>,
    changes: Arc<Changes>,
}

impl Entry {
    pub(super) fn new(
        id: u64,
        name: String,
        kind: &str,
        parent: Option<u64>,
        restart_limit: Option<RestartLimit>,
        changes: Arc<Changes>,
    ) -> Entry {
        Entry {
            id,
            name,
            kind: kind.to_string(),
            parent,
            restart_limit,
            state: AtomicU8::new(ActorState::Starting as u8),
            mailbox: AtomicI64::new(0),
            handled: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            last_error: Mutex::new(None),
            in_flight: Mutex::new(None),
            started: Mutex::new((SystemTime::now(), Instant::now())),
            changes,
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn set_state(&self, state: ActorState) {
        let before = self.state.swap(state as u8, Ordering::AcqRel);
        if before != state as u8 {
            self.changes.bump();
        }
    }

    pub(crate) fn state(&self) -> ActorState {
        ActorState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// A new incarnation is running: its clock starts now.
    pub(crate) fn incarnated(&self) {
        *self.started.lock() = (SystemTime::now(), Instant::now());
        *self.in_flight.lock() = None;
        self.set_state(ActorState::Running);
    }

    /// A new mailbox, before anyone can send to it: what was queued for the last
    /// incarnation died with it.
    pub(crate) fn new_mailbox(&self) {
        self.mailbox.store(0, Ordering::Relaxed);
    }

    pub(crate) fn count_restart(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
        self.changes.bump();
    }

    pub(crate) fn set_error(&self, error: impl Into<String>) {
        *self.last_error.lock() = Some(error.into());
        self.changes.bump();
    }

    pub(crate) fn enqueued(&self) {
        self.mailbox.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn begin(&self, message: &'static str) {
        self.mailbox.fetch_sub(1, Ordering::Relaxed);
        *self.in_flight.lock() = Some(message);
    }

    pub(crate) fn end(&self) {
        *self.in_flight.lock() = None;
        self.handled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn in_flight(&self) -> Option<&'static str> {
        *self.in_flight.lock()
    }

    pub(super) fn info(&self) -> ActorInfo {
        let (started_wall, started) = *self.started.lock();
        ActorInfo {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind.clone(),
            parent: self.parent,
            state: self.state(),
            mailbox: self.mailbox.load(Ordering::Relaxed).max(0) as u64,
            handled: self.handled.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
            last_error: self.last_error.lock().clone(),
            started_at: millis_since_epoch(started_wall),
            uptime_ms: started.elapsed().as_millis() as u64,
            in_flight: self.in_flight().map(crate::exit::short_type_name),
            restart_limit: self.restart_limit,
        }
    }
}
