//! A task's changes against its base: from its environment's work tree when it has one
//! (uncommitted work and new files included), else from what was synced to the user's
//! repository.

use git2::Oid;

use super::error::SyncError;
use super::git_sync::{self, DiffSummary};
use super::protocol::{DiffReport, DiffSource};
use super::record::Task;
use super::sandbox_git::SandboxGit;
use super::state::TaskServiceDeps;
use super::sync_record::{self, TaskSync, TaskSyncRecord};
use super::work_environment::environment_for_work;
use crate::environments::Environment;
use crate::limits::DIFF_LIMIT;
use crate::limits::NUMSTAT_LIMIT;

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
