//! A task's base (`--base`, the API's `base`) is a branch, a tag or a commit of the
//! repository, resolved before anything runs: a value git would take for an option
//! (`-bfoo` makes a branch `foo`, `--lock`, `-f`) or a name the repository does not have
//! is refused with a clear error, through the CLI and the API, for both sandboxes, and
//! the repository is left as it was.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{
    Home, Server, containers_of, git, git_stdout, remove_containers_of, repository, served, stderr,
    stdout,
};

const BAD_BASES: [&str; 4] = ["-bfoo", "--lock", "-f", "no-such-branch"];

/// The repository's refs and worktrees, to show that nothing changed.
fn repo_state(repo: &Path) -> String {
    format!(
        "{}\n{}",
        git_stdout(repo, &["for-each-ref", "--format=%(refname) %(objectname)"]),
        git_stdout(repo, &["worktree", "list", "--porcelain"])
    )
}

#[test]
fn the_cli_refuses_a_base_that_is_not_a_branch_tag_or_commit_and_touches_nothing() {
    let home = Home::new();
    let _server = home.serve();
    let repo = repository();
    let before = repo_state(repo.path());
    for sandbox in ["local", "docker"] {
        for base in BAD_BASES {
            let out = home
                .command(&[
                    "task",
                    "new",
                    "#!scripted\nfinish",
                    "--agent",
                    "scripted",
                    "--sandbox",
                    sandbox,
                    &format!("--base={base}"),
                ])
                .current_dir(repo.path())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{sandbox} {base}: {out:?}");
            let text = stderr(&out);
            assert!(
                text.contains(&format!("{base:?} is not a branch, tag or commit")),
                "{sandbox} {base}: {text}"
            );
        }
    }
    let listed = stdout(&home.run(&["task", "list", "--all", "--json"]));
    assert_eq!(listed.trim(), "[]", "no task was made");
    assert_eq!(
        repo_state(repo.path()),
        before,
        "the repository is untouched"
    );
}

async fn create(server: &Server, body: Value) -> (StatusCode, Value) {
    let res = server.post("/api/tasks").json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn the_api_answers_400_for_a_base_that_is_not_a_branch_tag_or_commit() {
    let (_home, server, repo) = served();
    let before = repo_state(repo.path());
    for sandbox in ["local", "docker"] {
        for base in BAD_BASES {
            let (status, error) = create(
                &server,
                json!({"prompt": "#!scripted\nfinish", "repo": repo.path(), "agent": "scripted",
                       "sandbox": sandbox, "base": base}),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{sandbox} {base}: {error}");
            let text = error["error"].as_str().unwrap_or_default();
            assert!(
                text.contains(&format!("{base:?} is not a branch, tag or commit")),
                "{text}"
            );
            assert!(error["hint"].is_string(), "says how to fix it: {error}");
        }
    }
    let tasks: Vec<Value> = server.get_json("/api/tasks?archived=true").await;
    assert!(tasks.is_empty(), "{tasks:?}");
    assert_eq!(
        repo_state(repo.path()),
        before,
        "the repository is untouched"
    );
}

async fn wait_finished(server: &Server, id: &str, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if task["status"] == "finished" || task["status"] == "failed" {
            return task;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {task:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn rev(repo: &Path, what: &str) -> String {
    git_stdout(repo, &["rev-parse", "--verify", what])
        .trim()
        .to_string()
}

/// A repository whose `main` has moved on from a tagged first commit.
fn repository_with_history() -> tempfile::TempDir {
    let repo = repository();
    git(repo.path(), &["tag", "v1"]);
    std::fs::write(repo.path().join("later.txt"), "later\n").unwrap();
    git(repo.path(), &["add", "later.txt"]);
    git(repo.path(), &["commit", "-q", "-m", "later"]);
    repo
}

/// The task starts at the base's commit, whatever names it, and its work comes back on
/// its branch on top of it.
async fn a_task_starts_from(server: &Server, repo: &Path, sandbox: &str, base: &str) {
    let start = rev(repo, &format!("{base}^{{commit}}"));
    let (status, task) = create(
        server,
        json!({"prompt": "#!scripted\nrun echo hi > hi.txt\ncommit from the base\nfinish",
               "repo": repo, "agent": "scripted", "sandbox": sandbox, "base": base}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sandbox} {base}: {task}");
    let id = task["id"].as_str().unwrap().to_string();
    assert_eq!(task["base_branch"], base, "{task}");
    let done = wait_finished(server, &id, Duration::from_secs(300)).await;
    assert_eq!(done["status"], "finished", "{sandbox} {base}: {done:#}");
    let branch = format!("plinth/{id}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--verify", "-q", &format!("{branch}:hi.txt")])
        .output()
        .unwrap()
        .stdout
        .is_empty()
    {
        assert!(Instant::now() < deadline, "{branch} never got its commit");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        rev(repo, &format!("{branch}~1")),
        start,
        "{sandbox} {base}: the task's commit sits on the base"
    );
    let diff: Value = server.get_json(&format!("/api/tasks/{id}/diff")).await;
    assert!(
        diff["diff"].as_str().unwrap_or_default().contains("hi.txt"),
        "{sandbox} {base}: the diff is against the base: {diff}"
    );
    assert!(
        !diff["diff"]
            .as_str()
            .unwrap_or_default()
            .contains("later.txt"),
        "{sandbox} {base}: the diff is against the base: {diff}"
    );
    remove_containers_of(&id);
    assert!(containers_of(&id).is_empty());
}

#[tokio::test]
async fn a_local_task_starts_from_a_branch_a_tag_or_a_commit() {
    let home = Home::new();
    let server = home.serve();
    let repo = repository_with_history();
    let first = rev(repo.path(), "v1^{commit}");
    for base in ["main", "v1", first.as_str(), &first[..10]] {
        a_task_starts_from(&server, repo.path(), "local", base).await;
    }
}

#[tokio::test]
async fn a_docker_task_starts_from_a_branch_a_tag_or_a_commit() {
    let home = Home::new();
    let server = home.serve();
    let repo = repository_with_history();
    let first = rev(repo.path(), "v1^{commit}");
    for base in ["main", "v1", first.as_str()] {
        a_task_starts_from(&server, repo.path(), "docker", base).await;
    }
}
