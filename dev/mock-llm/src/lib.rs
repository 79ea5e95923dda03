//! A scripted stand-in for the Anthropic Messages API, good enough for the real Claude
//! Code CLI: `POST /v1/messages` answered as JSON or as the API's SSE stream, from a
//! [`Script`] of replies (text, tool_use, errors, slow replies), with every request
//! recorded for tests to check.
//!
//! The script format and what Claude Code needs to run against the mock (environment,
//! `~/.claude.json`) are in docs/mock-llm.md; `tests/claude_code.rs` runs the real CLI in
//! plinth's agent image against it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), plinth_mock_llm::MockError> {
//! use plinth_mock_llm::{MockLlm, Reply, Script, When};
//! let script = Script::new(vec![
//!     Reply::tool_use("Write", serde_json::json!({"file_path": "/workspace/a", "content": "a"})),
//!     Reply::text("Done.").when(When::tool_result("")),
//! ]);
//! let mock = MockLlm::start("127.0.0.1:0".parse().unwrap(), script).await?;
//! println!("ANTHROPIC_BASE_URL={}", mock.url());
//! # mock.shutdown().await }
//! ```

mod api;
pub mod claude_code;
mod models;
pub mod render;
pub mod request;
mod safeguards;
mod script;
mod server;
mod structured;

pub use api::{Api, Endpoint, Route};
pub use render::anthropic::error_body;
pub use render::{JSON_CHUNK_CHARS, Rendered, SseEvent, TEXT_CHUNK_CHARS};
pub use request::{MessagesRequest, ModelRequest, Turn};
pub use script::{Block, DEFAULT_TEXT, ErrorReply, Reply, Script, ScriptError, Usage, When};
pub use server::{MockError, MockLlm, RecordedRequest, Served};
