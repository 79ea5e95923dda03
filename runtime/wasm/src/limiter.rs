//! Per-instance limits: the memory cap (with a record of whether it was hit, to tell a
//! memory trap from any other) and the per-call CPU deadline, which excludes time spent in
//! host calls.

use std::time::{Duration, Instant};

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder, UpdateDeadline};

use crate::limits::EPOCH_TICK;

/// `StoreLimits` with a memory cap that traps, plus bookkeeping: the bytes of linear memory
/// the instance holds and whether a growth was refused.
pub(crate) struct Limiter {
    limits: StoreLimits,
    cap: usize,
    /// Counted when the limiter allows a growth. A growth that then fails is not taken
    /// back: with `trap_on_grow_failure` the failure traps, and a trapped instance is never
    /// used again.
    memory_bytes: usize,
    pub(crate) cap_hit: bool,
}

impl Limiter {
    pub(crate) fn new(cap: usize) -> Limiter {
        Limiter {
            limits: StoreLimitsBuilder::new()
                .memory_size(cap)
                .trap_on_grow_failure(true)
                .build(),
            cap,
            memory_bytes: 0,
            cap_hit: false,
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.cap_hit = true;
        }
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.memory_bytes += desired.saturating_sub(current);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// Raised from the epoch callback when a call used up its deadline; found again by
/// downcasting the call's error.
#[derive(Debug, thiserror::Error)]
#[error("guest CPU deadline of {0:?} exceeded")]
pub(crate) struct DeadlineExceeded(pub(crate) Duration);

/// Guest time for the call in progress: wall time since it began minus time in host calls.
pub(crate) struct CallClock {
    limit: Duration,
    started: Option<Instant>,
    in_host: Duration,
    pub(crate) guest_total: Duration,
}

impl CallClock {
    pub(crate) fn new(limit: Duration) -> CallClock {
        CallClock {
            limit,
            started: None,
            in_host: Duration::ZERO,
            guest_total: Duration::ZERO,
        }
    }

    /// Starts a call and returns how many epoch ticks to allow before checking again.
    pub(crate) fn begin(&mut self) -> u64 {
        self.started = Some(Instant::now());
        self.in_host = Duration::ZERO;
        ticks(self.limit)
    }

    pub(crate) fn end(&mut self) {
        if let Some(started) = self.started.take() {
            self.guest_total += started.elapsed().saturating_sub(self.in_host);
        }
    }

    pub(crate) fn add_host_time(&mut self, d: Duration) {
        self.in_host += d;
    }

    fn guest_time(&self) -> Duration {
        self.started
            .map(|s| s.elapsed().saturating_sub(self.in_host))
            .unwrap_or_default()
    }

    /// Called when the epoch passes the deadline: the ticks kept coming while the guest was
    /// in host calls, so recount from the clocks and either push the deadline out by what
    /// is left or stop the guest.
    pub(crate) fn on_deadline(&mut self) -> wasmtime::Result<UpdateDeadline> {
        let used = self.guest_time();
        if used >= self.limit {
            return Err(DeadlineExceeded(self.limit).into());
        }
        Ok(UpdateDeadline::Continue(ticks(self.limit - used)))
    }
}

fn ticks(d: Duration) -> u64 {
    (d.as_nanos().div_ceil(EPOCH_TICK.as_nanos()) as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_counts_only_guest_time() {
        let mut clock = CallClock::new(Duration::from_millis(50));
        clock.begin();
        std::thread::sleep(Duration::from_millis(60));
        // The sleep stands for an `exec`: time in the host.
        clock.add_host_time(Duration::from_millis(60));
        assert!(matches!(clock.on_deadline(), Ok(UpdateDeadline::Continue(n)) if n >= 1));
        clock.add_host_time(Duration::from_millis(0));
        std::thread::sleep(Duration::from_millis(55));
        match clock.on_deadline() {
            Err(err) => assert!(err.is::<DeadlineExceeded>()),
            Ok(_) => panic!("60 ms of guest time passed a 50 ms deadline"),
        }
        clock.end();
        assert!(clock.guest_total >= Duration::from_millis(50));
        assert!(clock.guest_total < Duration::from_millis(100));
    }

    #[test]
    fn ticks_round_up() {
        assert_eq!(ticks(Duration::ZERO), 1);
        assert_eq!(ticks(EPOCH_TICK), 1);
        assert_eq!(ticks(EPOCH_TICK + Duration::from_nanos(1)), 2);
        assert_eq!(ticks(Duration::from_secs(5)), 500);
    }
}
