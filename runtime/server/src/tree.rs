//! The server's supervision tree: the project service and the environment manager (the
//! task service joins them in a later step); the root's restart intensity decides when the
//! server gives up.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use plinth_actors::config::Config;
use plinth_actors::environments::{EnvironmentManager, ManagerSettings};
use plinth_actors::projects::ProjectService;
use plinth_kernel::{
    ActorState, Backoff, ChildRef, ChildSpec, Intensity, ProbeReading, Registry, Restart, Strategy,
    SupervisorSpec,
};
use plinth_store::Store;

pub struct Tree {
    pub spec: SupervisorSpec,
    pub projects: ChildRef<ProjectService>,
    pub environments: ChildRef<EnvironmentManager>,
}

pub fn build(store: &Store, registry: &Arc<Registry>, home: &Path, config: &Config) -> Tree {
    // The store's writer is a thread, not an actor; it still belongs in the inspector.
    let probe_store = store.clone();
    registry.register_probe("store", "store-writer", None, move || {
        let stats = probe_store.writer_stats();
        ProbeReading {
            state: if stats.last_error.is_some() {
                ActorState::Failed
            } else {
                ActorState::Running
            },
            mailbox: stats.queued,
            handled: stats.written,
            last_error: stats.last_error,
        }
    });

    let project_store = store.clone();
    let (projects_spec, projects) = ChildSpec::actor(
        "projects",
        "project-service",
        Restart::Permanent,
        move || Ok(ProjectService::new(project_store.clone())),
    );
    let environment_store = store.clone();
    let settings = ManagerSettings {
        home: home.to_path_buf(),
        config: config.clone(),
        labels: Vec::new(),
    };
    // A Docker daemon that is down does not fail the start (local mode still works); a
    // store that cannot be read does, and the supervisor retries it.
    let (environments_spec, environments) = ChildSpec::actor(
        "environments",
        "environment-manager",
        Restart::Permanent,
        move || {
            EnvironmentManager::start(environment_store.clone(), settings.clone())
                .map_err(|e| e.to_string())
        },
    );
    Tree {
        spec: SupervisorSpec {
            strategy: Strategy::OneForOne,
            intensity: Intensity {
                max_restarts: 5,
                within: Duration::from_secs(30),
            },
            backoff: Backoff {
                initial: Duration::from_millis(50),
                max: Duration::from_secs(5),
                factor: 2,
            },
            children: vec![projects_spec, environments_spec],
        },
        projects,
        environments,
    }
}
