//! Many local-mode tasks started at once through the CLI, each getting a git worktree of
//! the same repository: every one of them starts and finishes, and the repository is left
//! with one branch and one worktree per task, nothing half-made.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Home, git_stdout, repository, stderr, stdout};

const TASKS: usize = 30;

fn git_lines(repo: &Path, args: &[&str]) -> Vec<String> {
    git_stdout(repo, args).lines().map(str::to_string).collect()
}

#[test]
fn thirty_local_tasks_started_at_once_all_finish_and_leave_no_orphans() {
    let home = Home::new();
    let _server = home.serve();
    let repo = repository();

    // All at once: the CLI processes race each other into the server.
    let children: Vec<_> = (0..TASKS)
        .map(|n| {
            home.command(&[
                "task",
                "new",
                &format!("#!scripted\nrun echo {n} > n.txt\ncommit number {n}\nfinish"),
                "--agent",
                "scripted",
                "--sandbox",
                "local",
                "--json",
            ])
            .current_dir(repo.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut ids = BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let task: Value = serde_json::from_str(&stdout(&out)).unwrap();
        ids.insert(task["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), TASKS);

    let deadline = Instant::now() + Duration::from_secs(180);
    let mut pending = ids.clone();
    while !pending.is_empty() {
        let out = home.run(&["task", "list", "--json"]);
        let tasks: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
        for task in &tasks {
            let id = task["id"].as_str().unwrap();
            match task["status"].as_str().unwrap() {
                "finished" => {
                    pending.remove(id);
                }
                "failed" => panic!("task {id} failed: {task:#}"),
                _ => {}
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} tasks never finished: {pending:?}",
            pending.len()
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // One branch per task, each with its task's commit, and no other plinth branch.
    let branches: BTreeSet<String> = git_lines(
        repo.path(),
        &[
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/plinth/",
        ],
    )
    .into_iter()
    .collect();
    let expected: BTreeSet<String> = ids.iter().map(|id| format!("plinth/{id}")).collect();
    assert_eq!(branches, expected);
    // One worktree per task (and the repository's own), each where plinth put it.
    let worktrees: BTreeSet<String> = git_lines(repo.path(), &["worktree", "list", "--porcelain"])
        .into_iter()
        .filter_map(|l| l.strip_prefix("worktree ").map(str::to_string))
        .collect();
    let root = home.path().join("worktrees").canonicalize().unwrap();
    let mut wanted: BTreeSet<String> = ids
        .iter()
        .map(|id| root.join(id).display().to_string())
        .collect();
    wanted.insert(repo.path().canonicalize().unwrap().display().to_string());
    assert_eq!(worktrees, wanted);
    // Nothing half-made for git to clean up.
    let prune = Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["worktree", "prune", "--dry-run", "-v"])
        .output()
        .unwrap();
    assert!(prune.status.success());
    let stale = format!("{}{}", stdout(&prune), stderr(&prune));
    assert!(stale.trim().is_empty(), "{stale}");
}
