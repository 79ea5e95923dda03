//! A project's repository: the root of the one around a path, and the stable id it gets.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::ProjectError;

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

pub(super) fn directory_name(root: &Path) -> String {
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
