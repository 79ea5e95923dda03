//! A tool call's input, assembled from the pieces a stream sends it in (or whole, in a
//! plain reply), and reported once its block ends.

use serde_json::Value;

use super::ReplyReader;
use super::data::BlockData;
use crate::limits::MAX_TOOL_INPUT_BYTES;
use crate::llm_proxy::call::Call;
use crate::llm_proxy::event::ProxyEvent;

/// A tool call whose input is still arriving.
pub(super) struct ToolBuild {
    tool_id: String,
    name: String,
    /// The input in the block's start (`{}` when it is streamed in pieces).
    start_input: Value,
    json: String,
    oversized: bool,
}

impl ReplyReader {
    /// A `tool_use` or `server_tool_use` block starts at `index`.
    pub(super) fn start_tool(&mut self, index: usize, block: BlockData) {
        self.tools.insert(
            index,
            ToolBuild {
                tool_id: block.id.unwrap_or_default(),
                name: block.name.unwrap_or_default(),
                start_input: block.input.unwrap_or(Value::Null),
                json: String::new(),
                oversized: false,
            },
        );
    }

    /// A piece of the input of the tool call at `index`.
    pub(super) fn tool_input_piece(&mut self, index: usize, piece: String) {
        let Some(tool) = self.tools.get_mut(&index) else {
            return;
        };
        if tool.json.len() + piece.len() > MAX_TOOL_INPUT_BYTES {
            tool.oversized = true;
            tool.json = String::new();
        } else if !tool.oversized {
            tool.json.push_str(&piece);
        }
    }

    /// The block at `index` ended: if it was a tool call, it is reported.
    pub(super) fn finish_tool(&mut self, call: &Call, index: usize) {
        let Some(tool) = self.tools.remove(&index) else {
            return;
        };
        let input = if tool.oversized {
            tracing::warn!(tool = %tool.name, "LLM proxy: a tool input over {MAX_TOOL_INPUT_BYTES} bytes is reported as null");
            Value::Null
        } else if tool.json.trim().is_empty() {
            tool.start_input
        } else {
            serde_json::from_str(&tool.json).unwrap_or_else(|err| {
                tracing::warn!(tool = %tool.name, %err, "LLM proxy: a tool input that is not JSON is reported as null");
                Value::Null
            })
        };
        call.emit(ProxyEvent::ToolUse {
            id: call.id().to_string(),
            tool_id: tool.tool_id,
            name: tool.name,
            input,
        });
    }
}
