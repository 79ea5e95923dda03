//! One upstream call's life as the host sees it: `CallStarted` when it begins, and
//! exactly one `CallFinished`, however it ends; a call dropped unfinished (the client hung
//! up, taking the response with it) still reports its end.

use std::sync::Arc;
use std::time::Instant;

use super::event::ProxyEvent;
use super::host::ProxyHost;

/// What a call ends with when it is dropped before it finished: hyper drops the response
/// (body and all) when the client's connection goes away.
pub const HUNG_UP: &str = "the client hung up before the reply was complete";

/// Cumulative token counts, as the API reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_creation: u64,
}

pub struct Call {
    id: String,
    task: String,
    host: Arc<dyn ProxyHost>,
    started: Instant,
    request_model: String,
    /// The model the reply names.
    pub model: Option<String>,
    pub stop_reason: Option<String>,
    pub tokens: TokenCounts,
    /// The HTTP status the client got; 0 until the response head is made.
    pub status: u16,
    error: Option<String>,
    finished: bool,
}

impl Call {
    /// Reports `CallStarted` and returns the call to finish later.
    pub fn start(task: &str, host: Arc<dyn ProxyHost>, request_model: String) -> Self {
        let id = format!("llm_{:016x}", rand::random::<u64>());
        host.event(
            task,
            ProxyEvent::CallStarted {
                id: id.clone(),
                model: request_model.clone(),
            },
        );
        Call {
            id,
            task: task.to_string(),
            host,
            started: Instant::now(),
            request_model,
            model: None,
            stop_reason: None,
            tokens: TokenCounts::default(),
            status: 0,
            error: None,
            finished: false,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn emit(&self, event: ProxyEvent) {
        self.host.event(&self.task, event);
    }

    pub fn emit_usage(&self) {
        self.emit(ProxyEvent::Usage {
            id: self.id.clone(),
            input_tokens: self.tokens.input,
            output_tokens: self.tokens.output,
            cache_read: self.tokens.cache_read,
            cache_creation: self.tokens.cache_creation,
        });
    }

    /// Records why the call failed; the first reason is the one reported (later ones are
    /// usually its consequences).
    pub fn fail(&mut self, error: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(error.into());
        }
    }

    /// Reports `CallFinished`; later calls do nothing.
    pub fn finish(&mut self) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        let model = self
            .model
            .clone()
            .unwrap_or_else(|| self.request_model.clone());
        self.emit(ProxyEvent::CallFinished {
            id: self.id.clone(),
            model,
            stop_reason: self.stop_reason.clone(),
            status: self.status,
            input_tokens: self.tokens.input,
            output_tokens: self.tokens.output,
            cache_read: self.tokens.cache_read,
            cache_creation: self.tokens.cache_creation,
            error: self.error.clone(),
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if !self.finished {
            self.fail(HUNG_UP);
            self.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm_proxy::host::Recorder;

    fn finished(events: &[ProxyEvent]) -> Vec<&ProxyEvent> {
        events
            .iter()
            .filter(|e| matches!(e, ProxyEvent::CallFinished { .. }))
            .collect()
    }

    #[test]
    fn finishing_twice_reports_once_and_the_first_error_is_kept() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "m".into());
        call.fail("first");
        call.fail("second");
        call.finish();
        call.finish();
        drop(call);
        let events = host.0.lock().unwrap();
        assert!(matches!(&events[0], ProxyEvent::CallStarted { model, .. } if model == "m"));
        let done = finished(&events);
        assert_eq!(done.len(), 1);
        assert!(
            matches!(done[0], ProxyEvent::CallFinished { error: Some(e), model, .. } if e == "first" && model == "m")
        );
    }

    #[test]
    fn a_call_dropped_unfinished_reports_that_the_client_hung_up() {
        let host = Arc::new(Recorder::default());
        drop(Call::start("t", host.clone(), "m".into()));
        let events = host.0.lock().unwrap();
        let done = finished(&events);
        assert_eq!(done.len(), 1);
        assert!(matches!(done[0], ProxyEvent::CallFinished { error: Some(e), .. } if e == HUNG_UP));
    }
}
