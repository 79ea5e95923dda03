//! Starting a stopped environment again: its container is reattached to plinth's network
//! and started (or, locally, its worktree is checked to be there), and a fresh sandbox is
//! made over it.

use std::sync::Arc;

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};

use super::docker_link::DockerLink;
use super::off_thread::off_thread;
use super::protocol::{Environment, EnvironmentError, StartEnvironment};
use super::save::save;
use super::settings::ManagerSettings;
use super::state::EnvironmentManager;
use crate::agent_host::TaskSandbox;
use crate::environments::docker::container::{self, ContainerError};
use crate::environments::docker::exec::block_on_docker;
use crate::environments::docker::network;
use crate::environments::docker::sandbox::DockerSandbox;
use crate::environments::record::{EnvironmentKind, EnvironmentStatus, EnvironmentV1};
use crate::environments::worktree::WorktreeError;
use crate::sandbox::LocalSandbox;

impl Handle<StartEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<Environment, EnvironmentError>>;

    fn handle(&mut self, msg: StartEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let found = self.lookup(&msg.task);
        let docker = self.docker.clone();
        let (store, settings, state) = (
            self.store.clone(),
            self.settings.clone(),
            self.state.clone(),
        );
        Box::pin(async move {
            let mut info = found?;
            let i = info.clone();
            let s = settings.clone();
            let sandbox = off_thread(move || resume(&i, docker, &s)).await?;
            info.status = EnvironmentStatus::Running;
            save(&store, &info, "environment.started").await?;
            let env = Environment::of(&info, sandbox.clone());
            state.lock().expect("environment state poisoned").update(
                &msg.task,
                info,
                Some(sandbox),
            );
            Ok(env)
        })
    }
}

/// The environment's processes back, and a sandbox over them.
fn resume(
    info: &EnvironmentV1,
    docker: DockerLink,
    settings: &ManagerSettings,
) -> Result<Arc<dyn TaskSandbox>, EnvironmentError> {
    match info.kind {
        EnvironmentKind::Docker => {
            let id = info
                .container
                .clone()
                .ok_or_else(|| EnvironmentError::Unknown(info.task.clone()))?;
            let client = docker.get()?;
            let c = client.clone();
            let started = id.clone();
            let network = settings.config.docker.network.clone();
            block_on_docker(async move {
                // Its network may have been removed (and made again) while it was stopped.
                let network = network::ensure(&c, &network).await?;
                network::reattach(&c, &started, &network)
                    .await
                    .map_err(|source| ContainerError::Docker {
                        id: started.clone(),
                        source,
                    })?;
                container::start(&c, &started).await?;
                Ok::<_, EnvironmentError>(())
            })?;
            Ok(DockerSandbox::new(&client, &id, &info.task)? as Arc<dyn TaskSandbox>)
        }
        EnvironmentKind::Local => {
            let gone = || {
                EnvironmentError::Worktree(WorktreeError::from(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("the worktree of task {} is gone", info.task),
                )))
            };
            let (Some(worktree), Some(home)) = (&info.worktree, &info.home) else {
                return Err(gone());
            };
            if !worktree.is_dir() {
                return Err(gone());
            }
            Ok(
                LocalSandbox::new(&info.task, worktree, home, settings.tmux())
                    as Arc<dyn TaskSandbox>,
            )
        }
    }
}
