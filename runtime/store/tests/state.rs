//! Versioned state: put, get (migrated to the latest version), list, delete.

use plinth_store::{Store, StoreError, Versioned};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tempfile::TempDir;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
struct ProjectV1 {
    name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
struct ProjectV2 {
    name: String,
    archived: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum ProjectRecord {
    #[serde(rename = "1")]
    V1(ProjectV1),
    #[serde(rename = "2")]
    V2(ProjectV2),
}

impl Versioned for ProjectRecord {
    const KIND: &'static str = "project";
    type Latest = ProjectV2;
    fn into_latest(self) -> ProjectV2 {
        match self {
            ProjectRecord::V1(v1) => ProjectV2 {
                name: v1.name,
                archived: false,
            },
            ProjectRecord::V2(v2) => v2,
        }
    }
    fn from_latest(latest: ProjectV2) -> Self {
        ProjectRecord::V2(latest)
    }
    fn version(&self) -> u32 {
        match self {
            ProjectRecord::V1(_) => 1,
            ProjectRecord::V2(_) => 2,
        }
    }
    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![
            (1, schemars::schema_for!(ProjectV1)),
            (2, schemars::schema_for!(ProjectV2)),
        ]
    }
}

/// Another record type, to share keys and a kind with `ProjectRecord` in the error cases.
#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum NoteRecord {
    #[serde(rename = "1")]
    V1 { text: String },
}

impl Versioned for NoteRecord {
    const KIND: &'static str = "note";
    type Latest = String;
    fn into_latest(self) -> String {
        let NoteRecord::V1 { text } = self;
        text
    }
    fn from_latest(text: String) -> Self {
        NoteRecord::V1 { text }
    }
    fn version(&self) -> u32 {
        1
    }
    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::json_schema!({"type": "object"}))]
    }
}

/// A "project" record from a plinth that knew a version 9: this build cannot decode it.
#[derive(Serialize, Deserialize)]
#[serde(tag = "version")]
enum FutureProjectRecord {
    #[serde(rename = "9")]
    V9 { name: String },
}

impl Versioned for FutureProjectRecord {
    const KIND: &'static str = "project";
    type Latest = ();
    fn into_latest(self) {}
    fn from_latest(_: ()) -> Self {
        FutureProjectRecord::V9 {
            name: String::new(),
        }
    }
    fn version(&self) -> u32 {
        9
    }
    fn schemas() -> Vec<(u32, schemars::Schema)> {
        Vec::new()
    }
}

fn open() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("plinth.db")).unwrap();
    (dir, store)
}

fn v2(name: &str) -> ProjectRecord {
    ProjectRecord::from_latest(ProjectV2 {
        name: name.into(),
        archived: true,
    })
}

#[tokio::test]
async fn put_then_get_returns_the_latest_value_and_a_missing_key_is_none() {
    let (_dir, store) = open();
    store.put_state("projects/a", &v2("a")).await.unwrap();
    let got = store.get_state::<ProjectRecord>("projects/a").unwrap();
    assert_eq!(
        got,
        Some(ProjectV2 {
            name: "a".into(),
            archived: true
        })
    );
    assert_eq!(
        store.get_state::<ProjectRecord>("projects/zz").unwrap(),
        None
    );
}

#[tokio::test]
async fn a_stored_v1_is_read_back_migrated_to_v2() {
    let (_dir, store) = open();
    let old = ProjectRecord::V1(ProjectV1 { name: "old".into() });
    store.put_state("projects/old", &old).await.unwrap();
    let got = store
        .get_state::<ProjectRecord>("projects/old")
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        ProjectV2 {
            name: "old".into(),
            archived: false
        }
    );
}

#[tokio::test]
async fn put_replaces_the_previous_value() {
    let (_dir, store) = open();
    store.put_state("k", &v2("first")).await.unwrap();
    store.put_state("k", &v2("second")).await.unwrap();
    let got = store.get_state::<ProjectRecord>("k").unwrap().unwrap();
    assert_eq!(got.name, "second");
}

#[tokio::test]
async fn list_returns_only_keys_with_the_prefix_and_the_kind_in_key_order() {
    let (_dir, store) = open();
    store.put_state("projects/b", &v2("b")).await.unwrap();
    store.put_state("projects/a", &v2("a")).await.unwrap();
    store
        .put_state("projectsX", &v2("not under the prefix"))
        .await
        .unwrap();
    store.put_state("other/c", &v2("c")).await.unwrap();
    store
        .put_state("projects/note", &NoteRecord::V1 { text: "n".into() })
        .await
        .unwrap();
    let listed = store.list_state::<ProjectRecord>("projects/").unwrap();
    let keys: Vec<&str> = listed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["projects/a", "projects/b"]);
    assert_eq!(listed[1].1.name, "b");
    assert_eq!(store.list_state::<ProjectRecord>("").unwrap().len(), 4);
}

#[tokio::test]
async fn delete_reports_whether_the_key_existed() {
    let (_dir, store) = open();
    store.put_state("k", &v2("a")).await.unwrap();
    assert!(store.delete_state("k").await.unwrap());
    assert!(!store.delete_state("k").await.unwrap());
    assert_eq!(store.get_state::<ProjectRecord>("k").unwrap(), None);
}

#[tokio::test]
async fn getting_a_key_of_another_kind_is_a_wrong_kind_error() {
    let (_dir, store) = open();
    store
        .put_state("shared", &NoteRecord::V1 { text: "n".into() })
        .await
        .unwrap();
    let err = store.get_state::<ProjectRecord>("shared").unwrap_err();
    match &err {
        StoreError::WrongKind {
            key,
            expected,
            found,
        } => {
            assert_eq!(
                (key.as_str(), expected.as_str(), found.as_str()),
                ("shared", "project", "note")
            );
        }
        other => panic!("expected WrongKind, got {other}"),
    }
}

#[tokio::test]
async fn an_undecodable_row_is_a_decode_error_naming_key_and_kind() {
    let (_dir, store) = open();
    store
        .put_state(
            "projects/future",
            &FutureProjectRecord::V9 { name: "f".into() },
        )
        .await
        .unwrap();
    let err = store
        .get_state::<ProjectRecord>("projects/future")
        .unwrap_err();
    assert!(matches!(err, StoreError::Decode { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("projects/future") && msg.contains("project"),
        "{msg}"
    );
    assert!(store.list_state::<ProjectRecord>("projects/").is_err());
}

#[tokio::test]
async fn state_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.db");
    let store = Store::open(&path).unwrap();
    store.put_state("k", &v2("kept")).await.unwrap();
    store.close().await.unwrap();
    let reopened = Store::open(&path).unwrap();
    assert_eq!(
        reopened
            .get_state::<ProjectRecord>("k")
            .unwrap()
            .unwrap()
            .name,
        "kept"
    );
}
