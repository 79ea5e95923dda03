//! What an environment's image is made from: plinth's own agent image, or a project's
//! Dockerfile (the build context sent to the daemon is made in `build_context`).
//!
//! Images are tagged by a hash of their inputs, so "is it built?" is one lookup of a tag
//! and a changed input can never be answered by a stale image.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use super::agent_tools::{AgentTool, tool_layer_dockerfile};

/// The base when nothing is configured: made offline by `scripts/docker-setup.sh`, since no
/// registry can be pulled from on the machines plinth is tested on.
pub const DEFAULT_BASE_IMAGE: &str = "plinth-base:bookworm";
/// Overrides the configured base image.
pub const BASE_IMAGE_ENV: &str = "PLINTH_BASE_IMAGE";
/// The Claude Code release the agent image installs; tested with the image in
/// `actors/tests/images.rs`. It is a native binary behind an npm wrapper.
pub const CLAUDE_CODE_VERSION: &str = "2.1.332";
pub const AGENT_IMAGE_REPO: &str = "plinth-agent";
pub const PROJECT_IMAGE_REPO: &str = "plinth-project";
/// A project's image with what plinth needs layered on top (see [`project_layer_dockerfile`]).
pub const PROJECT_AGENT_IMAGE_REPO: &str = "plinth-project-agent";
/// The non-root user agents run as; Claude Code refuses to skip permission prompts as root.
pub const AGENT_USER: &str = "agent";
pub const AGENT_UID: u32 = 1000;
pub const WORKDIR: &str = "/workspace";

/// The name the Dockerfile has inside every build context, so a project's Dockerfile may
/// live anywhere, even outside its context directory.
pub(crate) const CONTEXT_DOCKERFILE: &str = "Dockerfile.plinth";

/// The base image: `PLINTH_BASE_IMAGE`, else the config file's value, else the default.
pub fn base_image(configured: Option<&str>) -> String {
    std::env::var(BASE_IMAGE_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| configured.map(str::to_string))
        .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_string())
}

/// Where Debian keeps locally added CA certificates. The agent image trusts the host's: on a
/// network behind a TLS-inspecting proxy, npm in the build and the agent at run time meet
/// the same proxy as the host does.
pub const HOST_CA_DIR: &str = "/usr/local/share/ca-certificates";

/// The context directory the host's CA certificates are copied into.
pub(crate) const CONTEXT_CA_DIR: &str = "ca-certificates";

/// plinth's agent image on top of `base`. Everything comes from Debian and npm, the two
/// registries a build can reach here. The apt step comes first and alone, so the daemon's
/// layer cache keeps it when only the Claude Code version or the certificates change.
pub fn agent_dockerfile(base: &str) -> String {
    format!(
        r#"FROM {base}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends git tmux ca-certificates curl nodejs npm \
 && rm -rf /var/lib/apt/lists/*
COPY {CONTEXT_CA_DIR}/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV LANG=C.UTF-8 NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN npm install -g --no-fund --no-audit --no-update-notifier @anthropic-ai/claude-code@{CLAUDE_CODE_VERSION} \
 && npm cache clean --force \
 && claude --version
RUN useradd --create-home --uid {AGENT_UID} --user-group --shell /bin/bash {AGENT_USER} \
 && mkdir -p {WORKDIR} \
 && chown {AGENT_USER}:{AGENT_USER} {WORKDIR}
USER {AGENT_USER}
WORKDIR {WORKDIR}
"#
    )
}

/// What plinth needs in a project's image, added on top of it where missing: git and tmux
/// (through apt-get when the image has it; otherwise the build fails saying what to add),
/// Claude Code when npm is there to install it, the host's CA certificates, the `agent`
/// user with uid 1000 (the repository is copied in owned by that uid; an image whose uid
/// 1000 has another name gets `agent` as a second name for it) and the workdir. Everything
/// is conditional, so an image made from plinth's own agent image gains nothing but a layer.
pub fn project_layer_dockerfile(base: &str) -> String {
    format!(
        r#"FROM {base}
USER root
COPY {CONTEXT_CA_DIR}/ /usr/local/share/ca-certificates/
RUN set -e; \
 missing=""; \
 command -v git >/dev/null 2>&1 || missing="$missing git"; \
 command -v tmux >/dev/null 2>&1 || missing="$missing tmux"; \
 if [ -n "$missing" ]; then \
   if command -v apt-get >/dev/null 2>&1; then \
     apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing ca-certificates \
     && rm -rf /var/lib/apt/lists/*; \
   else \
     echo "plinth: this image has no$missing and no apt-get to install it with; install$missing in your Dockerfile" >&2; exit 1; \
   fi; \
 fi; \
 if command -v update-ca-certificates >/dev/null 2>&1; then update-ca-certificates >/dev/null; fi; \
 if ! command -v claude >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
   npm install -g --no-fund --no-audit --no-update-notifier @anthropic-ai/claude-code@{CLAUDE_CODE_VERSION} && npm cache clean --force; \
 fi; \
 if ! id -u {AGENT_USER} >/dev/null 2>&1; then \
   if getent group {AGENT_UID} >/dev/null 2>&1; then group="-g {AGENT_UID}"; else group="-U"; fi; \
   useradd --create-home --non-unique --uid {AGENT_UID} $group --shell /bin/sh {AGENT_USER}; \
 fi; \
 mkdir -p {WORKDIR} && chown {AGENT_UID} {WORKDIR}
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
USER {AGENT_USER}
WORKDIR {WORKDIR}
"#
    )
}

/// How to make an environment's image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRecipe {
    /// plinth's agent image (git, tmux, Claude Code) on top of `base`, trusting the `*.crt`
    /// certificates in `ca_dir` (none when it is `None` or missing).
    Agent {
        base: String,
        ca_dir: Option<PathBuf>,
    },
    /// A project's own Dockerfile, built with `context` as its build context.
    Dockerfile {
        dockerfile: PathBuf,
        context: PathBuf,
    },
    /// What plinth needs, on top of the project's image `base` (see
    /// [`project_layer_dockerfile`]).
    ProjectLayer {
        base: String,
        ca_dir: Option<PathBuf>,
    },
    /// A built-in adapter's CLI on top of `base` (see [`tool_layer_dockerfile`]).
    ToolLayer { base: String, tool: AgentTool },
}

impl ImageRecipe {
    /// The agent image on the configured base (see [`base_image`]), trusting the host's
    /// local CA certificates.
    pub fn agent(configured_base: Option<&str>) -> Self {
        Self::Agent {
            base: base_image(configured_base),
            ca_dir: Some(PathBuf::from(HOST_CA_DIR)),
        }
    }

    /// A project's Dockerfile, with its own directory as the context.
    pub fn dockerfile(path: impl Into<PathBuf>) -> Self {
        let dockerfile = path.into();
        let context = dockerfile
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::Dockerfile {
            dockerfile,
            context,
        }
    }

    pub(crate) fn repo(&self) -> String {
        match self {
            Self::Agent { .. } => AGENT_IMAGE_REPO.to_string(),
            Self::Dockerfile { .. } => PROJECT_IMAGE_REPO.to_string(),
            Self::ProjectLayer { .. } => PROJECT_AGENT_IMAGE_REPO.to_string(),
            Self::ToolLayer { tool, .. } => tool.image_repo(),
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Agent { .. } => "agent",
            Self::Dockerfile { .. } => "project",
            Self::ProjectLayer { .. } => "project-agent",
            Self::ToolLayer { .. } => "agent-tool",
        }
    }
}

/// The hex sha256 of `parts`, each length-prefixed so two different splits of the same
/// bytes cannot collide.
pub(crate) fn inputs_hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// `repo:<first 12 hex digits of the inputs' hash>`.
pub(crate) fn tag_for(repo: &str, hash: &str) -> String {
    format!("{repo}:{}", &hash[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_dockerfile_pins_claude_code_and_runs_as_agent() {
        let text = agent_dockerfile("example/base:1");
        assert!(text.starts_with("FROM example/base:1\n"));
        assert!(text.contains(&format!("@anthropic-ai/claude-code@{CLAUDE_CODE_VERSION}")));
        assert!(text.contains("USER agent\nWORKDIR /workspace\n"));
        // The classic builder rejects a `# syntax=` line without BuildKit.
        assert!(!text.contains("# syntax"));
    }

    #[test]
    fn the_tag_is_the_first_twelve_digits_of_the_hash() {
        let hash = inputs_hash(&[b"FROM x\n", b"sha256:abc"]);
        assert_eq!(hash.len(), 64);
        assert_eq!(
            tag_for("plinth-agent", &hash),
            format!("plinth-agent:{}", &hash[..12])
        );
        assert_ne!(hash, inputs_hash(&[b"FROM x\nsha256:abc"]));
    }

    #[test]
    fn a_dockerfile_recipe_uses_its_directory_as_context() {
        assert_eq!(
            ImageRecipe::dockerfile("/repo/docker/Dockerfile"),
            ImageRecipe::Dockerfile {
                dockerfile: "/repo/docker/Dockerfile".into(),
                context: "/repo/docker".into(),
            }
        );
        assert_eq!(
            ImageRecipe::dockerfile("Dockerfile"),
            ImageRecipe::Dockerfile {
                dockerfile: "Dockerfile".into(),
                context: ".".into(),
            }
        );
    }
}
