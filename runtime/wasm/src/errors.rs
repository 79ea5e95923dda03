//! The errors at the crate boundary. Each says what failed and, where the caller can do
//! something about it, how to fix it.

use std::path::PathBuf;
use std::time::Duration;

use crate::Capability;

/// Building the host failed.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("invalid WASM host configuration: {0}")]
    Config(String),
    #[error("cannot create the WASM engine: {0}")]
    Engine(String),
    #[error(
        "cannot use {path} as the compiled-adapter cache: {source} (point cache_dir at a writable directory, or set it to None to compile on every load)"
    )]
    CacheDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the WASM epoch ticker thread: {0}")]
    Ticker(#[source] std::io::Error),
}

/// The bytes are not a plinth adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    #[error(
        "this is not WebAssembly (no `\\0asm` header): pass the `.wasm` component file the adapter's build produced"
    )]
    NotWasm,
    #[error(
        "this is a core WebAssembly module, not a component: build for wasm32-wasip2 or run `wasm-tools component new`"
    )]
    CoreModule,
    #[error("this WebAssembly component is invalid: {0}")]
    Invalid(String),
    #[error(
        "this component is not a plinth adapter: it must export `plinth:agent/agent@0.2.0` (or `plinth:agent/agent@0.1.0`, the previous version) with `info`, `start`, `on-signal` and `stop` (it exports: {}); build it against the `adapter` world of wit/agent.wit",
        list(exports)
    )]
    NotAnAdapter { exports: Vec<String> },
    #[error(
        "this adapter imports interfaces plinth does not provide: {}; an adapter may import only plinth:agent@0.2.0 (or, for a 0.1.0 adapter, @0.1.0) interfaces ({}) and wasi:*",
        .0.join(", "),
        Capability::names()
    )]
    UnsupportedImports(Vec<String>),
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

/// The component could not be made ready to instantiate.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error(
        "the adapter imports the `{capability}` capability, which was not granted to it: grant it with `plinth agents add PATH --grant {capability}`{}",
        also(missing, *capability)
    )]
    NotGranted {
        /// The first import that was not granted.
        capability: Capability,
        /// Every import that was not granted, `capability` included.
        missing: Vec<Capability>,
    },
    #[error("cannot compile the adapter: {0}")]
    Compile(String),
    #[error(
        "cannot link the adapter: {0} (its plinth imports and exports must match wit/agent.wit, and of WASI only the 0.2 interfaces of wasmtime-wasi are provided: rebuild it against the `adapter` world)"
    )]
    Link(String),
}

fn also(missing: &[Capability], first: Capability) -> String {
    let rest: Vec<String> = missing
        .iter()
        .filter(|c| **c != first)
        .map(|c| format!("--grant {c}"))
        .collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!(" (it also needs {})", rest.join(" "))
    }
}

/// A call into the guest did not return normally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuestError {
    #[error("the adapter trapped: {message}")]
    Trap { message: String },
    #[error("the adapter ran for more than {limit:?} of CPU time in one call and was stopped")]
    Deadline { limit: Duration },
    #[error("the adapter tried to grow its memory past the {limit}-byte cap and was stopped")]
    MemoryCap { limit: usize },
    #[error("the adapter ran out of fuel")]
    OutOfFuel,
    #[error("the adapter returned an error: {0}")]
    Returned(String),
    #[error(
        "the adapter instance trapped earlier and cannot be entered again: instantiate a new one"
    )]
    Poisoned,
    #[error("cannot instantiate the adapter: {0}")]
    Instantiate(String),
}

impl GuestError {
    /// Whether the instance that produced this error is now unusable.
    pub fn poisons(&self) -> bool {
        matches!(
            self,
            GuestError::Trap { .. }
                | GuestError::Deadline { .. }
                | GuestError::MemoryCap { .. }
                | GuestError::OutOfFuel
                | GuestError::Poisoned
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_granted_names_the_capability_and_the_fix() {
        let err = LoadError::NotGranted {
            capability: Capability::Tmux,
            missing: vec![Capability::Tmux, Capability::State],
        };
        let text = err.to_string();
        assert!(text.contains("`tmux`"), "{text}");
        assert!(
            text.contains("plinth agents add PATH --grant tmux"),
            "{text}"
        );
        assert!(text.contains("--grant state"), "{text}");
    }

    #[test]
    fn unsupported_imports_name_what_may_be_imported() {
        let text = InspectError::UnsupportedImports(vec!["acme:net/http@1.0.0".into()]).to_string();
        assert!(text.contains("acme:net/http@1.0.0;"), "{text}");
        assert!(
            text.contains("interfaces (tmux, environment, events, log, state) and wasi:*"),
            "{text}"
        );
    }

    #[test]
    fn core_module_says_how_to_make_a_component() {
        let text = InspectError::CoreModule.to_string();
        assert!(text.contains("wasm32-wasip2"), "{text}");
        assert!(text.contains("wasm-tools component new"), "{text}");
    }
}
