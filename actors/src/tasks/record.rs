//! The stored record of a task: what it was asked (its inputs, fixed at creation) and where
//! it is (its lifecycle and its agent's last status). A restarted server reads these to
//! resume every task that was running.

use chrono::{DateTime, Utc};
use plinth_store::Versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::question::Question;
use crate::task_inputs::TaskInputsV1;

/// Store keys of task records: `task/<id>`.
pub const KEY_PREFIX: &str = "task/";

pub fn key(task: &str) -> String {
    format!("{KEY_PREFIX}{task}")
}

pub type Task = TaskV3;

/// Where a task is in its life. The agent's own finer status (working, waiting for the
/// user, ...) is [`TaskV3::agent_status`]; this is plinth's.
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

    /// Whether the task is over (finished or failed): it holds no agent host and no
    /// running environment once its work is synced (`tasks::ending`).
    pub fn is_ended(&self) -> bool {
        matches!(self, Lifecycle::Finished | Lifecycle::Failed { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
/// Version 1, frozen: records written before `status_since` existed.
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

/// Version 2, frozen: records written before `agent_question` existed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskV2 {
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
    /// When [`TaskV2::status`] last changed: what "waiting for 3 minutes" counts from.
    /// `updated_at` moves on any change (a new detail, the status said again after a
    /// restart, archiving), so it cannot say this.
    pub status_since: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskV3 {
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
    /// When [`TaskV3::status`] last changed: what "waiting for 3 minutes" counts from.
    /// `updated_at` moves on any change (a new detail, the status said again after a
    /// restart, archiving), so it cannot say this.
    pub status_since: DateTime<Utc>,
    /// The question the agent waits on, when its last status asked one (`events.ask`);
    /// any later status clears it.
    pub agent_question: Option<Question>,
}

impl TaskV3 {
    /// One word for where the task is, as people want it: while it runs, its agent's own
    /// status (`working`, `waiting-for-user`, `idle`, ...), else plinth's (`starting`,
    /// `stopped`, `finished`, `failed`).
    pub fn status(&self) -> &str {
        match (&self.lifecycle, &self.agent_status) {
            (Lifecycle::Running, Some(agent)) => agent,
            (lifecycle, _) => lifecycle.name(),
        }
    }

    /// Sets `status_since` to `updated_at` when the status differs from `before`'s (or there
    /// is no `before`: a new task).
    pub fn stamp_status_change(&mut self, before: Option<&TaskV3>) {
        if before.is_none_or(|before| before.status() != self.status()) {
            self.status_since = self.updated_at;
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
    #[serde(rename = "2")]
    V2(TaskV2),
    #[serde(rename = "3")]
    V3(TaskV3),
}

impl Versioned for TaskRecord {
    const KIND: &'static str = "task";
    type Latest = TaskV3;

    fn into_latest(self) -> TaskV3 {
        match self {
            TaskRecord::V1(t) => TaskV2::from(t).into(),
            TaskRecord::V2(t) => t.into(),
            TaskRecord::V3(t) => t,
        }
    }

    fn from_latest(latest: TaskV3) -> Self {
        TaskRecord::V3(latest)
    }

    fn version(&self) -> u32 {
        match self {
            TaskRecord::V1(_) => 1,
            TaskRecord::V2(_) => 2,
            TaskRecord::V3(_) => 3,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![
            (1, schemars::schema_for!(TaskV1)),
            (2, schemars::schema_for!(TaskV2)),
            (3, schemars::schema_for!(TaskV3)),
        ]
    }
}

impl From<TaskV2> for TaskV3 {
    /// A version-2 record was written before agents could ask: it waits on no question.
    fn from(v2: TaskV2) -> Self {
        TaskV3 {
            agent_question: None,
            id: v2.id,
            inputs: v2.inputs,
            project_path: v2.project_path,
            base_branch: v2.base_branch,
            branch: v2.branch,
            lifecycle: v2.lifecycle,
            agent_status: v2.agent_status,
            agent_detail: v2.agent_detail,
            archived: v2.archived,
            created_at: v2.created_at,
            updated_at: v2.updated_at,
            status_since: v2.status_since,
        }
    }
}

impl From<TaskV1> for TaskV2 {
    /// A version-1 record never said when its status changed; its last change is the best
    /// bound there is.
    fn from(v1: TaskV1) -> Self {
        TaskV2 {
            status_since: v1.updated_at,
            id: v1.id,
            inputs: v1.inputs,
            project_path: v1.project_path,
            base_branch: v1.base_branch,
            branch: v1.branch,
            lifecycle: v1.lifecycle,
            agent_status: v1.agent_status,
            agent_detail: v1.agent_detail,
            archived: v1.archived,
            created_at: v1.created_at,
            updated_at: v1.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::task_inputs::Sandbox;

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, second).unwrap()
    }

    fn running(agent_status: &str, updated: u32) -> TaskV3 {
        TaskV3 {
            id: "t".into(),
            inputs: TaskInputsV1 {
                prompt: "p".into(),
                agent: "scripted".into(),
                project: "p".into(),
                base_branch: None,
                sandbox: Sandbox::Local,
                include_uncommitted: false,
            },
            project_path: "/r".into(),
            base_branch: "main".into(),
            branch: "plinth/t".into(),
            lifecycle: Lifecycle::Running,
            agent_status: Some(agent_status.into()),
            agent_detail: None,
            archived: false,
            created_at: at(0),
            updated_at: at(updated),
            status_since: at(0),
            agent_question: None,
        }
    }

    #[test]
    fn status_since_moves_only_when_the_status_changes() {
        let working = running("working", 1);
        let mut same = running("working", 5);
        same.agent_detail = Some("running cargo test".into());
        same.stamp_status_change(Some(&working));
        assert_eq!(same.status_since, at(0), "a new detail is not a new status");

        let mut waiting = running("waiting-for-user", 7);
        waiting.stamp_status_change(Some(&same));
        assert_eq!(waiting.status_since, at(7));

        let mut stopped = running("waiting-for-user", 9);
        stopped.lifecycle = Lifecycle::Stopped;
        stopped.stamp_status_change(Some(&waiting));
        assert_eq!(
            stopped.status_since,
            at(9),
            "plinth's own status counts too"
        );
    }

    #[test]
    fn a_new_task_starts_its_status_at_its_creation() {
        let mut new = running("starting", 3);
        new.stamp_status_change(None);
        assert_eq!(new.status_since, at(3));
    }

    #[test]
    fn a_version_1_record_counts_its_status_from_its_last_change() {
        let v2 = running("idle", 4);
        let v1 = serde_json::json!({
            "version": "1", "id": "t", "inputs": v2.inputs, "project_path": "/r",
            "base_branch": "main", "branch": "plinth/t", "lifecycle": {"state": "running"},
            "agent_status": "idle", "agent_detail": null, "archived": false,
            "created_at": at(0), "updated_at": at(4),
        });
        let record: TaskRecord = serde_json::from_value(v1).unwrap();
        assert_eq!(record.into_latest().status_since, at(4));
    }

    #[test]
    fn a_version_2_record_waits_on_no_question() {
        let v3 = running("waiting-for-user", 4);
        let mut v2 = serde_json::to_value(&v3).unwrap();
        v2.as_object_mut().unwrap().remove("agent_question");
        v2["version"] = "2".into();
        let record: TaskRecord = serde_json::from_value(v2).unwrap();
        assert_eq!(record.into_latest(), v3);
    }
}
