//! Tasks: make one, list them, show, stop and archive one. Every answer is a [`TaskView`],
//! the task as people see it (the CLI prints the same fields).

use std::path::PathBuf;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use plinth_actors::config::SandboxKind;
use plinth_actors::tasks::{
    ArchiveTask, CreateTask, GetTask, ListTasks, StopTask, Task, TaskError,
};
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::app_state::AppState;

/// The agent a task gets when none is asked for.
const DEFAULT_AGENT: &str = "claude-code";

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
    pub sandbox: SandboxKind,
    /// True for `--sandbox local`: the agent runs on this machine, unconfined.
    pub unsafe_sandbox: bool,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Task> for TaskView {
    fn from(task: Task) -> Self {
        let sandbox = match task.inputs.sandbox {
            plinth_actors::task_inputs::Sandbox::Docker => SandboxKind::Docker,
            plinth_actors::task_inputs::Sandbox::Local => SandboxKind::Local,
        };
        TaskView {
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
            unsafe_sandbox: sandbox == SandboxKind::Local,
            sandbox,
            archived: task.archived,
            created_at: task.created_at,
            updated_at: task.updated_at,
        }
    }
}

fn task_error(err: TaskError) -> ApiError {
    match err {
        TaskError::Unknown(_) => ApiError::not_found(err.to_string())
            .with_hint("`plinth task list` (or GET /api/tasks) shows the tasks"),
        TaskError::WrongState { .. } => ApiError::new(StatusCode::CONFLICT, err.to_string()),
        TaskError::Store(_) | TaskError::Actor(_) => ApiError::internal(err),
        _ => ApiError::bad_request(err.to_string()),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    archived: bool,
}

pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    let tasks = state
        .tasks
        .send(ListTasks {
            include_archived: query.archived,
        })
        .await?;
    Ok(Json(tasks.into_iter().map(TaskView::from).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    prompt: String,
    /// Anywhere in the project's repository.
    repo: PathBuf,
    agent: Option<String>,
    base: Option<String>,
    sandbox: Option<SandboxKind>,
    #[serde(default)]
    include_uncommitted: bool,
}

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let Json(body) = body.map_err(|err| {
        ApiError::bad_request(err.body_text())
            .with_hint("send {\"prompt\": \"...\", \"repo\": \"/path/to/repository\"}")
    })?;
    let task = state
        .tasks
        .send(CreateTask {
            prompt: body.prompt,
            agent: body.agent.unwrap_or_else(|| DEFAULT_AGENT.to_string()),
            project_path: body.repo,
            base_branch: body.base,
            sandbox: body.sandbox.unwrap_or(state.config.sandbox.default),
            include_uncommitted: body.include_uncommitted,
        })
        .await?
        .map_err(task_error)?;
    Ok((StatusCode::CREATED, Json(task.into())))
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    let task = state
        .tasks
        .send(GetTask { id })
        .await?
        .map_err(task_error)?;
    Ok(Json(task.into()))
}

pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    let task = state
        .tasks
        .send(StopTask { id })
        .await?
        .map_err(task_error)?;
    Ok(Json(task.into()))
}

pub async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    let task = state
        .tasks
        .send(ArchiveTask { id })
        .await?
        .map_err(task_error)?;
    Ok(Json(task.into()))
}
