//! How a supervisor reacts to a child's exit: which exits are restarted, which siblings go
//! with it, how long to wait, and when to give up.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::exit::Exit;

/// Which exits of a child its supervisor restarts (OTP's restart types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// Always restarted, whatever the exit.
    Permanent,
    /// Restarted only after a failure; a normal exit is final.
    Transient,
    /// Never restarted.
    Temporary,
}

impl Restart {
    pub fn restarts_after(self, exit: &Exit) -> bool {
        match (self, exit) {
            (_, Exit::Shutdown) => false,
            (Restart::Permanent, _) => true,
            (Restart::Transient, Exit::Failed(_)) => true,
            (Restart::Transient, Exit::Normal) => false,
            (Restart::Temporary, _) => false,
        }
    }
}

/// Which children are restarted when one of them must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Only the child that exited.
    OneForOne,
    /// Every child: for children that only make sense together.
    OneForAll,
    /// The child that exited and every child started after it (they depend on it).
    RestForOne,
}

impl Strategy {
    /// Indexes (in start order) of the children to restart when child `failed` of `count` exits.
    pub fn affected(self, failed: usize, count: usize) -> std::ops::Range<usize> {
        match self {
            Strategy::OneForOne => failed..failed + 1,
            Strategy::OneForAll => 0..count,
            Strategy::RestForOne => failed..count,
        }
    }
}

/// At most `max_restarts` restarts within `within`; one more and the supervisor gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Intensity {
    pub max_restarts: u32,
    pub within: Duration,
}

/// A child's own restart budget, for a child whose failures are its own business (a task's
/// agent): its restarts are counted here, never against its supervisor's intensity, and
/// only it is restarted, whatever the strategy. One failure more than `intensity` allows
/// and it is not restarted again: it ends failed, its monitors hear why
/// ([`crate::Down::BudgetSpent`]), and its supervisor and siblings go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartBudget {
    pub intensity: Intensity,
    pub backoff: Backoff,
}

/// Delay before a restart: `initial × factor^(n-1)` for the n-th restart within the
/// intensity window, never more than `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub factor: u32,
}

impl Backoff {
    pub fn delay(&self, nth: u32) -> Duration {
        let exponent = nth.saturating_sub(1).min(32);
        let grown = (self.factor.max(1) as u128).saturating_pow(exponent);
        let nanos = self.initial.as_nanos().saturating_mul(grown);
        Duration::from_nanos(nanos.min(self.max.as_nanos()).min(u64::MAX as u128) as u64)
    }
}

/// The restarts a supervisor made recently, to enforce its intensity.
#[derive(Debug, Default)]
pub struct RestartLog {
    times: VecDeque<Instant>,
}

impl RestartLog {
    /// Records a restart at `now`; false when it is one too many for `intensity`.
    pub fn allow(&mut self, intensity: Intensity, now: Instant) -> bool {
        self.forget_before(now, intensity.within);
        self.times.push_back(now);
        self.times.len() <= intensity.max_restarts as usize
    }

    /// Records a restart at `now`; returns how many fall inside the window, this one included.
    pub fn record(&mut self, now: Instant, within: Duration) -> u32 {
        self.forget_before(now, within);
        self.times.push_back(now);
        self.times.len() as u32
    }

    fn forget_before(&mut self, now: Instant, within: Duration) {
        while let Some(first) = self.times.front() {
            if now.duration_since(*first) > within {
                self.times.pop_front();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_types_follow_otp() {
        let failed = Exit::Failed("boom".into());
        assert!(Restart::Permanent.restarts_after(&Exit::Normal));
        assert!(Restart::Permanent.restarts_after(&failed));
        assert!(Restart::Transient.restarts_after(&failed));
        assert!(!Restart::Transient.restarts_after(&Exit::Normal));
        assert!(!Restart::Temporary.restarts_after(&failed));
        for r in [Restart::Permanent, Restart::Transient, Restart::Temporary] {
            assert!(!r.restarts_after(&Exit::Shutdown), "{r:?}");
        }
    }

    #[test]
    fn backoff_grows_by_its_factor_up_to_the_cap() {
        let b = Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(70),
            factor: 2,
        };
        let delays: Vec<u128> = (1..=5).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(delays, vec![10, 20, 40, 70, 70]);
        assert_eq!(b.delay(1000), Duration::from_millis(70));
    }

    #[test]
    fn intensity_allows_max_restarts_within_the_window_then_refuses() {
        let intensity = Intensity {
            max_restarts: 3,
            within: Duration::from_secs(10),
        };
        let mut log = RestartLog::default();
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(log.allow(intensity, t0 + Duration::from_secs(i)));
        }
        assert!(!log.allow(intensity, t0 + Duration::from_secs(4)));
        // Old restarts age out of the window.
        let mut log = RestartLog::default();
        for i in 0..3 {
            assert!(log.allow(intensity, t0 + Duration::from_secs(i)));
        }
        assert!(log.allow(intensity, t0 + Duration::from_secs(11)));
    }

    #[test]
    fn strategies_pick_the_right_siblings() {
        assert_eq!(Strategy::OneForOne.affected(1, 4), 1..2);
        assert_eq!(Strategy::OneForAll.affected(1, 4), 0..4);
        assert_eq!(Strategy::RestForOne.affected(1, 4), 1..4);
    }
}
