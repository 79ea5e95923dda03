//! Keeps an adapter's file access inside its task's working directory: relative paths are
//! taken from there, and neither `..` nor a symlink can lead out.

use std::path::{Component, Path, PathBuf};

use plinth_wasm::wit::CapError;

/// The real path `path` names, checked to lie under `root`. The file itself need not exist
/// (it may be about to be written); its nearest existing ancestor is resolved instead.
pub fn confine(root: &Path, path: &str) -> Result<PathBuf, CapError> {
    if path.is_empty() {
        return Err(CapError::Invalid("empty path".into()));
    }
    let root = root
        .canonicalize()
        .map_err(|e| CapError::Failed(format!("the workdir {}: {e}", root.display())))?;
    let joined = if Path::new(path).is_absolute() {
        PathBuf::from(path)
    } else {
        root.join(path)
    };
    let lexical = normalize(&joined);
    let (existing, rest) = split_existing(&lexical);
    let mut resolved = existing
        .canonicalize()
        .map_err(|e| CapError::Failed(format!("{}: {e}", existing.display())))?;
    // Joining an empty path would add a trailing slash, which a file does not take.
    if !rest.as_os_str().is_empty() {
        resolved.push(rest);
    }
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(CapError::AccessDenied(format!(
            "{path} is outside the task's workdir"
        )))
    }
}

/// Removes `.` and folds `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The longest existing prefix of `path`, and what follows it.
fn split_existing(path: &Path) -> (PathBuf, PathBuf) {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(name) => rest.push(name.to_owned()),
            None => break,
        }
        existing.pop();
    }
    let rest: PathBuf = rest.iter().rev().collect();
    (existing, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_taken_from_the_workdir() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(confine(&root, "a/b.txt").unwrap(), root.join("a/b.txt"));
        assert_eq!(confine(&root, "./a/../c").unwrap(), root.join("c"));
    }

    #[test]
    fn an_existing_file_resolves_to_itself() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("f.txt"), "x").unwrap();
        assert_eq!(confine(&root, "f.txt").unwrap(), root.join("f.txt"));
    }

    #[test]
    fn absolute_paths_inside_the_workdir_are_fine() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let inside = root.join("x");
        assert_eq!(confine(&root, inside.to_str().unwrap()).unwrap(), inside);
    }

    #[test]
    fn dot_dot_and_absolute_paths_cannot_leave_the_workdir() {
        let dir = tempfile::tempdir().unwrap();
        for path in ["../x", "a/../../x", "/etc/passwd"] {
            assert!(
                matches!(confine(dir.path(), path), Err(CapError::AccessDenied(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn a_symlink_cannot_lead_out_of_the_workdir() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        assert!(matches!(
            confine(dir.path(), "link/secret"),
            Err(CapError::AccessDenied(_))
        ));
    }
}
