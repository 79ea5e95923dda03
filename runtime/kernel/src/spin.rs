//! Staying awake for a moment instead of parking. Waking a parked thread costs several
//! microseconds on these machines (futex or eventfd, then the scheduler), which alone would
//! double a request/reply across threads. So a worker about to park first spins briefly
//! while messages keep arriving, and a caller spins briefly on its reply. Both are bounded:
//! an idle process parks after one short spin and uses no CPU.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Bumped after every message is enqueued (the enqueue has already woken the worker).
static ACTIVITY: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static SEEN: Cell<u64> = const { Cell::new(0) };
}

pub(crate) fn note_message() {
    ACTIVITY.fetch_add(1, Ordering::Release);
}

/// Called by a worker as it takes a message: everything counted so far is being handled.
pub(crate) fn caught_up() {
    SEEN.set(ACTIVITY.load(Ordering::Acquire));
}

/// The worker runtime's `on_thread_park` hook: returns at once if a message came after the
/// worker last took one (it may be waiting), else spins until one comes or the budget is
/// spent; the runtime then parks, returning at once if the message's wake-up is pending.
pub(crate) fn before_park(budget: Duration) {
    let seen = SEEN.get();
    let now = ACTIVITY.load(Ordering::Acquire);
    if now != seen {
        SEEN.set(now);
        return;
    }
    let started = Instant::now();
    loop {
        for _ in 0..64 {
            std::hint::spin_loop();
            let now = ACTIVITY.load(Ordering::Acquire);
            if now != seen {
                SEEN.set(now);
                return;
            }
        }
        if started.elapsed() >= budget {
            return;
        }
    }
}

/// Polls `inner` in a tight loop for up to `budget` before returning `Pending`.
pub(crate) struct SpinPoll<F> {
    inner: F,
    budget: Duration,
}

impl<F> SpinPoll<F> {
    pub(crate) fn new(inner: F, budget: Duration) -> Self {
        SpinPoll { inner, budget }
    }
}

impl<F: Future + Unpin> Future for SpinPoll<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Poll::Ready(out) = Pin::new(&mut self.inner).poll(cx) {
            return Poll::Ready(out);
        }
        if self.budget.is_zero() {
            return Poll::Pending;
        }
        let started = Instant::now();
        loop {
            for _ in 0..16 {
                std::hint::spin_loop();
            }
            if let Poll::Ready(out) = Pin::new(&mut self.inner).poll(cx) {
                return Poll::Ready(out);
            }
            if started.elapsed() >= self.budget {
                // Spin once per await: a slow reply costs one budget, not one per wake-up.
                self.budget = Duration::ZERO;
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_worker_parks_after_its_budget() {
        let started = Instant::now();
        before_park(Duration::from_millis(2));
        before_park(Duration::from_millis(2));
        assert!(started.elapsed() >= Duration::from_millis(2));
    }

    #[test]
    fn a_message_since_the_last_one_taken_skips_the_spin() {
        caught_up();
        note_message();
        let started = Instant::now();
        before_park(Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
