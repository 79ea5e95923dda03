//! A tool call's input, assembled from the pieces a stream sends it in (or whole, in a
//! plain reply), and reported once its call is complete.

use serde_json::Value;

use super::ReplyReader;
use crate::limits::MAX_TOOL_INPUT_BYTES;
use crate::llm_proxy::call::Call;
use crate::llm_proxy::event::ProxyEvent;

/// A tool call whose input is still arriving.
pub(super) struct ToolBuild {
    tool_id: String,
    name: String,
    /// The input the call started with (`{}` when it is streamed in pieces).
    start_input: Value,
    /// The pieces so far: JSON, or (`raw`) the text of a free-form tool's input.
    json: String,
    /// The input is free text, not JSON (the Responses API's custom tools).
    raw: bool,
    oversized: bool,
}

impl ReplyReader {
    /// A tool call starts at `index` (the API's key for it: content block, output item
    /// or tool call index).
    pub(super) fn start_tool(&mut self, index: usize, tool_id: String, name: String, input: Value) {
        self.tools.insert(
            index,
            ToolBuild {
                tool_id,
                name,
                start_input: input,
                json: String::new(),
                raw: false,
                oversized: false,
            },
        );
    }

    /// A tool call whose input is free text, reported as a JSON string.
    pub(super) fn start_raw_tool(&mut self, index: usize, tool_id: String, name: String) {
        self.start_tool(index, tool_id, name, Value::Null);
        if let Some(tool) = self.tools.get_mut(&index) {
            tool.raw = true;
        }
    }

    /// Whether a call at `index` is being assembled.
    pub(super) fn has_tool(&self, index: usize) -> bool {
        self.tools.contains_key(&index)
    }

    /// A piece of the input of the tool call at `index`.
    pub(super) fn tool_input_piece(&mut self, index: usize, piece: &str) {
        let Some(tool) = self.tools.get_mut(&index) else {
            return;
        };
        if tool.json.len() + piece.len() > MAX_TOOL_INPUT_BYTES {
            tool.oversized = true;
            tool.json = String::new();
        } else if !tool.oversized {
            tool.json.push_str(piece);
        }
    }

    /// The whole input of the call at `index`, replacing the pieces (an API that repeats
    /// it when the call is done).
    pub(super) fn tool_input_whole(&mut self, index: usize, whole: &str) {
        if let Some(tool) = self.tools.get_mut(&index) {
            tool.json.clear();
            tool.oversized = false;
        }
        self.tool_input_piece(index, whole);
    }

    /// The call at `index` is complete: it is reported.
    pub(super) fn finish_tool(&mut self, call: &Call, index: usize) {
        let Some(tool) = self.tools.remove(&index) else {
            return;
        };
        let input = if tool.oversized {
            tracing::warn!(tool = %tool.name, "LLM proxy: a tool input over {MAX_TOOL_INPUT_BYTES} bytes is reported as null");
            Value::Null
        } else if tool.raw {
            Value::String(tool.json)
        } else if tool.json.trim().is_empty() {
            tool.start_input
        } else {
            serde_json::from_str(&tool.json).unwrap_or_else(|err| {
                tracing::warn!(tool = %tool.name, %err, "LLM proxy: a tool input that is not JSON is reported as null");
                Value::Null
            })
        };
        self.tool_calls += 1;
        call.emit(ProxyEvent::ToolUse {
            id: call.id().to_string(),
            tool_id: tool.tool_id,
            name: tool.name,
            input,
        });
    }

    /// Every call still being assembled is complete, in the order of their keys.
    pub(super) fn finish_all_tools(&mut self, call: &Call) {
        let mut open: Vec<usize> = self.tools.keys().copied().collect();
        open.sort_unstable();
        for index in open {
            self.finish_tool(call, index);
        }
    }

    /// A tool call that arrives whole.
    pub(super) fn whole_tool(&mut self, call: &Call, tool_id: String, name: String, input: Value) {
        // Above any key a streamed call uses, and finished at once.
        let key = usize::MAX;
        self.start_tool(key, tool_id, name, input);
        self.finish_tool(call, key);
    }
}
