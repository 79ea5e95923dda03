//! Copies a project's repository into a task's container as a git repository of its own,
//! on a new branch `plinth/<task>` from a chosen base: nothing of the host is mounted, so
//! the agent cannot touch the user's working copy.
//!
//! The base goes in as a `git bundle` (made on the host with the git CLI, so the user's
//! git config and object formats are honoured), uploaded through the archive API and
//! cloned inside as the agent user. Uncommitted changes stay behind unless asked for; then
//! `git diff HEAD` is applied on top, uncommitted in the container as on the host.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bollard::query_parameters::UploadToContainerOptionsBuilder;

use super::docker::DockerClient;
use super::docker_exec::{ExecSpec, exec};
use super::image::{AGENT_UID, AGENT_USER, WORKDIR};

/// Who the agent commits as when the user's repository does not say (no `user.name`).
const FALLBACK_NAME: &str = "plinth agent";
const FALLBACK_EMAIL: &str = "agent@plinth.invalid";

/// Where the bundle and the patch are put in the container, for the time of the clone.
const DROP_DIR: &str = "/tmp";
const BUNDLE: &str = "plinth-repo.bundle";
const PATCH: &str = "plinth-uncommitted.patch";

const CLONE_TIMEOUT: Duration = Duration::from_secs(300);

/// Clones the bundle on its base branch, starts the task's branch, commits as the user
/// does, applies the patch when there is one, and removes what was uploaded. Arguments:
/// bundle, base, branch, patch, author name, author email.
const CLONE_SCRIPT: &str = r#"set -e
git clone -q -b "$2" "$1" .
git remote remove origin
git checkout -q -b "$3"
git config user.name "$5"
git config user.email "$6"
if [ -n "$4" ]; then git apply --whitespace=nowarn "$4"; fi
rm -f "$1" "$4"
git rev-parse HEAD"#;

#[derive(Debug, thiserror::Error)]
pub enum RepoCopyError {
    #[error("{0} is not a git repository")]
    NotARepository(PathBuf),
    #[error("base branch {base:?} does not exist in {repo}")]
    NoBase { repo: PathBuf, base: String },
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

#[derive(Clone, Debug)]
pub struct RepoCopy {
    /// The project's repository on the host.
    pub repo: PathBuf,
    /// The branch the task starts from.
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
    let archive = tokio::task::spawn_blocking(move || pack(&host))
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
        git(&copy.repo, &["config", key])
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
        &format!("{DROP_DIR}/{BUNDLE}"),
        &copy.base,
        &branch,
        &patch,
        &name,
        &email,
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

/// The tar to upload: the bundle of the base, and the patch when asked for.
fn pack(copy: &RepoCopy) -> Result<Vec<u8>, RepoCopyError> {
    let repo = &copy.repo;
    if git(repo, &["rev-parse", "--git-dir"]).is_err() {
        return Err(RepoCopyError::NotARepository(repo.clone()));
    }
    let commit = format!("refs/heads/{}^{{commit}}", copy.base);
    if git(repo, &["rev-parse", "--verify", "--quiet", &commit]).is_err() {
        return Err(RepoCopyError::NoBase {
            repo: repo.clone(),
            base: copy.base.clone(),
        });
    }
    // "-": the bundle comes on stdout, no temporary file needed.
    let base_ref = format!("refs/heads/{}", copy.base);
    let mut files = vec![(
        BUNDLE,
        git(repo, &["bundle", "create", "-q", "-", &base_ref])?,
    )];
    if copy.include_uncommitted {
        files.push((PATCH, git(repo, &["diff", "HEAD", "--binary"])?));
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
    Ok(tar.into_inner()?)
}

fn git(repo: &Path, args: &[&str]) -> Result<Vec<u8>, RepoCopyError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(RepoCopyError::Git {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}
