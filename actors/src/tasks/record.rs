//! The stored record of a task: what it was asked (its inputs, fixed at creation) and where
//! it is (its lifecycle and its agent's last status). A restarted server reads these to
//! resume every task that was running.

use chrono::{DateTime, Utc};
use plinth_store::Versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::task_inputs::TaskInputsV1;

/// Store keys of task records: `task/<id>`.
pub const KEY_PREFIX: &str = "task/";

pub fn key(task: &str) -> String {
    format!("{KEY_PREFIX}{task}")
}

pub type Task = TaskV1;

/// Where a task is in its life. The agent's own finer status (working, waiting for the
/// user, ...) is [`TaskV1::agent_status`]; this is plinth's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Lifecycle {
    /// Its environment is being made and its agent started.
    Starting,
    /// Its agent runs.
    Running,
    /// Stopped on request; it can be resumed.
    Stopped,
    /// The agent said it is done.
    Finished,
    /// It cannot go on; `reason` says why.
    Failed { reason: String },
}

impl Lifecycle {
    /// The name the API and the CLI show.
    pub fn name(&self) -> &'static str {
        match self {
            Lifecycle::Starting => "starting",
            Lifecycle::Running => "running",
            Lifecycle::Stopped => "stopped",
            Lifecycle::Finished => "finished",
            Lifecycle::Failed { .. } => "failed",
        }
    }

    /// Whether an agent should be running for the task (and be resumed after a restart).
    pub fn is_active(&self) -> bool {
        matches!(self, Lifecycle::Starting | Lifecycle::Running)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskV1 {
    pub id: String,
    pub inputs: TaskInputsV1,
    /// The repository's root when the task was made.
    pub project_path: std::path::PathBuf,
    /// The base branch, resolved (the repository's current branch when none was asked).
    pub base_branch: String,
    /// `plinth/<id>`: where the agent's work comes back.
    pub branch: String,
    pub lifecycle: Lifecycle,
    /// The adapter's last status (`starting`, `working`, `waiting-for-user`, `idle`,
    /// `finished`, `failed`), with its detail.
    pub agent_status: Option<String>,
    pub agent_detail: Option<String>,
    /// Hidden from the default listing; its record and events stay.
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TaskV1 {
    /// One word for where the task is, as people want it: while it runs, its agent's own
    /// status (`working`, `waiting-for-user`, `idle`, ...), else plinth's (`starting`,
    /// `stopped`, `finished`, `failed`).
    pub fn status(&self) -> &str {
        match (&self.lifecycle, &self.agent_status) {
            (Lifecycle::Running, Some(agent)) => agent,
            (lifecycle, _) => lifecycle.name(),
        }
    }

    /// Why it failed, when it did.
    pub fn failure(&self) -> Option<&str> {
        match &self.lifecycle {
            Lifecycle::Failed { reason } => Some(reason),
            _ => None,
        }
    }
}

/// The stored shape of a task, by version.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum TaskRecord {
    #[serde(rename = "1")]
    V1(TaskV1),
}

impl Versioned for TaskRecord {
    const KIND: &'static str = "task";
    type Latest = TaskV1;

    fn into_latest(self) -> TaskV1 {
        match self {
            TaskRecord::V1(t) => t,
        }
    }

    fn from_latest(latest: TaskV1) -> Self {
        TaskRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            TaskRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(TaskV1))]
    }
}
