//! The tasks' running agent hosts, and what waits for one being started.
//!
//! After a restart of plinth the sandboxes' listener answers before every resumed task's
//! host is back (its container is re-adopted first): a hook the agent posted while plinth
//! was down, or a model call it retried, arrives with no host to hand it to. Such signals
//! are held, in order, and handed to the host before it is registered, so the adapter
//! misses none (a missed `Stop` would lose the turn's reply and leave the status to the
//! screen) and gets them before anything sent later.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use plinth_kernel::ChildRef;
use plinth_wasm::wit::Signal;

use crate::agent_host::AgentHost;
use crate::limits::HELD_MAX;

/// The name of task `task`'s agent host under the `tasks` supervisor.
pub(super) fn agent_host_name(task: &str) -> String {
    format!("task-{task}")
}

/// Shared by the service's incarnations, as the hosts outlive a restart of the service.
/// Generic only so its rules can be tested without actors.
#[derive(Clone)]
pub struct AgentHosts<H = ChildRef<AgentHost>> {
    inner: Arc<Mutex<Inner<H>>>,
}

struct Inner<H> {
    running: HashMap<String, H>,
    held: HashMap<String, VecDeque<Signal>>,
}

impl<H> Default for AgentHosts<H> {
    fn default() -> Self {
        AgentHosts {
            inner: Arc::new(Mutex::new(Inner {
                running: HashMap::new(),
                held: HashMap::new(),
            })),
        }
    }
}

impl<H: Clone> AgentHosts<H> {
    fn lock(&self) -> MutexGuard<'_, Inner<H>> {
        self.inner.lock().expect("the agent hosts' table poisoned")
    }

    pub fn contains(&self, id: &str) -> bool {
        self.lock().running.contains_key(id)
    }

    /// Registers the host of task `id`, unless signals are held for it: then they are
    /// returned, oldest first, for the caller to hand over before trying again (signals
    /// keep being held until the host is registered, so none overtakes another).
    pub fn register(&self, id: &str, host: H) -> Result<(), VecDeque<Signal>> {
        let mut inner = self.lock();
        match inner.held.remove(id) {
            Some(held) if !held.is_empty() => Err(held),
            _ => {
                inner.running.insert(id.to_string(), host);
                Ok(())
            }
        }
    }

    /// Unregisters the host of task `id` (and forgets what was held for it).
    pub fn remove(&self, id: &str) -> Option<H> {
        let mut inner = self.lock();
        inner.held.remove(id);
        inner.running.remove(id)
    }

    /// Forgets what was held for task `id`: its host will not start.
    pub fn forget_held(&self, id: &str) {
        self.lock().held.remove(id);
    }

    /// Where `signal` for task `id` goes: the running host to send it to, or, when none
    /// runs, held for the host being started when `starting` (else dropped); `None` then.
    pub fn route(&self, id: &str, signal: Signal, starting: bool) -> Option<(H, Signal)> {
        let mut inner = self.lock();
        if let Some(host) = inner.running.get(id) {
            return Some((host.clone(), signal));
        }
        if starting {
            let held = inner.held.entry(id.to_string()).or_default();
            if held.len() == HELD_MAX {
                held.pop_front();
            }
            held.push_back(signal);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks<'a>(signals: impl IntoIterator<Item = &'a Signal>) -> Vec<u64> {
        signals
            .into_iter()
            .map(|s| match s {
                Signal::Tick(n) => *n,
                _ => panic!("not a tick"),
            })
            .collect()
    }

    #[test]
    fn signals_before_the_host_are_handed_over_in_order_before_it_is_registered() {
        let hosts: AgentHosts<&str> = AgentHosts::default();
        assert!(hosts.route("t1", Signal::Tick(1), true).is_none());
        assert!(hosts.route("t1", Signal::Tick(2), true).is_none());
        assert!(hosts.route("t2", Signal::Tick(3), false).is_none());

        let held = hosts.register("t1", "host-1").unwrap_err();
        assert_eq!(ticks(&held), [1, 2]);
        assert!(!hosts.contains("t1"), "not registered while some were held");
        // One that comes while those are handed over waits its turn too.
        assert!(hosts.route("t1", Signal::Tick(4), true).is_none());
        assert_eq!(ticks(&hosts.register("t1", "host-1").unwrap_err()), [4]);
        hosts.register("t1", "host-1").unwrap();

        let (host, signal) = hosts.route("t1", Signal::Tick(5), true).unwrap();
        assert_eq!(host, "host-1");
        assert_eq!(ticks(&[signal]), [5]);
        // t2 was not starting: its signal was dropped, not held.
        hosts.register("t2", "host-2").unwrap();
    }

    #[test]
    fn what_is_held_is_bounded_and_forgotten_with_the_start() {
        let hosts: AgentHosts<&str> = AgentHosts::default();
        for n in 0..HELD_MAX as u64 + 2 {
            hosts.route("t1", Signal::Tick(n), true);
        }
        let held = hosts.register("t1", "h").unwrap_err();
        assert_eq!(held.len(), HELD_MAX);
        assert_eq!(ticks(&held)[0], 2, "the oldest went first");

        hosts.route("t1", Signal::Tick(9), true);
        hosts.forget_held("t1");
        hosts.register("t1", "h").unwrap();
        hosts.route("t3", Signal::Tick(9), true);
        assert!(hosts.remove("t3").is_none());
        hosts.register("t3", "h").unwrap();
    }
}
