//! The real Claude Code CLI on a task whose model API is not there for it: the key refused
//! (401), rate-limited (429), or the API unreachable from plinth. Claude Code itself retries
//! each for minutes with its spinner up; the task must say `waiting-for-user` within
//! seconds, with the reason, and tell its user.

mod support;

use std::time::{Duration, Instant};

use plinth_mock_llm::{ErrorReply, MockLlm, Reply, Script};
use serde_json::Value;
use support::claude::{SKIP_PERMISSIONS, create_task, events, serve, start_mock, story};
use support::{Home, Server, repository};

/// How soon after the first failed model call the task must wait for its user.
const WITHIN: Duration = Duration::from_secs(10);

/// A mock that answers every request with this error.
async fn failing(kind: &str, message: &str) -> MockLlm {
    let script = Script::default().with_default(Reply {
        error: Some(ErrorReply::new(kind, message)),
        ..Reply::default()
    });
    start_mock(script).await
}

/// Waits for the task's first failed model call (the first Docker task of a machine builds
/// the agent image first), then for it to wait for its user with a detail containing
/// `says`, within [`WITHIN`]; checks the user was told.
async fn waits_for_the_user_saying(server: &Server, id: &str, mock: &MockLlm, says: &str) {
    let deadline = Instant::now() + Duration::from_secs(600);
    let failed_at = loop {
        let finished = events(server, id, "task.llm.finished").await;
        if finished.iter().any(|e| !e["data"]["error"].is_null()) {
            break Instant::now();
        }
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        assert!(
            Instant::now() < deadline && shown["lifecycle"] != "failed",
            "no failed model call: {shown:#}\n{}",
            story(server, id, mock).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let shown = loop {
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if shown["status"] == "waiting-for-user" {
            break shown;
        }
        assert!(
            failed_at.elapsed() < WITHIN,
            "still {} {:?} {WITHIN:?} after the failed call\n{}",
            shown["status"],
            shown["detail"],
            story(server, id, mock).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!(
        "failed call → waiting-for-user in {:?}",
        failed_at.elapsed()
    );
    let detail = shown["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(says), "{shown:#}");
    assert_eq!(shown["lifecycle"], "running", "{shown:#}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let notes = events(server, id, "notification").await;
        if notes.iter().any(|n| {
            n["data"]["urgency"] == "needs-attention"
                && n["data"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(says)
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the user is not told: {notes:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Claude Code's retries that follow fail the same way: still the one wait.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["status"], "waiting-for-user", "{shown:#}");
    let notes = events(server, id, "notification").await;
    assert_eq!(
        notes.len(),
        1,
        "one notification for the one wait: {notes:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_whose_key_the_api_refuses_waits_for_its_user_with_the_401() {
    let mock = failing("authentication_error", "invalid x-api-key").await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Say hello.").await;
    waits_for_the_user_saying(&server, &id, &mock, "the model API refused the key (401)").await;
    support::remove_containers_of(&id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_rate_limited_waits_for_its_user_with_the_429() {
    let mock = failing(
        "rate_limit_error",
        "Number of requests has exceeded your rate limit",
    )
    .await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Say hello.").await;
    waits_for_the_user_saying(&server, &id, &mock, "rate-limiting the key (429)").await;
    support::remove_containers_of(&id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_whose_model_api_is_unreachable_waits_for_its_user() {
    let mock = failing("api_error", "unused").await;
    // A port nothing listens on: the proxy cannot connect.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let home = Home::new();
    let env = [
        SKIP_PERMISSIONS[0],
        ("PLINTH_LLM_UPSTREAM", upstream.as_str()),
    ];
    let server = serve(&home, &mock, &env);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Say hello.").await;
    waits_for_the_user_saying(&server, &id, &mock, "the model API cannot be reached").await;
    assert!(mock.requests().is_empty());
    support::remove_containers_of(&id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_stuck_at_its_start_is_reported_after_the_start_deadline_with_its_screen() {
    // A repository with a project MCP server: Claude Code asks about it before anything
    // else, and sits there; no hook, no model call, its screen still.
    let repo = repository();
    std::fs::write(
        repo.path().join(".mcp.json"),
        r#"{"mcpServers":{"tools":{"command":"/bin/true","args":[]}}}"#,
    )
    .unwrap();
    support::git(repo.path(), &["add", ".mcp.json"]);
    support::git(repo.path(), &["commit", "-q", "-m", "an MCP server"]);
    let mock = start_mock(Script::default()).await;
    let home = Home::new();
    // Claude Code's own default mode, as tried by hand: the dialog comes before the prompt.
    let server = serve(&home, &mock, &[("PLINTH_TASKS_START_DEADLINE_MS", "8000")]);
    let id = create_task(&server, repo.path(), "Say hello.").await;

    // The first Docker task of a machine builds the agent image first.
    let deadline = Instant::now() + Duration::from_secs(600);
    let shown = loop {
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if shown["status"] == "waiting-for-user" {
            break shown;
        }
        assert!(
            Instant::now() < deadline && shown["lifecycle"] != "failed",
            "never reported: {shown:#}\n{}",
            story(&server, &id, &mock).await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let detail = shown["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("no sign of life for 8 s"), "{shown:#}");
    assert!(
        detail.contains("its screen ends with:\n") && detail.contains("MCP server"),
        "the screen's last lines are quoted: {shown:#}"
    );
    let statuses: Vec<String> = support::claude::statuses(&server, &id).await;
    assert_eq!(
        statuses.iter().filter(|s| *s == "waiting-for-user").count(),
        1,
        "{statuses:?}"
    );
    let notes = events(&server, &id, "notification").await;
    assert!(
        notes
            .iter()
            .any(|n| n["data"]["urgency"] == "needs-attention"
                && n["data"]["body"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("no sign of life")),
        "{notes:#?}"
    );
    assert!(
        mock.requests().is_empty(),
        "Claude Code never got to call the model"
    );
    support::remove_containers_of(&id);
}
