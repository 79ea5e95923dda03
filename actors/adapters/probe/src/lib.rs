//! A test-only adapter that does what its user messages say, so host tests can drive each
//! capability and each failure mode from outside:
//!
//! - `log-loop N`: calls `log` N times (the host-call benchmark);
//! - `echo TEXT`: appends TEXT to the transcript;
//! - `state-roundtrip [TEXT]`: saves TEXT, loads it back, reports `state-roundtrip: ok`;
//! - `trap`, `spin`, `grow`: misbehaves (also from `start` when the prompt is
//!   `trap-in-start`, `spin-in-start` or `grow-in-start`);
//! - `call INTERFACE.FUNCTION ARGS…`: calls one capability function and appends what it got,
//!   `ok: …` or `error: <cap-error kind>: …` (see [`command`] for the arguments).
//!
//! Reports go to the transcript (role system); when that is refused too, to the log.

pub use guest_support::{exports, plinth};

pub mod calls;
pub mod command;

use guest_support::describe;

use exports::plinth::agent::agent::{AdapterInfo, Guest, Signal, Task};
use plinth::agent::events::{self, Role, TranscriptEntry};
use plinth::agent::log::{Level, log};
use plinth::agent::state;
use plinth::agent::types::Capability;

use crate::command::Command;

pub struct Probe;

impl Guest for Probe {
    fn info() -> AdapterInfo {
        AdapterInfo {
            name: "probe".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test adapter: calls capabilities on request and reports the result"
                .into(),
            capabilities: vec![
                Capability::Tmux,
                Capability::Environment,
                Capability::Events,
                Capability::Log,
                Capability::State,
            ],
        }
    }

    fn start(task: Task, saved: Option<Vec<u8>>) -> Result<(), String> {
        match task.prompt.trim() {
            "trap-in-start" => misbehave::trap(),
            "spin-in-start" => misbehave::spin(),
            "grow-in-start" => misbehave::grow(),
            _ => {}
        }
        let saved = match &saved {
            Some(blob) => format!("{:?}", String::from_utf8_lossy(blob)),
            None => "none".into(),
        };
        log(
            Level::Info,
            &format!(
                "probe: start task {} restarts={} saved={saved}",
                task.id, task.restarts
            ),
        );
        Ok(())
    }

    fn on_signal(signal: Signal) -> Result<(), String> {
        match signal {
            Signal::UserMessage(message) => run(&message),
            Signal::Tick(_) => {}
            other => log(Level::Debug, &format!("probe: signal {other:?}")),
        }
        Ok(())
    }

    fn stop() -> Result<(), String> {
        log(Level::Info, "probe: stop");
        Ok(())
    }
}

fn run(message: &str) {
    match command::parse(message) {
        Ok(Command::LogLoop(count)) => {
            for _ in 0..count {
                log(Level::Info, "x");
            }
        }
        Ok(Command::Echo(text)) => append(Role::Agent, &text),
        Ok(Command::StateRoundtrip(text)) => report(&roundtrip(&text)),
        Ok(Command::Trap) => misbehave::trap(),
        Ok(Command::Spin) => misbehave::spin(),
        Ok(Command::Grow) => misbehave::grow(),
        Ok(Command::Call(call)) => report(&calls::perform(&call)),
        Err(error) => report(&format!("probe: {error}")),
    }
}

fn roundtrip(text: &str) -> String {
    if let Err(error) = state::save(text.as_bytes()) {
        return format!("state-roundtrip: save: error: {}", describe(&error));
    }
    match state::load() {
        Some(blob) if blob == text.as_bytes() => "state-roundtrip: ok".into(),
        Some(blob) => format!(
            "state-roundtrip: mismatch: {:?}",
            String::from_utf8_lossy(&blob)
        ),
        None => "state-roundtrip: mismatch: nothing loaded".into(),
    }
}

fn report(text: &str) {
    append(Role::System, text);
}

fn append(role: Role, text: &str) {
    let entry = TranscriptEntry {
        role,
        text: text.to_string(),
        tool: None,
        data: None,
    };
    if let Err(error) = events::append_transcript(&entry) {
        log(
            Level::Warn,
            &format!("probe: {text} (transcript refused: {})", describe(&error)),
        );
    }
}

// Exported only in the component: its export names are not symbols a host linker takes.
#[cfg(target_arch = "wasm32")]
guest_support::export!(Probe);
