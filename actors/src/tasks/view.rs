//! A task as people see it, in the API's answers and the CLI's output.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::question::Question;
use super::record::{Lifecycle, Task};
use crate::spend::SpendView;
use crate::task_inputs::Sandbox;

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct TaskView {
    pub id: String,
    pub prompt: String,
    pub agent: String,
    /// Where the task is: its agent's status while it runs (`working`, `waiting-for-user`,
    /// `idle`), else `starting`, `stopped`, `finished` or `failed`.
    pub status: String,
    /// plinth's side alone: `starting`, `running`, `stopped`, `finished`, `failed`.
    pub lifecycle: String,
    pub agent_status: Option<String>,
    pub detail: Option<String>,
    pub failure: Option<String>,
    pub project: String,
    pub project_path: PathBuf,
    pub base_branch: String,
    pub branch: String,
    pub sandbox: Sandbox,
    /// True for `--sandbox local`: the agent runs on this machine, unconfined.
    pub unsafe_sandbox: bool,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When `status` last changed.
    pub status_since: DateTime<Utc>,
    /// The question its agent waits on, with the choices it offers; `None` unless the task
    /// is `waiting-for-user` on one.
    #[serde(default)]
    pub question: Option<Question>,
    /// What its model calls have used and cost, and its budget.
    #[serde(default)]
    pub spend: Option<SpendView>,
}

impl TaskView {
    /// With its spend. A running task whose spend has reached its budget waits for its
    /// user whatever its agent last said: the model proxy refuses its calls until the
    /// budget is raised.
    pub fn with_spend(mut self, spend: SpendView) -> Self {
        if self.lifecycle == Lifecycle::Running.name() && spend.budget_reached() {
            self.status = "waiting-for-user".to_string();
            self.detail = Some(format!(
                "budget of ${:.2} reached (${:.2} spent); raise it with `plinth task budget {} AMOUNT`",
                spend.budget.unwrap_or_default(),
                spend.cost,
                self.id
            ));
        }
        self.spend = Some(spend);
        self
    }
}

impl From<Task> for TaskView {
    fn from(task: Task) -> Self {
        let sandbox = task.inputs.sandbox;
        let running = task.lifecycle == Lifecycle::Running;
        let question = task.agent_question.clone().filter(|_| running);
        TaskView {
            question,
            status: task.status().to_string(),
            lifecycle: task.lifecycle.name().to_string(),
            failure: task.failure().map(str::to_string),
            id: task.id,
            prompt: task.inputs.prompt,
            agent: task.inputs.agent,
            agent_status: task.agent_status,
            detail: task.agent_detail,
            project: task.inputs.project,
            project_path: task.project_path,
            base_branch: task.base_branch,
            branch: task.branch,
            unsafe_sandbox: sandbox == Sandbox::Local,
            sandbox,
            archived: task.archived,
            created_at: task.created_at,
            updated_at: task.updated_at,
            status_since: task.status_since,
            spend: None,
        }
    }
}
