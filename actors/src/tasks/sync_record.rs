//! What plinth remembers of a task's git sync: above all the commit it last put on the
//! user's branch `plinth/<id>`, so that it can tell the user's own moves of that branch
//! (which it must never overwrite) from its own.

use chrono::{DateTime, Utc};
use plinth_store::Versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Store keys of sync records: `task-sync/<id>`.
pub const KEY_PREFIX: &str = "task-sync/";

pub fn key(task: &str) -> String {
    format!("{KEY_PREFIX}{task}")
}

pub type TaskSync = TaskSyncV1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskSyncV1 {
    pub task: String,
    /// `plinth/<id>` in the user's repository.
    pub branch: String,
    /// The commit the task started from (the merge-base of its branch and its base).
    pub base_commit: Option<String>,
    /// The agent's latest commit that plinth has seen (and, in a container, copied out).
    pub head: Option<String>,
    /// The commit plinth last put on the branch (or found it at, at plinth's commit): while
    /// the branch still points here, plinth may move it; anywhere else, the user moved it.
    pub branch_commit: Option<String>,
    /// The last sync's outcome (`created`, `updated`, `up-to-date`, `moved`,
    /// `checked-out`, `local`).
    pub outcome: String,
    pub synced_at: DateTime<Utc>,
}

/// The stored shape of a task's sync, by version.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum TaskSyncRecord {
    #[serde(rename = "1")]
    V1(TaskSyncV1),
}

impl Versioned for TaskSyncRecord {
    const KIND: &'static str = "task-sync";
    type Latest = TaskSyncV1;

    fn into_latest(self) -> TaskSyncV1 {
        match self {
            TaskSyncRecord::V1(s) => s,
        }
    }

    fn from_latest(latest: TaskSyncV1) -> Self {
        TaskSyncRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            TaskSyncRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(TaskSyncV1))]
    }
}
