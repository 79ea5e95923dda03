//! One container per task, made from an image: started under an init process (so the
//! agent's orphans are reaped), as the image's non-root user, within CPU and memory
//! limits, and labelled so that plinth finds its containers again after a restart.
//!
//! Nothing of the host is mounted: the repository is copied in ([`super::repo_copy`]), and
//! the Docker socket never is, since it would hand the agent the host.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};

use super::client::DockerClient;
use super::image::AGENT_USER;

pub const LABEL_TASK: &str = "plinth.task";
pub const LABEL_PROJECT: &str = "plinth.project";
pub const LABEL_VERSION: &str = "plinth.version";

/// Keeps the container up while nothing else runs in it; the agent runs in tmux, started
/// through exec.
const IDLE_COMMAND: [&str; 2] = ["sleep", "infinity"];

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("task id {0:?} cannot name a container: use letters, digits, '.', '-' and '_'")]
    BadTask(String),
    #[error("a container for task {task} already exists ({name}); remove it first")]
    Exists { task: String, name: String },
    #[error("image {0} is not there: build it first")]
    NoImage(String),
    #[error("container {id}: {source}")]
    Docker {
        id: String,
        #[source]
        source: bollard::errors::Error,
    },
}

/// CPU and memory a container may use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// CPUs, e.g. 1.5.
    pub cpus: f64,
    pub memory_bytes: u64,
    /// At most this many processes, so a fork bomb stays inside.
    pub pids: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpus: 2.0,
            memory_bytes: 4 << 30,
            pids: 4096,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub task: String,
    pub project: String,
    pub image: String,
    pub limits: Limits,
    /// More labels (tests mark their containers with them).
    pub labels: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
}

/// A container plinth made for a task.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TaskContainer {
    pub id: String,
    pub name: String,
    pub task: String,
    pub project: String,
    /// The plinth version that made it.
    pub version: String,
    /// Docker's word for its state: "running", "exited", ...
    pub state: String,
}

impl TaskContainer {
    pub fn is_running(&self) -> bool {
        self.state == "running"
    }
}

/// The container name for `task`: readable in `docker ps`, and unique per task.
pub fn container_name(task: &str) -> Result<String, ContainerError> {
    let ok = !task.is_empty()
        && task.len() <= 100
        && task
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(format!("plinth-{task}"))
    } else {
        Err(ContainerError::BadTask(task.to_string()))
    }
}

/// Creates and starts `spec`'s container on Docker's default network.
pub async fn create(
    client: &DockerClient,
    spec: &ContainerSpec,
) -> Result<TaskContainer, ContainerError> {
    create_on(client, spec, None).await
}

/// Creates and starts `spec`'s container attached to `network` only (plinth's own network,
/// [`super::network`]), or to Docker's default network when `None`.
pub async fn create_on(
    client: &DockerClient,
    spec: &ContainerSpec,
    network: Option<&str>,
) -> Result<TaskContainer, ContainerError> {
    let name = container_name(&spec.task)?;
    let mut labels: HashMap<String, String> = spec.labels.iter().cloned().collect();
    labels.insert(LABEL_TASK.into(), spec.task.clone());
    labels.insert(LABEL_PROJECT.into(), spec.project.clone());
    labels.insert(LABEL_VERSION.into(), env!("CARGO_PKG_VERSION").into());
    let memory = i64::try_from(spec.limits.memory_bytes).unwrap_or(i64::MAX);
    let body = ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: Some(IDLE_COMMAND.map(String::from).to_vec()),
        user: Some(AGENT_USER.into()),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        labels: Some(labels),
        hostname: Some(spec.task.chars().take(63).collect()),
        host_config: Some(HostConfig {
            init: Some(true),
            nano_cpus: Some((spec.limits.cpus * 1e9) as i64),
            memory: Some(memory),
            // The same as `memory`: no swap on top of it.
            memory_swap: Some(memory),
            pids_limit: Some(spec.limits.pids),
            security_opt: Some(vec!["no-new-privileges".into()]),
            binds: Some(Vec::new()),
            network_mode: network.map(str::to_string),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::new().name(&name).build();
    let created = client
        .api()
        .create_container(Some(options), body)
        .await
        .map_err(|e| match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            } => ContainerError::Exists {
                task: spec.task.clone(),
                name: name.clone(),
            },
            // A network that vanished is a 404 too; only a missing image is "not there".
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                ref message,
            } if !message.contains("network") => ContainerError::NoImage(spec.image.clone()),
            source => ContainerError::Docker {
                id: name.clone(),
                source,
            },
        })?;
    let failed = |source| ContainerError::Docker {
        id: name.clone(),
        source,
    };
    if let Err(e) = client.api().start_container(&created.id, None).await {
        // A container that never ran is of no use to anyone; don't leave it behind.
        let _ = remove(client, &created.id).await;
        return Err(failed(e));
    }
    Ok(TaskContainer {
        id: created.id,
        name,
        task: spec.task.clone(),
        project: spec.project.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        state: "running".into(),
    })
}

/// A request whose failure with `status` means the container is already as asked.
fn ok_if_already(
    result: Result<(), bollard::errors::Error>,
    status: u16,
    id: &str,
) -> Result<(), ContainerError> {
    match result {
        Err(bollard::errors::Error::DockerResponseServerError { status_code, .. })
            if status_code == status =>
        {
            Ok(())
        }
        other => other.map_err(|source| ContainerError::Docker {
            id: id.into(),
            source,
        }),
    }
}

/// Starts a stopped container again (its files are as they were; its processes start anew).
pub async fn start(client: &DockerClient, id: &str) -> Result<(), ContainerError> {
    // 304: it was running already, which is what was asked.
    ok_if_already(client.api().start_container(id, None).await, 304, id)
}

/// Stops the container, giving its processes `grace` to end before they are killed.
pub async fn stop(client: &DockerClient, id: &str, grace: Duration) -> Result<(), ContainerError> {
    let options = StopContainerOptionsBuilder::new()
        .t(i32::try_from(grace.as_secs()).unwrap_or(i32::MAX))
        .build();
    // 304: it was not running, which is what was asked.
    ok_if_already(
        client.api().stop_container(id, Some(options)).await,
        304,
        id,
    )
}

/// Removes the container and its anonymous volumes, running or not. Removing a container
/// that is gone is not an error.
pub async fn remove(client: &DockerClient, id: &str) -> Result<(), ContainerError> {
    let options = RemoveContainerOptionsBuilder::new()
        .force(true)
        .v(true)
        .build();
    // 404: it is gone, which is what was asked.
    ok_if_already(
        client.api().remove_container(id, Some(options)).await,
        404,
        id,
    )
}

/// Every container whose labels say plinth made it, running or not: what a restarted
/// plinth re-adopts, or reports as orphans when their task is gone.
pub async fn find_ours(client: &DockerClient) -> Result<Vec<TaskContainer>, ContainerError> {
    find_labelled(client, LABEL_TASK).await
}

/// Like [`find_ours`], narrowed to containers that also carry `label` (`key` or
/// `key=value`).
pub async fn find_labelled(
    client: &DockerClient,
    label: &str,
) -> Result<Vec<TaskContainer>, ContainerError> {
    let mut labels = vec![LABEL_TASK.to_string()];
    if label != LABEL_TASK {
        labels.push(label.to_string());
    }
    let filters = HashMap::from([("label".to_string(), labels)]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let list = client
        .api()
        .list_containers(Some(options))
        .await
        .map_err(|source| ContainerError::Docker {
            id: "(list)".into(),
            source,
        })?;
    Ok(list
        .into_iter()
        .map(|c| {
            let labels = c.labels.unwrap_or_default();
            let label = |key: &str| labels.get(key).cloned().unwrap_or_default();
            TaskContainer {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.first().map(|n| n.trim_start_matches('/').to_string()))
                    .unwrap_or_default(),
                task: label(LABEL_TASK),
                project: label(LABEL_PROJECT),
                version: label(LABEL_VERSION),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            }
        })
        .collect())
}
