//! The shared test kit, and what names this package's own crates (which the kit may not
//! depend on): the built adapters' components, and plinth's Docker client.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

use plinth_actors::environments::DockerClient;
use plinth_actors::environments::docker::container;
use plinth_actors::environments::docker::exec::block_on_docker;
pub use plinth_testkit::*;

pub mod agent_tasks;

/// plinth's client of the machine's Docker daemon; panics with the fix if there is none.
pub fn docker_client() -> DockerClient {
    block_on_docker(DockerClient::connect()).unwrap_or_else(|e| {
        panic!(
            "{e}\n\nthis test needs a running Docker daemon and the base image: \
             run scripts/docker-setup.sh (as root) first"
        )
    })
}

/// Removes every container labelled `label` when dropped, whatever happened.
pub struct RemoveLabelled {
    pub client: DockerClient,
    pub label: String,
}

impl Drop for RemoveLabelled {
    fn drop(&mut self) {
        let (c, label) = (self.client.clone(), self.label.clone());
        block_on_docker(async move {
            for found in container::find_labelled(&c, &label)
                .await
                .unwrap_or_default()
            {
                let _ = container::remove(&c, &found.id).await;
            }
        });
    }
}

/// Where `scripts/build-adapters.sh` puts the built components.
pub fn adapters_dir() -> PathBuf {
    plinth_actors::builtin_adapters::adapters_dir().to_path_buf()
}

fn component(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-adapters.sh first (scripts/test.sh does)",
        path.display()
    );
    path
}

/// A built-in adapter's component (`scripted`, `claude-code`).
pub fn adapter_component(name: &str) -> PathBuf {
    component(adapters_dir().join(format!("{name}.wasm")))
}

/// A test-only component (`probe`, `minimal`, `foreign`).
pub fn test_component(name: &str) -> PathBuf {
    component(adapters_dir().join("test").join(format!("{name}.wasm")))
}

/// Seconds from the task's first event (its creation) to its first event that `is`, by the
/// events' times.
pub async fn seconds_to(
    server: &Server,
    id: &str,
    is: impl Fn(&serde_json::Value) -> bool,
) -> Option<f64> {
    let events = server.events_after(&format!("task={id}"), 0).await;
    let at = |e: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(e["at"].as_str()?).ok();
    let first = at(events.first()?)?;
    let then = events.iter().find(|e| is(e)).and_then(at)?;
    Some((then - first).num_milliseconds() as f64 / 1000.0)
}
