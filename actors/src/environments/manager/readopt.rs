//! What a new manager (after a crash or a server restart) finds: every stored record is
//! compared with the containers labelled as ours and with the worktrees on disk. A running
//! container of a known task comes back with a sandbox over it; one that is gone or not
//! running fails its environment; a labelled container no record knows is an orphan, left
//! for `plinth gc`.

use std::collections::HashMap;
use std::sync::Arc;

use plinth_store::{NewEvent, StoreError, Versioned};
use serde_json::json;

use super::entries::{Entry, State};
use super::protocol::EnvironmentError;
use super::state::EnvironmentManager;
use crate::agent_host::TaskSandbox;
use crate::environments::docker::container::TaskContainer;
use crate::environments::docker::exec::block_on_docker;
use crate::environments::docker::ownership::find_mine;
use crate::environments::docker::sandbox::DockerSandbox;
use crate::environments::record::{
    self, EnvironmentKind, EnvironmentRecord, EnvironmentStatus, EnvironmentV1,
};
use crate::sandbox::LocalSandbox;

impl EnvironmentManager {
    pub(super) fn readopt(&self) -> Result<(), EnvironmentError> {
        let records: HashMap<String, EnvironmentV1> = self
            .store
            .list_state::<EnvironmentRecord>(record::KEY_PREFIX)?
            .into_iter()
            .map(|(_, r)| (r.task.clone(), r))
            .collect();
        let mut state = State::default();
        let mut events = Vec::new();
        let mut changed = Vec::new();

        let docker = self.docker.current();
        let containers = match &docker {
            Ok(client) => {
                let c = client.clone();
                let home = self.settings.home.clone();
                match block_on_docker(async move { find_mine(&c, &home, None).await }) {
                    Ok(found) => Some(found),
                    // Treated as Docker down: the records stay as they were, and the next
                    // manager looks again, rather than a failing start taking the tree down.
                    Err(err) => {
                        tracing::warn!(%err, "cannot list plinth's containers");
                        None
                    }
                }
            }
            Err(_) => None,
        };
        if let (Some(containers), Ok(client)) = (&containers, &docker) {
            for found in containers {
                match records.get(&found.task) {
                    Some(r) if r.kind == EnvironmentKind::Docker => {}
                    _ => {
                        // No task id on the event: plinth knows no such task.
                        events.push(NewEvent::new(
                            "environment.orphaned",
                            json!({"task": found.task, "container": found.id,
                                   "name": found.name, "state": found.state}),
                        ));
                        state.orphans.push(found.clone());
                    }
                }
            }
            let by_task: HashMap<&str, &TaskContainer> =
                containers.iter().map(|c| (c.task.as_str(), c)).collect();
            for r in records
                .values()
                .filter(|r| r.kind == EnvironmentKind::Docker)
            {
                let mut info = r.clone();
                let mut sandbox: Option<Arc<dyn TaskSandbox>> = None;
                match (by_task.get(r.task.as_str()), &r.status) {
                    (Some(c), EnvironmentStatus::Running) if c.is_running() => {
                        // One container that cannot be reached must not keep the manager,
                        // and every other environment, from starting.
                        match DockerSandbox::new(client, &c.id, &r.task) {
                            Ok(adopted) => {
                                sandbox = Some(adopted as Arc<dyn TaskSandbox>);
                                events.push(
                                    NewEvent::new(
                                        "environment.adopted",
                                        json!({"task": r.task, "container": c.id}),
                                    )
                                    .for_task(&r.task),
                                );
                            }
                            Err(err) => {
                                info.status = EnvironmentStatus::Failed {
                                    reason: format!("cannot re-adopt its container: {err}"),
                                };
                            }
                        }
                    }
                    (Some(c), EnvironmentStatus::Running) => {
                        info.status = EnvironmentStatus::Failed {
                            reason: format!("its container is {}", c.state),
                        };
                    }
                    (None, EnvironmentStatus::Running | EnvironmentStatus::Stopped) => {
                        info.status = EnvironmentStatus::Failed {
                            reason: "its container is gone".into(),
                        };
                    }
                    _ => {}
                }
                self.note_failure(r, &info, &mut events, &mut changed);
                state
                    .entries
                    .insert(info.task.clone(), Entry { info, sandbox });
            }
        }
        for r in records.values() {
            match r.kind {
                EnvironmentKind::Local => {
                    let mut info = r.clone();
                    let sandbox = self.local_sandbox(r);
                    if sandbox.is_none() && r.status == EnvironmentStatus::Running {
                        info.status = EnvironmentStatus::Failed {
                            reason: "its worktree is gone".into(),
                        };
                    }
                    self.note_failure(r, &info, &mut events, &mut changed);
                    state
                        .entries
                        .insert(info.task.clone(), Entry { info, sandbox });
                }
                // Docker down: the records stay as they were until a manager can look.
                EnvironmentKind::Docker if containers.is_none() => {
                    state.entries.insert(
                        r.task.clone(),
                        Entry {
                            info: r.clone(),
                            sandbox: None,
                        },
                    );
                }
                EnvironmentKind::Docker => {}
            }
        }
        let store = self.store.clone();
        block_on_docker(async move {
            for info in changed {
                store
                    .put_state(
                        &record::key(&info.task),
                        &EnvironmentRecord::from_latest(info),
                    )
                    .await?;
            }
            if !events.is_empty() {
                store.append_all(events).await?;
            }
            Ok::<_, StoreError>(())
        })?;
        *self.state.lock().expect("environment state poisoned") = state;
        Ok(())
    }

    fn note_failure(
        &self,
        before: &EnvironmentV1,
        after: &EnvironmentV1,
        events: &mut Vec<NewEvent>,
        changed: &mut Vec<EnvironmentV1>,
    ) {
        if before.status == after.status {
            return;
        }
        if let EnvironmentStatus::Failed { reason } = &after.status {
            events.push(
                NewEvent::new(
                    "environment.failed",
                    json!({"task": after.task, "reason": reason}),
                )
                .for_task(&after.task),
            );
        }
        changed.push(after.clone());
    }

    fn local_sandbox(&self, r: &EnvironmentV1) -> Option<Arc<dyn TaskSandbox>> {
        let (Some(worktree), Some(home)) = (&r.worktree, &r.home) else {
            return None;
        };
        if !worktree.is_dir() {
            return None;
        }
        Some(LocalSandbox::new(
            &r.task,
            worktree,
            home,
            self.settings.tmux(),
        ))
    }
}
