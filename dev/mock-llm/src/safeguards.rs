//! The API's check of the tool calls in a reply, as Claude Code's auto mode asks for it.
//!
//! A request may carry `safeguards: [{"type": "dangerous_tool_use", …}]` (beta
//! `dangerous-tool-use-2026-09-03`). The API then judges each tool call of its reply and
//! returns `safeguard_results`, one entry per safeguard asked for, in the `delta` of the
//! stream's final `message_delta` (a top-level key of a JSON reply). Claude Code 2.1.332
//! reads it as:
//!
//! ```json
//! [{"type": "dangerous_tool_use",
//!   "status": {"type": "available",
//!              "tool_uses": {"toolu_…": {"type": "evaluated", "outcome": "not_flagged"}}}}]
//! ```
//!
//! A reply without it makes Claude Code show "Auto mode can't check actions" before every
//! action; a flagged call is blocked and the model told why. Learnt from the CLI's own
//! schema and tried against it (docs/mock-llm.md).

use serde_json::{Map, Value, json};

/// The one safeguard the mock judges; others asked for are answered `unsupported`.
pub const DANGEROUS_TOOL_USE: &str = "dangerous_tool_use";

/// A tool call of the reply and what the script says of it: `Some(why)` flags it.
pub struct Judged<'a> {
    pub tool_use_id: &'a str,
    pub flagged: Option<&'a str>,
}

/// `safeguard_results` for a request's `safeguards`, or `None` when it asked for none (the
/// API adds nothing then).
pub fn results(request: &Value, calls: &[Judged<'_>]) -> Option<Value> {
    let asked = request.get("safeguards")?.as_array()?;
    let results = asked
        .iter()
        .filter_map(|safeguard| safeguard["type"].as_str())
        .map(|kind| {
            if kind == DANGEROUS_TOOL_USE {
                json!({"type": kind, "status": {"type": "available", "tool_uses": verdicts(calls)}})
            } else {
                json!({"type": kind, "status": {"type": "unsupported"}})
            }
        })
        .collect();
    Some(Value::Array(results))
}

fn verdicts(calls: &[Judged<'_>]) -> Value {
    let map: Map<String, Value> = calls
        .iter()
        .map(|call| {
            let verdict = match call.flagged {
                Some(why) => json!({"type": "evaluated", "outcome": "flagged", "explanation": why}),
                None => json!({"type": "evaluated", "outcome": "not_flagged"}),
            };
            (call.tool_use_id.to_string(), verdict)
        })
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_safeguards_asked_means_no_results() {
        assert_eq!(results(&json!({"model": "m"}), &[]), None);
    }

    #[test]
    fn each_call_gets_a_verdict_keyed_by_its_id_and_unknown_safeguards_are_unsupported() {
        let request = json!({"safeguards": [
            {"type": "dangerous_tool_use", "classifier_context": {"v": 1}},
            {"type": "something_new"}
        ]});
        let calls = [
            Judged {
                tool_use_id: "toolu_a",
                flagged: None,
            },
            Judged {
                tool_use_id: "toolu_b",
                flagged: Some("it deletes the repository"),
            },
        ];
        assert_eq!(
            results(&request, &calls),
            Some(json!([
                {"type": "dangerous_tool_use", "status": {"type": "available", "tool_uses": {
                    "toolu_a": {"type": "evaluated", "outcome": "not_flagged"},
                    "toolu_b": {"type": "evaluated", "outcome": "flagged",
                                "explanation": "it deletes the repository"}}}},
                {"type": "something_new", "status": {"type": "unsupported"}}
            ]))
        );
    }

    #[test]
    fn a_reply_without_tool_calls_is_judged_with_no_verdicts() {
        let request = json!({"safeguards": [{"type": "dangerous_tool_use"}]});
        assert_eq!(
            results(&request, &[]),
            Some(json!([{"type": "dangerous_tool_use",
                         "status": {"type": "available", "tool_uses": {}}}]))
        );
    }
}
