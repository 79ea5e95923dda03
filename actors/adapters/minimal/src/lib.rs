//! The smallest valid adapter: it imports only `log`, so a host that links only the
//! interfaces an adapter was granted can be tested against a component that needs one.
//! wit-component drops the imports a module never calls, so the bindings of the full
//! `adapter` world (from `guest-support`) still yield a component whose only function
//! import is `log`.

pub use guest_support::{exports, plinth};

use exports::plinth::agent::agent::{AdapterInfo, Guest, Signal, Task};
use plinth::agent::log::{Level, log};
use plinth::agent::types::Capability;

pub struct Minimal;

impl Guest for Minimal {
    fn info() -> AdapterInfo {
        AdapterInfo {
            name: "minimal".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test adapter that only logs".into(),
            capabilities: vec![Capability::Log],
        }
    }

    fn start(task: Task, saved: Option<Vec<u8>>) -> Result<(), String> {
        let resumed = if saved.is_some() { " (resumed)" } else { "" };
        log(Level::Info, &format!("minimal: start {}{resumed}", task.id));
        Ok(())
    }

    fn on_signal(signal: Signal) -> Result<(), String> {
        let name = match signal {
            Signal::Hook(_) => "hook",
            Signal::LlmCallStarted(_) => "llm-call-started",
            Signal::LlmCallFinished(_) => "llm-call-finished",
            Signal::ScreenChanged(_) => "screen-changed",
            Signal::UserMessage(_) => "user-message",
            Signal::ProcessExited(_) => "process-exited",
            Signal::Answer(_) => "answer",
            Signal::Tick(_) => "tick",
        };
        log(Level::Debug, &format!("minimal: signal {name}"));
        Ok(())
    }

    fn stop() -> Result<(), String> {
        log(Level::Info, "minimal: stop");
        Ok(())
    }
}

// Exported only in the component: its export names are not symbols a host linker takes.
#[cfg(target_arch = "wasm32")]
guest_support::export!(Minimal);
