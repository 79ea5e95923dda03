//! The guest's capability imports, answered from the task's [`Capabilities`].
//!
//! Every path out of here is a value the guest can handle: a missing implementation is
//! `access-denied`, a panicking one is `failed`. Nothing traps, so a misbehaving host
//! implementation cannot poison the instance. The time spent here is recorded so that it
//! does not count against the guest's CPU deadline.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use crate::capabilities::Capabilities;
use crate::capability::Capability;
use crate::state::HostState;
use crate::wit::bindings::plinth::agent::{environment, events, log, state, tmux, types};
use crate::wit::{
    CapError, ExecOutput, ExecRequest, Level, Screen, SessionSpec, Status, TranscriptEntry, Urgency,
};
use crate::{EXEC_TIMEOUT_CAP, STATE_BLOB_LIMIT};

impl HostState {
    /// Runs one capability call: finds the implementation, catches its panics, and charges
    /// the time to the host.
    fn cap_call<C: ?Sized, R>(
        &mut self,
        capability: Capability,
        pick: impl FnOnce(&Capabilities) -> Option<&Arc<C>>,
        call: impl FnOnce(&C) -> Result<R, CapError>,
    ) -> Result<R, CapError> {
        let started = Instant::now();
        let result = match pick(&self.caps).cloned() {
            None => Err(CapError::AccessDenied(format!(
                "the `{capability}` capability is not available to this task"
            ))),
            Some(cap) => match catch_unwind(AssertUnwindSafe(|| call(&cap))) {
                Ok(result) => result,
                Err(panic) => {
                    let why = panic_message(&*panic);
                    tracing::error!(task = %self.caps.task_id, %capability, "capability implementation panicked: {why}");
                    Err(CapError::Failed(format!(
                        "the host's `{capability}` capability failed: {why}"
                    )))
                }
            },
        };
        self.clock.add_host_time(started.elapsed());
        result
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked".to_string()
    }
}

impl types::Host for HostState {}

impl tmux::Host for HostState {
    fn create(&mut self, spec: SessionSpec) -> Result<(), CapError> {
        self.cap_call(Capability::Tmux, |c| c.tmux.as_ref(), |t| t.create(spec))
    }

    fn paste(&mut self, session: String, text: String) -> Result<(), CapError> {
        self.cap_call(
            Capability::Tmux,
            |c| c.tmux.as_ref(),
            |t| t.paste(&session, &text),
        )
    }

    fn send_keys(&mut self, session: String, keys: Vec<String>) -> Result<(), CapError> {
        self.cap_call(
            Capability::Tmux,
            |c| c.tmux.as_ref(),
            |t| t.send_keys(&session, &keys),
        )
    }

    fn capture_screen(&mut self, session: String) -> Result<Screen, CapError> {
        self.cap_call(
            Capability::Tmux,
            |c| c.tmux.as_ref(),
            |t| t.capture_screen(&session),
        )
    }

    fn capture_history(&mut self, session: String, max_lines: u32) -> Result<String, CapError> {
        self.cap_call(
            Capability::Tmux,
            |c| c.tmux.as_ref(),
            |t| t.capture_history(&session, max_lines),
        )
    }

    fn foreground_command(&mut self, session: String) -> Result<String, CapError> {
        self.cap_call(
            Capability::Tmux,
            |c| c.tmux.as_ref(),
            |t| t.foreground_command(&session),
        )
    }

    fn is_alive(&mut self, session: String) -> Result<bool, CapError> {
        self.cap_call(
            Capability::Tmux,
            |c| c.tmux.as_ref(),
            |t| t.is_alive(&session),
        )
    }

    fn kill(&mut self, session: String) -> Result<(), CapError> {
        self.cap_call(Capability::Tmux, |c| c.tmux.as_ref(), |t| t.kill(&session))
    }
}

/// The timeout the embedder is asked to enforce: the guest's, within the host's cap (0,
/// "no preference", gets the cap).
pub(crate) fn capped_timeout_ms(requested: u32) -> u32 {
    let cap = EXEC_TIMEOUT_CAP.as_millis() as u32;
    if requested == 0 {
        cap
    } else {
        requested.min(cap)
    }
}

impl environment::Host for HostState {
    fn exec(&mut self, mut request: ExecRequest) -> Result<ExecOutput, CapError> {
        request.timeout_ms = capped_timeout_ms(request.timeout_ms);
        self.cap_call(
            Capability::Environment,
            |c| c.environment.as_ref(),
            |e| e.exec(request),
        )
    }

    fn read_file(&mut self, path: String) -> Result<Vec<u8>, CapError> {
        self.cap_call(
            Capability::Environment,
            |c| c.environment.as_ref(),
            |e| e.read_file(&path),
        )
    }

    fn write_file(&mut self, path: String, contents: Vec<u8>) -> Result<(), CapError> {
        self.cap_call(
            Capability::Environment,
            |c| c.environment.as_ref(),
            |e| e.write_file(&path, &contents),
        )
    }
}

impl events::Host for HostState {
    fn append_transcript(&mut self, entry: TranscriptEntry) -> Result<u64, CapError> {
        self.cap_call(
            Capability::Events,
            |c| c.events.as_ref(),
            |e| e.append_transcript(entry),
        )
    }

    fn set_status(&mut self, status: Status, detail: String) -> Result<(), CapError> {
        self.cap_call(
            Capability::Events,
            |c| c.events.as_ref(),
            |e| e.set_status(status, &detail),
        )
    }

    fn notify(&mut self, title: String, body: String, urgency: Urgency) -> Result<(), CapError> {
        self.cap_call(
            Capability::Events,
            |c| c.events.as_ref(),
            |e| e.notify(&title, &body, urgency),
        )
    }
}

impl log::Host for HostState {
    fn log(&mut self, level: Level, message: String) {
        if self.caps.log.is_none() {
            // `log` cannot fail in WIT; with no logger the line still reaches an operator.
            let task = &self.caps.task_id;
            match level {
                Level::Trace => tracing::trace!(task = %task, "adapter: {message}"),
                Level::Debug => tracing::debug!(task = %task, "adapter: {message}"),
                Level::Info => tracing::info!(task = %task, "adapter: {message}"),
                Level::Warn => tracing::warn!(task = %task, "adapter: {message}"),
                Level::Error => tracing::error!(task = %task, "adapter: {message}"),
            }
            return;
        }
        let _ = self.cap_call(
            Capability::Log,
            |c| c.log.as_ref(),
            |l| {
                l.log(level, &message);
                Ok(())
            },
        );
    }
}

impl state::Host for HostState {
    fn save(&mut self, blob: Vec<u8>) -> Result<(), CapError> {
        if blob.len() > STATE_BLOB_LIMIT {
            return Err(CapError::AccessDenied(format!(
                "state blob of {} bytes is over the {STATE_BLOB_LIMIT}-byte limit",
                blob.len()
            )));
        }
        self.cap_call(Capability::State, |c| c.state.as_ref(), |s| s.save(&blob))
    }

    fn load(&mut self) -> Option<Vec<u8>> {
        self.cap_call(Capability::State, |c| c.state.as_ref(), |s| Ok(s.load()))
            .ok()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_timeouts_are_capped_at_ten_minutes() {
        assert_eq!(capped_timeout_ms(1_000), 1_000);
        assert_eq!(capped_timeout_ms(0), 600_000);
        assert_eq!(capped_timeout_ms(u32::MAX), 600_000);
    }
}
