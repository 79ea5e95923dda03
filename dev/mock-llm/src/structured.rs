//! Side requests that ask for JSON. CLIs ask the model for structured answers besides
//! their turns: Codex a thread title (`text.format` with a JSON schema), Gemini CLI
//! whether the model or the user speaks next and which model to route to
//! (`generationConfig.responseJsonSchema`), and parse the answer. The script's default
//! reply (`OK.`) would fail that parse, so a request that asks for JSON and gets the
//! default gets instead the smallest value its schema allows ([`placeholder`]). Scripted
//! replies are given as written.

use serde_json::{Map, Value, json};

use crate::script::{Block, Reply};

/// `reply` as the answer to a request that asks for JSON matching `schema`: itself when
/// it is an error or its text is already JSON, else one text block of [`placeholder`].
pub fn as_json(reply: Reply, schema: &Value) -> Reply {
    let text: String = reply
        .content
        .iter()
        .filter_map(|block| match block {
            Block::Text { text } => Some(text.as_str()),
            Block::ToolUse { .. } => None,
        })
        .collect();
    if reply.error.is_some() || serde_json::from_str::<Value>(&text).is_ok() {
        return reply;
    }
    Reply {
        content: vec![Block::Text {
            text: placeholder(schema).to_string(),
        }],
        stop_reason: None,
        ..reply
    }
}

/// The smallest value `schema` (JSON Schema, or Gemini's upper-case dialect) allows: the
/// first of an `enum`, every property of an object filled in, empty lists (or
/// `minItems` of them), `"mock"` (within `minLength`/`maxLength`), the minimum or zero,
/// `false`. A schema that says nothing gets `{}`.
pub fn placeholder(schema: &Value) -> Value {
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first.clone();
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema[key].as_array().and_then(|options| options.first()) {
            return placeholder(first);
        }
    }
    let kind = match &schema["type"] {
        Value::String(kind) => kind.to_ascii_lowercase(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("null")
            .to_ascii_lowercase(),
        _ if schema.get("items").is_some() => "array".to_string(),
        _ => "object".to_string(),
    };
    match kind.as_str() {
        "object" => {
            let properties = schema["properties"].as_object();
            let filled: Map<String, Value> = properties
                .into_iter()
                .flatten()
                .map(|(name, property)| (name.clone(), placeholder(property)))
                .collect();
            Value::Object(filled)
        }
        "array" => {
            let count = schema["minItems"].as_u64().unwrap_or(0) as usize;
            Value::Array(vec![placeholder(&schema["items"]); count])
        }
        "integer" | "number" => schema
            .get("minimum")
            .filter(|m| m.is_number())
            .cloned()
            .unwrap_or(json!(0)),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => json!(sized_string(schema)),
    }
}

/// `"mock"`, stretched to `minLength` or cut to `maxLength` (Codex's title allows 1–36).
fn sized_string(schema: &Value) -> String {
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    let max = schema["maxLength"]
        .as_u64()
        .map_or(usize::MAX, |max| max as usize);
    let mut text = "mock".to_string();
    while text.len() < min {
        text.push('k');
    }
    text.truncate(max.max(min));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_gets_its_smallest_value() {
        // Gemini CLI's next-speaker check, in Gemini's dialect.
        let next_speaker = json!({"type": "OBJECT", "properties": {
            "reasoning": {"type": "STRING"},
            "next_speaker": {"type": "STRING", "enum": ["user", "model"]}},
            "required": ["reasoning", "next_speaker"]});
        assert_eq!(
            placeholder(&next_speaker),
            json!({"reasoning": "mock", "next_speaker": "user"})
        );
        let codex_title = json!({"type": "object", "properties": {"title": {"type": "string"}},
                                 "required": ["title"], "additionalProperties": false});
        assert_eq!(placeholder(&codex_title), json!({"title": "mock"}));
        assert_eq!(
            placeholder(&json!({"type": "object", "properties": {
                "n": {"type": "integer", "minimum": 3},
                "list": {"type": "array", "items": {"type": "boolean"}, "minItems": 2},
                "either": {"anyOf": [{"type": "null"}, {"type": "string"}]},
                "maybe": {"type": ["null", "number"]}}})),
            json!({"n": 3, "list": [false, false], "either": null, "maybe": 0})
        );
        assert_eq!(placeholder(&json!({})), json!({}));
        assert_eq!(
            placeholder(&json!({"type": "string", "minLength": 6})),
            json!("mockkk")
        );
        assert_eq!(
            placeholder(&json!({"type": "string", "maxLength": 2})),
            json!("mo")
        );
    }

    #[test]
    fn only_replies_that_are_not_json_already_are_replaced() {
        let schema = json!({"type": "object", "properties": {"title": {"type": "string"}}});
        assert_eq!(
            as_json(Reply::text("OK."), &schema),
            Reply::text(r#"{"title":"mock"}"#)
        );
        let json_text = Reply::text(r#"{"title": "Fix the build"}"#);
        assert_eq!(as_json(json_text.clone(), &schema), json_text);
        let failing = Reply {
            error: Some(crate::script::ErrorReply::new("api_error", "no")),
            ..Reply::default()
        };
        assert_eq!(as_json(failing.clone(), &schema), failing);
    }
}
