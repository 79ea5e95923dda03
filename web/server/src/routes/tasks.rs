//! Tasks: make one, list them, show one, send it a message, answer its agent's question,
//! stop, resume and archive it, set its budget. Every answer is a [`TaskView`], the task as people see it, with its
//! spend.

use std::path::PathBuf;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use plinth_actors::environments::base::BaseError;
use plinth_actors::task_inputs::Sandbox;
use plinth_actors::tasks::{
    AnswerTask, ArchiveTask, CreateTask, GetTask, ListTasks, ResumeTask, SendMessage, StopTask,
    Task, TaskError, TaskView,
};
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::app_state::AppState;

/// The agent a task gets when none is asked for.
const DEFAULT_AGENT: &str = "claude-code";

fn task_error(err: TaskError) -> ApiError {
    match err {
        TaskError::Unknown(_) => ApiError::not_found(err.to_string())
            .with_hint("`plinth task list` (or GET /api/tasks) shows the tasks"),
        TaskError::WrongState { .. } => ApiError::new(StatusCode::CONFLICT, err.to_string()),
        TaskError::Base(_) => ApiError::bad_request(err.to_string()).with_hint(BaseError::HINT),
        TaskError::Store(_) | TaskError::Actor(_) => ApiError::internal(err),
        _ => ApiError::bad_request(err.to_string()),
    }
}

/// The task as people see it: its record with its spend.
fn view(state: &AppState, task: Task) -> TaskView {
    let spend = state.spend.view(&task.id);
    TaskView::from(task).with_spend(spend)
}

/// The body's shape is shown for a malformed body; a body too large has its own advice.
fn hint_unless_too_large(err: ApiError, hint: &str) -> ApiError {
    if err.status == StatusCode::PAYLOAD_TOO_LARGE {
        err
    } else {
        err.with_hint(hint)
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
    Ok(Json(
        tasks.into_iter().map(|task| view(&state, task)).collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    prompt: String,
    /// Anywhere in the project's repository.
    repo: PathBuf,
    agent: Option<String>,
    base: Option<String>,
    sandbox: Option<Sandbox>,
    #[serde(default)]
    include_uncommitted: bool,
    /// The most its model calls may cost; `tasks.budget` when absent.
    budget: Option<f64>,
}

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let Json(body) = body.map_err(|err| {
        hint_unless_too_large(
            err.into(),
            "send {\"prompt\": \"...\", \"repo\": \"/path/to/repository\"}",
        )
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
            budget: body.budget.or(state.config.tasks.budget),
        })
        .await?
        .map_err(task_error)?;
    Ok((StatusCode::CREATED, Json(view(&state, task))))
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
    Ok(Json(view(&state, task)))
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
    Ok(Json(view(&state, task)))
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
    Ok(Json(view(&state, task)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    text: String,
}

pub async fn message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<MessageBody>, JsonRejection>,
) -> Result<Json<TaskView>, ApiError> {
    let Json(body) =
        body.map_err(|err| hint_unless_too_large(err.into(), "send {\"text\": \"...\"}"))?;
    let task = state
        .tasks
        .send(SendMessage {
            id,
            text: body.text,
        })
        .await?
        .map_err(task_error)?;
    Ok(Json(view(&state, task)))
}

#[derive(Deserialize)]
pub struct AnswerBody {
    choice: String,
}

/// Answers the question the task's agent waits on: 409 when it waits on none, 400 (listing
/// them) when the choice is none of its choices.
pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AnswerBody>, JsonRejection>,
) -> Result<Json<TaskView>, ApiError> {
    let Json(body) = body.map_err(|err| {
        hint_unless_too_large(
            err.into(),
            "send {\"choice\": \"...\"}: a choice's id, its label, or yes / always / no",
        )
    })?;
    let task = state
        .tasks
        .send(AnswerTask {
            id,
            choice: body.choice,
        })
        .await?
        .map_err(task_error)?;
    Ok(Json(view(&state, task)))
}

pub async fn resume(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    let task = state
        .tasks
        .send(ResumeTask { id })
        .await?
        .map_err(task_error)?;
    Ok(Json(view(&state, task)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    /// The new budget; `null` lifts it.
    budget: Option<f64>,
}

/// Sets a task's budget (raised, lowered, or lifted with `null`). An agent stopped by its
/// budget goes on when it is next told to (a message).
pub async fn budget(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<BudgetBody>, JsonRejection>,
) -> Result<Json<TaskView>, ApiError> {
    let Json(body) = body.map_err(|err| {
        hint_unless_too_large(
            err.into(),
            "send {\"budget\": 5.0}, or {\"budget\": null} for none",
        )
    })?;
    if let Some(budget) = body.budget
        && !(budget.is_finite() && budget > 0.0)
    {
        return Err(task_error(TaskError::InvalidBudget(budget)));
    }
    // Only a task that exists gets a budget.
    let task = state
        .tasks
        .send(GetTask { id: id.clone() })
        .await?
        .map_err(task_error)?;
    let spend = state
        .spend
        .set_budget(&id, body.budget)
        .await
        .map_err(ApiError::internal)?;
    let event =
        plinth_store::NewEvent::new("task.budget", serde_json::json!({"budget": body.budget}))
            .for_task(&id);
    state
        .store
        .append(event)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(TaskView::from(task).with_spend(spend)))
}
