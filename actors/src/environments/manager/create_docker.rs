//! Making a Docker environment: the project's image (built if need be, its progress
//! published as the task's events), plinth's network, a container on it, and the
//! repository copied in.

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use plinth_store::{NewEvent, Store};
use serde_json::json;

use super::protocol::{CreateEnvironment, EnvironmentError};
use super::settings::ManagerSettings;
use crate::agent_host::TaskSandbox;
use crate::environments::docker::DockerClient;
use crate::environments::docker::build::{BuildEvent, ImageRef, Images};
use crate::environments::docker::container::{self, ContainerSpec, Limits};
use crate::environments::docker::exec::block_on_docker;
use crate::environments::docker::image_plan::ImagePlan;
use crate::environments::docker::network;
use crate::environments::docker::ownership::{LABEL_HOME, home_label};
use crate::environments::docker::repo_copy::{RepoCopy, copy_repo};
use crate::environments::docker::sandbox::DockerSandbox;

/// Makes the task's container and a sandbox over it; answers the container's id.
pub(super) fn create_docker(
    client: DockerClient,
    store: Store,
    settings: &ManagerSettings,
    msg: &CreateEnvironment,
    root: PathBuf,
    project: String,
) -> Result<(String, Arc<dyn TaskSandbox>), EnvironmentError> {
    let plan = ImagePlan::for_project(&root, &settings.config).for_agent(&msg.agent);
    let images = Images::new(client.clone()).with_labels(settings.labels.clone());
    let mut spec = ContainerSpec {
        task: msg.task.clone(),
        project,
        image: String::new(),
        limits: Limits {
            cpus: settings.config.docker.cpus,
            memory_bytes: settings.config.docker.memory.bytes(),
            ..Limits::default()
        },
        labels: settings
            .labels
            .iter()
            .cloned()
            .chain([(LABEL_HOME.to_string(), home_label(&settings.home))])
            .collect(),
        env: Vec::new(),
    };
    let copy = RepoCopy {
        repo: root,
        base: msg.base_branch.clone(),
        task: msg.task.clone(),
        include_uncommitted: msg.include_uncommitted,
    };
    let c = client.clone();
    let task = msg.task.clone();
    let network = settings.config.docker.network.clone();
    let id = block_on_docker(async move {
        spec.image = ensure_image(&images, plan, &store, &task).await?.tag;
        let network = network::ensure(&c, &network).await?;
        // By id: two networks may share the name (see `network::find`).
        let made = container::create_on(&c, &spec, Some(&network.id)).await?;
        if let Err(e) = copy_repo(&c, &made.id, &copy).await {
            // A container without the repository is no environment: don't leave it.
            let _ = container::remove(&c, &made.id).await;
            return Err(EnvironmentError::from(e));
        }
        Ok::<_, EnvironmentError>(made.id)
    })?;
    let sandbox: Arc<dyn TaskSandbox> = DockerSandbox::new(&client, &id, &msg.task)?;
    Ok((id, sandbox))
}

/// Makes the task's image ready, publishing the build's progress as the task's events
/// (`image.build.*`), so a browser can show what a first task is waiting for.
async fn ensure_image(
    images: &Images,
    plan: ImagePlan,
    store: &Store,
    task: &str,
) -> Result<ImageRef, EnvironmentError> {
    let mut events = images.ensure_stream(plan);
    while let Some(item) = events.next().await {
        let (kind, data) = match &item {
            Ok(BuildEvent::CacheHit { .. }) => continue,
            Ok(BuildEvent::Started { tag }) => ("image.build.started", json!({"tag": tag})),
            Ok(BuildEvent::Step {
                step,
                total,
                instruction,
            }) => (
                "image.build.step",
                json!({"step": step, "total": total, "instruction": instruction}),
            ),
            Ok(BuildEvent::Output { line }) => ("image.build.output", json!({"line": line})),
            Ok(BuildEvent::Ready(image)) => (
                "image.build.ready",
                json!({"tag": image.tag, "cached": image.cached}),
            ),
            Err(err) => ("image.build.failed", json!({"error": err.to_string()})),
        };
        // Progress is for watching; a store that cannot take it must not fail the build.
        if let Err(err) = store.append(NewEvent::new(kind, data).for_task(task)).await {
            tracing::warn!(%err, task, "cannot record the image build's progress");
        }
        match item {
            Ok(BuildEvent::Ready(image)) => return Ok(image),
            Err(err) => return Err(err.into()),
            Ok(_) => {}
        }
    }
    Err(EnvironmentError::Join(
        "the image build ended without a result".into(),
    ))
}
