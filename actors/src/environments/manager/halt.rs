//! Stopping and removing an environment. Both capture the task's last screen first, then
//! end its processes off the actor's thread under a [`Halting`] guard, so the watcher does
//! not take the container's death for a failure; removing also deletes what is on disk
//! and the record.

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};
use plinth_store::NewEvent;
use serde_json::json;

use super::docker_link::DockerLink;
use super::entries::Halting;
use super::off_thread::off_thread;
use super::protocol::{EnvironmentError, RemoveEnvironment, StopEnvironment};
use super::save::save;
use super::settings::ManagerSettings;
use super::state::EnvironmentManager;
use crate::environments::docker::container;
use crate::environments::docker::exec::block_on_docker;
use crate::environments::record::{
    self, EnvironmentInfo, EnvironmentKind, EnvironmentStatus, EnvironmentV1,
};
use crate::environments::worktree::{self, WorktreeError};
use crate::limits::CONTAINER_STOP_GRACE;

/// Ends the environment's processes: the container stops, or the task's local tmux
/// sessions are killed. What is on disk stays.
fn halt(
    info: &EnvironmentV1,
    docker: DockerLink,
    settings: &ManagerSettings,
    remove: bool,
) -> Result<(), EnvironmentError> {
    match info.kind {
        EnvironmentKind::Docker => {
            let Some(id) = info.container.clone() else {
                return Ok(());
            };
            let client = docker.get()?;
            block_on_docker(async move {
                if remove {
                    container::remove(&client, &id).await
                } else {
                    container::stop(&client, &id, CONTAINER_STOP_GRACE).await
                }
            })?;
        }
        EnvironmentKind::Local => {
            // No tmux server running means no session to end.
            let _ = settings.tmux().kill_task(&info.task);
            if remove {
                if let Some(path) = &info.worktree {
                    let repo = worktree::owner_repository(path);
                    if let Some(repo) = repo {
                        worktree::remove(&repo, path)?;
                    } else if path.exists() {
                        std::fs::remove_dir_all(path).map_err(WorktreeError::from)?;
                    }
                }
                if let Some(home) = info.home.as_deref().filter(|h| h.exists()) {
                    std::fs::remove_dir_all(home).map_err(WorktreeError::from)?;
                }
            }
        }
    }
    Ok(())
}

impl EnvironmentManager {
    /// Captures the task's last screen, then ends its processes (and with `remove` its
    /// container or worktree) off the actor's thread. Answers the environment as it was,
    /// with the guard that marks the halt as plinth's own: the watcher must not take the
    /// container's death for a failure while the caller records the outcome.
    fn halt_later(
        &self,
        task: &str,
        remove: bool,
    ) -> impl Future<Output = Result<(EnvironmentInfo, Halting), EnvironmentError>> + 'static {
        let found = self.lookup(task);
        let (sandbox, capture) = (self.sandbox(task), self.scrollback.clone());
        let (docker, settings) = (self.docker.clone(), self.settings.clone());
        let halting = Halting::begin(&self.state, task);
        async move {
            let info = found?;
            let i = info.clone();
            off_thread(move || {
                capture.last_capture(&i.task, sandbox.ok().flatten().as_deref());
                if remove {
                    capture.forget(&i.task);
                }
                halt(&i, docker, &settings, remove)
            })
            .await?;
            Ok((info, halting))
        }
    }
}

impl Handle<StopEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<(), EnvironmentError>>;

    fn handle(&mut self, msg: StopEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let halted = self.halt_later(&msg.task, false);
        let (store, state) = (self.store.clone(), self.state.clone());
        Box::pin(async move {
            let (mut info, _halting) = halted.await?;
            info.status = EnvironmentStatus::Stopped;
            save(&store, &info, "environment.stopped").await?;
            state
                .lock()
                .expect("environment state poisoned")
                .update(&msg.task, info, None);
            Ok(())
        })
    }
}

impl Handle<RemoveEnvironment> for EnvironmentManager {
    type Result = ResponseFuture<Result<(), EnvironmentError>>;

    fn handle(&mut self, msg: RemoveEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let halted = self.halt_later(&msg.task, true);
        let (store, state) = (self.store.clone(), self.state.clone());
        Box::pin(async move {
            let (info, _halting) = halted.await?;
            store.delete_state(&record::key(&info.task)).await?;
            store
                .append(
                    NewEvent::new(
                        "environment.removed",
                        json!({"task": info.task, "kind": info.kind}),
                    )
                    .for_task(&info.task),
                )
                .await?;
            state
                .lock()
                .expect("environment state poisoned")
                .entries
                .remove(&msg.task);
            Ok(())
        })
    }
}
