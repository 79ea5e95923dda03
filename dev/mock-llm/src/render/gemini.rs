//! A reply as Gemini's API sends it: one `GenerateContentResponse`, or a stream of them
//! as bare `data:` lines (no event names, no end marker: the body just ends). Text arrives
//! in pieces; a function call is one whole part; the last chunk carries the
//! `finishReason`, and every chunk `usageMetadata`, final counts on the last. An error
//! mid-stream is the error's JSON alone, not a `data:` line ([`Frame::Bare`]).

use serde_json::{Value, json};

use super::{Answer, Frame, HttpError, Part, Rendered, TEXT_CHUNK_CHARS, chunks, id_suffix};
use crate::script::ErrorReply;

/// A reply as a Gemini answer.
pub struct Generation<'a>(pub &'a Rendered);

impl Generation<'_> {
    fn finish_reason(&self) -> &'static str {
        match self.0.stop_reason.as_str() {
            "max_tokens" => "MAX_TOKENS",
            _ => "STOP",
        }
    }

    fn usage(&self, last: bool) -> Value {
        let input = self.0.input_tokens;
        if !last {
            return json!({"promptTokenCount": input, "totalTokenCount": input});
        }
        let output = self.0.output_tokens;
        json!({"promptTokenCount": input, "candidatesTokenCount": output,
               "totalTokenCount": input + output})
    }

    /// A response holding `parts`, finished when `finished`.
    fn response(&self, parts: Vec<Value>, finished: bool) -> Value {
        let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        if finished {
            candidate["finishReason"] = json!(self.finish_reason());
        }
        json!({
            "candidates": [candidate],
            "usageMetadata": self.usage(finished),
            "modelVersion": self.0.model,
            "responseId": id_suffix(&self.0.id),
        })
    }
}

fn call(name: &str, input: &Value) -> Value {
    json!({"functionCall": {"name": name, "args": input}})
}

impl Answer for Generation<'_> {
    fn body(&self) -> Value {
        let parts = self
            .0
            .parts()
            .map(|part| match part {
                Part::Text(text) => json!({"text": text}),
                Part::Call { name, input, .. } => call(name, input),
            })
            .collect();
        self.response(parts, true)
    }

    fn frames(&self) -> Vec<Frame> {
        let mut parts: Vec<Value> = Vec::new();
        for part in self.0.parts() {
            match part {
                Part::Text(text) => parts.extend(
                    chunks(text, TEXT_CHUNK_CHARS)
                        .into_iter()
                        .map(|t| json!({"text": t})),
                ),
                Part::Call { name, input, .. } => parts.push(call(name, input)),
            }
        }
        if let Some(error) = self.0.stream_error() {
            let mut frames: Vec<Frame> = parts
                .into_iter()
                .map(|part| Frame::Data(self.response(vec![part], false)))
                .collect();
            frames.push(Frame::Bare(http_error(error).body));
            return frames;
        }
        if parts.is_empty() {
            parts.push(json!({"text": ""}));
        }
        let last = parts.len() - 1;
        parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| Frame::Data(self.response(vec![part], i == last)))
            .collect()
    }
}

/// Gemini's status names, and its HTTP codes, for a script's error kind. Gemini has no
/// 529: an overload is a 503 `UNAVAILABLE`.
fn status(kind: &str) -> (u16, &'static str) {
    match kind {
        "invalid_request_error" | "request_too_large" => (400, "INVALID_ARGUMENT"),
        "authentication_error" => (401, "UNAUTHENTICATED"),
        "permission_error" => (403, "PERMISSION_DENIED"),
        "not_found_error" => (404, "NOT_FOUND"),
        "rate_limit_error" => (429, "RESOURCE_EXHAUSTED"),
        "overloaded_error" => (503, "UNAVAILABLE"),
        _ => (500, "INTERNAL"),
    }
}

/// `{"error": {"code", "message", "status"}}` at the scripted status (Gemini's own when
/// none is scripted; 529 becomes 503).
pub fn http_error(error: &ErrorReply) -> HttpError {
    let (default, name) = status(&error.kind);
    let code = match error.status {
        Some(529) | None => default,
        Some(code) => code,
    };
    HttpError {
        status: code,
        body: json!({"error": {"code": code, "message": error.message, "status": name}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::testing::{self, data};
    use crate::script::{Block, Reply};

    fn render(reply: &Reply) -> Rendered {
        testing::rendered(reply, "gemini-test")
    }

    #[test]
    fn text_streams_in_pieces_and_the_last_chunk_finishes_with_exact_json() {
        let reply = testing::counted("Hello there, this is the mock speaking");
        let rendered = render(&reply);
        let generation = Generation(&rendered);
        let frames = generation.frames();
        assert_eq!(
            data(&frames),
            [
                json!({"candidates": [{"content": {"role": "model",
                           "parts": [{"text": "Hello there, this is the"}]}, "index": 0}],
                       "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10},
                       "modelVersion": "gemini-test", "responseId": "1"}),
                json!({"candidates": [{"content": {"role": "model",
                           "parts": [{"text": " mock speaking"}]}, "index": 0,
                           "finishReason": "STOP"}],
                       "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 3,
                                         "totalTokenCount": 13},
                       "modelVersion": "gemini-test", "responseId": "1"}),
            ]
        );
        let wire: String = frames.iter().map(Frame::encode).collect();
        assert!(!wire.contains("event:") && !wire.contains("[DONE]"));
        assert_eq!(
            generation.body()["candidates"][0]["content"]["parts"],
            json!([{"text": "Hello there, this is the mock speaking"}])
        );
    }

    #[test]
    fn a_function_call_is_one_whole_part_and_max_tokens_finishes_so() {
        let input = json!({"file_path": "hello.txt", "content": "hi\n"});
        let reply = Reply {
            content: vec![
                Block::Text {
                    text: "Writing.".into(),
                },
                Block::ToolUse {
                    name: "write_file".into(),
                    input: input.clone(),
                    flagged: None,
                },
            ],
            ..Reply::default()
        };
        let rendered = render(&reply);
        let chunks = data(&Generation(&rendered).frames());
        assert_eq!(chunks.len(), 2);
        let last = &chunks[1]["candidates"][0];
        assert_eq!(
            last["content"]["parts"],
            json!([{"functionCall": {"name": "write_file", "args": input}}])
        );
        assert_eq!(last["finishReason"], "STOP");
        assert!(chunks[0]["candidates"][0].get("finishReason").is_none());

        let cut = render(&Reply {
            stop_reason: Some("max_tokens".into()),
            ..Reply::text("x")
        });
        assert_eq!(
            Generation(&cut).body()["candidates"][0]["finishReason"],
            "MAX_TOKENS"
        );
        let empty = render(&Reply::default());
        assert_eq!(
            data(&Generation(&empty).frames())[0]["candidates"][0]["content"]["parts"],
            json!([{"text": ""}])
        );
    }

    #[test]
    fn errors_take_gemini_codes_and_statuses_in_stream_too() {
        let overloaded = ErrorReply::new("overloaded_error", "busy");
        assert_eq!(
            http_error(&overloaded),
            HttpError {
                status: 503,
                body: json!({"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}})
            }
        );
        let scripted = ErrorReply {
            status: Some(529),
            ..overloaded.clone()
        };
        assert_eq!(http_error(&scripted).status, 503);
        assert_eq!(
            http_error(&ErrorReply::new("authentication_error", "no")).body["error"]["status"],
            "UNAUTHENTICATED"
        );
        let reply = Reply {
            error: Some(ErrorReply {
                in_stream: true,
                ..overloaded
            }),
            ..Reply::text("partial")
        };
        let rendered = render(&reply);
        let mut frames = Generation(&rendered).frames();
        let error = frames.pop().unwrap();
        assert!(error.alone());
        assert_eq!(
            error.encode(),
            "{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}\n"
        );
        let chunks = data(&frames);
        assert!(chunks[0]["candidates"][0].get("finishReason").is_none());
    }
}
