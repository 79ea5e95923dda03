//! The host side of git sync on real repositories (git2 against what the git CLI made):
//! when `plinth/<id>` may be moved and when it must be left alone, and the diff of what
//! was synced. No Docker needed; the container side is in `tests/task_sync.rs`.

use std::path::Path;

use git2::{Oid, Repository};
use plinth_actors::tasks::git_sync::{self, BranchUpdate};
use plinth_testkit::git;

/// A repository on `main` and two commits on top of it, made off any branch.
fn repo() -> (tempfile::TempDir, Oid, Oid) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    std::fs::write(p.join("README.md"), "hello\n").unwrap();
    git(p, &["add", "README.md"]);
    git(p, &["commit", "-q", "-m", "first"]);
    let tree = git(p, &["rev-parse", "HEAD^{tree}"]);
    let one = git(p, &["commit-tree", "-p", "main", "-m", "agent one", &tree]);
    let two = git(p, &["commit-tree", "-p", &one, "-m", "agent two", &tree]);
    (
        dir,
        Oid::from_str(&one).unwrap(),
        Oid::from_str(&two).unwrap(),
    )
}

fn at(dir: &Path, refname: &str) -> String {
    git(dir, &["rev-parse", refname])
}

#[test]
fn the_branch_is_made_then_moved_only_from_where_plinth_left_it() {
    let (dir, one, two) = repo();
    let repo = Repository::open(dir.path()).unwrap();
    let b = "plinth/t-1";
    assert_eq!(
        git_sync::update_branch(&repo, b, one, None).unwrap(),
        BranchUpdate::Created
    );
    assert_eq!(at(dir.path(), b), one.to_string());
    assert_eq!(
        git_sync::update_branch(&repo, b, one, Some(one)).unwrap(),
        BranchUpdate::UpToDate
    );
    assert_eq!(
        git_sync::update_branch(&repo, b, two, Some(one)).unwrap(),
        BranchUpdate::Updated { from: one }
    );
    assert_eq!(at(dir.path(), b), two.to_string());
}

#[test]
fn a_branch_the_user_moved_is_left_alone() {
    let (dir, one, two) = repo();
    let repo = Repository::open(dir.path()).unwrap();
    let b = "plinth/t-1";
    git_sync::update_branch(&repo, b, one, None).unwrap();
    // The user commits to the branch.
    let tree = at(dir.path(), "main^{tree}");
    let mine = git(dir.path(), &["commit-tree", "-p", b, "-m", "mine", &tree]);
    git(
        dir.path(),
        &["update-ref", &format!("refs/heads/{b}"), &mine],
    );
    let update = git_sync::update_branch(&repo, b, two, Some(one)).unwrap();
    assert_eq!(
        update,
        BranchUpdate::Moved {
            at: Oid::from_str(&mine).unwrap()
        }
    );
    assert_eq!(at(dir.path(), b), mine, "the user's commit stays");
    // Without a record of plinth's last commit, an existing branch is the user's too.
    assert!(matches!(
        git_sync::update_branch(&repo, b, two, None).unwrap(),
        BranchUpdate::Moved { .. }
    ));
}

#[test]
fn a_checked_out_branch_is_left_alone_in_the_main_and_in_linked_worktrees() {
    let (dir, one, two) = repo();
    let repo = Repository::open(dir.path()).unwrap();
    let b = "plinth/t-1";
    git_sync::update_branch(&repo, b, one, None).unwrap();

    let linked = tempfile::tempdir().unwrap();
    let wt = linked.path().join("wt");
    git(
        dir.path(),
        &["worktree", "add", "-q", wt.to_str().unwrap(), b],
    );
    let update = git_sync::update_branch(&repo, b, two, Some(one)).unwrap();
    assert!(
        matches!(&update, BranchUpdate::CheckedOut { worktree, .. } if worktree.canonicalize().unwrap() == wt.canonicalize().unwrap()),
        "{update:?}"
    );
    assert_eq!(at(dir.path(), b), one.to_string());
    git(dir.path(), &["worktree", "remove", wt.to_str().unwrap()]);

    git(dir.path(), &["checkout", "-q", b]);
    let update = git_sync::update_branch(&repo, b, two, Some(one)).unwrap();
    assert!(
        matches!(update, BranchUpdate::CheckedOut { .. }),
        "{update:?}"
    );
    assert_eq!(at(dir.path(), b), one.to_string());
    git(dir.path(), &["checkout", "-q", "main"]);
    assert_eq!(
        git_sync::update_branch(&repo, b, two, Some(one)).unwrap(),
        BranchUpdate::Updated { from: one }
    );
}

#[test]
fn the_synced_diff_is_against_where_the_branch_left_its_base() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    std::fs::write(p.join("README.md"), "hello\n").unwrap();
    git(p, &["add", "README.md"]);
    git(p, &["commit", "-q", "-m", "first"]);
    let base = at(p, "main");
    git(p, &["checkout", "-q", "-b", "plinth/t-1"]);
    std::fs::write(p.join("README.md"), "hello\nworld\n").unwrap();
    std::fs::write(p.join("new.txt"), "a\nb\n").unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "agent"]);
    let head = Oid::from_str(&at(p, "HEAD")).unwrap();
    // main moves on after the task started: its changes are not the task's.
    git(p, &["checkout", "-q", "main"]);
    std::fs::write(p.join("other.txt"), "user\n").unwrap();
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "user"]);

    let repo = Repository::open(p).unwrap();
    let diff = git_sync::diff(&repo, "main", None, head, 1 << 20).unwrap();
    assert_eq!(diff.base.to_string(), base);
    assert_eq!(diff.summary.files_changed, 2, "{:?}", diff.summary);
    assert_eq!((diff.summary.insertions, diff.summary.deletions), (3, 0));
    assert!(diff.text.contains("+world"), "{}", diff.text);
    assert!(
        diff.text.contains("diff --git a/new.txt b/new.txt"),
        "{}",
        diff.text
    );
    assert!(!diff.text.contains("other.txt"));
    // The same diff as git's own.
    let expected = git(p, &["diff", &base, &head.to_string()]);
    assert_eq!(diff.text.trim_end(), expected);

    let cut = git_sync::diff(&repo, "main", None, head, 40).unwrap();
    assert!(cut.truncated && cut.text.len() <= 40);
}
