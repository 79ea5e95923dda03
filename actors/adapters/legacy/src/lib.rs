//! An adapter built against `plinth:agent@0.1.0` (`wit/v0.1/agent.wit`, frozen) with its
//! own bindings, not guest-support's (which follow the latest WIT): the host's tests check
//! that such an adapter still loads and runs, and that an answer reaches it as the user
//! message it can understand. It says it is idle on start and repeats every message.

wit_bindgen::generate!({ path: "../../../wit/v0.1", world: "adapter" });

use exports::plinth::agent::agent::{AdapterInfo, Guest, Signal, Task};
use plinth::agent::events::{Role, TranscriptEntry, append_transcript, set_status};
use plinth::agent::types::{Capability, Status};

pub struct Legacy;

impl Guest for Legacy {
    fn info() -> AdapterInfo {
        AdapterInfo {
            name: "legacy".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test adapter of plinth:agent@0.1.0 that repeats messages".into(),
            capabilities: vec![Capability::Events],
        }
    }

    fn start(task: Task, _saved: Option<Vec<u8>>) -> Result<(), String> {
        set_status(Status::Idle, &format!("legacy: ready for {}", task.id)).map_err(describe)
    }

    fn on_signal(signal: Signal) -> Result<(), String> {
        let Signal::UserMessage(text) = signal else {
            return Ok(());
        };
        let entry = TranscriptEntry {
            role: Role::Agent,
            text: format!("legacy heard: {text}"),
            tool: None,
            data: None,
        };
        append_transcript(&entry).map_err(describe)?;
        set_status(Status::Idle, "legacy: heard a message").map_err(describe)
    }

    fn stop() -> Result<(), String> {
        Ok(())
    }
}

fn describe(error: plinth::agent::types::CapError) -> String {
    format!("{error:?}")
}

// Exported only in the component: its export names are not symbols a host linker takes.
#[cfg(target_arch = "wasm32")]
export!(Legacy);
