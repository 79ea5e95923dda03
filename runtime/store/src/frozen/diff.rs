//! Where two JSON values differ, as JSON pointers, so a failing frozen-shape check says which
//! field moved instead of dumping two schemas.

use serde_json::Value;

/// How many differences a message lists before summarising the rest.
const SHOWN: usize = 6;

/// A one-line list of the places where `frozen` and `current` differ.
pub(crate) fn describe(frozen: &Value, current: &Value) -> String {
    let mut found = Vec::new();
    walk(String::new(), frozen, current, &mut found);
    let mut text = found
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if found.len() > SHOWN {
        text.push_str(&format!(" and {} more", found.len() - SHOWN));
    }
    text
}

fn walk(pointer: String, frozen: &Value, current: &Value, found: &mut Vec<String>) {
    match (frozen, current) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                let here = format!("{pointer}/{}", escape(key));
                match (old.get(key), new.get(key)) {
                    (Some(_), None) => found.push(format!("{here} removed")),
                    (None, Some(_)) => found.push(format!("{here} added")),
                    (Some(a), Some(b)) => walk(here, a, b, found),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            for (index, (a, b)) in old.iter().zip(new).enumerate() {
                walk(format!("{pointer}/{index}"), a, b, found);
            }
        }
        (a, b) if a != b => {
            let shown = if pointer.is_empty() { "/" } else { &pointer };
            found.push(format!("{shown} changed"));
        }
        _ => {}
    }
}

/// RFC 6901: `~` and `/` inside a key are escaped.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn added_removed_and_changed_fields_are_named_by_pointer() {
        let frozen = json!({"properties": {"a": {"type": "string"}, "b": {}}, "required": ["a"]});
        let current =
            json!({"properties": {"a": {"type": "integer"}, "c": {}}, "required": ["a", "c"]});
        assert_eq!(
            describe(&frozen, &current),
            "/properties/a/type changed, /properties/b removed, /properties/c added, /required changed"
        );
    }

    #[test]
    fn keys_with_slashes_are_escaped() {
        assert_eq!(
            describe(&json!({"a/b": 1}), &json!({"a/b": 2})),
            "/a~1b changed"
        );
    }

    #[test]
    fn long_lists_are_summarised() {
        let frozen = json!({});
        let current = json!({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1});
        assert!(describe(&frozen, &current).ends_with("/f added and 2 more"));
    }
}
