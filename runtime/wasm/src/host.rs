//! The process-wide host: loads adapters (checking grants, compiling or taking them from
//! the cache, linking what they import) and hands them out; what it shares with them is in
//! `shared`.

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::Component;

use crate::cache::{self, CacheStats};
use crate::capabilities::{Capabilities, Capability};
use crate::engine::HostConfig;
use crate::errors::{GuestError, HostError, InspectError, LoadError};
use crate::inspect::ComponentSummary;
use crate::instance::{AdapterInstance, Bindings, arm, classify};
use crate::limiter::{CallClock, Limiter};
use crate::shared::HostInner;
use crate::state::HostState;
use crate::wit::{WitVersion, latest, v1};

/// A linked component, ready to instantiate, in the version it is built against.
enum Pre {
    Latest(latest::AdapterPre<HostState>),
    V1(v1::AdapterPre<HostState>),
}

/// Runs adapter components. Cheap to clone; one per process. The epoch ticker thread stops
/// once every clone, and every adapter and instance made from it, is dropped.
#[derive(Clone)]
pub struct WasmHost {
    inner: Arc<HostInner>,
}

impl WasmHost {
    pub fn new(config: HostConfig) -> Result<WasmHost, HostError> {
        config.validate()?;
        Ok(WasmHost {
            inner: Arc::new(HostInner::start(config)?),
        })
    }

    /// Validates `bytes` as an adapter component and lists what it imports and exports.
    /// Needs no engine; use [`ComponentSummary::read`] to look at a component that is not
    /// an adapter without failing.
    pub fn inspect(bytes: &[u8]) -> Result<ComponentSummary, InspectError> {
        let summary = ComponentSummary::read(bytes)?;
        summary.ensure_adapter()?;
        Ok(summary)
    }

    /// Makes an adapter ready to instantiate: checks every capability it imports is in
    /// `grants`, compiles it (or loads it from the cache) and links what it imports.
    pub fn load(&self, bytes: &[u8], grants: &[Capability]) -> Result<LoadedAdapter, LoadError> {
        let summary = Self::inspect(bytes)?;
        let missing: Vec<Capability> = summary
            .capabilities
            .iter()
            .copied()
            .filter(|c| !grants.contains(c))
            .collect();
        if let Some(&capability) = missing.first() {
            return Err(LoadError::NotGranted {
                capability,
                missing,
            });
        }

        let inner = &self.inner;
        let component = match &inner.cache {
            Some(cache) => {
                cache.load_or_compile(&inner.engine, &summary.hash, bytes, &inner.counters)?
            }
            None => {
                inner.counters.count_miss();
                cache::compile(&inner.engine, bytes)?
            }
        };
        let pre = self.link(&component, &summary)?;
        Ok(LoadedAdapter {
            inner: Arc::new(LoadedInner {
                host: self.inner.clone(),
                summary,
                pre,
            }),
        })
    }

    /// Only what the component imports is linked (all of it granted, as checked above), so
    /// an adapter can reach nothing it was not granted.
    fn link(&self, component: &Component, summary: &ComponentSummary) -> Result<Pre, LoadError> {
        // `inspect` has made sure it is an adapter, and so has a version.
        let version = summary.wit_version.unwrap_or(WitVersion::LATEST);
        let linker =
            self.inner
                .linkers
                .get(version, &summary.capabilities, summary.imports_wasi())?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let link = |e: wasmtime::Error| LoadError::Link(format!("{e:#}"));
        Ok(match version {
            WitVersion::V0_2 => Pre::Latest(latest::AdapterPre::new(pre).map_err(link)?),
            WitVersion::V0_1 => Pre::V1(v1::AdapterPre::new(pre).map_err(link)?),
        })
    }

    pub fn cache_stats(&self) -> CacheStats {
        self.inner.counters.snapshot()
    }

    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// Where `load` keeps the compiled form of a component with this hash, when caching.
    pub fn cache_path(&self, component_hash: &str) -> Option<std::path::PathBuf> {
        self.inner
            .cache
            .as_ref()
            .map(|c| c.path_for(component_hash))
    }
}

/// A compiled, linked adapter. Cheap to clone; instantiate it once per task.
#[derive(Clone)]
pub struct LoadedAdapter {
    inner: Arc<LoadedInner>,
}

struct LoadedInner {
    host: Arc<HostInner>,
    summary: ComponentSummary,
    pre: Pre,
}

impl LoadedAdapter {
    pub fn summary(&self) -> &ComponentSummary {
        &self.inner.summary
    }

    /// A fresh instance in its own `Store`, with the task's capabilities.
    pub fn instantiate(&self, caps: Capabilities) -> Result<AdapterInstance, GuestError> {
        let host = &self.inner.host;
        let config = &host.config;
        let state = HostState::new(
            caps,
            Limiter::new(config.memory_limit),
            CallClock::new(config.call_deadline),
            self.inner.summary.imports_wasi(),
        );
        let mut store = Store::new(&host.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(|mut cx| cx.data_mut().clock.on_deadline());
        // Instantiation can run guest code (start functions), under the same limits.
        arm(&mut store, config.fuel);
        let adapter = match &self.inner.pre {
            Pre::Latest(pre) => pre.instantiate(&mut store).map(Bindings::Latest),
            Pre::V1(pre) => pre.instantiate(&mut store).map(Bindings::V1),
        };
        store.data_mut().clock.end();
        match adapter {
            Ok(adapter) => Ok(AdapterInstance::new(store, adapter, host.clone())),
            Err(e) if e.is::<wasmtime::PoolConcurrencyLimitError>() => {
                Err(GuestError::Instantiate(format!(
                    "{e:#}: {} adapter instances are already alive (raise HostConfig::max_instances, or stop a task)",
                    config.max_instances
                )))
            }
            Err(e) => Err(match classify(e, &store, host) {
                GuestError::Trap { message } => GuestError::Instantiate(message),
                other => other,
            }),
        }
    }
}
