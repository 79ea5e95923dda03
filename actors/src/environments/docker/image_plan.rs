//! Which image a project's environments run in: plinth's agent image, or the project's own
//! Dockerfile with plinth's needs layered on top. The choice is made from the repository
//! the task starts from, so a project that adds a Dockerfile gets it on its next task.

use std::path::{Path, PathBuf};

use futures::Stream;

use super::build::{BuildEvent, ImageError, ImageRef, Images};
use super::image::{AgentTool, HOST_CA_DIR, ImageRecipe};
use crate::config::Config;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImagePlan {
    /// One recipe, built as it is.
    Recipe(ImageRecipe),
    /// The project's Dockerfile, then [`ImageRecipe::ProjectLayer`] on top of it.
    Project { dockerfile: PathBuf },
    /// Another plan's image with a built-in adapter's CLI added
    /// ([`ImageRecipe::ToolLayer`]).
    WithTool {
        below: Box<ImagePlan>,
        tool: AgentTool,
    },
}

impl From<ImageRecipe> for ImagePlan {
    fn from(recipe: ImageRecipe) -> Self {
        Self::Recipe(recipe)
    }
}

impl ImagePlan {
    /// The project's Dockerfile (`tasks.dockerfile`, relative to the repository's root)
    /// when the repository has one, else the agent image on the configured base.
    pub fn for_project(root: &Path, config: &Config) -> Self {
        let dockerfile = root.join(&config.tasks.dockerfile);
        if dockerfile.is_file() {
            Self::Project { dockerfile }
        } else {
            Self::Recipe(ImageRecipe::agent(Some(&config.docker.base_image)))
        }
    }

    /// The plan for a task of `agent`: this one, with the agent's CLI added when it is
    /// not in the image already (see [`AgentTool::for_agent`]).
    pub fn for_agent(self, agent: &str) -> Self {
        let base = match self {
            Self::WithTool { below, .. } => *below,
            other => other,
        };
        match AgentTool::for_agent(agent) {
            Some(tool) => Self::WithTool {
                below: Box::new(base),
                tool,
            },
            None => base,
        }
    }

    /// What the plan builds from, for people: "plinth's agent image" or the Dockerfile.
    pub fn describe(&self) -> String {
        match self {
            Self::WithTool { below, tool } => {
                format!("{}, with {}", below.describe(), tool.package())
            }
            Self::Recipe(ImageRecipe::Agent { base, .. }) => {
                format!("plinth's agent image on {base}")
            }
            Self::Recipe(ImageRecipe::Dockerfile { dockerfile, .. })
            | Self::Project { dockerfile } => dockerfile.display().to_string(),
            Self::Recipe(ImageRecipe::ProjectLayer { base, .. }) => {
                format!("plinth's layer on {base}")
            }
            Self::Recipe(ImageRecipe::ToolLayer { base, tool }) => {
                format!("{} on {base}", tool.package())
            }
        }
    }
}

impl Images {
    /// Makes the plan's image ready. A project's plan reports two builds (its Dockerfile,
    /// then plinth's layer), and a tool's one more, each with its own `Started`, and one
    /// `Ready`, for the image tasks run in.
    pub async fn ensure_plan(
        &self,
        plan: &ImagePlan,
        mut on_event: impl FnMut(BuildEvent) + Send,
    ) -> Result<ImageRef, ImageError> {
        let ImagePlan::WithTool { below, tool } = plan else {
            return self.ensure_base(plan, on_event).await;
        };
        let below = self
            .ensure_base(below, |event| {
                if !matches!(event, BuildEvent::Ready(_)) {
                    on_event(event)
                }
            })
            .await?;
        let layer = ImageRecipe::ToolLayer {
            base: below.tag,
            tool: *tool,
        };
        self.ensure(&layer, on_event).await
    }

    /// The image a tool's layer goes on: one recipe, or a project's two.
    async fn ensure_base(
        &self,
        plan: &ImagePlan,
        mut on_event: impl FnMut(BuildEvent) + Send,
    ) -> Result<ImageRef, ImageError> {
        match plan {
            // `for_agent` never stacks two tools; the lower one would be lost anyway.
            ImagePlan::WithTool { below, .. } => Box::pin(self.ensure_base(below, on_event)).await,
            ImagePlan::Recipe(recipe) => self.ensure(recipe, on_event).await,
            ImagePlan::Project { dockerfile } => {
                let project = self
                    .ensure(&ImageRecipe::dockerfile(dockerfile), |event| {
                        if !matches!(event, BuildEvent::Ready(_)) {
                            on_event(event)
                        }
                    })
                    .await?;
                let layer = ImageRecipe::ProjectLayer {
                    base: project.tag,
                    ca_dir: Some(PathBuf::from(HOST_CA_DIR)),
                };
                self.ensure(&layer, on_event).await
            }
        }
    }

    /// [`Images::ensure_plan`] as a stream of events ending in [`BuildEvent::Ready`] or an
    /// error. The build runs on its own task: dropping the stream does not stop it, so the
    /// image is still cached for the next caller.
    pub fn ensure_stream(
        &self,
        plan: impl Into<ImagePlan>,
    ) -> impl Stream<Item = Result<BuildEvent, ImageError>> + Send + Unpin + 'static {
        let plan = plan.into();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let images = self.clone();
        tokio::spawn(async move {
            let events = tx.clone();
            let result = images
                .ensure_plan(&plan, move |event| {
                    if !matches!(event, BuildEvent::Ready(_)) {
                        let _ = events.send(Ok(event));
                    }
                })
                .await;
            let _ = tx.send(result.map(BuildEvent::Ready));
        });
        // poll_fn keeps the stream Unpin, so callers can `.next()` it without pinning.
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_with_a_dockerfile_builds_it_and_one_without_gets_the_agent_image() {
        let repo = tempfile::tempdir().unwrap();
        let (mut config, _) = Config::load_from(&repo.path().join("none.toml"), |_| None).unwrap();
        config.docker.base_image = "base:1".into();
        assert_eq!(
            ImagePlan::for_project(repo.path(), &config),
            ImagePlan::Recipe(ImageRecipe::agent(Some("base:1")))
        );
        std::fs::create_dir(repo.path().join("ci")).unwrap();
        std::fs::write(repo.path().join("ci/agent.Dockerfile"), "FROM x\n").unwrap();
        config.tasks.dockerfile = "ci/agent.Dockerfile".into();
        assert_eq!(
            ImagePlan::for_project(repo.path(), &config),
            ImagePlan::Project {
                dockerfile: repo.path().join("ci/agent.Dockerfile")
            }
        );
    }
}
