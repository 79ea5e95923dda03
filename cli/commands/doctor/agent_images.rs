//! Which agents this machine's image can run: Claude Code is in plinth's agent image; the
//! other built-in agents' CLIs are layers of their own on it, built the first time a task
//! of that agent needs one.

use plinth_actors::config::Config;
use plinth_actors::environments::docker::agent_tools::AgentTool;
use plinth_actors::environments::{DockerClient, ImageRecipe, Images};

use super::check::Check;
use super::images::image_exists;

pub(super) async fn agents_check(docker: Option<&DockerClient>, config: &Config) -> Check {
    let Some(client) = docker else {
        return Check::warn(
            "agent-images",
            "not checked: Docker is not reachable",
            "see the docker check",
        );
    };
    let images = Images::new(client.clone());
    let agent = match images
        .tag_of(&ImageRecipe::agent(Some(&config.docker.base_image)))
        .await
    {
        Ok(tag) if image_exists(client, &tag).await.unwrap_or(false) => tag,
        _ => {
            return Check::ok(
                "agent-images",
                "none built yet: the agent image comes first (see agent-image); each \
                 agent's CLI is added the first time a task of it runs",
            );
        }
    };
    let mut built = vec!["claude-code".to_string()];
    let mut later = Vec::new();
    for tool in AgentTool::ALL {
        let layer = ImageRecipe::ToolLayer {
            base: agent.clone(),
            tool,
        };
        let present = match images.tag_of(&layer).await {
            Ok(tag) => image_exists(client, &tag).await.unwrap_or(false),
            Err(_) => false,
        };
        if present {
            built.push(format!("{} ({})", tool.agent(), tool.package()));
        } else {
            later.push(tool.agent());
        }
    }
    let mut detail = format!("ready: {}", built.join(", "));
    if !later.is_empty() {
        detail.push_str(&format!(
            "; built on a task's first use (a minute or two): {}",
            later.join(", ")
        ));
    }
    Check::ok("agent-images", detail)
}
