//! Text gathered into fewer, larger deltas: a delta goes out when its block changes or
//! ends, when it reaches [`TEXT_FLUSH_BYTES`], or at its deadline
//! ([`TEXT_FLUSH_INTERVAL`] after it began).

use std::time::Instant;

use super::ReplyReader;
use crate::limits::TEXT_FLUSH_BYTES;
use crate::limits::TEXT_FLUSH_INTERVAL;
use crate::llm_proxy::call::Call;
use crate::llm_proxy::event::ProxyEvent;

pub(super) struct PendingText {
    index: usize,
    text: String,
    since: Instant,
}

impl ReplyReader {
    /// When unsent text must go out, if there is any.
    pub fn flush_deadline(&self) -> Option<Instant> {
        self.text.as_ref().map(|t| t.since + TEXT_FLUSH_INTERVAL)
    }

    /// Sends the text gathered so far.
    pub fn flush_text(&mut self, call: &Call) {
        if let Some(pending) = self.text.take() {
            call.emit(ProxyEvent::TextDelta {
                id: call.id().to_string(),
                index: pending.index,
                text: pending.text,
            });
        }
    }

    pub(super) fn push_text(&mut self, call: &Call, index: usize, text: &str) {
        if self.text.as_ref().is_some_and(|t| t.index != index) {
            self.flush_text(call);
        }
        let pending = self.text.get_or_insert_with(|| PendingText {
            index,
            text: String::new(),
            since: Instant::now(),
        });
        pending.text.push_str(text);
        if pending.text.len() >= TEXT_FLUSH_BYTES {
            self.flush_text(call);
        }
    }
}
