//! Building images through the daemon's build API, once per set of inputs.
//!
//! The classic builder is used: it needs no BuildKit session (bollard's `buildkit` feature
//! would add a gRPC stack), Debian's 20.10 daemon runs it as is, and its "Step n/m" lines
//! are what progress is made of.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex};

use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion};
use futures::StreamExt;

use super::build_context::{self, BuildContext};
use super::build_output::{parse_step, strip_colours};
use super::client::{DockerClient, DockerError};
use super::image::{self, ImageRecipe};
use crate::limits::BUILD_LOG_TAIL_LINES;

/// What happens while an image is made ready, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildEvent {
    /// The image for these inputs exists already; nothing is built.
    CacheHit { tag: String },
    /// A build of `tag` starts.
    Started { tag: String },
    /// The builder moved to step `step` of `total`.
    Step {
        step: u32,
        total: u32,
        instruction: String,
    },
    /// A line the build printed.
    Output { line: String },
    /// The image is ready (the last event of a stream that succeeded).
    Ready(ImageRef),
}

/// A ready image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub tag: String,
    pub id: String,
    /// True when no build was needed.
    pub cached: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error(
        "base image {base} is not in the local Docker; run scripts/docker-setup.sh (it builds \
         {default} offline) or set {env} to an image you have",
        default = image::DEFAULT_BASE_IMAGE,
        env = image::BASE_IMAGE_ENV
    )]
    BaseMissing { base: String },
    #[error("cannot read the build context: {0}")]
    Context(#[source] std::io::Error),
    #[error("building {tag} failed: {message}\n--- last lines of the build log ---\n{}", log_tail.join("\n"))]
    BuildFailed {
        tag: String,
        message: String,
        log_tail: Vec<String>,
    },
}

impl From<bollard::errors::Error> for ImageError {
    fn from(error: bollard::errors::Error) -> Self {
        Self::Docker(DockerError::Api(error))
    }
}

/// One lock per tag for the whole process, so tasks that need the same image at once wait
/// for one build instead of each running its own, whichever [`Images`] they hold.
static BUILDING: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

/// Makes images ready. Cheap to clone.
#[derive(Clone)]
pub struct Images {
    client: DockerClient,
    labels: BTreeMap<String, String>,
}

/// A recipe with its inputs resolved: the tag it will have and what to send the daemon.
struct Resolved {
    tag: String,
    hash: String,
    context: BuildContext,
}

impl Images {
    pub fn new(client: DockerClient) -> Self {
        Self {
            client,
            labels: BTreeMap::new(),
        }
    }

    /// Extra labels for every image built (tests mark theirs to clean them up).
    pub fn with_labels(mut self, labels: impl IntoIterator<Item = (String, String)>) -> Self {
        self.labels.extend(labels);
        self
    }

    pub fn client(&self) -> &DockerClient {
        &self.client
    }

    /// The tag `recipe` builds to, without building anything.
    pub async fn tag_of(&self, recipe: &ImageRecipe) -> Result<String, ImageError> {
        Ok(self.resolve(recipe).await?.tag)
    }

    /// Makes the image ready, reporting progress to `on_event`; builds only when no image
    /// has these inputs' tag.
    pub async fn ensure(
        &self,
        recipe: &ImageRecipe,
        mut on_event: impl FnMut(BuildEvent) + Send,
    ) -> Result<ImageRef, ImageError> {
        let Resolved { tag, hash, context } = self.resolve(recipe).await?;
        if let Some(id) = self.image_id(&tag).await? {
            return Ok(self.ready(&tag, id, true, &mut on_event));
        }
        let lock = self.lock_for(&tag);
        let _guard = lock.lock().await;
        // Another caller may have built it while this one waited.
        if let Some(id) = self.image_id(&tag).await? {
            return Ok(self.ready(&tag, id, true, &mut on_event));
        }
        on_event(BuildEvent::Started { tag: tag.clone() });
        self.build(recipe, &tag, hash, context, &mut on_event)
            .await?;
        let id = self
            .image_id(&tag)
            .await?
            .ok_or_else(|| ImageError::BuildFailed {
                tag: tag.clone(),
                message: "the build finished but the image is not there".into(),
                log_tail: Vec::new(),
            })?;
        Ok(self.ready(&tag, id, false, &mut on_event))
    }

    async fn resolve(&self, recipe: &ImageRecipe) -> Result<Resolved, ImageError> {
        let (hash, context) = match recipe {
            ImageRecipe::Agent { base, ca_dir } | ImageRecipe::ProjectLayer { base, ca_dir } => {
                let base_id = self
                    .image_id(base)
                    .await?
                    .ok_or_else(|| ImageError::BaseMissing { base: base.clone() })?;
                let dockerfile = match recipe {
                    ImageRecipe::ProjectLayer { .. } => image::project_layer_dockerfile(base),
                    _ => image::agent_dockerfile(base),
                };
                let context = build_context::agent_context(&dockerfile, ca_dir.as_deref())
                    .map_err(ImageError::Context)?;
                // The context holds the Dockerfile and the certificates it copies.
                let hash = image::inputs_hash(&[&context.tar, base_id.as_bytes()]);
                (hash, context)
            }
            ImageRecipe::ToolLayer { base, tool } => {
                let base_id = self
                    .image_id(base)
                    .await?
                    .ok_or_else(|| ImageError::BaseMissing { base: base.clone() })?;
                let dockerfile = image::tool_layer_dockerfile(base, *tool);
                let context =
                    build_context::agent_context(&dockerfile, None).map_err(ImageError::Context)?;
                let hash = image::inputs_hash(&[&context.tar, base_id.as_bytes()]);
                (hash, context)
            }
            ImageRecipe::Dockerfile {
                dockerfile,
                context,
            } => {
                let (dockerfile, context) = (dockerfile.clone(), context.clone());
                // Reading a project tree is blocking file I/O.
                let context = tokio::task::spawn_blocking(move || {
                    build_context::project_context(&dockerfile, &context)
                })
                .await
                .map_err(|e| ImageError::Context(std::io::Error::other(e)))?
                .map_err(ImageError::Context)?;
                (image::inputs_hash(&[&context.tar]), context)
            }
        };
        Ok(Resolved {
            tag: image::tag_for(&recipe.repo(), &hash),
            hash,
            context,
        })
    }

    async fn build(
        &self,
        recipe: &ImageRecipe,
        tag: &str,
        hash: String,
        context: BuildContext,
        on_event: &mut (impl FnMut(BuildEvent) + Send),
    ) -> Result<(), ImageError> {
        let mut labels: HashMap<String, String> = self.labels.clone().into_iter().collect();
        labels.insert("plinth.version".into(), env!("CARGO_PKG_VERSION").into());
        labels.insert("plinth.image".into(), recipe.kind().into());
        labels.insert("plinth.inputs".into(), hash);
        let options = BuildImageOptionsBuilder::default()
            .dockerfile(image::CONTEXT_DOCKERFILE)
            .t(tag)
            .rm(true)
            // A failed step's container would otherwise stay behind after every failure.
            .forcerm(true)
            .labels(&labels)
            .version(BuilderVersion::BuilderV1)
            .build();
        let mut stream = self.client.api().build_image(
            options,
            None,
            Some(bollard::body_full(context.tar.into())),
        );
        let mut log = BuildLog::default();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(text) = info.stream {
                        log.push(&text, on_event);
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    log.flush(on_event);
                    return Err(ImageError::BuildFailed {
                        tag: tag.to_string(),
                        message: error.trim().to_string(),
                        log_tail: log.tail.into(),
                    });
                }
                // A Dockerfile the builder cannot parse is refused before any step runs.
                Err(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
                    log.flush(on_event);
                    return Err(ImageError::BuildFailed {
                        tag: tag.to_string(),
                        message: message.trim().to_string(),
                        log_tail: log.tail.into(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        log.flush(on_event);
        Ok(())
    }

    async fn image_id(&self, name: &str) -> Result<Option<String>, ImageError> {
        match self.client.api().inspect_image(name).await {
            Ok(image) => Ok(Some(image.id.unwrap_or_default())),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    fn lock_for(&self, tag: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut building = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
        building.entry(tag.to_string()).or_default().clone()
    }

    fn ready(
        &self,
        tag: &str,
        id: String,
        cached: bool,
        on_event: &mut impl FnMut(BuildEvent),
    ) -> ImageRef {
        if cached {
            on_event(BuildEvent::CacheHit { tag: tag.into() });
        }
        let image = ImageRef {
            tag: tag.into(),
            id,
            cached,
        };
        on_event(BuildEvent::Ready(image.clone()));
        image
    }
}

/// The build's output, cut into lines (the daemon sends arbitrary chunks), turned into
/// events, with the last lines kept for an error.
#[derive(Default)]
struct BuildLog {
    partial: String,
    tail: VecDeque<String>,
}

impl BuildLog {
    fn push(&mut self, chunk: &str, on_event: &mut impl FnMut(BuildEvent)) {
        self.partial.push_str(chunk);
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            self.line(line.trim_end_matches(['\n', '\r']), on_event);
        }
    }

    fn flush(&mut self, on_event: &mut impl FnMut(BuildEvent)) {
        let rest = std::mem::take(&mut self.partial);
        if !rest.trim().is_empty() {
            self.line(rest.trim_end(), on_event);
        }
    }

    fn line(&mut self, line: &str, on_event: &mut impl FnMut(BuildEvent)) {
        let line = &strip_colours(line);
        if self.tail.len() == BUILD_LOG_TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.to_string());
        on_event(match parse_step(line) {
            Some((step, total, instruction)) => BuildEvent::Step {
                step,
                total,
                instruction: instruction.to_string(),
            },
            None => BuildEvent::Output { line: line.into() },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_cut_into_lines_and_the_tail_is_bounded() {
        let mut log = BuildLog::default();
        let mut events = Vec::new();
        let mut record = |e: BuildEvent| events.push(e);
        log.push("Step 1/2 : FROM base\n ---> 12", &mut record);
        log.push("34\nhel", &mut record);
        log.push("lo\n", &mut record);
        for i in 0..BUILD_LOG_TAIL_LINES {
            log.push(&format!("line {i}\n"), &mut record);
        }
        log.push("no newline at the end", &mut record);
        log.flush(&mut record);
        assert_eq!(
            events[..3],
            [
                BuildEvent::Step {
                    step: 1,
                    total: 2,
                    instruction: "FROM base".into()
                },
                BuildEvent::Output {
                    line: " ---> 1234".into()
                },
                BuildEvent::Output {
                    line: "hello".into()
                },
            ]
        );
        assert_eq!(log.tail.len(), BUILD_LOG_TAIL_LINES);
        assert_eq!(log.tail.back().unwrap(), "no newline at the end");
        assert_eq!(log.tail.front().unwrap(), "line 1");
    }
}
