//! `plinth:agent/log`: the task's operator log.

use super::Capability;
use super::view::CapsView;
use crate::wit::Level;
use crate::wit::latest::plinth::agent::log as wit;
use crate::wit::v1::plinth::agent::log as v1;

/// Also receives the guest's WASI stdout (as `info`) and stderr (as `warn`), a line at a
/// time.
pub trait LogCap: Send + Sync {
    fn log(&self, level: Level, message: &str);
}

impl wit::Host for CapsView<'_> {
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

impl v1::Host for CapsView<'_> {
    fn log(&mut self, level: v1::Level, message: String) {
        wit::Host::log(self, level.into(), message)
    }
}
