//! What the host, its loaded adapters and their instances share: the engine and its
//! configuration, the compiled-adapter cache, the linkers and the epoch ticker. Each holds
//! it by `Arc`, so the ticker runs until the last of them is dropped.
//!
//! It has a file of its own so that `host` (which builds it) and `instance` (which reads
//! its limits) both depend on it rather than on each other.

use wasmtime::Engine;

use crate::cache::{CacheCounters, DiskCache};
use crate::engine::{HostConfig, Ticker, build_engine};
use crate::errors::HostError;
use crate::linker::Linkers;

pub(crate) struct HostInner {
    pub(crate) engine: Engine,
    pub(crate) config: HostConfig,
    pub(crate) cache: Option<DiskCache>,
    pub(crate) counters: CacheCounters,
    pub(crate) linkers: Linkers,
    _ticker: Ticker,
}

impl HostInner {
    /// Builds the engine for a validated `config`, opens its cache and starts the ticker.
    pub(crate) fn start(config: HostConfig) -> Result<HostInner, HostError> {
        let engine = build_engine(&config)?;
        let cache = match &config.cache_dir {
            Some(dir) => {
                Some(
                    DiskCache::open(dir, &engine).map_err(|source| HostError::CacheDir {
                        path: dir.clone(),
                        source,
                    })?,
                )
            }
            None => None,
        };
        let ticker = Ticker::start(engine.clone())?;
        Ok(HostInner {
            linkers: Linkers::new(engine.clone()),
            engine,
            config,
            cache,
            counters: CacheCounters::default(),
            _ticker: ticker,
        })
    }
}
