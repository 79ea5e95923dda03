//! Tasks through the API of a real server, with the scripted agent (the built-in stand-in
//! for a real one) in both sandboxes: a task is made, its agent's statuses reach its
//! record, it finishes; a server killed mid-task resumes it; a message sent before its
//! agent runs waits for it; bad requests say what is wrong.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Home, Server, remove_containers_of, repository, served};

async fn create(server: &Server, body: Value) -> (StatusCode, Value) {
    let res = server.post("/api/tasks").json(&body).send().await.unwrap();
    (res.status(), res.json().await.unwrap())
}

/// Makes a task for the scripted agent; asserts it was accepted and returns it.
async fn scripted(server: &Server, repo: &std::path::Path, script: &str, sandbox: &str) -> Value {
    let (status, task) = create(
        server,
        json!({"prompt": script, "repo": repo, "agent": "scripted", "sandbox": sandbox}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    task
}

/// [`served`], with a scripted task running `script` in `sandbox`: the task, and its id.
async fn started(script: &str, sandbox: &str) -> (Home, Server, tempfile::TempDir, Value, String) {
    let (home, server, repo) = served();
    let task = scripted(&server, repo.path(), script, sandbox).await;
    let id = task["id"].as_str().unwrap().to_string();
    (home, server, repo, task, id)
}

/// Sends the task's agent a message.
async fn message(server: &Server, id: &str, text: &str) -> reqwest::Response {
    server
        .post(&format!("/api/tasks/{id}/messages"))
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap()
}

fn finished(task: &Value) -> bool {
    task["status"] == "finished"
}

/// Finished or failed: either way the task is over.
fn ended(task: &Value) -> bool {
    task["status"] == "finished" || task["status"] == "failed"
}

async fn show(server: &Server, id: &str) -> Value {
    server.get_json(&format!("/api/tasks/{id}")).await
}

/// Polls the task until `done` holds for it, at most `limit`.
async fn wait_for(
    server: &Server,
    id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    server.wait_for_task(id, limit, done).await
}

#[tokio::test]
async fn a_scripted_task_in_local_mode_runs_to_finished_and_can_be_archived() {
    let (_home, server, _repo, task, id) = started(
        "#!scripted\nsay starting the work\nrun echo done > out.txt\nfinish",
        "local",
    )
    .await;
    assert!(id.starts_with("scripted-say-starting"), "{id}");
    assert_eq!(task["branch"], format!("plinth/{id}"));
    assert_eq!(task["base_branch"], "main");
    assert_eq!(task["unsafe_sandbox"], true);
    for key in ["id", "agent", "status", "branch", "created_at"] {
        assert!(task.get(key).is_some(), "{key} in {task}");
    }

    let done = wait_for(&server, &id, Duration::from_secs(30), finished).await;
    assert_eq!(done["lifecycle"], "finished", "{done}");
    assert_eq!(done["agent_status"], "finished", "{done}");

    let listed: Vec<Value> = server.get_json("/api/tasks").await;
    assert!(listed.iter().any(|t| t["id"] == id.as_str()));
    let stop = server
        .post(&format!("/api/tasks/{id}/stop"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stop.status(),
        StatusCode::CONFLICT,
        "a finished task cannot be stopped"
    );
    let archived = server
        .post(&format!("/api/tasks/{id}/archive"))
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), StatusCode::OK);
    let listed: Vec<Value> = server.get_json("/api/tasks").await;
    assert!(
        !listed.iter().any(|t| t["id"] == id.as_str()),
        "archived tasks are hidden"
    );
    let all: Vec<Value> = server.get_json("/api/tasks?archived=true").await;
    assert!(all.iter().any(|t| t["id"] == id.as_str()));
}

#[tokio::test]
async fn a_task_survives_a_killed_server_and_finishes_after_the_restart() {
    let (home, server, _repo, _task, id) = started(
        "#!scripted\nsay halfway\nsleep 3000\nsay after the sleep\nfinish",
        "local",
    )
    .await;
    wait_for(&server, &id, Duration::from_secs(30), |t| {
        t["lifecycle"] == "running"
    })
    .await;
    server.kill9();

    let server = home.serve();
    let done = wait_for(&server, &id, Duration::from_secs(30), finished).await;
    assert_eq!(done["lifecycle"], "finished", "{done}");
}

/// `task.restarts` counts every start of the task's adapter after its first, a server's
/// restart included: the adapter resumed after one is told it is a restart.
#[tokio::test]
async fn an_adapter_resumed_after_a_server_restart_is_told_it_restarted() {
    let home = Home::new();
    let server = home.serve();
    let repo = repository();
    let task = scripted(
        &server,
        repo.path(),
        "#!scripted\nsay halfway\nsleep 3000\nfinish",
        "local",
    )
    .await;
    let id = task["id"].as_str().unwrap().to_string();
    wait_for(&server, &id, Duration::from_secs(30), |t| {
        t["lifecycle"] == "running"
    })
    .await;
    server.kill9();

    let server = home.serve();
    wait_for(&server, &id, Duration::from_secs(30), |t| {
        t["status"] == "finished"
    })
    .await;
    let logs: Vec<Value> = server
        .get_json(&format!("/api/events?kind=task.log&task={id}"))
        .await;
    let said: Vec<&str> = logs
        .iter()
        .filter_map(|e| e["data"]["message"].as_str())
        .collect();
    assert!(
        said.iter().any(|m| m.starts_with("adapter restarted (1)")),
        "{said:?}"
    );
}

#[tokio::test]
async fn the_time_in_a_status_survives_a_restart_that_rewrites_the_task() {
    let (home, server, _repo, task, id) = started(
        "#!scripted\nsay which colour?\nwait-message\nfinish",
        "local",
    )
    .await;
    assert_eq!(task["status_since"], task["created_at"], "{task}");
    let waiting = wait_for(&server, &id, Duration::from_secs(30), |t| {
        t["status"] == "waiting-for-user"
    })
    .await;
    assert!(time(&waiting, "status_since") > time(&task, "status_since"));
    server.kill9();

    // The resumed agent says again that it waits: the record is rewritten (updated_at
    // moves), the status is the same, so the time in it still counts from the first wait.
    let server = home.serve();
    let again = wait_for(&server, &id, Duration::from_secs(30), |t| {
        t["status"] == "waiting-for-user" && t["updated_at"] != waiting["updated_at"]
    })
    .await;
    assert_eq!(again["status_since"], waiting["status_since"], "{again}");

    message(&server, &id, "blue").await;
    let done = wait_for(&server, &id, Duration::from_secs(30), finished).await;
    assert!(time(&done, "status_since") > time(&waiting, "status_since"));
}

fn time(task: &Value, field: &str) -> chrono::DateTime<chrono::Utc> {
    task[field]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{field} is not a time in {task}"))
}

#[tokio::test]
async fn a_message_sent_while_the_task_starts_waits_for_its_agent() {
    let (_home, server, _repo, _task, id) =
        started("#!scripted\nwait-message\nfinish", "docker").await;
    // Its container is still being made: no agent runs yet to take the message.
    assert_eq!(show(&server, &id).await["lifecycle"], "starting");
    let sent = message(&server, &id, "go on").await;
    assert_eq!(sent.status(), StatusCode::OK, "{:?}", sent.text().await);
    // The first Docker task may build the agent image (minutes on a fresh machine).
    let done = wait_for(&server, &id, Duration::from_secs(600), ended).await;
    assert_eq!(
        done["status"], "finished",
        "the agent got the message: {done}"
    );
    remove_containers_of(&id);
}

#[tokio::test]
async fn a_scripted_task_in_docker_runs_to_finished() {
    let (_home, server, _repo, task, id) =
        started("#!scripted\nrun test -f README.md\nfinish", "docker").await;
    assert_eq!(task["unsafe_sandbox"], false);
    // The first Docker task may build the agent image (minutes on a fresh machine).
    let done = wait_for(&server, &id, Duration::from_secs(600), ended).await;
    assert_eq!(done["status"], "finished", "{done}");
    remove_containers_of(&id);
}

#[tokio::test]
async fn bad_task_requests_say_what_is_wrong() {
    let (_home, server, repo) = served();
    let not_a_repo = tempfile::tempdir().unwrap();
    for (body, says) in [
        (
            json!({"prompt": "  ", "repo": repo.path()}),
            "prompt is empty",
        ),
        (
            json!({"prompt": "x", "repo": repo.path(), "agent": "nobody"}),
            "no agent named",
        ),
        (
            json!({"prompt": "x", "repo": not_a_repo.path(), "agent": "scripted"}),
            "not inside a git repository",
        ),
        (json!({"prompt": "x"}), "repo"),
        (
            json!({"prompt": "x", "repo": repo.path(), "sandbox": "vm"}),
            "sandbox",
        ),
    ] {
        let (status, error) = create(&server, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {error}");
        let text = error["error"].as_str().unwrap_or_default();
        assert!(text.contains(says), "{body} → {text}");
    }
    let missing = server.get("/api/tasks/no-such-task").send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_docker_task_waits_for_a_message_is_attached_to_stopped_resumed_and_answered() {
    let script = "#!scripted\nterm echo attach-me; exec cat\nwait-message\nsay got it\nfinish";
    let (home, server, _repo, _task, id) = started(script, "docker").await;
    let waiting = |t: &Value| t["status"] == "waiting-for-user";
    wait_for(&server, &id, Duration::from_secs(600), waiting).await;

    // The agent's terminal in "yours": a pseudo-terminal made by script(1).
    let (attached, _) = support::attach::attach_type_detach(&home, &id, "", "attach-me");
    assert!(attached.contains("attach-me"), "{attached}");

    let stopped: Value = server
        .post(&format!("/api/tasks/{id}/stop"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stopped["status"], "stopped", "{stopped}");
    let refused = message(&server, &id, "hello").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);

    let resumed = server
        .post(&format!("/api/tasks/{id}/resume"))
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), StatusCode::OK);
    wait_for(&server, &id, Duration::from_secs(60), waiting).await;
    let sent = message(&server, &id, "go on").await;
    assert_eq!(sent.status(), StatusCode::OK);
    wait_for(&server, &id, Duration::from_secs(30), finished).await;
    remove_containers_of(&id);
}

#[tokio::test]
async fn ended_tasks_raise_notifications_and_run_the_notify_command() {
    let home = Home::new();
    let log = home.path().join("notified.txt");
    let mut command = home.command(&["serve", "--port", "0", "--no-open"]);
    command.env(
        "PLINTH_NOTIFY_COMMAND",
        format!(
            "echo \"$PLINTH_NOTIFY_TASK|$PLINTH_NOTIFY_URGENCY|$PLINTH_NOTIFY_TITLE\" >> {}",
            log.display()
        ),
    );
    let server = home.serve_with_command(command);
    let repo = repository();
    let done = scripted(&server, repo.path(), "#!scripted\nfinish", "local").await;
    let broken = scripted(
        &server,
        repo.path(),
        "#!scripted\nfail the disk is full",
        "local",
    )
    .await;
    let (done, broken) = (
        done["id"].as_str().unwrap().to_string(),
        broken["id"].as_str().unwrap().to_string(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let lines = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.lines().count() >= 2 {
            break text;
        }
        assert!(Instant::now() < deadline, "the command ran for: {text:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        lines.contains(&format!("{done}|info|Task {done} finished")),
        "{lines}"
    );
    assert!(
        lines.contains(&format!("{broken}|needs-attention|Task {broken} failed")),
        "{lines}"
    );
    let events: Vec<Value> = server
        .get_json(&format!("/api/events?kind=notification&task={broken}"))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0]["data"]["body"]
            .as_str()
            .unwrap()
            .contains("the disk is full"),
        "{events:?}"
    );
}

#[tokio::test]
async fn ten_docker_tasks_at_once_all_finish_and_their_branches_come_back() {
    let (_home, server, repo) = served();
    let mut ids = Vec::new();
    for n in 0..10 {
        let script = format!("#!scripted\nrun echo {n} > n.txt\ncommit number {n}\nfinish");
        let task = scripted(&server, repo.path(), &script, "docker").await;
        ids.push(task["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        let done = wait_for(&server, id, Duration::from_secs(600), ended).await;
        assert_eq!(done["status"], "finished", "{done:#}");
    }
    // Each task's commit reaches the user's repository as its branch (synced at the end).
    let deadline = Instant::now() + Duration::from_secs(60);
    for (n, id) in ids.iter().enumerate() {
        loop {
            let shown = Command::new("git")
                .arg("-C")
                .arg(repo.path())
                .args(["show", &format!("plinth/{id}:n.txt")])
                .output()
                .unwrap();
            if shown.status.success() {
                assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), n.to_string());
                break;
            }
            assert!(Instant::now() < deadline, "plinth/{id} never arrived");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        remove_containers_of(id);
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_naming_the_limit() {
    let (_home, server, repo) = served();
    let prompt = "x".repeat(3 * 1024 * 1024);
    let (status, error) = create(
        &server,
        json!({"prompt": prompt, "repo": repo.path(), "agent": "scripted"}),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    let text = error["error"].as_str().unwrap_or_default();
    assert!(text.contains("2 MiB"), "the limit is named: {text}");
    let messages = server
        .post("/api/tasks/t-1/messages")
        .json(&json!({"text": "y".repeat(3 * 1024 * 1024)}))
        .send()
        .await
        .unwrap();
    assert_eq!(messages.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
