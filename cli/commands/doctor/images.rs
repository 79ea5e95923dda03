//! The base image plinth's agent image is built from, and the agent image itself.

use std::collections::HashMap;

use bollard::query_parameters::ListImagesOptions;
use plinth_actors::config::Config;
use plinth_actors::environments::docker::image::AGENT_IMAGE_REPO;
use plinth_actors::environments::{CLAUDE_CODE_VERSION, DockerClient, ImageRecipe, Images};

use super::check::{Check, Status};

/// The base image plinth's agent image is built from, and the agent image itself (which
/// carries Claude Code: the host needs no `claude` of its own).
pub(super) async fn image_checks(docker: Option<&DockerClient>, config: &Config) -> [Check; 2] {
    let base = &config.docker.base_image;
    let Some(client) = docker else {
        let skipped = "not checked: Docker is not reachable";
        return [
            Check::warn("base-image", skipped, "see the docker check"),
            Check::warn("agent-image", skipped, "see the docker check"),
        ];
    };
    let base_present = image_exists(client, base).await;
    let images = Images::new(client.clone());
    let expected = images.tag_of(&ImageRecipe::agent(Some(base))).await;
    let agent_tags = agent_tags(client).await;

    let agent = match (&expected, &agent_tags) {
        (Ok(tag), Ok(tags)) if tags.contains(tag) => Check::ok(
            "agent-image",
            format!("{tag} is built (Claude Code {CLAUDE_CODE_VERSION})"),
        ),
        (Ok(tag), Ok(tags)) if !tags.is_empty() => Check::warn(
            "agent-image",
            format!(
                "{tag} is not built; older agent images: {}",
                tags.join(", ")
            ),
            "its inputs changed (base image, Claude Code version or CA certificates): the \
             first task rebuilds it, which takes a few minutes",
        ),
        (Ok(tag), Ok(_)) => Check::warn(
            "agent-image",
            format!("{tag} is not built yet (Claude Code {CLAUDE_CODE_VERSION})"),
            "the first task builds it, which takes a few minutes",
        ),
        (Err(err), _) => Check::fail(
            "agent-image",
            format!("cannot prepare the agent image's inputs: {err}"),
            "see the message; the agent image is built from docker.base_image",
        ),
        (_, Err(err)) => Check::warn(
            "agent-image",
            format!("cannot list images: {err}"),
            "see the docker check",
        ),
    };
    let agent_ready = agent.status == Status::Ok;
    let base_check = match base_present {
        Ok(true) => Check::ok("base-image", format!("{base} is present")),
        Ok(false) => {
            let fix = format!(
                "`scripts/docker-setup.sh` builds plinth-base:bookworm offline; or set \
                 docker.base_image (PLINTH_BASE_IMAGE) to a Debian-based image you have \
                 (now {base})"
            );
            if agent_ready {
                // Only a rebuild needs the base.
                Check::warn(
                    "base-image",
                    format!("{base} is missing (the agent image is built already)"),
                    fix,
                )
            } else {
                Check::fail(
                    "base-image",
                    format!("{base} is missing: the agent image cannot be built"),
                    fix,
                )
            }
        }
        Err(err) => Check::warn(
            "base-image",
            format!("cannot look up {base}: {err}"),
            "see the docker check",
        ),
    };
    [base_check, agent]
}

pub(super) async fn image_exists(
    client: &DockerClient,
    name: &str,
) -> Result<bool, bollard::errors::Error> {
    match client.api().inspect_image(name).await {
        Ok(_) => Ok(true),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(false),
        Err(err) => Err(err),
    }
}

async fn agent_tags(client: &DockerClient) -> Result<Vec<String>, bollard::errors::Error> {
    let options = ListImagesOptions {
        filters: Some(HashMap::from([(
            "reference".to_string(),
            vec![AGENT_IMAGE_REPO.to_string()],
        )])),
        ..Default::default()
    };
    let images = client.api().list_images(Some(options)).await?;
    let mut tags: Vec<String> = images
        .into_iter()
        .flat_map(|image| image.repo_tags)
        .filter(|tag| tag.starts_with(&format!("{AGENT_IMAGE_REPO}:")))
        .collect();
    tags.sort();
    Ok(tags)
}
