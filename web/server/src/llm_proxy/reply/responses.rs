//! OpenAI's Responses API: named SSE events (`response.output_text.delta`,
//! `response.output_item.done`, …, `response.completed`), or one `response` object. Text
//! is keyed by its output item; a tool call is an output item (`function_call` with JSON
//! arguments, `custom_tool_call` with free text, `local_shell_call` with an action),
//! reported when the item is done, with the whole input the API repeats there.

use serde::Deserialize;
use serde_json::Value;

use super::ReplyReader;
use super::error_detail::describe_error;
use super::tokens::{openai_tokens, responses_stop_reason};
use crate::llm_proxy::call::Call;

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    output_index: usize,
    delta: Option<String>,
    item: Option<Item>,
    response: Option<Response>,
    // An `error` event's own fields.
    code: Option<Value>,
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Item {
    #[serde(rename = "type")]
    kind: String,
    call_id: Option<String>,
    id: Option<String>,
    name: Option<String>,
    arguments: Option<String>,
    /// A custom tool call's free-text input.
    input: Option<String>,
    /// A local shell call's command.
    action: Option<Value>,
    #[serde(default)]
    content: Vec<Part>,
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Response {
    model: Option<String>,
    status: Option<String>,
    usage: Option<Usage>,
    error: Option<Value>,
    incomplete_details: Option<Incomplete>,
    #[serde(default)]
    output: Vec<Item>,
}

#[derive(Debug, Deserialize)]
struct Incomplete {
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    input_tokens_details: Option<InputDetails>,
}

#[derive(Debug, Deserialize)]
struct InputDetails {
    cached_tokens: Option<u64>,
}

impl ReplyReader {
    /// One event of a streamed response.
    pub(super) fn responses_event(&mut self, call: &mut Call, data: &[u8]) {
        let event: Event = match serde_json::from_slice(data) {
            Ok(event) => event,
            Err(err) => {
                tracing::debug!(%err, "LLM proxy: an event that is not Responses JSON");
                return;
            }
        };
        let index = event.output_index;
        match event.kind.as_str() {
            "response.created" | "response.in_progress" => {
                if let Some(model) = event.response.and_then(|r| r.model) {
                    call.model = Some(model);
                }
            }
            "response.output_text.delta" => {
                if let Some(text) = event.delta.filter(|t| !t.is_empty()) {
                    self.push_text(call, index, &text);
                }
            }
            "response.output_item.added" => {
                if let Some(item) = event.item {
                    self.flush_text(call);
                    self.responses_item_started(index, item);
                }
            }
            "response.function_call_arguments.delta" | "response.custom_tool_call_input.delta" => {
                if let Some(piece) = event.delta {
                    self.tool_input_piece(index, &piece);
                }
            }
            "response.output_item.done" => {
                self.flush_text(call);
                if let Some(item) = event.item {
                    self.responses_item_done(call, index, item);
                }
            }
            "response.completed" | "response.incomplete" => {
                self.flush_text(call);
                self.finish_all_tools(call);
                if let Some(response) = event.response {
                    self.responses_end(call, response);
                }
                self.ended = true;
            }
            "response.failed" => {
                let error = event
                    .response
                    .and_then(|r| r.error)
                    .map(|e| describe_error(&e))
                    .unwrap_or_else(|| "the response failed without details".into());
                self.ended_with_error(call, error);
            }
            "error" => {
                let error = serde_json::json!({"code": event.code, "message": event.message});
                self.ended_with_error(call, describe_error(&error));
            }
            _ => {} // reasoning, content parts, and event types newer than this code
        }
    }

    /// A whole `response` object.
    pub(super) fn responses_body(&mut self, call: &mut Call, body: &[u8]) {
        let Ok(mut response) = serde_json::from_slice::<Response>(body) else {
            return;
        };
        if let Some(error) = response.error.as_ref().filter(|e| !e.is_null()) {
            call.fail(describe_error(error));
        }
        for (index, item) in std::mem::take(&mut response.output).into_iter().enumerate() {
            if item.kind == "message" {
                for part in item.content.iter().filter(|p| p.kind == "output_text") {
                    if let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) {
                        self.push_text(call, index, text);
                    }
                }
                self.flush_text(call);
            } else {
                self.responses_item_done(call, index, item);
            }
        }
        self.responses_end(call, response);
    }

    fn responses_item_started(&mut self, index: usize, item: Item) {
        let tool_id = item.call_id.or(item.id).unwrap_or_default();
        let name = item.name.unwrap_or_default();
        match item.kind.as_str() {
            "function_call" => self.start_tool(index, tool_id, name, Value::Null),
            "custom_tool_call" => self.start_raw_tool(index, tool_id, name),
            _ => {}
        }
    }

    fn responses_item_done(&mut self, call: &Call, index: usize, item: Item) {
        match item.kind.as_str() {
            "function_call" | "custom_tool_call" => {
                let whole = if item.kind == "function_call" {
                    item.arguments.as_deref()
                } else {
                    item.input.as_deref()
                };
                if !self.has_tool(index) {
                    // Only the done event came: the call is read from it alone.
                    let tool_id = item.call_id.clone().or(item.id.clone()).unwrap_or_default();
                    let name = item.name.clone().unwrap_or_default();
                    if item.kind == "function_call" {
                        self.start_tool(index, tool_id, name, Value::Null);
                    } else {
                        self.start_raw_tool(index, tool_id, name);
                    }
                }
                if let Some(whole) = whole {
                    self.tool_input_whole(index, whole);
                }
                self.finish_tool(call, index);
            }
            "local_shell_call" => {
                let tool_id = item.call_id.or(item.id).unwrap_or_default();
                let input = item.action.unwrap_or(Value::Null);
                self.whole_tool(call, tool_id, "local_shell".into(), input);
            }
            _ => {}
        }
    }

    fn responses_end(&mut self, call: &mut Call, response: Response) {
        if response.model.is_some() {
            call.model = response.model;
        }
        let status = response.status.as_deref().unwrap_or("completed");
        let reason = response.incomplete_details.and_then(|d| d.reason);
        call.stop_reason = Some(responses_stop_reason(
            status,
            reason.as_deref(),
            self.tool_calls > 0,
        ));
        if let Some(usage) = response.usage {
            let cached = usage
                .input_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0);
            call.tokens = openai_tokens(
                usage.input_tokens.unwrap_or(0),
                cached,
                usage.output_tokens.unwrap_or(0),
            );
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

    fn read(events: &[Value]) -> Vec<ProxyEvent> {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "gpt-req".into());
        let mut reader = ReplyReader::new(Api::Responses);
        for data in events {
            let name = data["type"].as_str().unwrap().to_string();
            reader.sse_event(&mut call, &name, data.to_string().as_bytes());
        }
        reader.end_of_stream(&mut call);
        call.finish();
        host.0.lock().unwrap().clone()
    }

    #[test]
    fn a_streamed_response_yields_text_function_and_custom_tool_calls_and_usage() {
        let events = read(&[
            json!({"type": "response.created", "response": {"model": "gpt-5-codex", "status": "in_progress"}}),
            json!({"type": "response.output_item.added", "output_index": 0,
                   "item": {"type": "message", "id": "msg_1", "content": []}}),
            json!({"type": "response.output_text.delta", "output_index": 0, "delta": "Let me "}),
            json!({"type": "response.output_text.delta", "output_index": 0, "delta": "look."}),
            json!({"type": "response.output_item.done", "output_index": 0,
                   "item": {"type": "message", "id": "msg_1", "content": []}}),
            json!({"type": "response.output_item.added", "output_index": 1,
                   "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                            "name": "shell", "arguments": ""}}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 1,
                   "delta": "{\"command\":[\"ls\"]"}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 1, "delta": "}"}),
            json!({"type": "response.output_item.done", "output_index": 1,
                   "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1",
                            "name": "shell", "arguments": "{\"command\":[\"ls\"]}"}}),
            json!({"type": "response.output_item.added", "output_index": 2,
                   "item": {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch", "input": ""}}),
            json!({"type": "response.custom_tool_call_input.delta", "output_index": 2, "delta": "*** Begin"}),
            json!({"type": "response.output_item.done", "output_index": 2,
                   "item": {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch",
                            "input": "*** Begin Patch"}}),
            json!({"type": "response.completed", "response": {"model": "gpt-5-codex", "status": "completed",
                   "usage": {"input_tokens": 80, "input_tokens_details": {"cached_tokens": 60},
                             "output_tokens": 12}}}),
        ]);
        assert!(matches!(&events[1], ProxyEvent::TextDelta { text, .. } if text == "Let me look."));
        assert!(
            matches!(&events[2], ProxyEvent::ToolUse { tool_id, name, input, .. }
                if tool_id == "call_1" && name == "shell" && *input == json!({"command": ["ls"]}))
        );
        assert!(matches!(&events[3], ProxyEvent::ToolUse { name, input, .. }
                if name == "apply_patch" && *input == json!("*** Begin Patch")));
        assert!(matches!(
            &events[4],
            ProxyEvent::Usage {
                input_tokens: 20,
                cache_read: 60,
                output_tokens: 12,
                ..
            }
        ));
        assert!(
            matches!(&events[5], ProxyEvent::CallFinished { error: None, model, stop_reason: Some(r), .. }
                if model == "gpt-5-codex" && r == "tool_use"),
            "{:?}",
            events[5]
        );
    }

    #[test]
    fn a_failed_response_or_one_cut_short_finishes_with_an_error() {
        let events = read(&[
            json!({"type": "response.failed", "response": {"status": "failed",
            "error": {"code": "server_error", "message": "boom"}}}),
        ]);
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e == "server_error: boom")
        );
        let events = read(&[json!({"type": "response.created", "response": {}})]);
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e.contains("before response.completed"))
        );
    }

    #[test]
    fn a_whole_response_is_read_at_once() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "gpt".into());
        let body = json!({"object": "response", "model": "gpt-5", "status": "completed",
            "output": [{"type": "message", "content": [{"type": "output_text", "text": "Done."}]}],
            "usage": {"input_tokens": 5, "output_tokens": 2}});
        ReplyReader::new(Api::Responses).json_body(&mut call, 200, body.to_string().as_bytes());
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(matches!(&events[1], ProxyEvent::TextDelta { text, .. } if text == "Done."));
        assert!(matches!(
            &events[3],
            ProxyEvent::CallFinished { input_tokens: 5, output_tokens: 2, stop_reason: Some(r), .. } if r == "end_turn"
        ));
    }
}
