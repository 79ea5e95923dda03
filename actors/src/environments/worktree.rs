//! Unsafe local mode's working copy: a git worktree of the project under
//! `$PLINTH_HOME/worktrees/<task>`, on a new branch `plinth/<task>` from the base. The git
//! CLI does it, so the user's git config and hooks setup are honoured as in their own
//! worktrees.

use std::path::{Path, PathBuf};

use super::base::Base;
use super::git_cli::{self, GitCliError};
use super::repo_copy::task_branch;

#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("git {args}: {stderr}")]
    Git { args: String, stderr: String },
}

impl From<GitCliError> for WorktreeError {
    fn from(err: GitCliError) -> Self {
        match err {
            GitCliError::Io(e) => WorktreeError::Io(e),
            GitCliError::Failed { args, stderr } => WorktreeError::Git { args, stderr },
        }
    }
}

fn git(repo: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, WorktreeError> {
    Ok(git_cli::git(repo, args, stdin)?)
}

/// Adds the worktree at `path` on `plinth/<task>` from `base`; with `include_uncommitted`,
/// the project's uncommitted changes to tracked files are applied on top, uncommitted.
pub fn add(
    repo: &Path,
    path: &Path,
    task: &str,
    base: &Base,
    include_uncommitted: bool,
) -> Result<String, WorktreeError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let branch = task_branch(task);
    make(repo, path, &branch, base, include_uncommitted)?;
    Ok(branch)
}

fn make(
    repo: &Path,
    path: &Path,
    branch: &str,
    base: &Base,
    include_uncommitted: bool,
) -> Result<(), WorktreeError> {
    let shown = path.display().to_string();
    // The base goes in as the commit it was resolved to, after --end-of-options: nothing
    // the user typed can reach git as an option.
    let commit = base.commit.to_string();
    git(
        repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            branch,
            "--end-of-options",
            &shown,
            &commit,
        ],
        None,
    )?;
    if include_uncommitted {
        let diff = git(repo, &["diff", "HEAD", "--binary"], None)?;
        if !diff.is_empty() {
            git(path, &["apply", "--whitespace=nowarn", "-"], Some(&diff))?;
        }
    }
    Ok(())
}

/// Removes the worktree, whatever is in it. The branch stays: it holds the agent's work.
pub fn remove(repo: &Path, path: &Path) -> Result<(), WorktreeError> {
    if path.exists() {
        let shown = path.display().to_string();
        git(repo, &["worktree", "remove", "--force", &shown], None)?;
    }
    // A worktree deleted by hand leaves git's bookkeeping behind.
    git(repo, &["worktree", "prune"], None)?;
    Ok(())
}

/// The worktree directories under `root` (`$PLINTH_HOME/worktrees`), by task.
pub fn list(root: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut found: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    found.sort();
    found
}

/// The repository a worktree belongs to, read from its `.git` file, so a worktree with no
/// record can still be removed cleanly.
pub fn owner_repository(worktree: &Path) -> Option<PathBuf> {
    let out = git(worktree, &["rev-parse", "--git-common-dir"], None).ok()?;
    let common = PathBuf::from(String::from_utf8_lossy(&out).trim());
    let common = if common.is_absolute() {
        common
    } else {
        worktree.join(common)
    };
    common.canonicalize().ok()?.parent().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git_ok(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git_ok(dir.path(), &["init", "-q", "-b", "main"]);
        std::fs::write(dir.path().join("a.txt"), "one\n").unwrap();
        git_ok(dir.path(), &["add", "a.txt"]);
        git_ok(dir.path(), &["commit", "-q", "-m", "first"]);
        std::fs::write(dir.path().join("a.txt"), "one\ntwo\n").unwrap();
        dir
    }

    fn base(repo: &Path, name: &str) -> Base {
        super::super::base::resolve(repo, name).unwrap()
    }

    #[test]
    fn a_worktree_is_on_the_task_branch_and_leaves_uncommitted_changes_unless_asked() {
        let repo = repo();
        let home = tempfile::tempdir().unwrap();
        let clean = home.path().join("worktrees/t1");
        let dirty = home.path().join("worktrees/t2");
        assert_eq!(
            add(repo.path(), &clean, "t1", &base(repo.path(), "main"), false).unwrap(),
            "plinth/t1"
        );
        add(repo.path(), &dirty, "t2", &base(repo.path(), "main"), true).unwrap();
        assert_eq!(
            std::fs::read_to_string(clean.join("a.txt")).unwrap(),
            "one\n"
        );
        assert_eq!(
            std::fs::read_to_string(dirty.join("a.txt")).unwrap(),
            "one\ntwo\n"
        );
        let tasks: Vec<String> = list(&home.path().join("worktrees"))
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(tasks, ["t1", "t2"]);
        assert_eq!(
            owner_repository(&clean).unwrap(),
            repo.path().canonicalize().unwrap()
        );

        remove(repo.path(), &clean).unwrap();
        assert!(!clean.exists());
        // The branch stays: it holds the agent's work.
        git_ok(repo.path(), &["rev-parse", "--verify", "plinth/t1"]);
    }
}
