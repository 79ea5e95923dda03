//! The `log` capability: the task's operator log, to tracing and, from info up, as events
//! in the store (through [`TaskEvents`], which writes the task's other events too).

use plinth_wasm::LogCap;
use plinth_wasm::wit::Level;
use serde_json::json;

use super::events::{TaskEvents, kind};

impl LogCap for TaskEvents {
    /// Logs to tracing and, from info up, to the task's log in the store.
    fn log(&self, level: Level, message: &str) {
        let name = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        match level {
            Level::Trace => tracing::trace!(task = %self.task, "{message}"),
            Level::Debug => tracing::debug!(task = %self.task, "{message}"),
            Level::Info => tracing::info!(task = %self.task, "{message}"),
            Level::Warn => tracing::warn!(task = %self.task, "{message}"),
            Level::Error => tracing::error!(task = %self.task, "{message}"),
        }
        if matches!(level, Level::Info | Level::Warn | Level::Error) {
            let _ = self.append(kind::LOG, json!({ "level": name, "message": message }));
        }
    }
}
