//! The environments the manager holds, shared by its handlers (whose futures finish after
//! the handler returns, so it is behind a lock they clone) and by the watcher.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::agent_host::TaskSandbox;
use crate::environments::docker::container::TaskContainer;
use crate::environments::record::EnvironmentInfo;

/// One task's environment as the manager holds it.
pub(super) struct Entry {
    pub(super) info: EnvironmentInfo,
    /// None while the environment cannot be acted in (stopped, failed, Docker down).
    pub(super) sandbox: Option<Arc<dyn TaskSandbox>>,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) entries: HashMap<String, Entry>,
    pub(super) orphans: Vec<TaskContainer>,
    /// Tasks whose environment is being made: creates run concurrently, and a second
    /// create of the same task must fail before it touches Docker or git.
    pub(super) creating: HashSet<String>,
    /// Tasks plinth is stopping or removing: their containers' deaths are no failure.
    pub(super) halting: HashSet<String>,
}

impl State {
    /// Records what a handler made of `task`'s environment, if the manager still holds it.
    pub(super) fn update(
        &mut self,
        task: &str,
        info: EnvironmentInfo,
        sandbox: Option<Arc<dyn TaskSandbox>>,
    ) {
        if let Some(entry) = self.entries.get_mut(task) {
            entry.info = info;
            entry.sandbox = sandbox;
        }
    }
}

/// Marks `task` as being stopped or removed by plinth for as long as it lives, so the
/// container's death is not taken for a failure (the watcher leaves such tasks alone).
pub(super) struct Halting {
    state: Arc<Mutex<State>>,
    task: String,
}

impl Halting {
    pub(super) fn begin(state: &Arc<Mutex<State>>, task: &str) -> Self {
        state
            .lock()
            .expect("environment state poisoned")
            .halting
            .insert(task.to_string());
        Halting {
            state: state.clone(),
            task: task.to_string(),
        }
    }
}

impl Drop for Halting {
    fn drop(&mut self) {
        if let Ok(mut state) = self.state.lock() {
            state.halting.remove(&self.task);
        }
    }
}
