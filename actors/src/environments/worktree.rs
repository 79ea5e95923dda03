//! Unsafe local mode's working copy: a git worktree of the project under
//! `$PLINTH_HOME/worktrees/<task>`, on a new branch `plinth/<task>` from the base. The git
//! CLI does it, so the user's git config and hooks setup are honoured as in their own
//! worktrees.
//!
//! git does not guard its worktree bookkeeping against itself: two `git worktree add` at
//! once in one repository can break each other (`failed to read .git/worktrees/<id>/
//! commondir`). So every change to a repository's worktrees here (add, remove, prune)
//! holds that repository's [`WorktreeLock`], and an add that fails takes back what it made.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::base::Base;
use super::docker::repo_copy::task_branch;
use super::git_cli::{self, GitCliError};

#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("git {args}: {stderr}")]
    Git { args: String, stderr: String },
    #[error("cannot read the repository {}: {source}", .repo.display())]
    Repository { repo: PathBuf, source: git2::Error },
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

/// Held while a repository's worktrees change: an exclusive lock on a file in the
/// repository's common git directory, so it serialises plinth's threads and processes
/// alike (a server, `plinth gc`, a second home on the same repository). Dropping it
/// unlocks.
pub struct WorktreeLock {
    _file: File,
}

/// The lock file, beside git's own files; git ignores names it does not know.
const LOCK_FILE: &str = "plinth-worktrees.lock";

impl WorktreeLock {
    /// Waits for the repository's lock.
    pub fn take(repo: &Path) -> Result<WorktreeLock, WorktreeError> {
        let common = git2::Repository::open(repo)
            .map_err(|source| WorktreeError::Repository {
                repo: repo.to_path_buf(),
                source,
            })?
            .commondir()
            .to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(common.join(LOCK_FILE))?;
        file.lock()?;
        Ok(WorktreeLock { _file: file })
    }
}

/// Adds the worktree at `path` on `plinth/<task>` from `base`; with `include_uncommitted`,
/// the project's uncommitted changes to tracked files are applied on top, uncommitted.
/// On a failure nothing of it is left: no worktree, no bookkeeping, no branch it made.
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
    let _lock = WorktreeLock::take(repo)?;
    let branch_existed = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "-q",
            &format!("refs/heads/{branch}"),
        ],
        None,
    )
    .is_ok();
    let made = make(repo, path, &branch, base, include_uncommitted);
    if let Err(err) = &made {
        tracing::warn!(%err, task, "adding the worktree failed; taking back what it made");
        take_back(repo, path, (!branch_existed).then_some(branch.as_str()));
    }
    made.map(|()| branch)
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

/// Removes what a failed add may have left: the directory, git's record of it, and the
/// branch when the add made it. Best effort: each step is tried whatever the last did.
fn take_back(repo: &Path, path: &Path, branch: Option<&str>) {
    let shown = path.display().to_string();
    let _ = git(repo, &["worktree", "remove", "--force", &shown], None);
    if path.exists() {
        let _ = std::fs::remove_dir_all(path);
    }
    let _ = git(repo, &["worktree", "prune"], None);
    if let Some(branch) = branch {
        let _ = git(
            repo,
            &["branch", "-D", "-q", "--end-of-options", branch],
            None,
        );
    }
}

/// Removes the worktree, whatever is in it. The branch stays: it holds the agent's work.
pub fn remove(repo: &Path, path: &Path) -> Result<(), WorktreeError> {
    let _lock = WorktreeLock::take(repo)?;
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

    fn worktrees(repo: &Path) -> Vec<String> {
        let out = git(repo, &["worktree", "list", "--porcelain"], None).unwrap();
        String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| l.strip_prefix("worktree ").map(str::to_string))
            .collect()
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

    #[test]
    fn a_failed_add_leaves_no_worktree_and_no_branch() {
        let repo = repo();
        git_ok(repo.path(), &["tag", "v1"]);
        git_ok(repo.path(), &["commit", "-q", "-am", "second"]);
        // Uncommitted on top of the second commit: a patch that does not apply to the first.
        std::fs::write(repo.path().join("a.txt"), "one\ntwo\nthree\n").unwrap();
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("worktrees/t3");
        let err = add(repo.path(), &path, "t3", &base(repo.path(), "v1"), true).unwrap_err();
        assert!(matches!(err, WorktreeError::Git { .. }), "{err}");
        assert!(!path.exists(), "the worktree's directory is gone");
        assert_eq!(worktrees(repo.path()).len(), 1, "only the repository's own");
        let branch = git(
            repo.path(),
            &["rev-parse", "--verify", "-q", "plinth/t3"],
            None,
        );
        assert!(branch.is_err(), "the branch the add made is gone");
    }

    #[test]
    fn many_adds_at_once_in_one_repository_all_succeed() {
        let repo = repo();
        let home = tempfile::tempdir().unwrap();
        let main = base(repo.path(), "main");
        std::thread::scope(|scope| {
            let adds: Vec<_> = (0..16)
                .map(|n| {
                    let (repo, home, main) = (repo.path(), home.path(), &main);
                    scope.spawn(move || {
                        let task = format!("c{n}");
                        add(
                            repo,
                            &home.join("worktrees").join(&task),
                            &task,
                            main,
                            false,
                        )
                    })
                })
                .collect();
            for added in adds {
                added.join().unwrap().unwrap();
            }
        });
        assert_eq!(worktrees(repo.path()).len(), 17);
        assert_eq!(list(&home.path().join("worktrees")).len(), 16);
    }
}
