//! A supervisor run as a child: the `ChildSpec` that nests one under another, and the
//! `Starter` that runs its incarnations (the root's too, which the kernel starts).

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::exit::{Exit, panic_message};
use crate::incarnation::{Running, RunningEnds, Starter};
use crate::policy::Restart;
use crate::registry::{Entry, Registry};
use crate::spec::{ChildSpec, SupervisorSpec};
use crate::workers::Workers;

use super::{Supervisor, SupervisorRef};

impl ChildSpec {
    /// A nested supervisor. When it gives up, its own supervisor treats that as its failure.
    pub fn supervisor(
        name: impl Into<String>,
        restart: Restart,
        spec: SupervisorSpec,
    ) -> (ChildSpec, SupervisorRef) {
        let name = name.into();
        let supervisor = Supervisor::new(name.clone(), spec);
        let handle = supervisor.handle();
        let spec = ChildSpec {
            name,
            kind: "supervisor".into(),
            restart,
            starter: Box::new(SupervisorStarter::new(supervisor)),
            budget: None,
            monitors: Vec::new(),
        };
        (spec, handle)
    }
}

/// Starts incarnations of a nested supervisor. The supervisor's state (its children and
/// their registry entries) comes back when a run ends, so a restart reuses it.
pub(crate) struct SupervisorStarter {
    state: Arc<Mutex<Option<Box<Supervisor>>>>,
    ready: Mutex<Option<oneshot::Sender<()>>>,
}

impl SupervisorStarter {
    pub(crate) fn new(supervisor: Supervisor) -> Self {
        SupervisorStarter {
            state: Arc::new(Mutex::new(Some(Box::new(supervisor)))),
            ready: Mutex::new(None),
        }
    }

    /// The next run signals `ready` once it has started its children.
    pub(crate) fn notify_ready(&self, ready: oneshot::Sender<()>) {
        *self.ready.lock() = Some(ready);
    }
}

impl Starter for SupervisorStarter {
    fn attach(&mut self, entry: &Arc<Entry>, registry: &Arc<Registry>, workers: &Arc<Workers>) {
        if let Some(supervisor) = self.state.lock().as_mut() {
            supervisor.attach(entry, registry, workers);
        }
    }

    fn start(&self, workers: &Arc<Workers>, _entry: &Arc<Entry>) -> Running {
        let (running, RunningEnds { exit, stop, abort }) = Running::new();
        let Some(supervisor) = self.state.lock().take() else {
            let _ = exit.send(Exit::Failed(
                "its state was lost when it panicked; it cannot be restarted".into(),
            ));
            return running;
        };
        let state = self.state.clone();
        let ready = self.ready.lock().take();
        let exit = Arc::new(Mutex::new(Some(exit)));
        let exit_if_not_spawned = exit.clone();
        let spawned = workers.pick().spawn_fn(move || {
            let task = tokio::task::spawn_local(supervisor.run(stop, ready));
            *abort.lock() = Some(task.abort_handle());
            tokio::task::spawn_local(async move {
                let result = match task.await {
                    Ok((supervisor, exit)) => {
                        *state.lock() = Some(supervisor);
                        exit
                    }
                    Err(err) if err.is_panic() => Exit::Failed(format!(
                        "supervisor panicked: {}",
                        panic_message(err.into_panic().as_ref())
                    )),
                    Err(_) => Exit::Shutdown,
                };
                if let Some(tx) = exit.lock().take() {
                    let _ = tx.send(result);
                }
            });
        });
        if !spawned && let Some(tx) = exit_if_not_spawned.lock().take() {
            let _ = tx.send(Exit::Failed(
                "the kernel's worker threads have stopped".into(),
            ));
        }
        running
    }

    fn finished(&self) {
        if let Some(supervisor) = self.state.lock().as_mut() {
            supervisor.finish_all();
        }
    }
}
