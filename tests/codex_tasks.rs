//! The real Codex CLI (plinth's Codex layer of the agent image) on a task in a real
//! container, talking to the scripted mock through plinth's proxy (OpenAI's Responses
//! API), its hooks posted to plinth: the statuses, the branch that comes back, that the user's key
//! never reaches the container, an approval that waits for its user until a `yes`, and a
//! kill -9 of plinth mid-turn after which the task goes on.

mod support;

use std::time::{Duration, Instant};

use plinth_mock_llm::Script;
use serde_json::{Value, json};
use support::claude::{
    REAL_KEY, SKIP_PERMISSIONS, assert_key_not_in_container, create_agent_task, events,
    expect_notifications, git_out, send_message, serve, start_mock, statuses, story,
    wait_for_synced, wait_showing_screen,
};
use support::{Containers, Home, Server, repository};

const COMMIT: &str = "git add hello.txt && git commit -q -m 'Add hello.txt'";

/// Codex edits files with commands too (0.171 offers no `apply_patch` tool).
fn write_hello() -> Value {
    json!({"content": [
        {"type": "text", "text": "I'll write the file."},
        shell("printf 'hello from codex\\n' > hello.txt")]})
}

fn shell(command: &str) -> Value {
    json!({"type": "tool_use", "name": "exec_command", "input": {"cmd": command}})
}

/// An exec-policy rule that makes Codex ask before `touch` (see docs/adapters.md, "Codex").
const TOUCH_NEEDS_APPROVAL: &str = r#"prefix_rule(pattern = ["touch"], decision = "prompt", justification = "plinth test: touch needs approval")"#;

fn done() -> Value {
    json!({"when": {"tool_result": ""},
           "content": [{"type": "text", "text": "Done: hello.txt is committed."}]})
}

fn script(replies: Vec<Value>) -> Script {
    serde_json::from_value(json!({ "replies": replies })).unwrap()
}

async fn create(server: &Server, repo: &std::path::Path, prompt: &str) -> String {
    create_agent_task(server, repo, prompt, "codex").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_writes_and_commits_a_file_and_its_branch_comes_back() {
    let mock = start_mock(script(vec![
        write_hello(),
        json!({"when": {"tool_result": ""}, "content": [shell(COMMIT)]}),
        done(),
    ]))
    .await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let repo = repository();
    let created = Instant::now();
    let id = create(&server, repo.path(), "Create hello.txt and commit it.").await;
    let _containers = Containers(id.clone());

    let branch_file = format!("plinth/{id}:hello.txt");
    wait_showing_screen(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "idle with its branch",
        |shown| {
            let synced = git_out(repo.path(), &["show", &branch_file]);
            async move { shown["status"] == "idle" && !synced.is_empty() }
        },
    )
    .await;
    let hooks = events(&server, &id, "task.hook").await;
    println!(
        "task created → idle with its branch: {:?}; → {} up (its SessionStart hook): {:?} s",
        created.elapsed(),
        "codex",
        support::seconds_to_hook(&server, &id, "SessionStart").await
    );

    let statuses = statuses(&server, &id).await;
    let first = |s: &str| statuses.iter().position(|x| x == s);
    assert!(
        first("starting") < first("working") && first("working") < first("idle"),
        "starting → working → idle: {statuses:?}"
    );
    assert_eq!(
        git_out(repo.path(), &["show", &branch_file]),
        "hello from codex\n"
    );
    assert_eq!(
        git_out(
            repo.path(),
            &["log", "-1", "--format=%s", &format!("plinth/{id}")]
        )
        .trim(),
        "Add hello.txt"
    );
    let names: Vec<&str> = hooks
        .iter()
        .filter_map(|h| h["data"]["name"].as_str())
        .collect();
    for hook in [
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PostToolUse",
        "Stop",
    ] {
        assert!(names.contains(&hook), "{hook} in {names:?}");
    }
    // The transcript has the prompt, the tool calls and the reply.
    let transcript = events(&server, &id, "task.transcript").await;
    let said = |role: &str, text: &str| {
        transcript.iter().any(|e| {
            e["data"]["role"] == role && e["data"]["text"].as_str().unwrap_or("").contains(text)
        })
    };
    assert!(said("user", "Create hello.txt"), "{transcript:#?}");
    assert!(said("tool", "printf 'hello from codex"), "{transcript:#?}");
    assert!(said("tool", "git add hello.txt"), "{transcript:#?}");
    assert!(
        said("agent", "Done: hello.txt is committed."),
        "{transcript:#?}"
    );

    // The real key went upstream, and only there.
    let requests = mock.requests();
    assert!(
        requests.iter().any(|r| r.path.ends_with("/responses")),
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    for request in &requests {
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {REAL_KEY}").as_str()),
            "{}",
            request.path
        );
    }
    assert_key_not_in_container(&support::containers_of(&id).remove(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_waits_for_approval_and_goes_on_after_yes() {
    let mock = start_mock(script(vec![
        json!({"content": [shell("touch first.txt")]}),
        json!({"when": {"tool_result": ""}, "content": [{"type": "text", "text": "first.txt is there."}]}),
    ]))
    .await;
    let home = Home::new();
    // No permission setting, and a rule that makes Codex ask before `touch`.
    let server = serve(
        &home,
        &mock,
        &[("PLINTH_CODEX_RULES", TOUCH_NEEDS_APPROVAL)],
    );
    let repo = repository();
    let id = create(&server, repo.path(), "Create first.txt.").await;
    let _containers = Containers(id.clone());

    wait_showing_screen(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "waiting for approval",
        |shown| async move {
            assert_ne!(
                shown["status"], "idle",
                "the turn ended without asking: {shown:#}"
            );
            shown["status"] == "waiting-for-user"
        },
    )
    .await;
    expect_notifications(&server, &id, &mock, 1).await;
    let notes = events(&server, &id, "notification").await;
    let note = notes[0]["data"].to_string();
    assert!(
        note.contains("touch first.txt"),
        "the notification names the question: {note}"
    );
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert!(
        shown["detail"]
            .as_str()
            .unwrap_or("")
            .contains("touch first.txt"),
        "the status names the question: {shown:#}"
    );
    let exists = |path: &str| {
        let container = support::containers_of(&id).remove(0);
        std::process::Command::new("docker")
            .args(["exec", &container, "test", "-e", path])
            .status()
            .unwrap()
            .success()
    };
    assert!(
        !exists("/workspace/first.txt"),
        "nothing ran before the answer"
    );

    send_message(&server, &id, "yes").await;
    wait_showing_screen(
        &server,
        &id,
        &mock,
        Duration::from_secs(60),
        "idle after the answer",
        |shown| {
            let mock = &mock;
            async move { shown["status"] == "idle" && mock.remaining() == 0 }
        },
    )
    .await;
    assert!(exists("/workspace/first.txt"), "the command ran");
    let statuses = statuses(&server, &id).await;
    let wait = statuses
        .iter()
        .position(|s| s == "waiting-for-user")
        .unwrap();
    assert!(
        statuses[wait..].iter().any(|s| s == "working"),
        "working after the answer: {statuses:?}"
    );
    expect_notifications(&server, &id, &mock, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_resumes_after_plinth_is_killed_mid_turn() {
    let mock = start_mock(script(vec![
        write_hello(),
        // The call the kill cuts: far slower than the test waits.
        json!({"when": {"tool_result": ""}, "delay_ms": 30_000, "content": [shell(COMMIT)]}),
        json!({"when": {"tool_result": ""}, "content": [shell(COMMIT)]}),
        done(),
    ]))
    .await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let repo = repository();
    let id = create(&server, repo.path(), "Create hello.txt and commit it.").await;
    let _containers = Containers(id.clone());

    wait_showing_screen(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "on its second model call",
        |shown| {
            let mock = &mock;
            async move {
                shown["status"] == "working"
                    && mock.requests().iter().any(|r| !r.tool_results().is_empty())
            }
        },
    )
    .await;
    server.kill9();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let restarted = Instant::now();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    wait_showing_screen(
        &server,
        &id,
        &mock,
        Duration::from_secs(180),
        "idle after the restart",
        |shown| async move { shown["status"] == "idle" },
    )
    .await;
    println!(
        "plinth killed mid-turn: idle {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    );
    let synced = wait_for_synced(&server, &id, &mock, repo.path(), "hello.txt").await;
    assert_eq!(synced, "hello from codex\n");
    assert_eq!(
        git_out(
            repo.path(),
            &["log", "-1", "--format=%s", &format!("plinth/{id}")]
        )
        .trim(),
        "Add hello.txt"
    );
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["lifecycle"], "running", "{shown:#}");
    // One Codex session all along: started once, never relaunched.
    let starts = events(&server, &id, "task.hook")
        .await
        .iter()
        .filter(|h| h["data"]["name"] == "SessionStart")
        .count();
    assert_eq!(starts, 1, "{}", story(&server, &id, &mock).await);
}
