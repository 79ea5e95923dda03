//! One running adapter: its own `Store`, entered only from its owner's thread, never again
//! after a trap. Callers speak the latest WIT's shapes whatever version the component is
//! built against; a 0.1.0 component's are converted (`wit::convert`).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use wasmtime::{Store, Trap};

use crate::errors::GuestError;
use crate::limiter::DeadlineExceeded;
use crate::shared::HostInner;
use crate::state::HostState;
use crate::wit::convert::signal_to_v1;
use crate::wit::{AdapterInfo, Signal, Task, WitVersion, latest, v1};

/// The component's exports, in the version it is built against.
pub(crate) enum Bindings {
    Latest(latest::Adapter),
    V1(v1::Adapter),
}

/// What an instance has used so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Linear memory the instance holds, in bytes.
    pub memory_bytes: usize,
    /// Fuel burnt over all calls (0 when fuel is off).
    pub fuel_consumed: u64,
    /// Export calls made, including failed ones.
    pub calls: u64,
    /// Time spent running guest code, host calls excluded.
    pub guest_cpu: Duration,
}

pub struct AdapterInstance {
    store: Store<HostState>,
    adapter: Bindings,
    poisoned: bool,
    fuel_consumed: u64,
    calls: u64,
    // Keeps the engine's epoch ticking while this instance can still run.
    host: Arc<HostInner>,
}

impl AdapterInstance {
    pub(crate) fn new(store: Store<HostState>, adapter: Bindings, host: Arc<HostInner>) -> Self {
        AdapterInstance {
            store,
            adapter,
            poisoned: false,
            fuel_consumed: 0,
            calls: 0,
            host,
        }
    }

    /// The version of `plinth:agent` the component is built against.
    pub fn wit_version(&self) -> WitVersion {
        match self.adapter {
            Bindings::Latest(_) => WitVersion::V0_2,
            Bindings::V1(_) => WitVersion::V0_1,
        }
    }

    pub fn info(&mut self) -> Result<AdapterInfo, GuestError> {
        self.call(|adapter, store| match adapter {
            Bindings::Latest(a) => a.plinth_agent_agent().call_info(store),
            Bindings::V1(a) => a.plinth_agent_agent().call_info(store).map(Into::into),
        })
    }

    /// Starts or resumes the task, with the state the adapter last saved.
    pub fn start(&mut self, task: &Task, saved: Option<Vec<u8>>) -> Result<(), GuestError> {
        let saved = saved.as_deref();
        self.call(|adapter, store| match adapter {
            Bindings::Latest(a) => a.plinth_agent_agent().call_start(store, task, saved),
            Bindings::V1(a) => {
                let task = task.clone().into();
                a.plinth_agent_agent().call_start(store, &task, saved)
            }
        })?
        .map_err(GuestError::Returned)
    }

    /// Hands the adapter a signal. A 0.1.0 adapter gets an `answer` as the user message of
    /// the choice's label.
    pub fn on_signal(&mut self, signal: &Signal) -> Result<(), GuestError> {
        self.call(|adapter, store| match adapter {
            Bindings::Latest(a) => a.plinth_agent_agent().call_on_signal(store, signal),
            Bindings::V1(a) => {
                let signal = signal_to_v1(signal.clone(), store.data().asked.as_ref());
                a.plinth_agent_agent().call_on_signal(store, &signal)
            }
        })?
        .map_err(GuestError::Returned)
    }

    pub fn stop(&mut self) -> Result<(), GuestError> {
        self.call(|adapter, store| match adapter {
            Bindings::Latest(a) => a.plinth_agent_agent().call_stop(store),
            Bindings::V1(a) => a.plinth_agent_agent().call_stop(store),
        })?
        .map_err(GuestError::Returned)
    }

    pub fn usage(&self) -> Usage {
        let state = self.store.data();
        Usage {
            memory_bytes: state.limiter.memory_bytes(),
            fuel_consumed: self.fuel_consumed,
            calls: self.calls,
            guest_cpu: state.clock.guest_total,
        }
    }

    /// Whether a trap has made this instance unusable.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    fn call<R>(
        &mut self,
        f: impl FnOnce(&Bindings, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, GuestError> {
        if self.poisoned {
            return Err(GuestError::Poisoned);
        }
        let fuel = self.host.config.fuel;
        arm(&mut self.store, fuel);
        let result = f(&self.adapter, &mut self.store);
        self.store.data_mut().clock.end();
        self.calls += 1;
        if let Some(fuel) = fuel {
            let left = self.store.get_fuel().unwrap_or(0);
            self.fuel_consumed += fuel.saturating_sub(left);
        }
        result.map_err(|e| {
            // Whatever went wrong, the guest stopped mid-call and its state is unknown.
            self.poisoned = true;
            classify(e, &self.store, &self.host)
        })
    }
}

/// Resets the per-call limits before entering the guest.
pub(crate) fn arm(store: &mut Store<HostState>, fuel: Option<u64>) {
    let state = store.data_mut();
    state.limiter.cap_hit = false;
    let ticks = state.clock.begin();
    store.set_epoch_deadline(ticks);
    if let Some(fuel) = fuel {
        store
            .set_fuel(fuel)
            .expect("fuel metering is on whenever a fuel budget is set");
    }
}

/// Names what stopped the guest.
pub(crate) fn classify(
    err: wasmtime::Error,
    store: &Store<HostState>,
    host: &HostInner,
) -> GuestError {
    if err.is::<DeadlineExceeded>() || matches!(err.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
        return GuestError::Deadline {
            limit: host.config.call_deadline,
        };
    }
    if matches!(err.downcast_ref::<Trap>(), Some(Trap::OutOfFuel)) {
        return GuestError::OutOfFuel;
    }
    if store.data().limiter.cap_hit {
        return GuestError::MemoryCap {
            limit: host.config.memory_limit,
        };
    }
    GuestError::Trap {
        message: format!("{err:#}"),
    }
}
