//! OpenAI's Chat Completions API: a stream of `data:` chunks ended by `data: [DONE]`, or
//! one `chat.completion`. Only the first choice is read (agents ask for one). Tool calls
//! arrive keyed by their index, name and id first, arguments in pieces; they are complete
//! when the choice finishes.

use serde::Deserialize;
use serde_json::Value;

use super::ReplyReader;
use super::error_detail::describe_error;
use super::tokens::{chat_stop_reason, openai_tokens};
use crate::llm_proxy::call::Call;

#[derive(Debug, Deserialize)]
struct Chunk {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    index: usize,
    /// A stream's piece.
    delta: Option<Message>,
    /// A whole completion's message.
    message: Option<Message>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Message {
    content: Option<String>,
    tool_calls: Option<Vec<ToolCall>>,
}

#[derive(Debug, Deserialize)]
struct ToolCall {
    index: Option<usize>,
    id: Option<String>,
    function: Option<Function>,
}

#[derive(Debug, Deserialize)]
struct Function {
    name: Option<String>,
    arguments: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Debug, Deserialize)]
struct PromptDetails {
    cached_tokens: Option<u64>,
}

impl ReplyReader {
    /// One `data:` chunk of a streamed completion.
    pub(super) fn chat_event(&mut self, call: &mut Call, data: &[u8]) {
        if data.trim_ascii() == b"[DONE]" {
            self.flush_text(call);
            self.finish_all_tools(call);
            self.ended = true;
            return;
        }
        let chunk: Chunk = match serde_json::from_slice(data) {
            Ok(chunk) => chunk,
            Err(err) => {
                tracing::debug!(%err, "LLM proxy: a chunk that is not Chat Completions JSON");
                return;
            }
        };
        if let Some(error) = &chunk.error {
            self.ended_with_error(call, describe_error(error));
            return;
        }
        if chunk.model.is_some() {
            call.model = chunk.model;
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(delta) = choice.delta {
                self.chat_message(call, delta);
            }
            if let Some(reason) = choice.finish_reason {
                call.stop_reason = Some(chat_stop_reason(&reason));
                self.flush_text(call);
                self.finish_all_tools(call);
            }
        }
        if let Some(usage) = chunk.usage {
            chat_usage(call, &usage);
        }
    }

    /// A whole `chat.completion`.
    pub(super) fn chat_body(&mut self, call: &mut Call, body: &[u8]) {
        let Ok(chunk) = serde_json::from_slice::<Chunk>(body) else {
            return;
        };
        if chunk.model.is_some() {
            call.model = chunk.model;
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(message) = choice.message {
                self.chat_message(call, message);
            }
            if let Some(reason) = choice.finish_reason {
                call.stop_reason = Some(chat_stop_reason(&reason));
            }
        }
        self.flush_text(call);
        self.finish_all_tools(call);
        if let Some(usage) = chunk.usage {
            chat_usage(call, &usage);
        }
    }

    /// A message or a stream's piece of one: its text, and its tool calls begun or
    /// continued.
    fn chat_message(&mut self, call: &Call, message: Message) {
        if let Some(text) = message.content.filter(|t| !t.is_empty()) {
            self.push_text(call, 0, &text);
        }
        for (position, tool) in message.tool_calls.into_iter().flatten().enumerate() {
            let index = tool.index.unwrap_or(position);
            let (name, arguments) = match tool.function {
                Some(function) => (function.name, function.arguments),
                None => (None, None),
            };
            if !self.has_tool(index) {
                self.flush_text(call);
                self.start_tool(
                    index,
                    tool.id.unwrap_or_default(),
                    name.unwrap_or_default(),
                    Value::Null,
                );
            }
            if let Some(piece) = arguments {
                self.tool_input_piece(index, &piece);
            }
        }
    }
}

fn chat_usage(call: &mut Call, usage: &Usage) {
    let cached = usage
        .prompt_tokens_details
        .as_ref()
        .and_then(|d| d.cached_tokens)
        .unwrap_or(0);
    call.tokens = openai_tokens(
        usage.prompt_tokens.unwrap_or(0),
        cached,
        usage.completion_tokens.unwrap_or(0),
    );
    call.emit_usage();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm_proxy::api::Api;
    use crate::llm_proxy::event::ProxyEvent;
    use crate::llm_proxy::host::Recorder;
    use serde_json::json;
    use std::sync::Arc;

    fn read(chunks: &[&str]) -> Vec<ProxyEvent> {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "gpt-req".into());
        let mut reader = ReplyReader::new(Api::ChatCompletions);
        for chunk in chunks {
            reader.sse_event(&mut call, "message", chunk.as_bytes());
        }
        reader.end_of_stream(&mut call);
        call.finish();
        host.0.lock().unwrap().clone()
    }

    fn chunk(delta: Value, finish: Value) -> String {
        json!({"id": "c", "object": "chat.completion.chunk", "model": "gpt-5",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
    }

    #[test]
    fn a_streamed_completion_yields_its_text_its_tool_calls_and_its_usage() {
        let usage = json!({"id": "c", "choices": [], "usage": {"prompt_tokens": 50,
            "completion_tokens": 9, "prompt_tokens_details": {"cached_tokens": 20}}})
        .to_string();
        let events = read(&[
            &chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            &chunk(json!({"content": "Wri"}), Value::Null),
            &chunk(json!({"content": "ting."}), Value::Null),
            &chunk(
                json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                       "function": {"name": "write", "arguments": ""}}]}),
                Value::Null,
            ),
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"path\":"}}]}),
                Value::Null,
            ),
            &chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"a.txt\"}"}}]}),
                Value::Null,
            ),
            &chunk(json!({}), json!("tool_calls")),
            &usage,
            "[DONE]",
        ]);
        assert!(
            matches!(&events[1], ProxyEvent::TextDelta { text, index: 0, .. } if text == "Writing.")
        );
        assert!(
            matches!(&events[2], ProxyEvent::ToolUse { tool_id, name, input, .. }
                if tool_id == "call_1" && name == "write" && *input == json!({"path": "a.txt"}))
        );
        assert!(matches!(
            &events[3],
            ProxyEvent::Usage {
                input_tokens: 30,
                output_tokens: 9,
                cache_read: 20,
                cache_creation: 0,
                ..
            }
        ));
        assert!(
            matches!(&events[4], ProxyEvent::CallFinished { error: None, model, stop_reason: Some(r), .. }
                if model == "gpt-5" && r == "tool_use"),
            "{:?}",
            events[4]
        );
    }

    #[test]
    fn a_stream_without_done_was_cut_and_an_error_chunk_fails_the_call() {
        let events = read(&[&chunk(json!({"content": "par"}), Value::Null)]);
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e.contains("before [DONE]"))
        );
        let error = json!({"error": {"message": "Overloaded", "type": "server_error"}}).to_string();
        let events = read(&[&chunk(json!({"content": "par"}), Value::Null), &error]);
        assert!(
            matches!(events.last().unwrap(), ProxyEvent::CallFinished { error: Some(e), .. } if e == "server_error: Overloaded")
        );
    }

    #[test]
    fn a_whole_completion_is_read_at_once() {
        let host = Arc::new(Recorder::default());
        let mut call = Call::start("t", host.clone(), "gpt".into());
        let body = json!({"object": "chat.completion", "model": "gpt-5", "choices": [{"index": 0,
            "message": {"role": "assistant", "content": "Hi", "tool_calls": [{"id": "call_9",
            "type": "function", "function": {"name": "run", "arguments": "{\"cmd\":\"ls\"}"}}]},
            "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 4, "completion_tokens": 2}});
        ReplyReader::new(Api::ChatCompletions).json_body(
            &mut call,
            200,
            body.to_string().as_bytes(),
        );
        call.finish();
        let events = host.0.lock().unwrap().clone();
        assert!(matches!(&events[1], ProxyEvent::TextDelta { text, .. } if text == "Hi"));
        assert!(
            matches!(&events[2], ProxyEvent::ToolUse { input, .. } if *input == json!({"cmd": "ls"}))
        );
        assert!(matches!(
            &events[4],
            ProxyEvent::CallFinished { input_tokens: 4, output_tokens: 2, stop_reason: Some(r), .. } if r == "tool_use"
        ));
    }
}
