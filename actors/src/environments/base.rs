//! A task's base: the branch, tag or commit its working copy starts from, resolved to a
//! commit through git2 before any git command sees it. The name comes from the user
//! (`--base`, the API's `base`), so it is never handed to git where it could be taken for
//! an option (`-bfoo` would make a branch `foo`); git is given the resolved commit or a
//! full ref name instead.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Oid, Repository};

/// What the name named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseKind {
    Branch,
    Tag,
    Commit,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base {
    /// The name as given.
    pub name: String,
    pub kind: BaseKind,
    /// The commit it names now.
    pub commit: Oid,
}

impl Base {
    /// The full ref the name stands for (`refs/heads/…`, `refs/tags/…`); none for a commit.
    pub fn full_ref(&self) -> Option<String> {
        match self.kind {
            BaseKind::Branch => Some(format!("refs/heads/{}", self.name)),
            BaseKind::Tag => Some(format!("refs/tags/{}", self.name)),
            BaseKind::Commit => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    #[error("the base {name:?} is not a branch, tag or commit of {}", .repo.display())]
    NotFound { name: String, repo: PathBuf },
    #[error("cannot read the repository {}: {source}", .repo.display())]
    Repository {
        repo: PathBuf,
        #[source]
        source: git2::Error,
    },
}

impl BaseError {
    /// What to do about it, for the API's hint.
    pub const HINT: &'static str = "pass the name of a branch (`git branch --list`), a tag \
        (`git tag --list`) or a commit id (`git log --oneline`) of the repository";
}

/// Resolves `name` in the repository at `repo`: a local branch first, then a tag, then a
/// commit id (full or abbreviated, as hex). Revision expressions (`main~2`, `HEAD@{1}`)
/// and anything starting with `-` are refused: a base is a name, not an argument.
pub fn resolve(repo: &Path, name: &str) -> Result<Base, BaseError> {
    let git = Repository::open(repo).map_err(|source| BaseError::Repository {
        repo: repo.to_path_buf(),
        source,
    })?;
    resolve_in(&git, name)
}

/// [`resolve`] in a repository already open.
pub fn resolve_in(git: &Repository, name: &str) -> Result<Base, BaseError> {
    let repo = git.workdir().unwrap_or_else(|| git.path());
    let not_found = || BaseError::NotFound {
        name: name.to_string(),
        repo: repo.to_path_buf(),
    };
    if name.is_empty() || name.starts_with('-') {
        return Err(not_found());
    }
    for (kind, prefix) in [
        (BaseKind::Branch, "refs/heads/"),
        (BaseKind::Tag, "refs/tags/"),
    ] {
        let full = format!("{prefix}{name}");
        if !git2::Reference::is_valid_name(&full) {
            continue;
        }
        match git.find_reference(&full) {
            Ok(reference) => {
                let commit = reference.peel_to_commit().map_err(|_| not_found())?;
                return Ok(Base {
                    name: name.to_string(),
                    kind,
                    commit: commit.id(),
                });
            }
            Err(e) if e.code() == ErrorCode::NotFound => {}
            Err(source) => {
                return Err(BaseError::Repository {
                    repo: repo.to_path_buf(),
                    source,
                });
            }
        }
    }
    let hex = (4..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && let Ok(commit) = git.find_commit_by_prefix(name) {
        return Ok(Base {
            name: name.to_string(),
            kind: BaseKind::Commit,
            commit: commit.id(),
        });
    }
    Err(not_found())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(
            dir.path(),
            &["commit", "-q", "--allow-empty", "-m", "first"],
        );
        git(dir.path(), &["tag", "-a", "-m", "one", "v1"]);
        git(
            dir.path(),
            &["commit", "-q", "--allow-empty", "-m", "second"],
        );
        dir
    }

    #[test]
    fn a_branch_a_tag_and_a_commit_resolve_to_their_commit() {
        let repo = repo();
        let (head, first) = (
            git(repo.path(), &["rev-parse", "main"]),
            git(repo.path(), &["rev-parse", "v1^{commit}"]),
        );
        let branch = resolve(repo.path(), "main").unwrap();
        assert_eq!(
            (branch.kind, branch.commit.to_string()),
            (BaseKind::Branch, head)
        );
        assert_eq!(branch.full_ref().as_deref(), Some("refs/heads/main"));
        // An annotated tag is peeled to its commit.
        let tag = resolve(repo.path(), "v1").unwrap();
        assert_eq!(
            (tag.kind, tag.commit.to_string()),
            (BaseKind::Tag, first.clone())
        );
        for id in [&first[..], &first[..7]] {
            let commit = resolve(repo.path(), id).unwrap();
            assert_eq!(
                (commit.kind, commit.commit.to_string(), commit.full_ref()),
                (BaseKind::Commit, first.clone(), None)
            );
        }
    }

    #[test]
    fn options_expressions_and_unknown_names_are_refused() {
        let repo = repo();
        for name in [
            "-bfoo", "--lock", "-f", "", "nope", "main~1", "HEAD@{0}", "HEAD", "abcdef0",
        ] {
            let err = resolve(repo.path(), name).unwrap_err();
            assert!(
                err.to_string()
                    .contains(&format!("{name:?} is not a branch, tag or commit")),
                "{name}: {err}"
            );
        }
    }
}
