//! The part of a JSON Schema that describes what is stored. Annotations (titles, doc
//! comments) change when someone edits a comment or renames a struct, which does not change
//! a single stored byte, so they are left out of the comparison.

use serde_json::{Map, Value};

/// Keywords that annotate a schema without constraining the data.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$comment",
    "title",
    "description",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords whose value maps names to subschemas.
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Keywords whose value is one subschema (or, for `items` in older drafts, a list).
const SCHEMAS: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
];

/// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// `schema` without annotations, at any depth. Only schema positions are touched: a property
/// that happens to be called `description` stays.
pub(crate) fn stored_shape(schema: &Value) -> Value {
    let Value::Object(keywords) = schema else {
        // `true`/`false` schemas.
        return schema.clone();
    };
    let mut shape = Map::new();
    for (keyword, value) in keywords {
        let keyword = keyword.as_str();
        if ANNOTATIONS.contains(&keyword) {
            continue;
        }
        let value = if SCHEMA_MAPS.contains(&keyword) {
            match value {
                Value::Object(named) => Value::Object(
                    named
                        .iter()
                        .map(|(name, sub)| (name.clone(), stored_shape(sub)))
                        .collect(),
                ),
                other => other.clone(),
            }
        } else if SCHEMAS.contains(&keyword) || SCHEMA_LISTS.contains(&keyword) {
            match value {
                Value::Array(list) => Value::Array(list.iter().map(stored_shape).collect()),
                sub => stored_shape(sub),
            }
        } else {
            value.clone()
        };
        shape.insert(keyword.to_owned(), value);
    }
    Value::Object(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn doc_comments_and_titles_are_dropped_at_every_depth() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "ThingV1",
            "description": "A thing.",
            "type": "object",
            "properties": {
                "a": {"type": "string", "description": "The a."},
                "b": {"anyOf": [{"$ref": "#/$defs/B", "description": "x"}, {"type": "null"}]}
            },
            "$defs": {"B": {"title": "B", "enum": ["x", "y"]}}
        });
        assert_eq!(
            stored_shape(&schema),
            json!({
                "type": "object",
                "properties": {
                    "a": {"type": "string"},
                    "b": {"anyOf": [{"$ref": "#/$defs/B"}, {"type": "null"}]}
                },
                "$defs": {"B": {"enum": ["x", "y"]}}
            })
        );
    }

    #[test]
    fn a_property_named_like_an_annotation_is_kept() {
        let schema = json!({
            "type": "object",
            "properties": {"description": {"type": "string"}, "title": {"type": "string"}},
            "required": ["description", "title"]
        });
        assert_eq!(stored_shape(&schema), schema);
    }

    #[test]
    fn constraints_such_as_defaults_and_formats_are_kept() {
        let schema = json!({"type": "integer", "format": "uint32", "minimum": 0, "default": 3});
        assert_eq!(stored_shape(&schema), schema);
    }
}
