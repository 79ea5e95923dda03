//! A task's commits come back into the user's repository as branch `plinth/<id>` (its
//! changes are shown by `super::diff`).
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

use actix::AsyncContext;
use chrono::Utc;
use git2::Oid;
use plinth_kernel::Ctx;
use plinth_store::{NewEvent, Versioned};

use super::error::SyncError;
use super::git_sync::{self, BranchUpdate, GitSyncError, short};
use super::protocol::{SyncOutcome, SyncReport};
use super::record::Task;
use super::sandbox_git::{SandboxGit, SandboxGitError};
use super::state::{TaskService, TaskServiceDeps};
use super::sync_record::{self, TaskSync, TaskSyncRecord};
use super::work_environment::environment_for_work;
use crate::environments::Environment;
use crate::task_inputs::Sandbox;

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
