//! What the [`TaskService`](super::TaskService) accepts, and what each message answers:
//! start reading here.
//!
//! | message | answers | handled in |
//! |---|---|---|
//! | [`CreateTask`] | the task, recorded as `starting` | `create.rs` |
//! | [`ListTasks`], [`GetTask`] | the tasks, one task | `query.rs` |
//! | [`SendMessage`] | the task, once the text is handed to its agent (or held for it) | `deliver.rs` |
//! | [`DeliverHook`], [`SignalAgent`] | nothing, once handed over (or held) | `deliver.rs` |
//! | [`AnswerTask`] | the task, once the choice is handed to its agent (or held for it) | `answer.rs` |
//! | [`StopTask`], [`ResumeTask`], [`ArchiveTask`] | the task as it is now | `stop.rs` |
//! | [`SyncTask`] | a [`SyncReport`] | `work.rs` (the sync: `sync.rs`) |
//! | [`TaskDiff`] | a [`DiffReport`] | `work.rs` (the diff: `diff.rs`) |
//! | [`WakeEnvironment`] | an ended task's environment and its [`Lease`] | `query.rs` |
//!
//! The service also sends itself `Launch` and `Launched` (`create.rs`), `StatusSeen`
//! and `FollowerDown` (`status.rs`), and `EnvironmentLost` (`environment_lost.rs`).
//! Errors are [`TaskError`] and [`SyncError`] (`error.rs`).

use std::path::PathBuf;

use actix::Message;
use plinth_wasm::wit::Signal;
use serde::{Deserialize, Serialize};

use super::error::{SyncError, TaskError};
use super::git_sync::DiffSummary;
use super::question::Question;
use super::record::Task;
use super::wake::Lease;
use crate::environments::Environment;
use crate::task_inputs::Sandbox;

/// Makes a task and starts it. Answers once the task is recorded (`starting`); its
/// environment and agent come up in the background.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct CreateTask {
    pub prompt: String,
    pub agent: String,
    /// Anywhere in the project's repository.
    pub project_path: PathBuf,
    /// The repository's current branch when absent.
    pub base_branch: Option<String>,
    pub sandbox: Sandbox,
    pub include_uncommitted: bool,
    /// The most its model calls may cost; `None`: no limit.
    pub budget: Option<f64>,
}

#[derive(Message)]
#[rtype(result = "Vec<Task>")]
pub struct ListTasks {
    pub include_archived: bool,
}

#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct GetTask {
    pub id: String,
}

/// A message for the task's agent, as if the user typed it.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct SendMessage {
    pub id: String,
    pub text: String,
}

/// Answers the question the task's agent waits on (`Task::agent_question`): `choice` is a
/// choice's id, its label (in any case), or a word for its kind (`yes`, `approve`, `allow`,
/// `always`, `no`, `deny`). The agent gets the `answer` signal with the choice's id.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct AnswerTask {
    pub id: String,
    pub choice: String,
}

/// A hook the task's agent posted (Claude Code's SessionStart, PreToolUse, Stop, ...):
/// recorded as a `task.hook` event and given to the adapter as a signal.
#[derive(Message)]
#[rtype(result = "Result<(), TaskError>")]
pub struct DeliverHook {
    pub id: String,
    pub name: String,
    /// The hook's input, as the agent sent it (JSON).
    pub body: String,
}

/// A signal for the task's agent from elsewhere in plinth (the model proxy's calls);
/// held while the task's agent host is being started, dropped when the task is not active.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SignalAgent {
    pub id: String,
    pub signal: Signal,
}

/// Stops the task's agent (its adapter ends what it started) and its environment's
/// processes; what is on disk stays.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct StopTask {
    pub id: String,
}

/// Starts a stopped task again: its environment comes back as it was left, and its agent
/// starts with its saved state.
#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct ResumeTask {
    pub id: String,
}

#[derive(Message)]
#[rtype(result = "Result<Task, TaskError>")]
pub struct ArchiveTask {
    pub id: String,
}

/// Brings the task's commits into the user's repository now.
#[derive(Message)]
#[rtype(result = "Result<SyncReport, SyncError>")]
pub struct SyncTask {
    pub id: String,
}

/// The task's changes against its base.
#[derive(Message)]
#[rtype(result = "Result<DiffReport, SyncError>")]
pub struct TaskDiff {
    pub id: String,
}

/// The environment of an ended task, woken for a reader (the web terminal), with the lease
/// that keeps it up; `None` for a task that has not ended (its environment runs, or was
/// stopped on purpose and waits for a resume).
#[derive(Message)]
#[rtype(result = "Result<Option<(Environment, Lease)>, TaskError>")]
pub struct WakeEnvironment {
    pub id: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncOutcome {
    /// The branch did not exist; it does now, at plinth's commit.
    Created,
    /// The branch moved from plinth's previous commit to its new one.
    Updated,
    UpToDate,
    /// The user moved the branch or committed to it: left alone.
    Moved,
    /// The branch is checked out in one of the repository's worktrees: left alone.
    CheckedOut,
    /// Local mode: the agent commits to the branch directly; nothing to copy.
    Local,
}

impl SyncOutcome {
    pub fn name(self) -> &'static str {
        match self {
            SyncOutcome::Created => "created",
            SyncOutcome::Updated => "updated",
            SyncOutcome::UpToDate => "up-to-date",
            SyncOutcome::Moved => "moved",
            SyncOutcome::CheckedOut => "checked-out",
            SyncOutcome::Local => "local",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub task: String,
    pub branch: String,
    pub outcome: SyncOutcome,
    /// The agent's latest commit: plinth's work.
    pub commit: String,
    /// Where the branch points now (not plinth's commit when the user moved it).
    pub branch_commit: Option<String>,
    /// The ref that keeps plinth's commit whatever becomes of the branch (containers).
    pub kept_at: Option<String>,
    /// What happened, in a sentence, with what to do when the branch was left alone.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiffSource {
    /// The environment's work tree: committed and uncommitted work, new files included.
    Environment,
    /// What was synced to the user's repository (the environment is not running).
    Branch,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffReport {
    pub task: String,
    pub source: DiffSource,
    /// The commit the changes are against: where the task left its base branch.
    pub base: String,
    /// The commit diffed to (from the branch); none for a work tree.
    pub head: Option<String>,
    #[serde(flatten)]
    pub summary: DiffSummary,
    /// Unified diff text; cut when longer than 8 MiB (`truncated`).
    pub diff: String,
    pub truncated: bool,
}

/// Launches a task from a future (a resume, once its environment is back).
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Launch(pub Task);

/// How a launch ended: the agent host runs, or why the task cannot start.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Launched {
    pub task: String,
    pub result: Result<(), String>,
}

/// A `task.status` event the status follower read: an agent's status, to record.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct StatusSeen {
    pub seq: u64,
    pub task: String,
    pub status: String,
    pub detail: String,
    /// The question it asks, for a status set by `events.ask`.
    pub question: Option<Question>,
}

/// The status follower's stream failed; the service fails, and its next incarnation
/// follows again from the cursor.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct FollowerDown(pub String);

/// An `environment.failed` event for a task's environment.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct EnvironmentLost {
    pub seq: u64,
    /// Found while plinth was down: this start's launch starts it again.
    pub before_start: bool,
    pub task: String,
    pub reason: String,
}
