//! `echo-rust`: the smallest useful plinth adapter. It runs no agent at all; it quotes the
//! task's prompt into the transcript and answers every user message with an echo, so that
//! each part of the contract shows once: the status, the transcript, the saved state that
//! makes `start` idempotent, and typed capability errors turned into the adapter's own.
//!
//! Build: `cargo build --release --target wasm32-wasip2` (see docs/adapters.md).

// Generates the Rust side of the `adapter` world: a module per imported interface
// (`plinth::agent::events`, ...) and the `Guest` trait for the exported `agent` interface.
wit_bindgen::generate!({ path: "../../../wit", world: "adapter" });

use std::sync::atomic::{AtomicU32, Ordering};

use exports::plinth::agent::agent::{AdapterInfo, Guest, Signal, Task};
use plinth::agent::events::{Role, TranscriptEntry, append_transcript, set_status};
use plinth::agent::log::{Level, log};
use plinth::agent::state;
use plinth::agent::types::{CapError, Capability, Status};

/// Messages answered so far. An instance lives until the task stops or the adapter is
/// restarted; after a restart this comes back from the saved state, not from here.
static REPLIES: AtomicU32 = AtomicU32::new(0);

struct Echo;

impl Guest for Echo {
    fn info() -> AdapterInfo {
        AdapterInfo {
            name: "echo-rust".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Echoes the prompt and every message (plinth's Rust example)".into(),
            // Exactly what it imports; the user is asked to grant these when adding it.
            capabilities: vec![Capability::Events, Capability::Log, Capability::State],
        }
    }

    fn start(task: Task, saved: Option<Vec<u8>>) -> Result<(), String> {
        // `start` runs again after every restart, with the blob saved last. Everything it
        // did the first time is already in the transcript, so a resume only restores.
        if let Some(blob) = saved {
            let replies = decode(&blob)?;
            REPLIES.store(replies, Ordering::Relaxed);
            log(
                Level::Info,
                &format!(
                    "echo-rust: resumed task {} (restart {}, {replies} replies so far)",
                    task.id, task.restarts
                ),
            );
            return set_status(Status::Idle, "resumed").map_err(failed("set-status"));
        }

        set_status(Status::Working, "reading the prompt").map_err(failed("set-status"))?;
        say(Role::Agent, format!("You asked: {}", task.prompt))?;
        // Saved after the entry: a restart in between repeats the quote, never loses it.
        state::save(&encode(0)).map_err(failed("state.save"))?;
        set_status(Status::Idle, "waiting for a message").map_err(failed("set-status"))
    }

    fn on_signal(signal: Signal) -> Result<(), String> {
        match signal {
            Signal::UserMessage(text) => {
                set_status(Status::Working, "answering").map_err(failed("set-status"))?;
                say(Role::User, text.clone())?;
                say(Role::Agent, format!("echo: {text}"))?;
                let replies = REPLIES.fetch_add(1, Ordering::Relaxed) + 1;
                state::save(&encode(replies)).map_err(failed("state.save"))?;
                set_status(Status::Idle, "waiting for a message").map_err(failed("set-status"))
            }
            // Ticks arrive about every 250 ms: return at once. Anything that waits for
            // something checks it here instead of looping inside a call.
            Signal::Tick(_) => Ok(()),
            // There is no agent process, no screen, no hooks and no model calls to follow.
            _ => Ok(()),
        }
    }

    fn stop() -> Result<(), String> {
        log(Level::Info, "echo-rust: stopping");
        set_status(Status::Finished, "stopped").map_err(failed("set-status"))
    }
}

fn say(role: Role, text: String) -> Result<(), String> {
    let entry = TranscriptEntry {
        role,
        text,
        tool: None,
        data: None,
    };
    append_transcript(&entry)
        .map(|_seq| ())
        .map_err(failed("append-transcript"))
}

/// The saved state: the number of replies, as decimal text (the Python example reads the
/// same format).
fn encode(replies: u32) -> Vec<u8> {
    replies.to_string().into_bytes()
}

fn decode(blob: &[u8]) -> Result<u32, String> {
    std::str::from_utf8(blob)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("echo-rust: saved state {blob:?} is not a reply count"))
}

/// Turns a capability's typed error into this adapter's error string. A denied or failed
/// call is a value to handle; an echo has nothing better to do than report it, so the
/// export returns it as its own `Err`.
fn failed(call: &'static str) -> impl Fn(CapError) -> String {
    move |err| {
        let (kind, message) = match err {
            CapError::AccessDenied(m) => ("access denied", m),
            CapError::NotFound(m) => ("not found", m),
            CapError::Timeout(m) => ("timed out", m),
            CapError::Invalid(m) => ("invalid", m),
            CapError::Failed(m) => ("failed", m),
        };
        format!("echo-rust: {call}: {kind}: {message}")
    }
}

export!(Echo);
