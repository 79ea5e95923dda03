//! What the service answers about its tasks: all of them ([`ListTasks`]), one
//! ([`GetTask`]), and an ended task's environment, woken for a reader such as the web
//! terminal ([`WakeEnvironment`]).

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};

use super::error::TaskError;
use super::protocol::{GetTask, ListTasks, WakeEnvironment};
use super::record::Task;
use super::state::TaskService;
use super::wake::Lease;
use crate::environments::Environment;

impl Handle<ListTasks> for TaskService {
    type Result = Vec<Task>;

    fn handle(&mut self, msg: ListTasks, _ctx: &mut Ctx<'_, Self>) -> Vec<Task> {
        let mut tasks: Vec<Task> = self
            .tasks
            .values()
            .filter(|t| msg.include_archived || !t.archived)
            .cloned()
            .collect();
        tasks.sort_by_key(|t| t.created_at);
        tasks
    }
}

impl Handle<GetTask> for TaskService {
    type Result = Result<Task, TaskError>;

    fn handle(&mut self, msg: GetTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        self.get(&msg.id)
    }
}

impl Handle<WakeEnvironment> for TaskService {
    type Result = ResponseFuture<Result<Option<(Environment, Lease)>, TaskError>>;

    fn handle(&mut self, msg: WakeEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = self.get(&msg.id);
        let deps = self.deps.clone();
        Box::pin(async move {
            if !task?.lifecycle.is_ended() {
                return Ok(None);
            }
            let woken = deps.wakes.wake(&deps.environments, &msg.id).await;
            woken.map(Some).map_err(|e| TaskError::Actor(e.to_string()))
        })
    }
}
