//! The endpoint tasks' sandboxes post their agent's hooks to, reached from inside a real
//! container (the Docker bridge's gateway) and from local mode (loopback), with the task's
//! own token from the environment plinth gives the agent; and refused without it.

mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Home, Server, repository};

/// A script that posts a hook the way Claude Code's hooks do (curl, the task's variables).
const POST_HOOK: &str = r#"#!scripted
run echo '{"hook_event_name":"Stop","session_id":"s1"}' | curl -fsS -X POST -H "Authorization: Bearer $PLINTH_HOOK_TOKEN" -H 'Content-Type: application/json' --data-binary @- "$PLINTH_HOOK_URL/Stop"
finish"#;

async fn hook_events(server: &Server, task: &str) -> Vec<Value> {
    server
        .get_json(&format!("/api/events?task={task}&kind=task.hook"))
        .await
}

async fn run_posting_task(server: &Server, sandbox: &str) -> (String, Vec<Value>) {
    let repo = repository();
    let res = server
        .post("/api/tasks")
        .json(
            &json!({"prompt": POST_HOOK, "repo": repo.path(), "agent": "scripted",
                      "sandbox": sandbox}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let task: Value = res.json().await.unwrap();
    let id = task["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if shown["status"] == "finished" || shown["status"] == "failed" {
            assert_eq!(shown["status"], "finished", "{shown:#}");
            break;
        }
        assert!(Instant::now() < deadline, "{shown:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = hook_events(server, &id).await;
    (id, events)
}

#[tokio::test]
async fn a_local_task_posts_its_hooks_with_its_own_token() {
    let home = Home::new();
    let server = home.serve();
    let (_, events) = run_posting_task(&server, "local").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["data"]["name"], "Stop");
    assert_eq!(events[0]["data"]["body"]["session_id"], "s1");
}

#[tokio::test]
async fn a_container_reaches_the_hook_endpoint_through_the_docker_bridge() {
    let home = Home::new();
    let server = home.serve();
    let (id, events) = run_posting_task(&server, "docker").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["data"]["name"], "Stop");
    let _ = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("docker rm -f $(docker ps -aq --filter label=plinth.task={id})"),
        ])
        .output();
}

#[tokio::test]
async fn the_hook_endpoint_refuses_a_wrong_or_missing_token_and_unknown_tasks() {
    let home = Home::new();
    let _server = home.serve();
    let port = std::fs::read_to_string(home.path().join("sandbox-port")).unwrap();
    let base = format!("http://127.0.0.1:{}", port.trim());
    let client = reqwest::Client::new();
    let post = |path: &str| client.post(format!("{base}{path}")).body("{}");
    let missing = post("/tasks/t-1/hooks/Stop").send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let wrong = post("/tasks/t-1/hooks/Stop")
        .bearer_auth("plinth-task-00")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // The browser's token is not a task's token either.
    let server_token = std::fs::read_to_string(home.path().join("token")).unwrap();
    let browser = post("/tasks/t-1/hooks/Stop")
        .bearer_auth(server_token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), StatusCode::UNAUTHORIZED);
    let elsewhere = post("/api/tasks").send().await.unwrap();
    assert_eq!(
        elsewhere.status(),
        StatusCode::NOT_FOUND,
        "no browser API here"
    );
}
