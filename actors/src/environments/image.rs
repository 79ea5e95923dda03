//! What an environment's image is made from: plinth's own agent image, or a project's
//! Dockerfile, and the build context sent to the daemon.
//!
//! Images are tagged by a hash of their inputs, so "is it built?" is one lookup of a tag
//! and a changed input can never be answered by a stale image.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::dockerignore::DockerIgnore;

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
const CONTEXT_CA_DIR: &str = "ca-certificates";

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

    pub(crate) fn repo(&self) -> &'static str {
        match self {
            Self::Agent { .. } => AGENT_IMAGE_REPO,
            Self::Dockerfile { .. } => PROJECT_IMAGE_REPO,
            Self::ProjectLayer { .. } => PROJECT_AGENT_IMAGE_REPO,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Agent { .. } => "agent",
            Self::Dockerfile { .. } => "project",
            Self::ProjectLayer { .. } => "project-agent",
        }
    }
}

/// A build context as the daemon wants it: a tar archive, held in memory.
pub(crate) struct BuildContext {
    pub tar: Vec<u8>,
}

/// The agent image's context: its Dockerfile and the CA certificates to trust. The
/// directory is there even when empty, since the Dockerfile copies it.
pub(crate) fn agent_context(dockerfile: &str, ca_dir: Option<&Path>) -> io::Result<BuildContext> {
    let mut builder = tar::Builder::new(Vec::new());
    append_bytes(
        &mut builder,
        Path::new(CONTEXT_DOCKERFILE),
        dockerfile.as_bytes(),
        0o644,
    )?;
    let mut header = reproducible_header(0o755);
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    builder.append_data(&mut header, CONTEXT_CA_DIR, io::empty())?;
    for (name, pem) in ca_certificates(ca_dir)? {
        append_bytes(
            &mut builder,
            &Path::new(CONTEXT_CA_DIR).join(name),
            &pem,
            0o644,
        )?;
    }
    Ok(BuildContext {
        tar: builder.into_inner()?,
    })
}

/// The `*.crt` files directly in `dir`, sorted by name; update-ca-certificates reads no
/// other names.
fn ca_certificates(dir: Option<&Path>) -> io::Result<Vec<(std::ffi::OsString, Vec<u8>)>> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(with_path(e, dir)),
    };
    let mut certificates = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "crt") && path.is_file() {
            let pem = std::fs::read(&path).map_err(|e| with_path(e, &path))?;
            certificates.push((entry.file_name(), pem));
        }
    }
    certificates.sort();
    Ok(certificates)
}

/// A project's context directory plus its Dockerfile under [`CONTEXT_DOCKERFILE`]. The
/// archive is byte-for-byte reproducible (sorted, zeroed times and owners), so its hash
/// names the image. What the context's `.dockerignore` excludes is left out, as `docker
/// build` would; so is `.git` always: the repository reaches the container by another way,
/// and its history can dwarf everything else.
pub(crate) fn project_context(dockerfile: &Path, context: &Path) -> io::Result<BuildContext> {
    let text = std::fs::read(dockerfile).map_err(|e| with_path(e, dockerfile))?;
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let ignore = DockerIgnore::read(context).map_err(|e| with_path(e, context))?;
    append_dir(&mut builder, context, Path::new(""), &ignore)?;
    append_bytes(&mut builder, Path::new(CONTEXT_DOCKERFILE), &text, 0o644)?;
    Ok(BuildContext {
        tar: builder.into_inner()?,
    })
}

fn append_dir(
    builder: &mut tar::Builder<Vec<u8>>,
    dir: &Path,
    rel: &Path,
    ignore: &DockerIgnore,
) -> io::Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| with_path(e, dir))?
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if rel.as_os_str().is_empty() && (name == ".git" || name == CONTEXT_DOCKERFILE) {
            continue;
        }
        let path = entry.path();
        let rel_path = rel.join(&name);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| with_path(e, &path))?;
        if ignore.excludes(&rel_path) {
            if meta.is_dir() && ignore.has_exceptions() {
                append_dir(builder, &path, &rel_path, ignore)?;
            }
            continue;
        }
        let mut header = reproducible_header(permissions(&meta));
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)?;
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, &rel_path, target)?;
        } else if meta.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            builder.append_data(&mut header, &rel_path, io::empty())?;
            append_dir(builder, &path, &rel_path, ignore)?;
        } else if meta.is_file() {
            let file = std::fs::File::open(&path).map_err(|e| with_path(e, &path))?;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(meta.len());
            builder.append_data(&mut header, &rel_path, file)?;
        }
        // Sockets, fifos and devices cannot be part of an image's context.
    }
    Ok(())
}

fn append_bytes(
    builder: &mut tar::Builder<Vec<u8>>,
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> io::Result<()> {
    let mut header = reproducible_header(mode);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(bytes.len() as u64);
    builder.append_data(&mut header, path, bytes)
}

/// Times and owners zeroed, so the same files always make the same archive.
fn reproducible_header(mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mode(mode);
    header
}

#[cfg(unix)]
fn permissions(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn permissions(meta: &std::fs::Metadata) -> u32 {
    if meta.is_dir() { 0o755 } else { 0o644 }
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
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
    fn a_project_context_is_reproducible_and_leaves_out_git() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git/objects")).unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let dockerfile = dir.path().join("Dockerfile");
        let first = project_context(&dockerfile, dir.path()).unwrap().tar;
        let later = dir.path().join("src/main.rs");
        let file = std::fs::File::options().write(true).open(&later).unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(99))
            .unwrap();
        let second = project_context(&dockerfile, dir.path()).unwrap().tar;
        assert_eq!(first, second, "a touched file must not change the context");

        let mut names = Vec::new();
        for entry in tar::Archive::new(&first[..]).entries().unwrap() {
            names.push(entry.unwrap().path().unwrap().display().to_string());
        }
        assert_eq!(
            names,
            ["Dockerfile", "src", "src/main.rs", CONTEXT_DOCKERFILE],
            "{names:?}"
        );
    }

    #[test]
    fn the_agent_context_carries_only_the_crt_files_of_the_ca_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.crt"), "B").unwrap();
        std::fs::write(dir.path().join("a.crt"), "A").unwrap();
        std::fs::write(dir.path().join("README"), "not a certificate").unwrap();
        let names = |tar: &[u8]| {
            tar::Archive::new(tar)
                .entries()
                .unwrap()
                .map(|e| e.unwrap().path().unwrap().display().to_string())
                .collect::<Vec<_>>()
        };
        let with = agent_context("FROM x\n", Some(dir.path())).unwrap().tar;
        assert_eq!(
            names(&with),
            [
                CONTEXT_DOCKERFILE,
                "ca-certificates",
                "ca-certificates/a.crt",
                "ca-certificates/b.crt"
            ]
        );
        let missing = dir.path().join("missing");
        let without = agent_context("FROM x\n", Some(&missing)).unwrap().tar;
        assert_eq!(names(&without), [CONTEXT_DOCKERFILE, "ca-certificates"]);
    }

    #[test]
    fn a_project_context_honours_dockerignore() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "target/debug/big",
            "target/keep.txt",
            "src/lib.rs",
            "notes.md",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file).unwrap();
        }
        std::fs::write(
            dir.path().join(".dockerignore"),
            "target\n!target/keep.txt\n*.md\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let tar = project_context(&dir.path().join("Dockerfile"), dir.path())
            .unwrap()
            .tar;
        let names: Vec<String> = tar::Archive::new(&tar[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "src",
                "src/lib.rs",
                "target/keep.txt",
                CONTEXT_DOCKERFILE
            ]
        );
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
