//! The frozen-shape check, on a toy record with two versions.

use std::path::Path;

use plinth_store::Versioned;
use plinth_store::frozen::{FrozenError, check_frozen, check_frozen_with};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

mod toy {
    use super::*;

    #[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
    pub struct ToyV1 {
        /// Doc comments are not part of the stored shape.
        pub name: String,
    }

    #[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
    pub struct ToyV2 {
        pub name: String,
        pub size: u32,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "version")]
    pub enum ToyRecord {
        #[serde(rename = "1")]
        V1(ToyV1),
        #[serde(rename = "2")]
        V2(ToyV2),
    }

    impl Versioned for ToyRecord {
        const KIND: &'static str = "toy";
        type Latest = ToyV2;
        fn into_latest(self) -> ToyV2 {
            match self {
                ToyRecord::V1(v1) => ToyV2 {
                    name: v1.name,
                    size: 0,
                },
                ToyRecord::V2(v2) => v2,
            }
        }
        fn from_latest(latest: ToyV2) -> Self {
            ToyRecord::V2(latest)
        }
        fn version(&self) -> u32 {
            match self {
                ToyRecord::V1(_) => 1,
                ToyRecord::V2(_) => 2,
            }
        }
        fn schemas() -> Vec<(u32, schemars::Schema)> {
            vec![
                (1, schemars::schema_for!(ToyV1)),
                (2, schemars::schema_for!(ToyV2)),
            ]
        }
    }
}

/// The same record after someone edited V1 in place (added a field) instead of adding V3.
mod edited {
    use super::*;

    #[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
    pub struct ToyV1 {
        pub name: String,
        pub colour: Option<String>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "version")]
    pub enum ToyRecord {
        #[serde(rename = "1")]
        V1(ToyV1),
        #[serde(rename = "2")]
        V2(super::toy::ToyV2),
    }

    impl Versioned for ToyRecord {
        const KIND: &'static str = "toy";
        type Latest = super::toy::ToyV2;
        fn into_latest(self) -> Self::Latest {
            match self {
                ToyRecord::V1(v1) => super::toy::ToyV2 {
                    name: v1.name,
                    size: 0,
                },
                ToyRecord::V2(v2) => v2,
            }
        }
        fn from_latest(latest: Self::Latest) -> Self {
            ToyRecord::V2(latest)
        }
        fn version(&self) -> u32 {
            match self {
                ToyRecord::V1(_) => 1,
                ToyRecord::V2(_) => 2,
            }
        }
        fn schemas() -> Vec<(u32, schemars::Schema)> {
            vec![
                (1, schemars::schema_for!(ToyV1)),
                (2, schemars::schema_for!(super::toy::ToyV2)),
            ]
        }
    }
}

fn samples() -> Vec<(u32, Value)> {
    vec![
        (1, json!({"version": "1", "name": "first"})),
        (2, json!({"version": "2", "name": "second", "size": 3})),
    ]
}

fn frozen_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A directory with every file of the toy frozen, as a blessed and committed test would have.
fn blessed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    check_frozen_with::<toy::ToyRecord>(dir.path(), &samples(), true).unwrap();
    dir
}

#[test]
fn blessing_an_empty_directory_freezes_a_schema_and_a_sample_per_version() {
    let dir = blessed_dir();
    assert_eq!(
        frozen_files(dir.path()),
        [
            "toy.v1.sample.json",
            "toy.v1.schema.json",
            "toy.v2.sample.json",
            "toy.v2.schema.json"
        ]
    );
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("toy.v1.sample.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sample, samples()[0].1);
}

#[test]
fn an_unchanged_type_passes_against_its_frozen_files() {
    let dir = blessed_dir();
    check_frozen_with::<toy::ToyRecord>(dir.path(), &samples(), false).unwrap();
    // The environment-reading entry point agrees (PLINTH_BLESS is not set under test).
    if std::env::var_os("PLINTH_BLESS").is_none() {
        check_frozen::<toy::ToyRecord>(dir.path(), &[]).unwrap();
    }
}

#[test]
fn adding_a_field_to_an_old_version_without_a_new_version_fails() {
    let dir = blessed_dir();
    let err = check_frozen_with::<edited::ToyRecord>(dir.path(), &samples(), false).unwrap_err();
    assert!(
        matches!(err, FrozenError::ShapeChanged { version: 1, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("the stored shape of toy v1 changed"), "{msg}");
    assert!(
        msg.contains("add V3 with a migration instead of editing V1"),
        "{msg}"
    );
    assert!(msg.contains("/properties/colour added"), "{msg}");
}

#[test]
fn blessing_does_not_overwrite_a_changed_shape() {
    let dir = blessed_dir();
    let schema = dir.path().join("toy.v1.schema.json");
    let before = std::fs::read(&schema).unwrap();
    let err = check_frozen_with::<edited::ToyRecord>(dir.path(), &samples(), true).unwrap_err();
    assert!(matches!(err, FrozenError::ShapeChanged { .. }), "{err}");
    assert_eq!(std::fs::read(&schema).unwrap(), before);
}

#[test]
fn a_missing_sample_without_bless_fails_and_says_how_to_bless() {
    let dir = blessed_dir();
    std::fs::remove_file(dir.path().join("toy.v2.sample.json")).unwrap();
    let err = check_frozen_with::<toy::ToyRecord>(dir.path(), &samples(), false).unwrap_err();
    assert!(
        matches!(err, FrozenError::MissingSample { version: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("PLINTH_BLESS=1"), "{err}");
}

#[test]
fn a_missing_schema_without_bless_fails_and_says_how_to_bless() {
    let dir = tempfile::tempdir().unwrap();
    let err = check_frozen_with::<toy::ToyRecord>(dir.path(), &samples(), false).unwrap_err();
    assert!(
        matches!(err, FrozenError::MissingSchema { version: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("PLINTH_BLESS=1"), "{err}");
    assert!(
        frozen_files(dir.path()).is_empty(),
        "nothing is written without bless"
    );
}

#[test]
fn bless_writes_only_the_missing_files() {
    let dir = blessed_dir();
    // A frozen v1 sample that differs from the one the test now passes: bless keeps it.
    let v1_sample = dir.path().join("toy.v1.sample.json");
    std::fs::write(&v1_sample, r#"{"version": "1", "name": "frozen long ago"}"#).unwrap();
    let v1_before = std::fs::read(&v1_sample).unwrap();
    let v2_schema_before = std::fs::read(dir.path().join("toy.v2.schema.json")).unwrap();
    std::fs::remove_file(dir.path().join("toy.v2.sample.json")).unwrap();

    check_frozen_with::<toy::ToyRecord>(dir.path(), &samples(), true).unwrap();

    assert_eq!(std::fs::read(&v1_sample).unwrap(), v1_before);
    assert_eq!(
        std::fs::read(dir.path().join("toy.v2.schema.json")).unwrap(),
        v2_schema_before
    );
    let v2_sample: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("toy.v2.sample.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(v2_sample, samples()[1].1);
}

#[test]
fn a_frozen_sample_that_no_longer_decodes_fails() {
    let dir = blessed_dir();
    std::fs::write(
        dir.path().join("toy.v2.sample.json"),
        r#"{"version": "2", "name": "no size"}"#,
    )
    .unwrap();
    let err = check_frozen_with::<toy::ToyRecord>(dir.path(), &samples(), false).unwrap_err();
    assert!(
        matches!(err, FrozenError::BadSample { version: 2, .. }),
        "{err}"
    );
}

#[test]
fn a_frozen_sample_of_the_wrong_version_fails() {
    let dir = blessed_dir();
    std::fs::write(
        dir.path().join("toy.v1.sample.json"),
        r#"{"version": "2", "name": "n", "size": 1}"#,
    )
    .unwrap();
    let err = check_frozen_with::<toy::ToyRecord>(dir.path(), &samples(), false).unwrap_err();
    assert!(err.to_string().contains("decodes as version 2"), "{err}");
}

#[test]
fn blessing_without_a_sample_for_a_version_fails_and_writes_no_sample() {
    let dir = tempfile::tempdir().unwrap();
    let only_v1 = &samples()[..1];
    let err = check_frozen_with::<toy::ToyRecord>(dir.path(), only_v1, true).unwrap_err();
    assert!(
        matches!(err, FrozenError::NoSampleGiven { version: 2, .. }),
        "{err}"
    );
    assert!(!dir.path().join("toy.v2.sample.json").exists());
}

#[test]
fn a_bad_sample_given_for_blessing_is_not_frozen() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = vec![(1, json!({"version": "1"})), samples()[1].clone()];
    let err = check_frozen_with::<toy::ToyRecord>(dir.path(), &wrong, true).unwrap_err();
    assert!(
        matches!(err, FrozenError::BadSample { version: 1, .. }),
        "{err}"
    );
    assert!(!dir.path().join("toy.v1.sample.json").exists());
}

#[test]
fn a_sample_for_a_version_that_does_not_exist_is_refused() {
    let dir = blessed_dir();
    let extra = vec![(3, json!({"version": "3"}))];
    let err = check_frozen_with::<toy::ToyRecord>(dir.path(), &extra, false).unwrap_err();
    assert!(
        matches!(err, FrozenError::UnknownSampleVersion { version: 3, .. }),
        "{err}"
    );
}

/// Versions must be 1..=n: a gap means a version was deleted, and its records could no
/// longer be read.
#[test]
fn schemas_with_a_gap_in_versions_are_refused() {
    #[derive(Serialize, Deserialize)]
    #[serde(tag = "version")]
    enum Gappy {
        #[serde(rename = "2")]
        V2 { a: u8 },
    }
    impl Versioned for Gappy {
        const KIND: &'static str = "gappy";
        type Latest = u8;
        fn into_latest(self) -> u8 {
            let Gappy::V2 { a } = self;
            a
        }
        fn from_latest(a: u8) -> Self {
            Gappy::V2 { a }
        }
        fn version(&self) -> u32 {
            2
        }
        fn schemas() -> Vec<(u32, schemars::Schema)> {
            vec![(2, schemars::json_schema!({"type": "object"}))]
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let err = check_frozen_with::<Gappy>(dir.path(), &[], true).unwrap_err();
    assert!(matches!(err, FrozenError::Versions { .. }), "{err}");
}

#[test]
fn editing_only_a_doc_comment_is_not_a_shape_change() {
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct ToyV1 {
        /// Reworded documentation.
        name: String,
    }
    let dir = blessed_dir();
    let frozen: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("toy.v1.schema.json")).unwrap(),
    )
    .unwrap();
    let reworded = serde_json::to_value(schemars::schema_for!(ToyV1)).unwrap();
    assert_ne!(reworded["properties"]["name"].get("description"), None);
    // The frozen form carries no annotations at all, so rewording cannot change it.
    assert_eq!(frozen["properties"]["name"].get("description"), None);
    assert_eq!(frozen["properties"], json!({"name": {"type": "string"}}));
}
