//! A Messages reply read whole: a non-streamed message.

use super::data::{Data, merge_usage};
use crate::llm_proxy::call::Call;
use crate::llm_proxy::reply::ReplyReader;

impl ReplyReader {
    /// A non-streamed message.
    pub(in crate::llm_proxy::reply) fn messages_body(&mut self, call: &mut Call, body: &[u8]) {
        let parsed: Option<Data> = serde_json::from_slice(body).ok();
        let Some(message) = parsed.filter(|d| d.kind == "message") else {
            return;
        };
        if message.model.is_some() {
            call.model = message.model;
        }
        call.stop_reason = message.stop_reason;
        for (index, block) in message.content.into_iter().enumerate() {
            let is_tool = matches!(block.kind.as_str(), "tool_use" | "server_tool_use");
            if block.kind == "text" {
                if let Some(text) = block.text.filter(|t| !t.is_empty()) {
                    self.push_text(call, index, &text);
                    self.flush_text(call);
                }
            } else if is_tool {
                self.start_tool(
                    index,
                    block.id.unwrap_or_default(),
                    block.name.unwrap_or_default(),
                    block.input.unwrap_or(serde_json::Value::Null),
                );
                self.finish_tool(call, index);
            }
        }
        if let Some(usage) = message.usage {
            merge_usage(call, &usage);
            call.emit_usage();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm_proxy::api::Api;
    use crate::llm_proxy::event::ProxyEvent;
    use crate::llm_proxy::host::Recorder;
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn a_plain_reply_and_an_error_body_are_read_whole() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "m".into());
        let body = json!({"type": "message", "model": "claude-y", "stop_reason": "end_turn",
            "content": [{"type": "text", "text": "Hi"},
                        {"type": "tool_use", "id": "toolu_2", "name": "Bash", "input": {"command": "ls"}}],
            "usage": {"input_tokens": 3, "output_tokens": 2}});
        ReplyReader::new(Api::Messages).json_body(&mut call, 200, body.to_string().as_bytes());
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(matches!(&events[1], ProxyEvent::TextDelta { text, .. } if text == "Hi"));
        assert!(
            matches!(&events[2], ProxyEvent::ToolUse { input, .. } if *input == json!({"command": "ls"}))
        );
        assert!(matches!(
            &events[3],
            ProxyEvent::Usage {
                input_tokens: 3,
                output_tokens: 2,
                ..
            }
        ));
        assert!(
            matches!(&events[4], ProxyEvent::CallFinished { error: None, model, stop_reason: Some(r), .. } if model == "claude-y" && r == "end_turn")
        );

        let mut call = Call::start("t", host.clone(), "m".into());
        let body = json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
        ReplyReader::new(Api::Messages).json_body(&mut call, 529, body.to_string().as_bytes());
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e == "529 overloaded_error: Overloaded")
        );
    }
}
