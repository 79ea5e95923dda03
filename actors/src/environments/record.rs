//! The stored record of one task's environment: what the manager needs after a restart to
//! find the environment again (its container, or its worktree and home) and what state it
//! was left in.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use plinth_store::Versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Store keys of environment records: `environment/<task>`.
pub const KEY_PREFIX: &str = "environment/";

pub fn key(task: &str) -> String {
    format!("{KEY_PREFIX}{task}")
}

pub type EnvironmentInfo = EnvironmentV1;

// The same docker-or-local choice as `task_inputs::Sandbox`, kept apart on purpose: the
// frozen `environment.v1` schema names this `EnvironmentKind` and gives its variants a
// different form (their docs differ, and schemars writes them differently), so one enum
// would change a stored shape. Docs here are kept as they are for the same reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentKind {
    Docker,
    /// Unsafe: the agent runs on the host.
    Local,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum EnvironmentStatus {
    Running,
    /// Stopped on request; a stopped container is not a failure.
    Stopped,
    /// Lost without being asked to stop: the container died or vanished, the worktree was
    /// deleted.
    Failed {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EnvironmentV1 {
    pub task: String,
    pub project: String,
    pub kind: EnvironmentKind,
    /// The Docker container's id (Docker environments).
    pub container: Option<String>,
    /// The git worktree (local environments).
    pub worktree: Option<PathBuf>,
    /// The agent's home on the host (local environments).
    pub home: Option<PathBuf>,
    /// `plinth/<task>`.
    pub branch: String,
    pub base_branch: String,
    pub status: EnvironmentStatus,
    pub created_at: DateTime<Utc>,
}

/// The stored shape of an environment, by version.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum EnvironmentRecord {
    #[serde(rename = "1")]
    V1(EnvironmentV1),
}

impl Versioned for EnvironmentRecord {
    const KIND: &'static str = "environment";
    type Latest = EnvironmentV1;

    fn into_latest(self) -> EnvironmentV1 {
        match self {
            EnvironmentRecord::V1(e) => e,
        }
    }

    fn from_latest(latest: EnvironmentV1) -> Self {
        EnvironmentRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            EnvironmentRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(EnvironmentV1))]
    }
}
