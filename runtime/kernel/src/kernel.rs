//! The kernel: the worker threads, the registry, and the root supervisor's life.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{oneshot, watch};

use crate::exit::Exit;
use crate::incarnation::{Running, Starter};
use crate::limits::WORKERS_STOP_FLOOR;
use crate::registry::Registry;
use crate::spec::SupervisorSpec;
use crate::supervisor::{Supervisor, SupervisorRef, SupervisorStarter};
use crate::workers::Workers;

#[derive(Clone, Debug)]
pub struct KernelConfig {
    /// Worker threads (actix arbiters) the actors are spread over.
    pub workers: usize,
}

impl Default for KernelConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        KernelConfig {
            workers: cores.clamp(1, 4),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("cannot start the kernel's worker threads: {0}")]
    Workers(#[from] std::io::Error),
    #[error("the kernel already runs a root supervisor")]
    RootRunning,
    #[error("the root supervisor did not start: {0}")]
    RootStart(String),
}

#[derive(Clone)]
pub struct Kernel {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    workers: Arc<Workers>,
    root: Mutex<Option<Running>>,
    root_exit: watch::Sender<Option<Exit>>,
}

impl Kernel {
    pub fn start(config: KernelConfig) -> Result<Kernel, KernelError> {
        Ok(Kernel {
            inner: Arc::new(Inner {
                registry: Arc::new(Registry::new()),
                workers: Arc::new(Workers::start(config.workers)?),
                root: Mutex::new(None),
                root_exit: watch::channel(None).0,
            }),
        })
    }

    pub fn registry(&self) -> Arc<Registry> {
        self.inner.registry.clone()
    }

    /// Starts the root supervisor (registered as `root`) and returns once its children
    /// have been started.
    pub async fn start_root(&self, spec: SupervisorSpec) -> Result<SupervisorRef, KernelError> {
        let inner = &self.inner;
        if inner.root.lock().is_some() {
            return Err(KernelError::RootRunning);
        }
        let entry = inner
            .registry
            .register_actor("root".into(), "supervisor", None, None);
        let supervisor = Supervisor::new("root".into(), spec);
        let handle = supervisor.handle();
        let mut starter = SupervisorStarter::new(supervisor);
        starter.attach(&entry, &inner.registry, &inner.workers);
        let (ready_tx, ready) = oneshot::channel();
        starter.notify_ready(ready_tx);
        let mut running = starter.start(&inner.workers, &entry);
        let exit = running.take_exit();
        *inner.root.lock() = Some(running);
        let root_exit = inner.root_exit.clone();
        inner.workers.pick().spawn(async move {
            let exit = exit
                .await
                .unwrap_or_else(|_| Exit::Failed("the root supervisor vanished".into()));
            // Nothing restarts the root: every ChildRef in the tree now fails fast.
            starter.finished();
            root_exit.send_replace(Some(exit));
        });
        ready
            .await
            .map_err(|_| KernelError::RootStart("it stopped while starting its children".into()))?;
        Ok(handle)
    }

    /// Resolves when the root supervisor has exited: it gave up, or the kernel shut down.
    pub async fn root_exited(&self) -> Exit {
        let mut exit = self.inner.root_exit.subscribe();
        loop {
            if let Some(exit) = exit.borrow_and_update().clone() {
                return exit;
            }
            if exit.changed().await.is_err() {
                return Exit::Shutdown;
            }
        }
    }

    /// Stops the tree (children in reverse start order, each with a grace period), then the
    /// worker threads; whatever is still running after `budget` is dropped.
    pub async fn shutdown(&self, budget: Duration) {
        let started = Instant::now();
        if let Some(running) = self.inner.root.lock().as_mut() {
            running.request_stop();
        }
        let _ = tokio::time::timeout(budget, self.root_exited()).await;
        if let Some(running) = self.inner.root.lock().take() {
            running.kill();
        }
        let workers = self.inner.workers.clone();
        let left = budget
            .saturating_sub(started.elapsed())
            .max(WORKERS_STOP_FLOOR);
        let stopping = tokio::task::spawn_blocking(move || workers.stop());
        if tokio::time::timeout(left, stopping).await.is_err() {
            tracing::warn!("the kernel's worker threads did not stop in time");
        }
    }
}
