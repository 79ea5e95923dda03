//! Creating a task's environment: the handler refuses a task that has one (or is getting
//! one), then `create` makes it (a container, see `create_docker`; or a worktree and a
//! home), stores its record and announces it.

use std::sync::{Arc, Mutex};

use actix::ResponseFuture;
use chrono::Utc;
use plinth_kernel::{Ctx, Handle};
use plinth_store::Store;

use super::create_docker::create_docker;
use super::docker_link::DockerLink;
use super::entries::{Entry, State};
use super::off_thread::off_thread;
use super::protocol::{CreateEnvironment, Environment, EnvironmentError};
use super::save::save;
use super::settings::ManagerSettings;
use super::state::EnvironmentManager;
use crate::agent_host::TaskSandbox;
use crate::environments::base;
use crate::environments::docker::container;
use crate::environments::docker::repo_copy::task_branch;
use crate::environments::record::{EnvironmentKind, EnvironmentStatus, EnvironmentV1};
use crate::environments::worktree::{self, WorktreeError};
use crate::projects::{project_id, repository_root};
use crate::sandbox::LocalSandbox;
use crate::task_inputs::Sandbox;

impl Handle<CreateEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<Environment, EnvironmentError>>;

    fn handle(&mut self, msg: CreateEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let store = self.store.clone();
        let settings = self.settings.clone();
        let state = self.state.clone();
        let docker = self.docker.clone();
        let taken = {
            let mut state = state.lock().expect("environment state poisoned");
            state.entries.contains_key(&msg.task) || !state.creating.insert(msg.task.clone())
        };
        Box::pin(async move {
            if taken {
                return Err(EnvironmentError::Exists(msg.task));
            }
            let task = msg.task.clone();
            let made = create(msg, store, settings, docker, state.clone()).await;
            state
                .lock()
                .expect("environment state poisoned")
                .creating
                .remove(&task);
            made
        })
    }
}

/// Makes the environment, stores its record and announces it. On a failure nothing is
/// stored; a container made before the failure is removed where it can be (and is an
/// orphan for `plinth gc` where it cannot).
async fn create(
    msg: CreateEnvironment,
    store: Store,
    settings: Arc<ManagerSettings>,
    docker: DockerLink,
    state: Arc<Mutex<State>>,
) -> Result<Environment, EnvironmentError> {
    if container::container_name(&msg.task).is_err() {
        return Err(EnvironmentError::BadTask(msg.task));
    }
    let root = repository_root(&msg.project_path)?;
    let project = project_id(&root);
    let mut info = EnvironmentV1 {
        task: msg.task.clone(),
        project: project.clone(),
        kind: match msg.sandbox {
            Sandbox::Docker => EnvironmentKind::Docker,
            Sandbox::Local => EnvironmentKind::Local,
        },
        container: None,
        worktree: None,
        home: None,
        branch: task_branch(&msg.task),
        base_branch: msg.base_branch.clone(),
        status: EnvironmentStatus::Running,
        created_at: Utc::now(),
    };
    let sandbox = match msg.sandbox {
        Sandbox::Docker => {
            let s = settings.clone();
            let (id, sandbox) = {
                let store = store.clone();
                off_thread(move || create_docker(docker.get()?, store, &s, &msg, root, project))
                    .await?
            };
            info.container = Some(id);
            sandbox
        }
        Sandbox::Local => {
            let path = settings.worktrees().join(&msg.task);
            let home = settings.home.join("homes").join(&msg.task);
            let (p, h) = (path.clone(), home.clone());
            let s = settings.clone();
            off_thread(move || {
                let base = base::resolve(&root, &msg.base_branch)?;
                worktree::add(&root, &p, &msg.task, &base, msg.include_uncommitted)?;
                if let Err(err) = std::fs::create_dir_all(&h) {
                    // The worktree is no environment without its home: don't leave it.
                    let _ = worktree::remove(&root, &p);
                    return Err(WorktreeError::from(err).into());
                }
                Ok(())
            })
            .await?;
            info.worktree = Some(path.clone());
            info.home = Some(home.clone());
            let sandbox: Arc<dyn TaskSandbox> = LocalSandbox::new(&info.task, path, home, s.tmux());
            sandbox
        }
    };
    save(&store, &info, "environment.created").await?;
    let env = Environment::of(&info, sandbox.clone());
    state
        .lock()
        .expect("environment state poisoned")
        .entries
        .insert(
            info.task.clone(),
            Entry {
                info,
                sandbox: Some(sandbox),
            },
        );
    Ok(env)
}
