//! Stopping a task ([`StopTask`]: its agent and its environment's processes end, its work
//! is brought back first), resuming a stopped one ([`ResumeTask`]), and archiving one that
//! is over ([`ArchiveTask`]).

use actix::{AsyncContext, ResponseFuture};
use chrono::Utc;
use plinth_kernel::{Ctx, Handle};

use super::agent_hosts::agent_host_name;
use super::error::TaskError;
use super::protocol::{ArchiveTask, Launch, Launched, ResumeTask, StopTask};
use super::record::{Lifecycle, Task};
use super::state::TaskService;
use super::sync::sync;
use crate::agent_host::StopAgent;
use crate::environments::{StartEnvironment, StopEnvironment};

impl Handle<StopTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: StopTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        if !task.lifecycle.is_active() {
            let err = TaskError::WrongState {
                id: task.id.clone(),
                state: task.lifecycle.name(),
                action: "stop",
                needs: "starting or running",
            };
            return Box::pin(async move { Err(err) });
        }
        let mut stopped = task.clone();
        stopped.lifecycle = Lifecycle::Stopped;
        stopped.updated_at = Utc::now();
        let saved = self.save(stopped, "task.stopped");
        let deps = self.deps.clone();
        Box::pin(async move {
            let host = deps.running.remove(&task.id);
            if let Some(host) = host {
                // The adapter ends its sessions; one that cannot answer is stopped anyway.
                if let Ok(Err(err)) | Err(err) = host
                    .send(StopAgent)
                    .await
                    .map_err(|e| e.to_string())
                    .map(|r| r.map(|_| ()))
                {
                    tracing::warn!(task = %task.id, %err, "the adapter's stop failed");
                }
                let _ = deps.hosts.terminate_child(&agent_host_name(&task.id)).await;
            }
            // Before the container stops: afterwards nothing can be copied out of it.
            if let Err(err) = sync(&deps, task.clone()).await {
                tracing::warn!(task = %task.id, %err, "syncing the task's branch at stop failed");
            }
            deps.environments
                .send(StopEnvironment {
                    task: task.id.clone(),
                })
                .await
                .map_err(|e| TaskError::Actor(e.to_string()))?
                .map_err(|e| TaskError::Actor(e.to_string()))?;
            saved.await
        })
    }
}

impl Handle<ResumeTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: ResumeTask, ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let mut task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        if task.lifecycle != Lifecycle::Stopped {
            let err = TaskError::WrongState {
                id: task.id.clone(),
                state: task.lifecycle.name(),
                action: "resume",
                // An ended task's adapter state is final: its agent would not go on.
                needs: if task.lifecycle.is_ended() {
                    "stopped; an ended task's agent cannot go on (start a new task for more; \
                     its diff, sync and terminal still work)"
                } else {
                    "stopped"
                },
            };
            return Box::pin(async move { Err(err) });
        }
        task.lifecycle = Lifecycle::Starting;
        task.updated_at = Utc::now();
        let saved = self.save(task.clone(), "task.resumed");
        let environments = self.deps.environments.clone();
        let id = task.id.clone();
        let addr = ctx.actix().address();
        Box::pin(async move {
            let task = saved.await?;
            // The environment first, so the launch finds it running rather than making one.
            let started = environments
                .send(StartEnvironment { task: id.clone() })
                .await
                .map_err(|e| TaskError::Actor(e.to_string()))?;
            match started {
                Ok(_) => addr.do_send(Launch(task.clone())),
                Err(err) => addr.do_send(Launched {
                    task: task.id.clone(),
                    result: Err(err.to_string()),
                }),
            }
            Ok(task)
        })
    }
}

impl Handle<ArchiveTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: ArchiveTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let mut task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        if task.lifecycle.is_active() {
            let err = TaskError::WrongState {
                id: task.id.clone(),
                state: task.lifecycle.name(),
                action: "archive",
                needs: "stopped, finished or failed",
            };
            return Box::pin(async move { Err(err) });
        }
        task.archived = true;
        task.updated_at = Utc::now();
        self.save(task, "task.archived")
    }
}
