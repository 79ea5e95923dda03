//! The host side of a task's git sync, with git2 on the user's repository: taking in a
//! pack of the agent's objects, moving `plinth/<id>` only where the user has not, and
//! diffs from what was synced. Nothing here checks anything out or touches a working tree
//! or an index: only the object database and refs are written.

use std::io::Write;
use std::path::{Path, PathBuf};

use git2::{Diff, DiffFormat, DiffOptions, ErrorCode, Oid, Repository};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum GitSyncError {
    #[error("cannot open the repository {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    #[error("{what}: {source}")]
    Git {
        what: String,
        #[source]
        source: git2::Error,
    },
}

fn git_err(what: impl Into<String>) -> impl FnOnce(git2::Error) -> GitSyncError {
    let what = what.into();
    move |source| GitSyncError::Git { what, source }
}

pub fn open(path: &Path) -> Result<Repository, GitSyncError> {
    Repository::open(path).map_err(|source| GitSyncError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// The ref plinth keeps its latest synced commit of a task under, whatever became of the
/// branch: the user's moves of `plinth/<id>` never make plinth's work unreachable. Not
/// `refs/plinth/<id>`: git would resolve `plinth/<id>` to that before the branch.
pub fn kept_ref(task: &str) -> String {
    format!("refs/plinth/tasks/{task}")
}

/// A commit id as people read it: its first 12 hex digits.
pub(super) fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn branch_ref(branch: &str) -> String {
    format!("refs/heads/{branch}")
}

/// Whether the repository has the commit (and so, being complete, all it points to).
pub fn has_commit(repo: &Repository, commit: Oid) -> bool {
    repo.find_commit(commit).is_ok()
}

/// Where `refname` points, if it exists.
pub fn ref_target(repo: &Repository, refname: &str) -> Result<Option<Oid>, GitSyncError> {
    match repo.find_reference(refname) {
        Ok(r) => Ok(r.resolve().ok().and_then(|r| r.target())),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(git_err(format!("cannot read {refname}"))(e)),
    }
}

pub fn branch_target(repo: &Repository, branch: &str) -> Result<Option<Oid>, GitSyncError> {
    ref_target(repo, &branch_ref(branch))
}

/// The commit a task's base names now: a branch, a tag or a commit id (see
/// [`crate::environments::base`]); none when the repository no longer has it.
pub fn base_target(repo: &Repository, base: &str) -> Option<Oid> {
    crate::environments::base::resolve_in(repo, base)
        .ok()
        .map(|b| b.commit)
}

/// A pack being written into the repository's object database, piece by piece.
pub struct PackImport<'r> {
    writer: git2::OdbPackwriter<'r>,
}

impl<'r> PackImport<'r> {
    pub fn new(odb: &'r git2::Odb<'r>) -> Result<Self, GitSyncError> {
        let writer = odb
            .packwriter()
            .map_err(git_err("cannot start writing a pack"))?;
        Ok(PackImport { writer })
    }

    pub fn write(&mut self, chunk: &[u8]) -> Result<(), GitSyncError> {
        self.writer.write_all(chunk).map_err(|e| GitSyncError::Git {
            what: "the pack from the environment is damaged".into(),
            source: git2::Error::from_str(&e.to_string()),
        })
    }

    /// Indexes the pack and puts it in place; a truncated or corrupt pack fails here.
    pub fn finish(mut self) -> Result<(), GitSyncError> {
        self.writer
            .commit()
            .map(|_| ())
            .map_err(git_err("the pack from the environment is damaged"))
    }
}

/// Points plinth's own ref for the task at `commit`.
pub fn keep(repo: &Repository, task: &str, commit: Oid) -> Result<(), GitSyncError> {
    let name = kept_ref(task);
    repo.reference(&name, commit, true, "plinth: sync")
        .map(|_| ())
        .map_err(git_err(format!("cannot write {name}")))
}

/// What became of the user's branch `plinth/<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BranchUpdate {
    /// It did not exist; now it points at plinth's commit.
    Created,
    /// It still pointed where plinth last put it; now at plinth's commit.
    Updated { from: Oid },
    /// It already points at plinth's commit.
    UpToDate,
    /// The user moved it or committed to it: left alone.
    Moved { at: Oid },
    /// It is checked out (some worktree's HEAD): left alone, so that working tree and
    /// index stay consistent with their branch.
    CheckedOut { at: Option<Oid>, worktree: PathBuf },
}

/// Moves `branch` to `commit` only if the user cannot lose anything by it: the branch
/// does not exist yet, or still points at `last` (the commit plinth last put there), and
/// no worktree has it checked out. The write is a compare-and-swap, so a commit the user
/// makes meanwhile is not overwritten either.
pub fn update_branch(
    repo: &Repository,
    branch: &str,
    commit: Oid,
    last: Option<Oid>,
) -> Result<BranchUpdate, GitSyncError> {
    let name = branch_ref(branch);
    let current = ref_target(repo, &name)?;
    if current == Some(commit) {
        return Ok(BranchUpdate::UpToDate);
    }
    if let Some(at) = current
        && Some(at) != last
    {
        return Ok(BranchUpdate::Moved { at });
    }
    if let Some(worktree) = checked_out_in(repo, &name)? {
        return Ok(BranchUpdate::CheckedOut {
            at: current,
            worktree,
        });
    }
    let message = format!("plinth: sync {branch}");
    let written = match current {
        None => repo.reference(&name, commit, false, &message),
        Some(at) => repo.reference_matching(&name, commit, true, at, &message),
    };
    match written {
        Ok(_) => Ok(match current {
            None => BranchUpdate::Created,
            Some(from) => BranchUpdate::Updated { from },
        }),
        // Made or moved between our read and our write: the user's, so theirs.
        Err(e) if matches!(e.code(), ErrorCode::Exists | ErrorCode::Modified) => {
            match ref_target(repo, &name)? {
                Some(at) => Ok(BranchUpdate::Moved { at }),
                None => Err(git_err(format!("cannot write {name}"))(e)),
            }
        }
        Err(e) => Err(git_err(format!("cannot write {name}"))(e)),
    }
}

/// The working tree of the worktree (main or linked) whose HEAD is `refname`, if any.
pub fn checked_out_in(repo: &Repository, refname: &str) -> Result<Option<PathBuf>, GitSyncError> {
    // The main repository knows every linked worktree, whichever one `repo` was opened at.
    let main = Repository::open(repo.commondir()).map_err(git_err("cannot open the repository"))?;
    let head_is = |r: &Repository| {
        r.find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().map(|t| t == refname))
            .unwrap_or(false)
    };
    if !main.is_bare() && head_is(&main) {
        return Ok(Some(
            main.workdir().unwrap_or_else(|| main.path()).to_path_buf(),
        ));
    }
    let names = main
        .worktrees()
        .map_err(git_err("cannot list the repository's worktrees"))?;
    for name in names.iter().flatten() {
        let Ok(worktree) = main.find_worktree(name) else {
            continue;
        };
        // A worktree whose directory is gone cannot be opened; its HEAD is in the
        // repository all the same, and `git` still refuses to check its branch out elsewhere.
        let head_file = main.path().join("worktrees").join(name).join("HEAD");
        let checked_out = match Repository::open_from_worktree(&worktree) {
            Ok(r) => head_is(&r),
            Err(_) => std::fs::read_to_string(&head_file)
                .map(|s| s.trim() == format!("ref: {refname}"))
                .unwrap_or(false),
        };
        if checked_out {
            return Ok(Some(worktree.path().to_path_buf()));
        }
    }
    Ok(None)
}

/// How much a diff changes, per file and in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    pub files_changed: usize,
    pub insertions: usize,
    pub deletions: usize,
    pub files: Vec<FileChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    /// Lines added and removed; both 0 for a binary file (`binary` says so).
    pub insertions: usize,
    pub deletions: usize,
    pub binary: bool,
}

impl DiffSummary {
    /// Reads `git diff --numstat -z --no-renames` output.
    pub fn from_numstat(raw: &[u8]) -> Self {
        let mut summary = DiffSummary::default();
        for entry in raw.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let text = String::from_utf8_lossy(entry);
            let mut fields = text.splitn(3, '\t');
            let (Some(ins), Some(del), Some(path)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let binary = ins == "-" && del == "-";
            summary.push(FileChange {
                path: path.to_string(),
                insertions: ins.parse().unwrap_or(0),
                deletions: del.parse().unwrap_or(0),
                binary,
            });
        }
        summary
    }

    fn push(&mut self, file: FileChange) {
        self.files_changed += 1;
        self.insertions += file.insertions;
        self.deletions += file.deletions;
        self.files.push(file);
    }
}

/// A diff from the repository: its unified text (cut at `limit` bytes) and its summary.
pub struct RepoDiff {
    pub base: Oid,
    pub text: String,
    pub truncated: bool,
    pub summary: DiffSummary,
}

/// The task's changes as synced: from where `head` left `base_branch` (their merge-base;
/// `fallback_base` when the base branch is gone or unrelated) to `head`, tree to tree.
pub fn diff(
    repo: &Repository,
    base_branch: &str,
    fallback_base: Option<Oid>,
    head: Oid,
    limit: usize,
) -> Result<RepoDiff, GitSyncError> {
    let merge_base = base_target(repo, base_branch).and_then(|b| repo.merge_base(b, head).ok());
    let base = merge_base
        .or(fallback_base)
        .ok_or_else(|| GitSyncError::Git {
            what: format!("cannot find where the task left {base_branch}"),
            source: git2::Error::from_str("no merge-base"),
        })?;
    let tree = |oid: Oid| {
        repo.find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(git_err(format!("cannot read commit {oid}")))
    };
    let (old, new) = (tree(base)?, tree(head)?);
    let diff = repo
        .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut DiffOptions::new()))
        .map_err(git_err("cannot diff the task's branch"))?;
    let (text, truncated) = patch_text(&diff, limit)?;
    Ok(RepoDiff {
        base,
        text,
        truncated,
        summary: summarize(&diff)?,
    })
}

fn patch_text(diff: &Diff<'_>, limit: usize) -> Result<(String, bool), GitSyncError> {
    let mut out = Vec::new();
    let mut truncated = false;
    diff.print(DiffFormat::Patch, |_, _, line| {
        // Content lines come without their origin marker; headers carry their own.
        let origin = line.origin();
        let mut piece = Vec::new();
        if matches!(origin, '+' | '-' | ' ') {
            piece.push(origin as u8);
        }
        piece.extend_from_slice(line.content());
        if out.len() + piece.len() > limit {
            truncated = true;
            return false;
        }
        out.extend_from_slice(&piece);
        true
    })
    .or_else(|e| {
        // Stopping early is how the limit is kept, not a failure.
        if truncated { Ok(()) } else { Err(e) }
    })
    .map_err(git_err("cannot print the diff"))?;
    Ok((String::from_utf8_lossy(&out).into_owned(), truncated))
}

fn summarize(diff: &Diff<'_>) -> Result<DiffSummary, GitSyncError> {
    let mut summary = DiffSummary::default();
    for index in 0..diff.deltas().len() {
        let delta = diff.get_delta(index).expect("index within deltas");
        let path = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let patch = git2::Patch::from_diff(diff, index).map_err(git_err("cannot read the diff"))?;
        // The binary flag is known once the patch is made.
        let binary = patch
            .as_ref()
            .map(|p| p.delta().flags().is_binary())
            .unwrap_or(true);
        let (_, insertions, deletions) = match &patch {
            Some(p) => p.line_stats().map_err(git_err("cannot read the diff"))?,
            None => (0, 0, 0),
        };
        summary.push(FileChange {
            path,
            insertions,
            deletions,
            binary,
        });
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numstat_is_read_with_binary_files_marked() {
        let raw = b"3\t1\tsrc/a.rs\0-\t-\tlogo.png\x000\t2\told.txt\0";
        let s = DiffSummary::from_numstat(raw);
        assert_eq!((s.files_changed, s.insertions, s.deletions), (3, 3, 3));
        assert!(s.files[1].binary);
        assert_eq!(s.files[2].path, "old.txt");
    }
}
