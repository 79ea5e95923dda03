//! A task made and started: [`CreateTask`] checks what it is asked (an agent that exists,
//! a repository, a base branch it has), records the task as `starting` and launches it
//! (`super::launch`); [`Launched`] records how the launch went, and [`Launch`] launches a
//! resumed task once its environment is back.

use std::path::Path;

use actix::{AsyncContext, ResponseFuture};
use chrono::Utc;
use plinth_kernel::{Ctx, Handle};

use super::ending::{announce_end, release};
use super::error::TaskError;
use super::id::{random_suffix, task_id};
use super::protocol::{CreateTask, Launch, Launched};
use super::record::{Lifecycle, Task};
use super::state::TaskService;
use crate::environments::base;
use crate::projects::{project_id, repository_root};
use crate::spend;
use crate::task_inputs::TaskInputsV1;

impl Handle<CreateTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: CreateTask, ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let budget = msg.budget;
        let made = self.make(msg);
        let task = match made {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        // Held before the agent starts, so its first call is already checked.
        let budget = budget.map(|b| {
            (
                spend::key(&task.id),
                self.deps.spend.hold_budget(&task.id, Some(b)),
            )
        });
        let saved = self.save(task.clone(), "task.created");
        self.launch(task, ctx);
        let store = self.deps.store.clone();
        Box::pin(async move {
            let task = saved.await?;
            if let Some((key, record)) = budget {
                store.put_state(&key, &record).await?;
            }
            Ok(task)
        })
    }
}

impl TaskService {
    fn make(&self, msg: CreateTask) -> Result<Task, TaskError> {
        if msg.prompt.trim().is_empty() {
            return Err(TaskError::EmptyPrompt);
        }
        if let Some(budget) = msg.budget
            && !(budget.is_finite() && budget > 0.0)
        {
            return Err(TaskError::InvalidBudget(budget));
        }
        if self.deps.catalog.get(&msg.agent).is_err() {
            return Err(TaskError::UnknownAgent(msg.agent));
        }
        let root = repository_root(&msg.project_path)?;
        // Checked here, before anything runs: the base is the user's text, and only a name
        // the repository has goes any further.
        let base_branch = match msg.base_branch {
            Some(name) => base::resolve(&root, &name)?.name,
            None => current_branch(&root)?,
        };
        let mut id = task_id(&msg.prompt, random_suffix());
        while self.tasks.contains_key(&id) {
            id = task_id(&msg.prompt, random_suffix());
        }
        let now = Utc::now();
        Ok(Task {
            branch: format!("plinth/{id}"),
            inputs: TaskInputsV1 {
                prompt: msg.prompt,
                agent: msg.agent,
                project: project_id(&root),
                base_branch: Some(base_branch.clone()),
                sandbox: msg.sandbox,
                include_uncommitted: msg.include_uncommitted,
            },
            id,
            project_path: root,
            base_branch,
            lifecycle: Lifecycle::Starting,
            agent_status: None,
            agent_detail: None,
            archived: false,
            created_at: now,
            updated_at: now,
            status_since: now,
            agent_question: None,
        })
    }
}

/// The branch HEAD points at, by its short name.
fn current_branch(root: &Path) -> Result<String, TaskError> {
    let no_branch = || TaskError::NoBranch {
        path: root.display().to_string(),
    };
    let repo = git2::Repository::open(root).map_err(|_| no_branch())?;
    let head = repo.find_reference("HEAD").map_err(|_| no_branch())?;
    // An unborn branch (no commit yet) has a symbolic HEAD too; its name is still right.
    head.symbolic_target()
        .and_then(|target| target.strip_prefix("refs/heads/"))
        .map(str::to_string)
        .ok_or_else(no_branch)
}

impl Handle<Launch> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: Launch, ctx: &mut Ctx<'_, Self>) {
        self.launch(msg.0, ctx);
    }
}

impl Handle<Launched> for TaskService {
    type Result = ();

    fn handle(&mut self, msg: Launched, ctx: &mut Ctx<'_, Self>) {
        let Ok(mut task) = self.get(&msg.task) else {
            return;
        };
        // Stopped (or failed) while it was starting: the stop wins.
        if !task.lifecycle.is_active() {
            return;
        }
        let saved = match msg.result {
            Ok(()) if task.lifecycle == Lifecycle::Running => return,
            Ok(()) => {
                task.lifecycle = Lifecycle::Running;
                task.updated_at = Utc::now();
                self.save(task, "task.running")
            }
            Err(reason) => self.fail(task, reason),
        };
        let deps = self.deps.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            match saved.await {
                Ok(task) => {
                    announce_end(&deps.store, &task).await;
                    // A launch that failed after its environment was made leaves it up.
                    if task.lifecycle.is_ended() {
                        release(&deps, &task.id).await;
                    }
                }
                Err(err) => tracing::error!(%err, "cannot record a task's start"),
            }
        }));
    }
}
