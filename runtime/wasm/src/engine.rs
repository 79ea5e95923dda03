//! The one wasmtime `Engine` per process: its configuration (pooling allocator sized for
//! `max_instances`, epoch interruption, optional fuel) and the thread that ticks its epoch.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::errors::HostError;
use crate::limits::CORE_INSTANCES_PER_COMPONENT;
use crate::limits::EPOCH_TICK;
use crate::limits::MEMORIES_PER_COMPONENT;
use crate::limits::MEMORY_GUARD;
use crate::limits::TABLES_PER_COMPONENT;
use crate::limits::{DEFAULT_CALL_DEADLINE, DEFAULT_MEMORY_LIMIT, MAX_INSTANCES};

const WASM_PAGE: usize = 64 * 1024;

/// How the host runs adapters. One per process.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where compiled adapters are kept between runs; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Largest any one linear memory of an instance may grow to, in bytes.
    pub memory_limit: usize,
    /// Guest CPU time allowed per export call; time inside host calls does not count.
    pub call_deadline: Duration,
    /// Fuel per export call; `None` turns fuel metering off (it slows guests down).
    pub fuel: Option<u64>,
    /// Instances that can be alive at once (the pooling allocator's size).
    pub max_instances: u32,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            cache_dir: None,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            call_deadline: DEFAULT_CALL_DEADLINE,
            fuel: None,
            max_instances: MAX_INSTANCES,
        }
    }
}

impl HostConfig {
    pub(crate) fn validate(&self) -> Result<(), HostError> {
        if self.memory_limit < WASM_PAGE {
            return Err(HostError::Config(format!(
                "memory_limit is {} bytes; it must be at least one 64 KiB WebAssembly page",
                self.memory_limit
            )));
        }
        if self.max_instances == 0 {
            return Err(HostError::Config(
                "max_instances is 0; at least one instance must fit".to_string(),
            ));
        }
        if self.call_deadline.is_zero() {
            return Err(HostError::Config(
                "call_deadline is 0; give guests some time (the default is 5 s)".to_string(),
            ));
        }
        if self.fuel == Some(0) {
            return Err(HostError::Config(
                "fuel is Some(0), which traps every call; use None to turn fuel off".to_string(),
            ));
        }
        Ok(())
    }

    /// The memory cap rounded up to whole pages: what a slot of the pool reserves.
    pub(crate) fn memory_reservation(&self) -> usize {
        self.memory_limit.div_ceil(WASM_PAGE) * WASM_PAGE
    }
}

pub(crate) fn build_engine(config: &HostConfig) -> Result<Engine, HostError> {
    let n = config.max_instances;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(n.saturating_mul(MEMORIES_PER_COMPONENT))
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .total_tables(n.saturating_mul(TABLES_PER_COMPONENT))
        .max_tables_per_component(TABLES_PER_COMPONENT)
        // Freed slots are decommitted (keep-resident stays 0): measured on the probe, zeroing
        // a 1 MiB resident slot on drop costs more than faulting its pages back in.
        .max_memory_size(config.memory_reservation());

    let mut wasm = Config::new();
    wasm.wasm_component_model(true)
        .epoch_interruption(true)
        .consume_fuel(config.fuel.is_some())
        .memory_reservation(config.memory_reservation() as u64)
        .memory_guard_size(MEMORY_GUARD)
        .memory_reservation_for_growth(0)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&wasm).map_err(|e| HostError::Engine(format!("{e:#}")))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub(crate) struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub(crate) fn start(engine: Engine) -> Result<Ticker, HostError> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("plinth-wasm-epoch".to_string())
            .spawn(move || {
                // A disconnected channel (the host dropped) ends the loop as a message would.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EPOCH_TICK) {
                    engine.increment_epoch();
                }
            })
            .map_err(HostError::Ticker)?;
        Ok(Ticker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticker_advances_the_epoch_until_dropped() {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).unwrap();
        let ticker = Ticker::start(engine.clone()).unwrap();
        let mut store = wasmtime::Store::new(&engine, ());
        // A deadline a few ticks out passes only if the ticker runs.
        store.set_epoch_deadline(3);
        let module =
            wasmtime::Module::new(&engine, "(module (func (export \"spin\") (loop br 0)))")
                .unwrap();
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let spin = instance
            .get_typed_func::<(), ()>(&mut store, "spin")
            .unwrap();
        assert!(spin.call(&mut store, ()).is_err());
        // Dropping joins the thread; a ticker that did not stop would hang here.
        drop(ticker);
    }

    #[test]
    fn configs_that_cannot_work_are_refused_with_the_reason() {
        let bad = [
            HostConfig {
                memory_limit: 1000,
                ..HostConfig::default()
            },
            HostConfig {
                max_instances: 0,
                ..HostConfig::default()
            },
            HostConfig {
                call_deadline: Duration::ZERO,
                ..HostConfig::default()
            },
            HostConfig {
                fuel: Some(0),
                ..HostConfig::default()
            },
        ];
        for config in bad {
            let err = config.validate().unwrap_err();
            assert!(matches!(err, HostError::Config(_)), "{err}");
        }
        HostConfig::default().validate().unwrap();
    }
}
