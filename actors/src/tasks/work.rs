//! What the user asks of a task's work: to bring it back now ([`SyncTask`], done by
//! `super::sync`), and to see it ([`TaskDiff`], `super::diff`).

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};

use super::diff::diff;
use super::error::SyncError;
use super::protocol::{DiffReport, SyncReport, SyncTask, TaskDiff};
use super::state::TaskService;
use super::sync::sync;

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
