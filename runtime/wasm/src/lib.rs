//! plinth's WebAssembly host.
//!
//! Agent adapters are components of the `adapter` world in `wit/agent.wit`. The host checks
//! what a component imports against what the user granted, compiles it once (caching the
//! result on disk), links only the granted capabilities, and runs each task's instance in
//! its own `Store` under limits: a CPU deadline per call, a memory cap and optional fuel.
//! A trap ends an instance for good; capability failures never trap.
//!
//! Everything here is synchronous: the caller drives each instance from its own thread.

mod cache;
mod capabilities;
mod engine;
mod errors;
mod host;
mod inspect;
mod instance;
mod limits;
mod linker;
mod shared;
mod state;
mod wasi;
pub mod wit;

pub use cache::CacheStats;
pub use capabilities::{
    Capabilities, Capability, EXEC_TIMEOUT_CAP, EnvironmentCap, EventsCap, LogCap,
    STATE_BLOB_LIMIT, StateCap, TmuxCap, UnknownCapability,
};
pub use engine::HostConfig;
pub use errors::*;
pub use host::{LoadedAdapter, WasmHost};
pub use inspect::ComponentSummary;
pub use instance::{AdapterInstance, Usage};

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_cross_threads_as_the_actors_need() {
        // The host and its adapters are shared; each instance moves to its task's thread.
        send_sync::<WasmHost>();
        send_sync::<LoadedAdapter>();
        send::<AdapterInstance>();
        send_sync::<Capabilities>();
    }
}
