//! The project service: registers the git repositories plinth works on.
//!
//! A project is registered by running `plinth` inside it (the seed's onboarding: no adding
//! a project from elsewhere). Registration is idempotent: the same repository always gets
//! the same id, however it is reached (subdirectory, symlink).

use std::path::{Path, PathBuf};

use actix::{Message, ResponseFuture};
use chrono::{DateTime, Utc};
use plinth_kernel::{Child, Ctx, Handle};
use plinth_store::{NewEvent, Store, StoreError, Versioned};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const KEY_PREFIX: &str = "project/";

/// A registered project, as the API shows it.
pub type Project = ProjectV1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectV1 {
    /// `<directory name>-<6 hex>`: readable, and stable for one path.
    pub id: String,
    pub name: String,
    /// The repository's working tree root, canonical.
    pub path: PathBuf,
    pub added_at: DateTime<Utc>,
}

/// The stored shape of a project, by version.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum ProjectRecord {
    #[serde(rename = "1")]
    V1(ProjectV1),
}

impl Versioned for ProjectRecord {
    const KIND: &'static str = "project";
    type Latest = ProjectV1;

    fn into_latest(self) -> ProjectV1 {
        match self {
            ProjectRecord::V1(p) => p,
        }
    }

    fn from_latest(latest: ProjectV1) -> Self {
        ProjectRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            ProjectRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(ProjectV1))]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(
        "{path} is not inside a git repository: run `git init` there, or run plinth from your repository"
    )]
    NotARepository { path: String },
    #[error("{path} is a bare repository: plinth needs a repository with a working tree")]
    Bare { path: String },
    #[error("cannot read {path}: {detail}")]
    Unreadable { path: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct ProjectService {
    store: Store,
}

impl ProjectService {
    pub fn new(store: Store) -> Self {
        ProjectService { store }
    }
}

impl Child for ProjectService {}

/// Registers the repository around `path`; returns the project (the existing one if the
/// repository was registered before).
#[derive(Message)]
#[rtype(result = "Result<Project, ProjectError>")]
pub struct RegisterProject {
    pub path: PathBuf,
}

#[derive(Message)]
#[rtype(result = "Result<Vec<Project>, ProjectError>")]
pub struct ListProjects;

impl Handle<RegisterProject> for ProjectService {
    type Result = ResponseFuture<Result<Project, ProjectError>>;

    fn handle(&mut self, msg: RegisterProject, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let store = self.store.clone();
        Box::pin(async move {
            let root = repository_root(&msg.path)?;
            let id = project_id(&root);
            let key = format!("{KEY_PREFIX}{id}");
            if let Some(existing) = store.get_state::<ProjectRecord>(&key)? {
                return Ok(existing);
            }
            let project = ProjectV1 {
                name: directory_name(&root),
                id,
                path: root,
                added_at: Utc::now(),
            };
            let registered = NewEvent::new(
                "project.registered",
                serde_json::to_value(&project).unwrap_or_default(),
            );
            store
                .put_state_and_append(
                    &key,
                    &ProjectRecord::from_latest(project.clone()),
                    vec![registered],
                )
                .await?;
            Ok(project)
        })
    }
}

impl Handle<ListProjects> for ProjectService {
    type Result = Result<Vec<Project>, ProjectError>;

    fn handle(&mut self, _msg: ListProjects, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let mut projects: Vec<Project> = self
            .store
            .list_state::<ProjectRecord>(KEY_PREFIX)?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        projects.sort_by_key(|p| p.added_at);
        Ok(projects)
    }
}

/// The working tree root of the repository that contains `path`.
pub fn repository_root(path: &Path) -> Result<PathBuf, ProjectError> {
    let shown = path.display().to_string();
    let canonical = path
        .canonicalize()
        .map_err(|err| ProjectError::Unreadable {
            path: shown.clone(),
            detail: err.to_string(),
        })?;
    let repo = git2::Repository::discover(&canonical).map_err(|err| match err.code() {
        git2::ErrorCode::NotFound => ProjectError::NotARepository {
            path: shown.clone(),
        },
        _ => ProjectError::Unreadable {
            path: shown.clone(),
            detail: err.message().to_string(),
        },
    })?;
    let workdir = repo.workdir().ok_or(ProjectError::Bare {
        path: shown.clone(),
    })?;
    workdir
        .canonicalize()
        .map_err(|err| ProjectError::Unreadable {
            path: shown,
            detail: err.to_string(),
        })
}

fn directory_name(root: &Path) -> String {
    root.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repository".into())
}

pub fn project_id(root: &Path) -> String {
    let digest = Sha256::digest(root.as_os_str().as_encoded_bytes());
    let slug: String = directory_name(root)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    format!("{}-{}", slug.trim_matches('-'), &hex_prefix(&digest, 3))
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        dir
    }

    #[test]
    fn a_subdirectory_resolves_to_the_repository_root() {
        let dir = repo();
        let root = repository_root(&dir.path().join("sub")).unwrap();
        assert_eq!(root, dir.path().canonicalize().unwrap());
    }

    #[test]
    fn the_same_repository_always_gets_the_same_id() {
        let dir = repo();
        let a = project_id(&repository_root(dir.path()).unwrap());
        let b = project_id(&repository_root(&dir.path().join("sub")).unwrap());
        assert_eq!(a, b);
        assert!(a.len() > 7);
    }

    #[test]
    fn a_plain_directory_is_not_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        let err = repository_root(dir.path()).unwrap_err();
        assert!(matches!(err, ProjectError::NotARepository { .. }), "{err}");
        assert!(err.to_string().contains("git init"));
    }
}
