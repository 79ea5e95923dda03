//! Git sync against a real server, real git and real Docker, with the scripted agent
//! committing in its sandbox (and `docker exec` standing in for its later commits): the
//! agent's commits come back as `plinth/<id>` while the user's own dirty working tree,
//! index and HEAD stay byte for byte as they were; later commits fast-forward the branch;
//! a branch the user committed to or checked out is left alone and said so; local mode
//! only records; the diff shows committed and uncommitted work while the sandbox runs and
//! what was synced after; a container killed from outside fails its task and its commits
//! still come back.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use support::{Containers, Server, git, rev, running_container, served, stderr, stdout};

/// Waits (at most `limit`) until the agent waits for a message: its commits are made.
async fn wait_until_waiting(server: &Server, id: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if task["agent_status"] == "waiting-for-user" {
            return;
        }
        assert!(task["lifecycle"] != "failed", "the task failed: {task:#}");
        assert!(Instant::now() < deadline, "gave up waiting: {task:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sync(server: &Server, id: &str) -> (StatusCode, Value) {
    let res = server
        .post(&format!("/api/tasks/{id}/sync"))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn synced(server: &Server, id: &str) -> Value {
    let (status, report) = sync(server, id).await;
    assert_eq!(status, StatusCode::OK, "{report:#}");
    report
}

async fn diff(server: &Server, id: &str) -> Value {
    let res = server
        .get(&format!("/api/tasks/{id}/diff"))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body:#}");
    body
}

fn container_of(task: &str) -> String {
    running_container(task).unwrap_or_else(|| panic!("no running container for task {task}"))
}

/// Runs `script` in the container's workdir as the agent, as the agent's own commands
/// would run; its stdout.
fn agent_does(container: &str, script: &str) -> String {
    let out = Command::new("docker")
        .args([
            "exec",
            "-u",
            "agent",
            "-w",
            "/workspace",
            container,
            "sh",
            "-c",
        ])
        .arg(format!(
            "git config user.name agent && git config user.email agent@example.invalid && {script}"
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits until the task's running container's last commit is `subject`; the container.
/// The first Docker task of a fresh machine builds the agent image (minutes).
async fn committed_in_container(task: &str, subject: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Some(container) = running_container(task)
            && agent_does(&container, "git log -1 --format=%s || true") == subject
        {
            return container;
        }
        assert!(
            Instant::now() < deadline,
            "the agent never committed {subject:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Everything of the user's that a sync must not touch, byte for byte.
#[derive(Debug, PartialEq)]
struct UserState {
    status: String,
    index: Vec<u8>,
    head: Vec<u8>,
    files: Vec<(String, Vec<u8>)>,
}

impl UserState {
    fn of(repo: &Path) -> UserState {
        // Read before `git status`, and with --no-optional-locks, which never refreshes
        // the index: this check must not write what it compares.
        let index = std::fs::read(repo.join(".git/index")).unwrap();
        let status = git(repo, &["--no-optional-locks", "status", "--porcelain"]);
        let files = ["README.md", "staged.txt", "untracked.txt"]
            .iter()
            .map(|f| (f.to_string(), std::fs::read(repo.join(f)).unwrap()))
            .collect();
        UserState {
            status,
            index,
            head: std::fs::read(repo.join(".git/HEAD")).unwrap(),
            files,
        }
    }
}

#[tokio::test]
async fn a_docker_task_s_commits_come_back_as_its_branch_and_the_user_s_work_is_untouched() {
    let (_home, server, repo) = served();
    let r = repo.path();
    let id = server
        .create_scripted(
            r,
            "#!scripted\nwrite notes.txt first note\ncommit add notes\nwait-message",
            "docker",
        )
        .await;
    let _cleanup = Containers(id.clone());
    let branch = format!("plinth/{id}");
    let head_ref = format!("refs/heads/{branch}");
    let kept = format!("refs/plinth/tasks/{id}");
    // The first Docker task may build the agent image (minutes on a fresh machine).
    wait_until_waiting(&server, &id, Duration::from_secs(600)).await;
    let container = container_of(&id);

    // The user's own work in progress: an edit, a staged file, an untracked one.
    std::fs::write(r.join("README.md"), "hello\nmy own edit\n").unwrap();
    std::fs::write(r.join("staged.txt"), "staged\n").unwrap();
    git(r, &["add", "staged.txt"]);
    std::fs::write(r.join("untracked.txt"), "mine\n").unwrap();
    let before = UserState::of(r);

    let first = synced(&server, &id).await;
    let c1 = agent_does(&container, "git rev-parse HEAD");
    // At an agent's Stop plinth may have synced already: then this one finds it done.
    assert!(
        first["outcome"] == "created" || first["outcome"] == "up-to-date",
        "{first:#}"
    );
    assert_eq!(first["commit"], c1.as_str());
    assert_eq!(rev(r, &head_ref), c1, "the branch is at the agent's commit");
    assert_eq!(rev(r, &kept), c1);
    assert_eq!(
        git(r, &["show", &format!("{branch}:notes.txt")]),
        "first note"
    );
    assert_eq!(
        UserState::of(r),
        before,
        "a sync leaves the user's work alone"
    );

    // A second commit, with a big file that does not compress: its pack (over the 4 MiB
    // an exec keeps of its output) is read back in pieces.
    let c2 = agent_does(
        &container,
        "head -c 6000000 /dev/urandom > big.bin && echo more > more.txt && git add -A \
         && git commit -qm second && git rev-parse HEAD",
    );
    let second = synced(&server, &id).await;
    assert_eq!(second["outcome"], "updated", "{second:#}");
    assert_eq!(rev(r, &head_ref), c2, "fast-forwarded");
    assert_eq!(
        git(r, &["cat-file", "-s", &format!("{branch}:big.bin")]),
        "6000000"
    );
    git(r, &["merge-base", "--is-ancestor", &c1, &c2]);
    assert_eq!(UserState::of(r), before);

    // The user commits to the branch (without checking it out); the agent commits again.
    let tree = git(r, &["rev-parse", &format!("{branch}^{{tree}}")]);
    let mine = git(
        r,
        &[
            "-c",
            "user.name=u",
            "-c",
            "user.email=u@example.invalid",
            "commit-tree",
            "-p",
            &branch,
            "-m",
            "mine",
            &tree,
        ],
    );
    git(r, &["update-ref", &format!("refs/heads/{branch}"), &mine]);
    let c3 = agent_does(
        &container,
        "echo third > third.txt && git add -A && git commit -qm third && git rev-parse HEAD",
    );
    let third = synced(&server, &id).await;
    assert_eq!(third["outcome"], "moved", "{third:#}");
    assert_eq!(
        rev(r, &head_ref),
        mine,
        "the user's commit is not overwritten"
    );
    assert_eq!(rev(r, &kept), c3, "plinth's work stays reachable");
    assert_eq!(
        rev(r, &branch),
        mine,
        "its short name is still the user's branch"
    );
    let message = third["message"].as_str().unwrap();
    assert!(
        message.contains("you moved or committed to") && message.contains(&kept),
        "{message}"
    );
    assert_eq!(
        synced(&server, &id).await["outcome"],
        "moved",
        "still left alone"
    );

    // Back where plinth left it, but checked out in a worktree of the user's.
    git(r, &["update-ref", &format!("refs/heads/{branch}"), &c2]);
    let other = tempfile::tempdir().unwrap();
    let wt = other.path().join("wt");
    git(r, &["worktree", "add", "-q", wt.to_str().unwrap(), &branch]);
    let checked_out = synced(&server, &id).await;
    assert_eq!(checked_out["outcome"], "checked-out", "{checked_out:#}");
    assert_eq!(rev(r, &head_ref), c2);
    git(r, &["worktree", "remove", wt.to_str().unwrap()]);
    let after = synced(&server, &id).await;
    assert_eq!(after["outcome"], "updated", "{after:#}");
    assert_eq!(rev(r, &head_ref), c3);
    assert_eq!(UserState::of(r), before);

    // The diff while the sandbox runs: committed and uncommitted work, new files too, and
    // the agent's own index as it was.
    agent_does(
        &container,
        "echo changed > notes.txt && echo fresh > fresh.txt",
    );
    let agent_status = agent_does(&container, "git status --porcelain");
    let live = diff(&server, &id).await;
    assert_eq!(live["source"], "environment", "{live:#}");
    assert_eq!(live["base"], rev(r, "main").as_str());
    let text = live["diff"].as_str().unwrap();
    for expected in ["+changed", "b/fresh.txt", "+more", "b/third.txt", "big.bin"] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    assert_eq!(live["files_changed"], 5, "{live:#}");
    let big = live["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "big.bin")
        .unwrap();
    assert_eq!(big["binary"], true);
    assert_eq!(
        agent_does(&container, "git status --porcelain"),
        agent_status,
        "the diff leaves the agent's index alone"
    );

    // Stopped: nothing new can come out; the diff is of what was synced.
    let stop = server
        .post(&format!("/api/tasks/{id}/stop"))
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), StatusCode::OK);
    let (status, refused) = sync(&server, &id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused:#}");
    assert!(
        refused["error"].as_str().unwrap().contains("not running"),
        "{refused:#}"
    );
    let synced_diff = diff(&server, &id).await;
    assert_eq!(synced_diff["source"], "branch", "{synced_diff:#}");
    assert_eq!(synced_diff["head"], c3.as_str());
    let text = synced_diff["diff"].as_str().unwrap();
    assert!(
        text.contains("+first note") && !text.contains("fresh.txt"),
        "{text}"
    );
    assert_eq!(UserState::of(r), before);
}

#[tokio::test]
async fn a_local_task_s_branch_is_already_the_user_s_and_sync_and_diff_say_so() {
    let (home, server, repo) = served();
    let r = repo.path();
    let id = server
        .create_scripted(
            r,
            "#!scripted\nwrite a.txt hi\ncommit add a\nwrite b.txt not committed\nwait-message",
            "local",
        )
        .await;
    let head_ref = format!("refs/heads/plinth/{id}");
    wait_until_waiting(&server, &id, Duration::from_secs(60)).await;

    let report = synced(&server, &id).await;
    assert_eq!(report["outcome"], "local", "{report:#}");
    assert_eq!(report["commit"], rev(r, &head_ref).as_str());
    assert_eq!(report["kept_at"], Value::Null);
    assert!(rev(r, &format!("refs/plinth/tasks/{id}")).is_empty());

    let live = diff(&server, &id).await;
    assert_eq!(live["source"], "environment");
    assert_eq!(live["files_changed"], 2, "{live:#}");

    let out = home.run(&["task", "sync", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("local mode"), "{}", stdout(&out));
    let out = home.run(&["task", "diff", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains("+hi") && shown.contains("+not committed"),
        "{shown}"
    );
    assert!(
        shown.contains("2 files changed, 2 insertions(+), 0 deletions(-)"),
        "{shown}"
    );
    let out = home.run(&["task", "diff", &id, "--stat"]);
    let shown = stdout(&out);
    assert!(
        shown.contains("a.txt") && shown.contains("+1 -0"),
        "{shown}"
    );
    let out = home.run(&["task", "sync", "no-such-task"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no task"), "{}", stderr(&out));
}

#[tokio::test]
async fn work_committed_in_a_container_killed_from_outside_still_comes_back() {
    let (_home, server, repo) = served();
    let r = repo.path();
    let id = server
        .create_scripted(
            r,
            "#!scripted\nwrite kept.txt work in progress\\n\ncommit Keep the work\nsleep 600000",
            "docker",
        )
        .await;
    let _containers = Containers(id.clone());
    let container = committed_in_container(&id, "Keep the work").await;
    assert_eq!(rev(r, &format!("plinth/{id}")), "", "nothing synced yet");

    // Killed from outside before any sync: the task fails, and its commit still comes back.
    let killed = Command::new("docker")
        .args(["kill", &container])
        .output()
        .unwrap();
    assert!(killed.status.success(), "{killed:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let failed = loop {
        let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        let synced = !rev(r, &format!("plinth/{id}:kept.txt")).is_empty();
        if task["lifecycle"] == "failed" && synced {
            break task;
        }
        assert!(
            Instant::now() < deadline,
            "the work never came back: {task:#}\n{:#}",
            server
                .get_json::<Value>(&format!("/api/events?task={id}&kind=task.sync"))
                .await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // The agent was asleep and never noticed: plinth says why the task failed.
    assert!(
        failed["failure"]
            .as_str()
            .unwrap()
            .starts_with("its environment failed"),
        "{failed:#}"
    );
    assert_eq!(
        git(r, &["show", &format!("plinth/{id}:kept.txt")]),
        "work in progress"
    );
    assert_eq!(
        git(r, &["log", "-1", "--format=%s", &format!("plinth/{id}")]),
        "Keep the work"
    );
    // Started only to copy the work out: stopped again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if running_container(&id).is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the container was left running");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_container_stopped_while_plinth_was_down_is_started_again_and_its_task_goes_on() {
    let (home, server, repo) = served();
    let r = repo.path();
    let id = server.create_scripted(r,
        "#!scripted\nwrite kept.txt work in progress\\n\ncommit Keep the work\nsleep 4000\nwrite after.txt after the restart\\n\ncommit Go on\nwait-message",
        "docker",
    )
    .await;
    let _containers = Containers(id.clone());
    let container = committed_in_container(&id, "Keep the work").await;
    // plinth and the container go down together (a reboot, say).
    server.kill9();
    let stopped = Command::new("docker")
        .args(["stop", "-t", "1", &container])
        .output()
        .unwrap();
    assert!(stopped.status.success(), "{stopped:?}");

    // The next plinth starts the container again and the agent goes on where it was: its
    // later work and its wait come, and everything it committed comes back.
    let server = home.serve();
    wait_until_waiting(&server, &id, Duration::from_secs(60)).await;
    assert_eq!(running_container(&id).as_deref(), Some(container.as_str()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while rev(r, &format!("plinth/{id}:after.txt")).is_empty() {
        assert!(Instant::now() < deadline, "the work never came back");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        git(r, &["log", "--format=%s", &format!("plinth/{id}")])
            .lines()
            .take(2)
            .collect::<Vec<_>>(),
        ["Go on", "Keep the work"]
    );
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["lifecycle"], "running", "{shown:#}");
}
