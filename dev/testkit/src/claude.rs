//! The real Claude Code on a task, against the scripted mock of the model: starting the
//! server and the task, following its status, and telling what happened when a wait fails.

use std::time::{Duration, Instant};

use plinth_mock_llm::{MockLlm, Script};
use serde_json::{Value, json};

pub use crate::git::git_out;
use crate::home::Home;
use crate::server::Server;

/// What the user holds; only the mock (the "upstream") may ever see it.
pub const REAL_KEY: &str = "sk-ant-real-user-key-0123456789abcdef";

pub async fn events(server: &Server, id: &str, kind: &str) -> Vec<Value> {
    server
        .get_json(&format!("/api/events?task={id}&kind={kind}"))
        .await
}

/// The mock model on a free loopback port, answering from `script`.
pub async fn start_mock(script: Script) -> MockLlm {
    MockLlm::start("127.0.0.1:0".parse().unwrap(), script)
        .await
        .unwrap()
}

/// `plinth serve` with the mock as every provider's upstream (it answers them all), the
/// user's real key for each, and `env`.
pub fn serve(home: &Home, mock: &MockLlm, env: &[(&str, &str)]) -> Server {
    let mut command = home.command(&["serve", "--port", "0", "--no-open"]);
    command
        .env("PLINTH_LLM_UPSTREAM", mock.url())
        .env("PLINTH_LLM_OPENAI_UPSTREAM", format!("{}/v1", mock.url()))
        .env("PLINTH_LLM_GEMINI_UPSTREAM", mock.url())
        .env("ANTHROPIC_API_KEY", REAL_KEY)
        .env("OPENAI_API_KEY", REAL_KEY)
        .env("GEMINI_API_KEY", REAL_KEY)
        .envs(env.iter().copied());
    home.serve_with_command(command)
}

/// No permission prompts: tools run without asking.
pub const SKIP_PERMISSIONS: &[(&str, &str)] = &[("PLINTH_SKIP_PERMISSIONS", "true")];

/// Starts a Claude Code task in Docker on `repo`; its id.
pub async fn create_task(server: &Server, repo: &std::path::Path, prompt: &str) -> String {
    create_agent_task(server, repo, prompt, "claude-code").await
}

/// Starts a task of `agent` (a built-in: `gemini`, `codex`, ...) in Docker on `repo`; its id.
pub async fn create_agent_task(
    server: &Server,
    repo: &std::path::Path,
    prompt: &str,
    agent: &str,
) -> String {
    let res = server
        .post("/api/tasks")
        .json(&json!({"prompt": prompt, "repo": repo, "agent": agent, "sandbox": "docker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let task: Value = res.json().await.unwrap();
    task["id"].as_str().unwrap().to_string()
}

/// The statuses the adapter reported, in order.
pub async fn statuses(server: &Server, id: &str) -> Vec<String> {
    events(server, id, "task.status")
        .await
        .iter()
        .map(|e| e["data"]["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// What the task did so far, for a failure message.
pub async fn story(server: &Server, id: &str, mock: &MockLlm) -> String {
    let events = events(server, id, "task.*")
        .await
        .iter()
        .map(|e| {
            format!("{} {}", e["kind"], e["data"])
                .chars()
                .take(300)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let requests: Vec<_> = mock
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.served))
        .collect();
    format!("events:\n{events}\nrequests: {requests:?}")
}

/// Polls the task until `done` says so; fails at once if the task failed, or after `limit`,
/// with the task's story and the end of its agent's screen.
pub async fn wait_for<F, Fut>(
    server: &Server,
    id: &str,
    mock: &MockLlm,
    limit: Duration,
    what: &str,
    done: F,
) where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        assert!(
            shown["lifecycle"] != "failed",
            "the task failed: {shown:#}\n{}\nscreen:\n{}",
            story(server, id, mock).await,
            agent_screen(id)
        );
        if done(shown.clone()).await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never {what}: {shown:#}\n{}\nscreen:\n{}",
            story(server, id, mock).await,
            agent_screen(id)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Gives the task's agent a message; asserts it was taken.
pub async fn send_message(server: &Server, id: &str, text: &str) {
    let res = server
        .post(&format!("/api/tasks/{id}/messages"))
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
}

/// Waits (a little: the notification follows the status that raised it) until the task
/// has `count` notifications, one per wait, and checks there are no more.
pub async fn expect_notifications(server: &Server, id: &str, mock: &MockLlm, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut notes = events(server, id, "notification").await;
    while notes.len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        notes = events(server, id, "notification").await;
    }
    assert_eq!(
        notes.len(),
        count,
        "a notification per wait: {notes:#?}\n{}",
        story(server, id, mock).await
    );
}

/// Waits until the task's branch in `repo` has `path` (a sync brought it back); its content.
pub async fn wait_for_synced(
    server: &Server,
    id: &str,
    mock: &MockLlm,
    repo: &std::path::Path,
    path: &str,
) -> String {
    let spec = format!("plinth/{id}:{path}");
    wait_for(
        server,
        id,
        mock,
        Duration::from_secs(30),
        &format!("{path} on its branch"),
        |_| {
            let synced = git_out(repo, &["show", &spec]);
            async move { !synced.is_empty() }
        },
    )
    .await;
    git_out(repo, &["show", &spec])
}

/// The Claude Code sessions the mock was called from (by their session header).
pub fn sessions(mock: &MockLlm) -> std::collections::BTreeSet<String> {
    mock.requests()
        .iter()
        .filter_map(|r| r.header("x-claude-code-session-id").map(str::to_string))
        .collect()
}

/// Asserts that no file and no process environment in `container` holds [`REAL_KEY`].
pub fn assert_key_not_in_container(container: &str) {
    let leaks = std::process::Command::new("docker")
        .args([
            "exec",
            "-u",
            "root",
            container,
            "sh",
            "-c",
            &format!(
                "grep -rl --exclude-dir=proc --exclude-dir=sys -e '{REAL_KEY}' / 2>/dev/null; \
                 cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c -e '{REAL_KEY}'"
            ),
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&leaks.stdout);
    assert_eq!(out.trim(), "0", "the real key is in the container: {out}");
}

/// The text on the screen of the task's agent session, for a failure message.
pub fn agent_screen(task: &str) -> String {
    let Some(container) = crate::containers_of(task).into_iter().next() else {
        return "(no container)".into();
    };
    let out = std::process::Command::new("docker")
        .args([
            "exec",
            "-u",
            "agent",
            &container,
            "tmux",
            "-S",
            "/tmp/plinth-tmux.sock",
            "capture-pane",
            "-p",
            "-t",
            &format!("{task}--agent"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
