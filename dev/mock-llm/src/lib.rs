//! A scripted stand-in for the model APIs the coding CLIs speak, good enough for the real
//! CLIs: Anthropic's Messages API (`POST /v1/messages`, Claude Code), OpenAI's Chat
//! Completions (`POST /v1/chat/completions`) and Responses (`POST /v1/responses`, Codex)
//! APIs and Gemini's (`POST /v1beta/models/M:streamGenerateContent`), on one port, each
//! answered as JSON or as its stream from one [`Script`] of replies (text, tool calls,
//! errors, slow replies), with every request recorded for tests to check.
//!
//! [`api`] tells which API a request speaks, [`request`] reads it (one view per API, one
//! matching), [`render`] writes the answer (one renderer per API).
//!
//! The script format, what each API gets, and what Claude Code needs to run against the
//! mock (environment, `~/.claude.json`) are in docs/mock-llm.md; `tests/claude_code.rs`
//! runs the real CLI in plinth's agent image against it.
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

pub mod api;
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
