//! A task's commits come back into the user's repository as branch `plinth/<id>`, and its
//! changes can be seen against its base.
//!
//! From a container, the agent's objects the user's repository lacks come out as one pack
//! (made by git in the container, read back in pieces) and go into the repository's object
//! database; then the branch is moved, but only where the user cannot lose anything by it
//! ([`git_sync::update_branch`]); plinth's commit always stays reachable as
//! `refs/plinth/tasks/<id>`. Nothing is checked out and no working tree or index is touched. In
//! local mode the agent already commits to the branch in the user's repository, so a sync
//! only records what it finds.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use actix::{AsyncContext, Message, ResponseFuture};
use chrono::Utc;
use git2::Oid;
use plinth_kernel::{Ctx, Handle};
use plinth_store::{NewEvent, StoreError, Versioned};
use serde::{Deserialize, Serialize};

use super::git_sync::{self, BranchUpdate, DiffSummary, GitSyncError};
use super::record::Task;
use super::sandbox_git::{SandboxGit, SandboxGitError};
use super::service::{TaskError, TaskService, TaskServiceDeps};
use super::sync_record::{self, TaskSync, TaskSyncRecord};
use super::wake::Lease;
use crate::environments::{Environment, GetEnvironment};
use crate::task_inputs::Sandbox;

/// The most of a diff's text an answer carries; the summary always covers all of it.
const DIFF_LIMIT: u64 = 8 << 20;
/// The most of a `--numstat` listing read back (it is a few dozen bytes a file).
const NUMSTAT_LIMIT: u64 = 16 << 20;

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

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(
        "task {task}'s container is not running, so nothing new can be copied out of it{}",
        last.as_ref().map(|c| format!("; plinth/{task} has what was synced last ({})", short(c))).unwrap_or_default()
    )]
    NotRunning { task: String, last: Option<String> },
    #[error(
        "task {task} has nothing synced yet and its environment is not running: there is no diff to show"
    )]
    NothingSynced { task: String },
    #[error("the branch {branch} is gone{where_}; plinth cannot sync task {task}")]
    NoBranch {
        task: String,
        branch: String,
        where_: &'static str,
    },
    #[error(transparent)]
    Git(#[from] GitSyncError),
    #[error("task {task}: {source}")]
    Sandbox {
        task: String,
        #[source]
        source: SandboxGitError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Actor(String),
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

impl Handle<SyncTask> for TaskService {
    type Result = ResponseFuture<Result<SyncReport, SyncError>>;

    fn handle(&mut self, msg: SyncTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = self.get(&msg.id);
        let deps = self.deps.clone();
        Box::pin(async move { sync(&deps, task?).await })
    }
}

impl Handle<TaskDiff> for TaskService {
    type Result = ResponseFuture<Result<DiffReport, SyncError>>;

    fn handle(&mut self, msg: TaskDiff, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = self.get(&msg.id);
        let deps = self.deps.clone();
        Box::pin(async move { diff(&deps, task?).await })
    }
}

impl TaskService {
    /// Syncs `task` in the background (at an agent's Stop, when a task finishes); a
    /// failure is logged and recorded as a `task.sync-failed` event, not raised.
    pub fn sync_later(&self, task: &Task, ctx: &mut Ctx<'_, Self>) {
        let deps = self.deps.clone();
        let task = task.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            if let Err(err) = sync(&deps, task.clone()).await {
                tracing::warn!(task = %task.id, %err, "cannot sync the task's branch");
                record_failure(&deps, &task.id, &err).await;
            }
        }));
    }
}

/// A background sync that failed, as a `task.sync-failed` event.
pub(super) async fn record_failure(deps: &TaskServiceDeps, task: &str, err: &SyncError) {
    let event = NewEvent::new(
        "task.sync-failed",
        serde_json::json!({"task": task, "error": err.to_string()}),
    )
    .for_task(task);
    let _ = deps.store.append(event).await;
}

/// Syncs one task; syncs of the same task run one at a time. Records the outcome and
/// appends a `task.synced` event.
pub(super) async fn sync(deps: &TaskServiceDeps, task: Task) -> Result<SyncReport, SyncError> {
    let lock = task_lock(&task.id);
    let _held = lock.lock().await;
    let previous = deps
        .store
        .get_state::<TaskSyncRecord>(&sync_record::key(&task.id))?;
    // Its agent may have committed since, or failed under a killed container.
    let (environment, _lease) = match task.inputs.sandbox {
        Sandbox::Docker => environment_for_work(deps, &task, "copy its work out").await?,
        Sandbox::Local => (None, None),
    };
    let t = task.clone();
    let synced = tokio::task::spawn_blocking(move || match t.inputs.sandbox {
        Sandbox::Docker => sync_container(&t, environment, previous),
        Sandbox::Local => sync_local(&t, previous),
    })
    .await
    .map_err(|e| SyncError::Actor(format!("the sync's worker failed: {e}")));
    let (report, record) = synced??;
    let synced = NewEvent::new(
        "task.synced",
        serde_json::to_value(&report).unwrap_or_default(),
    )
    .for_task(&task.id);
    deps.store
        .put_state_and_append(
            &sync_record::key(&task.id),
            &TaskSyncRecord::from_latest(record),
            vec![synced],
        )
        .await?;
    Ok(report)
}

/// The task's environment to read its work from, if it has one. An ended task's was
/// stopped once its work was synced, so it is woken, and held by the lease returned for as
/// long as the caller keeps it: even when found running, since the task's release may be
/// stopping it right now. `None` when it cannot be woken: the caller falls back on what was
/// synced.
async fn environment_for_work(
    deps: &TaskServiceDeps,
    task: &Task,
    purpose: &str,
) -> Result<(Option<Environment>, Option<Lease>), SyncError> {
    if !task.lifecycle.is_ended() {
        return Ok((environment(deps, &task.id).await?, None));
    }
    match deps.wakes.wake(&deps.environments, &task.id).await {
        Ok((environment, lease)) => Ok((Some(environment), Some(lease))),
        Err(err) => {
            tracing::warn!(task = %task.id, %err, "cannot wake the ended task's environment to {purpose}");
            Ok((None, None))
        }
    }
}

async fn environment(deps: &TaskServiceDeps, task: &str) -> Result<Option<Environment>, SyncError> {
    deps.environments
        .send(GetEnvironment {
            task: task.to_string(),
        })
        .await
        .map_err(|e| SyncError::Actor(e.to_string()))
}

/// One lock per task, for the life of the process: a sync at an agent's Stop and one
/// asked for by the user must not interleave their reads and writes of the record.
fn task_lock(task: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
        OnceLock::new();
    LOCKS
        .get_or_init(Default::default)
        .lock()
        .expect("sync locks poisoned")
        .entry(task.to_string())
        .or_default()
        .clone()
}

fn oid(text: &str) -> Result<Oid, SyncError> {
    Oid::from_str(text).map_err(|source| {
        SyncError::Git(GitSyncError::Git {
            what: format!("{text:?} is not a commit id"),
            source,
        })
    })
}

fn sync_container(
    task: &Task,
    environment: Option<Environment>,
    previous: Option<TaskSync>,
) -> Result<(SyncReport, TaskSync), SyncError> {
    let last = previous.as_ref().and_then(|p| p.branch_commit.clone());
    let Some(environment) = environment else {
        return Err(SyncError::NotRunning {
            task: task.id.clone(),
            last,
        });
    };
    let in_sandbox = |source| SyncError::Sandbox {
        task: task.id.clone(),
        source,
    };
    let sandbox = SandboxGit::new(environment.sandbox.clone().environment());
    let heads = sandbox
        .heads(&task.branch, &task.base_branch)
        .map_err(|e| match e {
            SandboxGitError::NoBranch(branch) => SyncError::NoBranch {
                task: task.id.clone(),
                branch,
                where_: " from the task's environment",
            },
            other => in_sandbox(other),
        })?;
    let head = oid(&heads.head)?;
    let repo = git_sync::open(&task.project_path)?;
    if !git_sync::has_commit(&repo, head) {
        // Whatever the repository already has need not travel: the base, and what plinth
        // synced before.
        let mut leave_out: Vec<String> = Vec::new();
        let known = [
            heads.base.clone(),
            previous.as_ref().and_then(|p| p.head.clone()),
            last.clone(),
            git_sync::branch_target(&repo, &task.branch)?.map(|o| o.to_string()),
        ];
        for commit in known.into_iter().flatten() {
            if !leave_out.contains(&commit)
                && Oid::from_str(&commit).is_ok_and(|o| git_sync::has_commit(&repo, o))
            {
                leave_out.push(commit);
            }
        }
        let pack = sandbox.pack(&heads.head, &leave_out).map_err(in_sandbox)?;
        let odb = repo.odb().map_err(|source| GitSyncError::Git {
            what: "cannot open the object database".into(),
            source,
        })?;
        let mut import = git_sync::PackImport::new(&odb)?;
        let read = sandbox.read(&pack, u64::MAX, |chunk| import.write(chunk));
        sandbox.remove(&pack.path);
        read.map_err(in_sandbox)??;
        import.finish()?;
        if !git_sync::has_commit(&repo, head) {
            return Err(in_sandbox(SandboxGitError::Failed(format!(
                "the pack from the environment lacks commit {head}"
            ))));
        }
    }
    git_sync::keep(&repo, &task.id, head)?;
    let last_oid = last.as_deref().map(oid).transpose()?;
    let update = git_sync::update_branch(&repo, &task.branch, head, last_oid)?;
    let kept = git_sync::kept_ref(&task.id);
    let (b, h) = (&task.branch, short(&heads.head));
    let (outcome, branch_commit, message) = match &update {
        BranchUpdate::Created => (
            SyncOutcome::Created,
            Some(head),
            format!("{b} created at {h}"),
        ),
        BranchUpdate::Updated { from } => (
            SyncOutcome::Updated,
            Some(head),
            format!("{b} moved from {} to {h}", short(&from.to_string())),
        ),
        BranchUpdate::UpToDate => (
            SyncOutcome::UpToDate,
            Some(head),
            format!("{b} is up to date at {h}"),
        ),
        BranchUpdate::Moved { at } => (
            SyncOutcome::Moved,
            Some(*at),
            format!(
                "you moved or committed to {b} (it is at {}), so plinth left it alone; \
                 plinth's work is at {h}, kept as {kept}: merge it (git merge {kept}), or \
                 delete {b} to let plinth make it again",
                short(&at.to_string())
            ),
        ),
        BranchUpdate::CheckedOut { at, worktree } => (
            SyncOutcome::CheckedOut,
            *at,
            format!(
                "{b} is checked out in {}, and plinth does not move a checked-out branch; \
                 plinth's work is at {h}, kept as {kept}: `git merge --ff-only {kept}` there \
                 takes it",
                worktree.display()
            ),
        ),
    };
    // Plinth's claim on the branch moves only when plinth put its commit there (or found it
    // there); else it stays where plinth left it.
    let claimed = match update {
        BranchUpdate::Moved { .. } | BranchUpdate::CheckedOut { .. } => last,
        _ => Some(heads.head.clone()),
    };
    let record = TaskSync {
        task: task.id.clone(),
        branch: task.branch.clone(),
        base_commit: heads
            .base
            .clone()
            .or_else(|| previous.and_then(|p| p.base_commit)),
        head: Some(heads.head.clone()),
        branch_commit: claimed,
        outcome: outcome.name().into(),
        synced_at: Utc::now(),
    };
    let report = SyncReport {
        task: task.id.clone(),
        branch: task.branch.clone(),
        outcome,
        commit: heads.head,
        branch_commit: branch_commit.map(|o| o.to_string()),
        kept_at: Some(kept),
        message,
    };
    Ok((report, record))
}

fn sync_local(
    task: &Task,
    previous: Option<TaskSync>,
) -> Result<(SyncReport, TaskSync), SyncError> {
    let repo = git_sync::open(&task.project_path)?;
    let Some(head) = git_sync::branch_target(&repo, &task.branch)? else {
        return Err(SyncError::NoBranch {
            task: task.id.clone(),
            branch: task.branch.clone(),
            where_: " from your repository",
        });
    };
    let base = git_sync::base_target(&repo, &task.base_branch)
        .and_then(|b| repo.merge_base(b, head).ok())
        .map(|o| o.to_string())
        .or_else(|| previous.and_then(|p| p.base_commit));
    let commit = head.to_string();
    let report = SyncReport {
        task: task.id.clone(),
        branch: task.branch.clone(),
        outcome: SyncOutcome::Local,
        message: format!(
            "local mode: the agent commits to {} in your repository directly; it is at {}",
            task.branch,
            short(&commit)
        ),
        commit: commit.clone(),
        branch_commit: Some(commit.clone()),
        kept_at: None,
    };
    let record = TaskSync {
        task: task.id.clone(),
        branch: task.branch.clone(),
        base_commit: base,
        head: Some(commit.clone()),
        branch_commit: Some(commit),
        outcome: SyncOutcome::Local.name().into(),
        synced_at: Utc::now(),
    };
    Ok((report, record))
}

/// The task's changes: from its running environment's work tree when it has one, else
/// from what was synced.
pub(super) async fn diff(deps: &TaskServiceDeps, task: Task) -> Result<DiffReport, SyncError> {
    let previous = deps
        .store
        .get_state::<TaskSyncRecord>(&sync_record::key(&task.id))?;
    // Its work tree may hold more than was synced (work not committed).
    let (environment, _lease) = environment_for_work(deps, &task, "diff its work tree").await?;
    tokio::task::spawn_blocking(move || match environment {
        Some(environment) => diff_environment(&task, &environment, previous),
        None => diff_synced(&task, previous),
    })
    .await
    .map_err(|e| SyncError::Actor(format!("the diff's worker failed: {e}")))?
}

fn diff_environment(
    task: &Task,
    environment: &Environment,
    previous: Option<TaskSync>,
) -> Result<DiffReport, SyncError> {
    let in_sandbox = |source| SyncError::Sandbox {
        task: task.id.clone(),
        source,
    };
    let sandbox = SandboxGit::new(environment.sandbox.clone().environment());
    let fallback = previous.and_then(|p| p.base_commit);
    let spooled = sandbox
        .diff(&task.base_branch, fallback.as_deref())
        .map_err(in_sandbox)?;
    let mut text = Vec::new();
    let mut numstat = Vec::new();
    let read = sandbox
        .read(&spooled.diff, DIFF_LIMIT, |c| {
            text.extend_from_slice(c);
            Ok::<_, ()>(())
        })
        .and_then(|_| {
            sandbox.read(&spooled.numstat, NUMSTAT_LIMIT, |c| {
                numstat.extend_from_slice(c);
                Ok::<_, ()>(())
            })
        });
    sandbox.remove(&spooled.dir);
    read.map_err(in_sandbox)?.ok();
    Ok(DiffReport {
        task: task.id.clone(),
        source: DiffSource::Environment,
        base: spooled.base,
        head: None,
        summary: DiffSummary::from_numstat(&numstat),
        diff: String::from_utf8_lossy(&text).into_owned(),
        truncated: spooled.diff.size > DIFF_LIMIT,
    })
}

fn diff_synced(task: &Task, previous: Option<TaskSync>) -> Result<DiffReport, SyncError> {
    let repo = git_sync::open(&task.project_path)?;
    // plinth's own ref first: the branch may carry the user's commits too.
    let head = match git_sync::ref_target(&repo, &git_sync::kept_ref(&task.id))? {
        Some(head) => Some(head),
        None => git_sync::branch_target(&repo, &task.branch)?,
    };
    let Some(head) = head else {
        return Err(SyncError::NothingSynced {
            task: task.id.clone(),
        });
    };
    let fallback = previous
        .and_then(|p| p.base_commit)
        .and_then(|b| Oid::from_str(&b).ok());
    let diff = git_sync::diff(
        &repo,
        &task.base_branch,
        fallback,
        head,
        DIFF_LIMIT as usize,
    )?;
    Ok(DiffReport {
        task: task.id.clone(),
        source: DiffSource::Branch,
        base: diff.base.to_string(),
        head: Some(head.to_string()),
        summary: diff.summary,
        diff: diff.text,
        truncated: diff.truncated,
    })
}
