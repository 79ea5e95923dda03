//! An ended task (finished or failed) holds nothing: once its work is synced its agent host
//! is ended and its environment stopped ([`release`]): an idle Claude Code container is
//! 115–150 MiB, and twenty finished tasks would keep gigabytes for nothing. Its files stay
//! (the container is stopped, not removed) and so does its scrollback (in the store).
//!
//! What still needs the environment afterwards (a sync, a diff, a terminal) wakes it with a
//! [`Lease`]. The environment is stopped again once no lease has been held for [`GRACE`],
//! so a burst of reads (the browser's diff follows every event) starts it once, and a
//! terminal keeps it up for as long as it is open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix::{Message, ResponseFuture};
use plinth_kernel::{ChildRef, Ctx, Handle};

use super::record::Task;
use super::service::{TaskError, TaskService, TaskServiceDeps, host_name};
use crate::environments::{
    Environment, EnvironmentError, EnvironmentManager, GetEnvironment, StartEnvironment,
    StopEnvironment,
};

/// How long a woken environment stays up after its last lease is dropped.
pub const GRACE: Duration = Duration::from_secs(10);

/// Who holds each ended task's environment awake; shared by the service's incarnations and
/// the server's routes.
#[derive(Clone, Default)]
pub struct Wakes {
    inner: Arc<Mutex<HashMap<String, Holders>>>,
}

#[derive(Default)]
struct Holders {
    count: usize,
    /// Moves at every last drop, so a stop scheduled then sees a later wake.
    generation: u64,
    /// Taken around a start and a stop of the environment, so one never overtakes the other.
    gate: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WakeError {
    #[error("cannot start task {task}'s environment again: {source}")]
    Start {
        task: String,
        #[source]
        source: EnvironmentError,
    },
    #[error("the environment manager did not answer: {0}")]
    Unreachable(String),
}

/// Keeps an ended task's environment running while held.
pub struct Lease {
    wakes: Wakes,
    task: String,
    environments: ChildRef<EnvironmentManager>,
}

impl Wakes {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Holders>> {
        self.inner.lock().expect("the wakes' table poisoned")
    }

    fn gate(&self, task: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.lock()
            .entry(task.to_string())
            .or_default()
            .gate
            .clone()
    }

    fn held(&self, task: &str) -> bool {
        self.lock().get(task).is_some_and(|h| h.count > 0)
    }

    /// The environment of `task`, running (started if it was stopped), and the lease that
    /// keeps it so.
    pub async fn wake(
        &self,
        environments: &ChildRef<EnvironmentManager>,
        task: &str,
    ) -> Result<(Environment, Lease), WakeError> {
        // Counted before the gate: a stop waiting on it then sees the lease and gives up.
        self.lock().entry(task.to_string()).or_default().count += 1;
        let lease = Lease {
            wakes: self.clone(),
            task: task.to_string(),
            environments: environments.clone(),
        };
        let gate = self.gate(task);
        let _gate = gate.lock().await;
        let unreachable = |e: plinth_kernel::SendError| WakeError::Unreachable(e.to_string());
        let found = environments
            .send(GetEnvironment {
                task: task.to_string(),
            })
            .await
            .map_err(unreachable)?;
        let environment = match found {
            Some(environment) => environment,
            None => environments
                .send(StartEnvironment {
                    task: task.to_string(),
                })
                .await
                .map_err(unreachable)?
                .map_err(|source| WakeError::Start {
                    task: task.to_string(),
                    source,
                })?,
        };
        Ok((environment, lease))
    }

    /// Stops the environment of `task` if it runs and no lease holds it (the last lease's
    /// drop stops it otherwise).
    pub async fn stop_unless_held(&self, environments: &ChildRef<EnvironmentManager>, task: &str) {
        let gate = self.gate(task);
        let _gate = gate.lock().await;
        if self.held(task) {
            return;
        }
        let running = environments
            .send(GetEnvironment {
                task: task.to_string(),
            })
            .await;
        if !matches!(running, Ok(Some(_))) {
            return;
        }
        let stopped = environments
            .send(StopEnvironment {
                task: task.to_string(),
            })
            .await;
        match stopped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(task, %err, "cannot stop an ended task's environment"),
            Err(err) => tracing::warn!(task, %err, "the environment manager did not answer"),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let generation = {
            let mut table = self.wakes.lock();
            let holders = table.entry(self.task.clone()).or_default();
            holders.count = holders.count.saturating_sub(1);
            if holders.count > 0 {
                return;
            }
            holders.generation += 1;
            holders.generation
        };
        let (wakes, task, environments) = (
            self.wakes.clone(),
            self.task.clone(),
            self.environments.clone(),
        );
        // Without a runtime (the process is ending) there is nothing to stop it with; the
        // next start finds the container running and releases it again.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            tokio::time::sleep(GRACE).await;
            let still_idle = wakes
                .lock()
                .get(&task)
                .is_some_and(|h| h.count == 0 && h.generation == generation);
            if still_idle {
                wakes.stop_unless_held(&environments, &task).await;
            }
        });
    }
}

/// Frees what an ended task holds: its agent host ends, and its environment stops unless a
/// lease holds it awake. Call it once the task's work is synced.
pub(super) async fn release(deps: &TaskServiceDeps, task: &str) {
    if deps.running.remove(task).is_some() {
        let _ = deps.hosts.terminate_child(&host_name(task)).await;
    }
    deps.wakes.stop_unless_held(&deps.environments, task).await;
}

/// Brings an ended task's work back, then frees what it holds. A sync that fails is
/// recorded and does not keep the environment up: the work stays in the stopped container,
/// and the next sync wakes it.
pub(super) async fn settle(deps: &TaskServiceDeps, task: Task) {
    if let Err(err) = super::sync::sync(deps, task.clone()).await {
        tracing::warn!(task = %task.id, %err, "cannot sync the ended task's branch");
        super::sync::record_failure(deps, &task.id, &err).await;
    }
    release(deps, &task.id).await;
}

/// Settles the ended `tasks` whose environment still runs: plinth stopped before it could
/// release them, or an older plinth kept them.
pub(super) async fn settle_left_running(deps: &TaskServiceDeps, tasks: Vec<Task>) {
    for task in tasks {
        let running = deps
            .environments
            .send(GetEnvironment {
                task: task.id.clone(),
            })
            .await;
        if matches!(running, Ok(Some(_))) {
            settle(deps, task).await;
        }
    }
}

/// The environment of an ended task, woken for a reader (the web terminal), with the lease
/// that keeps it up; `None` for a task that has not ended (its environment runs, or was
/// stopped on purpose and waits for a resume).
#[derive(Message)]
#[rtype(result = "Result<Option<(Environment, Lease)>, TaskError>")]
pub struct WakeEnvironment {
    pub id: String,
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
