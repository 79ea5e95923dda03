//! Stored state shapes that can evolve. A record type is a serde enum with one variant per
//! version (`#[serde(tag = "version")]`); old versions stay decodable forever and are
//! migrated to the latest on read, so a plinth upgrade never has to rewrite the database.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::StoreError;
use crate::reads::StateRow;
use crate::write_op::StateWrite;

pub trait Versioned: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Names the record type in the `kind` column and in frozen-shape files; never change it.
    const KIND: &'static str;
    type Latest: Clone + Send + 'static;
    fn into_latest(self) -> Self::Latest;
    fn from_latest(latest: Self::Latest) -> Self;
    fn version(&self) -> u32;
    /// JSON Schema of every version's payload, oldest first: the frozen-shape check compares them.
    fn schemas() -> Vec<(u32, schemars::Schema)>;
}

pub(crate) fn encode<T: Versioned>(key: &str, value: &T) -> Result<StateWrite, StoreError> {
    let json = serde_json::to_string(value).map_err(|source| StoreError::Encode {
        what: format!("state key {key:?} ({})", T::KIND),
        source,
    })?;
    Ok(StateWrite {
        key: key.to_owned(),
        kind: T::KIND,
        version: value.version(),
        json,
    })
}

/// Decodes whichever version the row holds and migrates it to the latest.
pub(crate) fn decode<T: Versioned>(row: StateRow) -> Result<T::Latest, StoreError> {
    if row.kind != T::KIND {
        return Err(StoreError::WrongKind {
            key: row.key,
            expected: T::KIND.to_owned(),
            found: row.kind,
        });
    }
    let value: T = serde_json::from_str(&row.data).map_err(|err| StoreError::Decode {
        what: format!("state key {:?} ({})", row.key, row.kind),
        detail: err.to_string(),
    })?;
    Ok(value.into_latest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
    struct NoteV1 {
        text: String,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
    struct NoteV2 {
        text: String,
        pinned: bool,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "version")]
    enum Note {
        #[serde(rename = "1")]
        V1(NoteV1),
        #[serde(rename = "2")]
        V2(NoteV2),
    }

    impl Versioned for Note {
        const KIND: &'static str = "note";
        type Latest = NoteV2;
        fn into_latest(self) -> NoteV2 {
            match self {
                Note::V1(v) => NoteV2 {
                    text: v.text,
                    pinned: false,
                },
                Note::V2(v) => v,
            }
        }
        fn from_latest(latest: NoteV2) -> Self {
            Note::V2(latest)
        }
        fn version(&self) -> u32 {
            match self {
                Note::V1(_) => 1,
                Note::V2(_) => 2,
            }
        }
        fn schemas() -> Vec<(u32, schemars::Schema)> {
            vec![
                (1, schemars::schema_for!(NoteV1)),
                (2, schemars::schema_for!(NoteV2)),
            ]
        }
    }

    fn row(kind: &str, data: &str) -> StateRow {
        StateRow {
            key: "notes/1".into(),
            kind: kind.into(),
            data: data.into(),
        }
    }

    #[test]
    fn encoding_stores_the_tagged_enum_with_its_version_and_kind() {
        let write = encode("notes/1", &Note::V1(NoteV1 { text: "a".into() })).unwrap();
        assert_eq!(write.kind, "note");
        assert_eq!(write.version, 1);
        let json: serde_json::Value = serde_json::from_str(&write.json).unwrap();
        assert_eq!(json, serde_json::json!({"version": "1", "text": "a"}));
    }

    #[test]
    fn an_old_version_decodes_migrated_to_the_latest() {
        let latest = decode::<Note>(row("note", r#"{"version":"1","text":"a"}"#)).unwrap();
        assert_eq!(
            latest,
            NoteV2 {
                text: "a".into(),
                pinned: false
            }
        );
    }

    #[test]
    fn a_row_of_another_kind_is_refused_by_name() {
        let err = decode::<Note>(row("project", "{}")).unwrap_err();
        assert!(
            matches!(err, StoreError::WrongKind { ref expected, ref found, .. }
            if expected == "note" && found == "project")
        );
    }

    #[test]
    fn an_undecodable_row_names_its_key_and_kind() {
        let err = decode::<Note>(row("note", r#"{"version":"9"}"#)).unwrap_err();
        assert!(matches!(err, StoreError::Decode { .. }));
        let msg = err.to_string();
        assert!(msg.contains("notes/1"), "{msg}");
        assert!(msg.contains("note"), "{msg}");
    }
}
