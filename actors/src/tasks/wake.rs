//! An ended task's environment is stopped (`super::ending`); what still needs it afterwards
//! (a sync, a diff, a terminal) wakes it with a [`Lease`]. The environment is stopped again
//! once no lease has been held for [`WAKE_GRACE`], so a burst of reads (the browser's diff
//! follows every event) starts it once, and a terminal keeps it up for as long as it is
//! open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use plinth_kernel::ChildRef;

use crate::environments::{
    Environment, EnvironmentError, EnvironmentManager, GetEnvironment, StartEnvironment,
    StopEnvironment,
};
use crate::limits::WAKE_GRACE;

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
            tokio::time::sleep(WAKE_GRACE).await;
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
