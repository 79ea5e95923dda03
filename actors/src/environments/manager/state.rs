//! The manager actor's state: the store, its settings, its Docker connection, the
//! environments it holds ([`super::entries`], behind a lock its handlers' futures share),
//! the scrollback capture and the watcher.

use std::sync::{Arc, Mutex};

use plinth_store::Store;

use super::docker_link::DockerLink;
use super::entries::State;
use super::protocol::EnvironmentError;
use super::settings::ManagerSettings;
use super::watch::Watcher;
use crate::agent_host::TaskSandbox;
use crate::environments::record::EnvironmentInfo;
use crate::environments::scrollback::ScrollbackCapture;

pub struct EnvironmentManager {
    pub(super) store: Store,
    pub(super) settings: Arc<ManagerSettings>,
    pub(super) docker: DockerLink,
    /// Shared with the handlers' futures, which finish after the handler returns.
    pub(super) state: Arc<Mutex<State>>,
    pub(super) scrollback: ScrollbackCapture,
    /// Notices containers that die under plinth while it runs ([`super::watch`]).
    pub(super) watcher: Option<Watcher>,
}

impl EnvironmentManager {
    /// The task's sandbox; `None` when its environment is not running.
    pub(super) fn sandbox(
        &self,
        task: &str,
    ) -> Result<Option<Arc<dyn TaskSandbox>>, EnvironmentError> {
        self.state
            .lock()
            .expect("environment state poisoned")
            .entries
            .get(task)
            .map(|e| e.sandbox.clone())
            .ok_or_else(|| EnvironmentError::Unknown(task.to_string()))
    }

    pub(super) fn lookup(&self, task: &str) -> Result<EnvironmentInfo, EnvironmentError> {
        self.state
            .lock()
            .expect("environment state poisoned")
            .entries
            .get(task)
            .map(|e| e.info.clone())
            .ok_or_else(|| EnvironmentError::Unknown(task.to_string()))
    }
}
