//! git by its command line, as a person would run it, and the small repositories tests
//! start from.

use std::path::Path;
use std::process::Command;

/// `git ARGS` in `dir`, with an identity of its own; what it printed, trimmed. Panics with
/// git's output on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// What `git ARGS` in `dir` prints, untrimmed; panics with git's output on failure.
pub fn git_stdout(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `git ARGS` in `dir`: its standard output, whatever the outcome (for polling until
/// something shows up).
pub fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The commit `name` is at in `repo`; empty when there is no such thing.
pub fn rev(repo: &Path, name: &str) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--verify", "-q", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new repository on `main` with one commit (a README saying hello).
pub fn repository() -> tempfile::TempDir {
    repository_with_readme("hello\n")
}

/// A new repository on `main` with one commit: a README of `readme`.
pub fn repository_with_readme(readme: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("README.md"), readme).expect("write README");
    git(dir.path(), &["add", "README.md"]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    dir
}
