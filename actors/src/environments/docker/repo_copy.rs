//! Copies a project's repository into a task's container as a git repository of its own,
//! on a new branch `plinth/<task>` from a chosen base: nothing of the host is mounted, so
//! the agent cannot touch the user's working copy.
//!
//! The base (a branch, a tag or a commit, see [`crate::environments::base`]) goes in as a pack of
//! everything its commit reaches, made on the host with `git pack-objects` (so the user's
//! git config and object format are honoured), uploaded through the archive API and
//! indexed inside, as the agent user, into a new repository whose branch starts at that
//! commit. A branch or tag base is made there too under its own name, so the agent sees
//! the base as the user named it. Uncommitted changes stay behind unless asked for; then
//! `git diff HEAD` is applied on top, uncommitted in the container as on the host.

use std::path::{Path, PathBuf};

use bollard::query_parameters::UploadToContainerOptionsBuilder;

use super::client::DockerClient;
use super::exec::{ExecSpec, exec};
use super::image::{AGENT_UID, AGENT_USER, WORKDIR};
use crate::environments::base::{self, BaseError};
use crate::environments::git_cli::{self, GitCliError};
use crate::limits::CLONE_TIMEOUT;

/// Who the agent commits as when the user's repository does not say (no `user.name`).
const FALLBACK_NAME: &str = "plinth agent";
const FALLBACK_EMAIL: &str = "agent@plinth.invalid";

/// Where the pack and the patch are put in the container, for the time of the copy.
const DROP_DIR: &str = "/tmp";
const PACK: &str = "plinth-repo.pack";
const PATCH: &str = "plinth-uncommitted.patch";

/// Makes the repository from the pack, starts the task's branch at the base's commit, makes
/// the base's own ref when it has one, commits as the user does, applies the patch when
/// there is one, and removes what was uploaded. Arguments: pack, base commit, branch,
/// patch, author name, author email, the base's full ref (or nothing), object format.
const CLONE_SCRIPT: &str = r#"set -e
git init -q --object-format="$8" .
git index-pack --stdin < "$1" > /dev/null
git checkout -q -b "$3" "$2"
if [ -n "$7" ]; then git update-ref "$7" "$2"; fi
git config user.name "$5"
git config user.email "$6"
if [ -n "$4" ]; then git apply --whitespace=nowarn "$4"; fi
rm -f "$1" "$4"
git rev-parse HEAD"#;

#[derive(Debug, thiserror::Error)]
pub enum RepoCopyError {
    #[error("{0} is not a git repository")]
    NotARepository(PathBuf),
    #[error("the base {base:?} is not a branch, tag or commit of {}", .repo.display())]
    NoBase { repo: PathBuf, base: String },
    #[error(transparent)]
    Base(BaseError),
    #[error("git {args}: {stderr}")]
    Git { args: String, stderr: String },
    #[error("cannot upload the repository into container {container}: {source}")]
    Upload {
        container: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("cloning in container {container} failed: {detail}")]
    Clone { container: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<BaseError> for RepoCopyError {
    fn from(err: BaseError) -> Self {
        match err {
            BaseError::NotFound { name, repo } => RepoCopyError::NoBase { repo, base: name },
            other => RepoCopyError::Base(other),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RepoCopy {
    /// The project's repository on the host.
    pub repo: PathBuf,
    /// The branch, tag or commit the task starts from, as the user named it.
    pub base: String,
    pub task: String,
    /// Carry the user's uncommitted changes to tracked files.
    pub include_uncommitted: bool,
}

/// What ended up in the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopiedRepo {
    pub branch: String,
    /// The commit the branch starts at.
    pub head: String,
}

/// The branch a task works on.
pub fn task_branch(task: &str) -> String {
    format!("plinth/{task}")
}

/// Copies `copy.repo` into `container` at the image's workdir.
pub async fn copy_repo(
    client: &DockerClient,
    container: &str,
    copy: &RepoCopy,
) -> Result<CopiedRepo, RepoCopyError> {
    let host = copy.clone();
    let Packed {
        archive,
        base,
        object_format,
    } = tokio::task::spawn_blocking(move || pack(&host))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    let options = UploadToContainerOptionsBuilder::new()
        .path(DROP_DIR)
        .build();
    client
        .api()
        .upload_to_container(container, Some(options), bollard::body_full(archive.into()))
        .await
        .map_err(|source| RepoCopyError::Upload {
            container: container.into(),
            source,
        })?;
    let branch = task_branch(&copy.task);
    let patch = if copy.include_uncommitted {
        format!("{DROP_DIR}/{PATCH}")
    } else {
        String::new()
    };
    // The agent's commits are the user's work: they carry the user's identity, as commits
    // made in a worktree of the same repository (local mode) do.
    let identity = |key: &str, fallback: &str| {
        git(&copy.repo, &["config", key], None)
            .ok()
            .map(|v| String::from_utf8_lossy(&v).trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| fallback.to_string())
    };
    let (name, email) = (
        identity("user.name", FALLBACK_NAME),
        identity("user.email", FALLBACK_EMAIL),
    );
    let command = [
        "sh",
        "-c",
        CLONE_SCRIPT,
        "plinth-clone",
        &format!("{DROP_DIR}/{PACK}"),
        &base.commit.to_string(),
        &branch,
        &patch,
        &name,
        &email,
        &base.full_ref().unwrap_or_default(),
        &object_format,
    ];
    let out = exec(
        client.api(),
        container,
        ExecSpec {
            command: command.map(String::from).to_vec(),
            user: AGENT_USER.into(),
            workdir: Some(WORKDIR.into()),
            env: Vec::new(),
            stdin: None,
            timeout: CLONE_TIMEOUT,
        },
    )
    .await
    .map_err(|e| RepoCopyError::Clone {
        container: container.into(),
        detail: format!("{e:?}"),
    })?;
    if out.exit_code != 0 {
        return Err(RepoCopyError::Clone {
            container: container.into(),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(CopiedRepo {
        branch,
        head: String::from_utf8_lossy(&out.stdout).trim().to_string(),
    })
}

/// What goes into the container, and what it was made from.
struct Packed {
    /// The tar to upload: the pack, and the patch when asked for.
    archive: Vec<u8>,
    base: base::Base,
    /// `sha1` or `sha256`: the repository in the container must read the pack's ids.
    object_format: String,
}

/// The base, resolved before git sees it, and the tar to upload.
fn pack(copy: &RepoCopy) -> Result<Packed, RepoCopyError> {
    let repo = &copy.repo;
    if git(repo, &["rev-parse", "--git-dir"], None).is_err() {
        return Err(RepoCopyError::NotARepository(repo.clone()));
    }
    let base = base::resolve(repo, &copy.base)?;
    let object_format =
        String::from_utf8_lossy(&git(repo, &["rev-parse", "--show-object-format"], None)?)
            .trim()
            .to_string();
    // The commit comes on stdin, as the commit id it was resolved to: nothing the user
    // typed reaches git's arguments. The pack comes on stdout, no temporary file needed.
    let wanted = format!("{}\n", base.commit);
    let mut files = vec![(
        PACK,
        git(
            repo,
            &["pack-objects", "--revs", "--stdout", "-q"],
            Some(wanted.as_bytes()),
        )?,
    )];
    if copy.include_uncommitted {
        files.push((PATCH, git(repo, &["diff", "HEAD", "--binary"], None)?));
    }
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        // Owned by the agent, who clones it and then removes it.
        header.set_uid(u64::from(AGENT_UID));
        header.set_gid(u64::from(AGENT_UID));
        header.set_cksum();
        tar.append_data(&mut header, name, data.as_slice())?;
    }
    Ok(Packed {
        archive: tar.into_inner()?,
        base,
        object_format,
    })
}

impl From<GitCliError> for RepoCopyError {
    fn from(err: GitCliError) -> Self {
        match err {
            GitCliError::Io(e) => RepoCopyError::Io(e),
            GitCliError::Failed { args, stderr } => RepoCopyError::Git { args, stderr },
        }
    }
}

fn git(repo: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, RepoCopyError> {
    Ok(git_cli::git(repo, args, stdin)?)
}
