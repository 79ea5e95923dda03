//! The TaskService's state: what it needs from the rest of the tree ([`TaskServiceDeps`],
//! cloned into each incarnation) and every task's record, and the few operations every
//! handler shares: find a task, save it (store first, then the cache), fail it, and route a
//! signal to its agent host.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::ResponseFuture;
use chrono::Utc;
use plinth_kernel::{ChildRef, RestartBudget, SupervisorRef};
use plinth_store::{NewEvent, Store, StoreError, Versioned};
use plinth_wasm::wit::Signal;

use super::agent_hosts::AgentHosts;
use super::endpoints::{GatewayListener, SandboxEndpoints};
use super::error::TaskError;
use super::keys::TaskKeys;
use super::record::{self, Lifecycle, Task, TaskRecord};
use super::restart_budget;
use super::wake::Wakes;
use crate::agent_host::{AgentHost, Deliver};
use crate::agents::AgentCatalog;
use crate::config::{Config, PermissionMode};
use crate::environments::EnvironmentManager;
use crate::spend::{PriceTable, SpendBook};

/// What the service needs from the rest of the tree; cloned into each incarnation.
#[derive(Clone)]
pub struct TaskServiceDeps {
    pub store: Store,
    pub environments: ChildRef<EnvironmentManager>,
    pub catalog: AgentCatalog,
    /// The supervisor the tasks' agent hosts run under.
    pub hosts: SupervisorRef,
    /// The agent hosts by task, and signals held for those being started; outlives a
    /// restart of the service (the hosts do too).
    pub running: AgentHosts,
    /// Who holds ended tasks' environments awake (a sync, a diff, a terminal).
    pub wakes: Wakes,
    /// The tokens tasks' sandboxes present to plinth.
    pub keys: TaskKeys,
    /// Where sandboxes reach plinth's hook endpoint and model proxy.
    pub endpoints: SandboxEndpoints,
    /// Listens where Docker tasks' containers reach plinth ([`super::reach`]); without one,
    /// Docker tasks fail to start.
    pub gateways: Option<Arc<dyn GatewayListener>>,
    /// Run for every notification (`tasks.notify_command`).
    pub notify_command: Option<String>,
    /// Agents run their tools without asking (`tasks.skip_permissions`).
    pub skip_permissions: bool,
    /// What agents may do without asking otherwise (`tasks.permission_mode`).
    pub permission_mode: PermissionMode,
    /// How long a starting agent may show no sign of life (`tasks.start_deadline_ms`).
    pub start_deadline: Duration,
    /// Each task's agent host's own restart budget (`tasks.max_restarts` and
    /// `tasks.restart_window_ms`).
    pub restart_budget: RestartBudget,
    /// What tasks' model calls have cost, and their budgets; shared with the model proxy.
    pub spend: SpendBook,
}

impl TaskServiceDeps {
    pub fn new(
        store: Store,
        environments: ChildRef<EnvironmentManager>,
        catalog: AgentCatalog,
        hosts: SupervisorRef,
        keys: TaskKeys,
        endpoints: SandboxEndpoints,
    ) -> Self {
        TaskServiceDeps {
            spend: SpendBook::new(store.clone(), PriceTable::built_in()),
            store,
            environments,
            catalog,
            hosts,
            running: AgentHosts::default(),
            wakes: Wakes::default(),
            keys,
            endpoints,
            gateways: None,
            notify_command: None,
            skip_permissions: false,
            permission_mode: PermissionMode::Agent,
            start_deadline: Config::default().tasks.start_deadline(),
            restart_budget: restart_budget::budget(&Config::default().tasks),
        }
    }

    pub fn with_start_deadline(mut self, deadline: Duration) -> Self {
        self.start_deadline = deadline;
        self
    }

    pub fn with_restart_budget(mut self, budget: RestartBudget) -> Self {
        self.restart_budget = budget;
        self
    }

    pub fn with_skip_permissions(mut self, skip: bool) -> Self {
        self.skip_permissions = skip;
        self
    }

    pub fn with_permission_mode(mut self, mode: PermissionMode) -> Self {
        self.permission_mode = mode;
        self
    }

    pub fn with_gateway_listener(mut self, gateways: Arc<dyn GatewayListener>) -> Self {
        self.gateways = Some(gateways);
        self
    }

    pub fn with_spend_book(mut self, spend: SpendBook) -> Self {
        self.spend = spend;
        self
    }

    pub fn with_notify_command(mut self, command: Option<String>) -> Self {
        self.notify_command = command;
        self
    }
}

/// The one actor that makes, lists, stops and follows tasks ([`super::protocol`] says what
/// it accepts). Each task's agent runs as its own supervised actor (an [`AgentHost`] named
/// `task-<id>` under the `tasks` supervisor); the service keeps every task's record in the
/// store and follows the agents' `task.status` events into it, from a named cursor, so a
/// restarted server loses none and resumes every task that was running.
pub struct TaskService {
    pub(super) deps: TaskServiceDeps,
    /// Every task's record, as stored (the store is written first).
    pub(super) tasks: HashMap<String, Task>,
}

impl TaskService {
    /// Reads every task's record. Blocks on SQLite: call it from a factory.
    pub fn start(deps: TaskServiceDeps) -> Result<Self, TaskError> {
        let tasks = deps
            .store
            .list_state::<TaskRecord>(record::KEY_PREFIX)?
            .into_iter()
            .map(|(_, t)| (t.id.clone(), t))
            .collect();
        Ok(TaskService { deps, tasks })
    }

    /// The host to send `signal` for task `id` to; with none running, the signal is held
    /// for the host of an active task (being started), else dropped.
    pub(super) fn route_signal(
        &self,
        id: &str,
        signal: Signal,
    ) -> Option<(ChildRef<AgentHost>, Signal)> {
        let active = self
            .tasks
            .get(id)
            .is_some_and(|task| task.lifecycle.is_active());
        self.deps.running.route(id, signal, active)
    }

    /// Routes `signal` now (see [`Self::route_signal`]); the future hands it to the host.
    pub(super) fn signal_agent(
        &self,
        id: &str,
        signal: Signal,
    ) -> impl Future<Output = Result<(), TaskError>> + 'static {
        let target = self.route_signal(id, signal);
        async move {
            if let Some((host, signal)) = target {
                host.send(Deliver(signal))
                    .await
                    .map_err(|e| TaskError::Actor(e.to_string()))?;
            }
            Ok(())
        }
    }

    pub(super) fn get(&self, id: &str) -> Result<Task, TaskError> {
        self.tasks
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::Unknown(id.to_string()))
    }

    /// Stores `task` and appends `kind` for it; the cache follows the store. The one place
    /// that sees both the old and the new version of a task, so it stamps `status_since`
    /// when the status changed.
    pub(super) fn save(
        &mut self,
        mut task: Task,
        kind: &str,
    ) -> ResponseFuture<Result<Task, TaskError>> {
        task.stamp_status_change(self.tasks.get(&task.id));
        self.tasks.insert(task.id.clone(), task.clone());
        let store = self.deps.store.clone();
        let kind = kind.to_string();
        Box::pin(async move {
            persist(&store, &task, &kind).await?;
            Ok(task)
        })
    }

    /// Records `task` as failed for `reason`. What was held for its agent host is dropped:
    /// none will start.
    pub(super) fn fail(
        &mut self,
        mut task: Task,
        reason: String,
    ) -> ResponseFuture<Result<Task, TaskError>> {
        self.deps.running.forget_held(&task.id);
        task.lifecycle = Lifecycle::Failed { reason };
        task.updated_at = Utc::now();
        self.save(task, "task.failed")
    }
}

/// The task's record and the event that tells of its change, in one transaction. The
/// prompt is stored once, in the record; the event carries a preview of it.
async fn persist(store: &Store, task: &Task, kind: &str) -> Result<(), StoreError> {
    let event = NewEvent::new(kind, super::event_data::of(task)).for_task(&task.id);
    store
        .put_state_and_append(
            &record::key(&task.id),
            &TaskRecord::from_latest(task.clone()),
            vec![event],
        )
        .await?;
    Ok(())
}
