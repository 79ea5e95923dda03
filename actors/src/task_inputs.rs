//! What a task was asked to do. Stored with the task and read back after an upgrade, so its
//! shape is versioned: a change is a new `V<n>` with a migration, never an edit of an old
//! one (the frozen-shape test in `actors/tests/frozen_shapes.rs` enforces it).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a task's agent runs: what a task was asked for, and the config's `sandbox.default`
/// (read and printed by `config::values`). A running one is an
/// [`agent_host::TaskSandbox`](crate::agent_host::TaskSandbox); an environment's stored record
/// keeps its own `EnvironmentKind`, a frozen shape of a different form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sandbox {
    /// A Docker container per task.
    Docker,
    /// Processes on the host in a git worktree: unsafe, and always labelled so.
    Local,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskInputsV1 {
    pub prompt: String,
    /// The adapter's name, e.g. `claude-code`.
    pub agent: String,
    /// The project's id.
    pub project: String,
    /// The branch the task starts from; the repository's current branch when absent.
    pub base_branch: Option<String>,
    pub sandbox: Sandbox,
    /// Carry the user's uncommitted changes into the sandbox.
    pub include_uncommitted: bool,
}

pub type TaskInputs = TaskInputsV1;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum TaskInputsRecord {
    #[serde(rename = "1")]
    V1(TaskInputsV1),
}

impl plinth_store::Versioned for TaskInputsRecord {
    const KIND: &'static str = "task-inputs";
    type Latest = TaskInputsV1;

    fn into_latest(self) -> TaskInputsV1 {
        match self {
            TaskInputsRecord::V1(v) => v,
        }
    }

    fn from_latest(latest: TaskInputsV1) -> Self {
        TaskInputsRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            TaskInputsRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(TaskInputsV1))]
    }
}
