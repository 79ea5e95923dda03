//! The product, end to end: the real Claude Code CLI (in plinth's agent image) on a task in
//! a real container, talking to a scripted mock of the model through plinth's proxy, its
//! hooks posted to plinth. Checks the statuses, the branch that comes back into the user's
//! repository (whose own dirty work is untouched), that the real key never reaches the
//! container, and that a permission dialog makes the task wait for its user, asking its
//! question, until it is answered by a message or a key in the web terminal.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use plinth_mock_llm::{MockLlm, Script};
use serde_json::{Value, json};
use support::claude::{
    REAL_KEY, SKIP_PERMISSIONS, create_task, events, expect_notifications, git_out, send_message,
    serve, start_mock, statuses, story, wait_for,
};
use support::terminal::{connect, read_until, type_in};
use support::{Home, Server, repository};

fn script() -> Script {
    serde_json::from_value(json!({
        "replies": [
            {"content": [
                {"type": "text", "text": "I'll write the file."},
                {"type": "tool_use", "name": "Write",
                 "input": {"file_path": "/workspace/hello.txt", "content": "hello from claude\n"}}]},
            {"when": {"tool_result": ""},
             "content": [
                {"type": "tool_use", "name": "Bash",
                 "input": {"command": "git add hello.txt && git commit -q -m 'Add hello.txt'",
                           "description": "Commit the file"}}]},
            {"when": {"tool_result": ""},
             "content": [{"type": "text", "text": "Done: hello.txt is committed."}]}
        ]
    }))
    .unwrap()
}

/// Waits until the mock has given `replies` replies and the task waits for its user for
/// the `replies`th time (each reply here asks for a permission).
async fn wait_for_dialog(server: &Server, id: &str, mock: &MockLlm, replies: usize) {
    let what = format!("waiting for the user after reply {replies}");
    wait_for(
        server,
        id,
        mock,
        Duration::from_secs(60),
        &what,
        |shown| async move {
            let statuses = statuses(server, id).await;
            let waits = statuses.iter().filter(|s| *s == "waiting-for-user").count();
            mock.requests().len() >= replies
                && waits >= replies
                && shown["status"] == "waiting-for-user"
        },
    )
    .await;
}

/// Whether `path` exists in the task's container.
fn exists_in_container(id: &str, path: &str) -> bool {
    let container = support::containers_of(id).remove(0);
    Command::new("docker")
        .args(["exec", &container, "test", "-e", path])
        .status()
        .unwrap()
        .success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_writes_and_commits_a_file_and_its_branch_comes_back() {
    let mock = start_mock(script()).await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);

    let repo = repository();
    // The user's own work in progress, which nothing may touch.
    std::fs::write(repo.path().join("README.md"), "my unsaved edit\n").unwrap();
    let status_before = git_out(repo.path(), &["status", "--porcelain"]);

    let id = create_task(&server, repo.path(), "Create hello.txt and commit it.").await;

    // Claude Code ends its turn: the Stop hook makes it idle, and the sync follows.
    // The first Docker task of a fresh machine builds the agent image (minutes).
    let branch_file = format!("plinth/{id}:hello.txt");
    wait_for(
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

    let statuses = statuses(&server, &id).await;
    let first = |s: &str| statuses.iter().position(|x| x == s);
    assert!(
        first("starting") < first("working") && first("working") < first("idle"),
        "starting → working → idle: {statuses:?}"
    );
    assert_eq!(
        git_out(repo.path(), &["show", &format!("plinth/{id}:hello.txt")]),
        "hello from claude\n"
    );
    assert_eq!(
        git_out(
            repo.path(),
            &["log", "-1", "--format=%s", &format!("plinth/{id}")]
        )
        .trim(),
        "Add hello.txt"
    );
    assert_eq!(
        git_out(repo.path(), &["status", "--porcelain"]),
        status_before,
        "the user's working tree is untouched"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("README.md")).unwrap(),
        "my unsaved edit\n"
    );
    assert!(
        !repo.path().join("hello.txt").exists(),
        "nothing checked out"
    );

    // Hooks arrived, and the proxy saw the calls.
    let hooks: Vec<String> = events(&server, &id, "task.hook")
        .await
        .iter()
        .map(|e| e["data"]["name"].as_str().unwrap_or_default().to_string())
        .collect();
    for hook in ["SessionStart", "UserPromptSubmit", "PreToolUse", "Stop"] {
        assert!(hooks.iter().any(|h| h == hook), "{hook} in {hooks:?}");
    }
    let finished = events(&server, &id, "task.llm.finished").await;
    assert!(finished.len() >= 3, "{finished:#?}");
    let tools = events(&server, &id, "task.llm.tool").await;
    assert!(
        tools.iter().any(|t| t["data"]["name"] == "Write"),
        "{tools:#?}"
    );
    // Each tool's result is recorded with the model's id for its call, for the UI to fold.
    let results: Vec<Value> = events(&server, &id, "task.transcript")
        .await
        .into_iter()
        .filter(|e| e["data"]["data"]["tool_use_id"].is_string())
        .collect();
    for tool in &tools {
        let call = &tool["data"]["tool_id"];
        assert!(
            results
                .iter()
                .any(|r| &r["data"]["data"]["tool_use_id"] == call),
            "no result for {call}: {results:#?}"
        );
    }

    // The real key went upstream, and only there.
    let requests = mock.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(
            request.header("x-api-key"),
            Some(REAL_KEY),
            "{:?}",
            request.path
        );
    }
    let container = support::containers_of(&id).remove(0);
    let leaks = Command::new("docker")
        .args([
            "exec",
            "-u",
            "root",
            &container,
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

    let _ = Command::new("docker")
        .args(["rm", "-f", &container])
        .output();
}

/// A command the API's check flags (so Claude Code must not run it), then the file, its
/// commit and the end; each call checked by the mock the way the API checks it.
fn auto_mode_script() -> Script {
    let bash = |command: &str, description: &str| {
        json!({"type": "tool_use", "name": "Bash",
               "input": {"command": command, "description": description}})
    };
    let mut flagged = bash("rm -rf .git", "Start the history afresh");
    flagged["flagged"] = json!("it deletes the repository's history");
    serde_json::from_value(json!({
        "replies": [
            {"content": [flagged]},
            {"when": {"tool_result": "denied"},
             "content": [
                {"type": "text", "text": "I'll write the file instead."},
                {"type": "tool_use", "name": "Write",
                 "input": {"file_path": "/workspace/hello.txt", "content": "hello from auto mode\n"}}]},
            {"when": {"tool_result": ""},
             "content": [bash("git add hello.txt && git commit -q -m 'Add hello.txt'", "Commit the file")]},
            {"when": {"tool_result": ""},
             "content": [{"type": "text", "text": "Done: hello.txt is committed."}]}
        ]
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_in_its_default_auto_mode_runs_and_commits_with_no_dialog() {
    let mock = start_mock(auto_mode_script()).await;
    let home = Home::new();
    // No permission setting at all: Claude Code starts in its own default, auto mode.
    let server = serve(&home, &mock, &[]);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Create hello.txt and commit it.").await;

    let branch_file = format!("plinth/{id}:hello.txt");
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "idle with its branch, asking nobody",
        |shown| {
            let synced = git_out(repo.path(), &["show", &branch_file]);
            async move {
                assert_ne!(
                    shown["status"], "waiting-for-user",
                    "auto mode asked its user: {shown:#}"
                );
                shown["status"] == "idle" && !synced.is_empty()
            }
        },
    )
    .await;
    assert_eq!(
        git_out(
            repo.path(),
            &["log", "-1", "--format=%s", &format!("plinth/{id}")]
        )
        .trim(),
        "Add hello.txt"
    );
    let statuses = statuses(&server, &id).await;
    assert!(
        !statuses.iter().any(|s| s == "waiting-for-user"),
        "no dialog: {statuses:?}"
    );
    expect_notifications(&server, &id, &mock, 0).await;

    // Every turn asked the API to check its tool calls, and got the verdicts back through
    // plinth's proxy: the flagged command was refused by Claude Code with the mock's
    // reason, and no separate classifier request was made (each request is a turn of the
    // script, none is left over).
    let requests: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.is_messages())
        .collect();
    assert_eq!(mock.remaining(), 0, "{}", story(&server, &id, &mock).await);
    assert_eq!(
        requests.len(),
        4,
        "{:#?}",
        requests.iter().map(|r| r.served).collect::<Vec<_>>()
    );
    for request in &requests {
        assert_eq!(
            request.body["safeguards"][0]["type"], "dangerous_tool_use",
            "{}",
            request.path
        );
    }
    let refusal = requests[1].tool_results().join("\n");
    assert!(
        refusal.contains("denied") && refusal.contains("it deletes the repository's history"),
        "{refusal}"
    );
    assert!(
        exists_in_container(&id, "/workspace/.git/HEAD"),
        "the flagged command did not run"
    );

    support::remove_containers_of(&id);
}

fn permission_script() -> Script {
    let bash = |command: &str, description: &str| {
        json!({"type": "tool_use", "name": "Bash",
               "input": {"command": command, "description": description}})
    };
    serde_json::from_value(json!({
        "replies": [
            {"content": [bash("touch first.txt", "Create first.txt")]},
            {"when": {"tool_result": ""}, "content": [bash("touch second.txt", "Create second.txt")]},
            {"when": {"tool_result": ""}, "content": [bash("touch third.txt", "Create third.txt")]},
            {"when": {"contains": "Skip the third file"},
             "content": [{"type": "text", "text": "Skipped it; two files are there."}]}
        ]
    }))
    .unwrap()
}

const FIRST: &str = "/workspace/first.txt";
const SECOND: &str = "/workspace/second.txt";
const THIRD: &str = "/workspace/third.txt";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_waits_for_permission_and_goes_on_when_answered_by_message_or_terminal() {
    let mock = start_mock(permission_script()).await;
    let home = Home::new();
    // Manual mode asks before every command (Claude Code's own default, auto mode, would
    // let these by).
    let server = serve(&home, &mock, &[("PLINTH_PERMISSION_MODE", "manual")]);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Create first.txt, then second.txt.").await;

    // The first Bash call asks for permission: the task waits for its user, who is told.
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "waiting for permission",
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
    assert!(
        !exists_in_container(&id, FIRST),
        "nothing ran before the answer"
    );
    // The dialog is asked as a question: the tool, its command, and the dialog's choices.
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    let question = &shown["question"];
    assert_eq!(question["text"], "Allow Bash?", "{shown:#}");
    assert_eq!(question["detail"], "Bash: touch first.txt", "{shown:#}");
    let kinds: Vec<(&str, &str)> = question["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("yes", "allow"), ("always", "allow-always"), ("no", "deny")]
    );

    // Answered by a message: the command runs, and the second call asks again.
    send_message(&server, &id, "yes").await;
    wait_for_dialog(&server, &id, &mock, 2).await;
    assert!(exists_in_container(&id, FIRST));
    let statuses_so_far = statuses(&server, &id).await;
    let waits: Vec<usize> = statuses_so_far
        .iter()
        .enumerate()
        .filter(|(_, s)| *s == "waiting-for-user")
        .map(|(at, _)| at)
        .collect();
    assert!(
        statuses_so_far[waits[0]..waits[1]]
            .iter()
            .any(|s| s == "working"),
        "working again between the two waits: {statuses_so_far:?}"
    );
    expect_notifications(&server, &id, &mock, 2).await;

    // Answered by a key in the web terminal, as a person watching would.
    let mut terminal = connect(&server, &format!("/api/tasks/{id}/terminal")).await;
    // The dialog reached the viewer (words are drawn apart, so look for one).
    read_until(&mut terminal, "Yes").await;
    type_in(&mut terminal, "\r").await;
    wait_for_dialog(&server, &id, &mock, 3).await;
    assert!(exists_in_container(&id, SECOND));

    // Answered by an instruction: the command is cancelled and the instruction is Claude
    // Code's next prompt.
    send_message(&server, &id, "Skip the third file.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(60),
        "idle after the instruction",
        |shown| {
            let mock = &mock;
            async move { shown["status"] == "idle" && mock.remaining() == 0 }
        },
    )
    .await;
    assert!(
        !exists_in_container(&id, THIRD),
        "the cancelled command did not run"
    );
    let results: Vec<String> = mock
        .requests()
        .iter()
        .flat_map(|r| r.tool_results())
        .collect();
    assert_eq!(results.len(), 3, "{results:?}");
    expect_notifications(&server, &id, &mock, 3).await;

    support::remove_containers_of(&id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_codes_permission_question_is_answered_through_the_api() {
    let script: Script = serde_json::from_value(json!({
        "replies": [
            {"content": [{"type": "tool_use", "name": "Bash",
                          "input": {"command": "touch first.txt", "description": "Create first.txt"}}]},
            {"when": {"tool_result": ""},
             "content": [{"type": "text", "text": "first.txt is there."}]}
        ]
    }))
    .unwrap();
    let mock = start_mock(script).await;
    let home = Home::new();
    let server = serve(&home, &mock, &[("PLINTH_PERMISSION_MODE", "manual")]);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Create first.txt.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "asking about the command",
        |shown| async move { shown["question"]["text"] == "Allow Bash?" },
    )
    .await;

    // Its yes-and-don't-ask-again, by the choice's id.
    let res = server
        .post(&format!("/api/tasks/{id}/answer"))
        .json(&json!({ "choice": "always" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    wait_for(
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
    assert!(exists_in_container(&id, FIRST));
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert!(shown["question"].is_null(), "{shown:#}");

    // Nothing asked any more: an answer is refused.
    let res = server
        .post(&format!("/api/tasks/{id}/answer"))
        .json(&json!({ "choice": "yes" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CONFLICT);

    support::remove_containers_of(&id);
}

/// The agent's own process in the task's container: the child of the tmux pane's shell.
fn kill_claude(id: &str) {
    let container = support::containers_of(id).remove(0);
    let script = format!(
        "pane=$(tmux -S /tmp/plinth-tmux.sock display -p -t '{id}--agent' '#{{pane_pid}}') && \
         kill -9 $(cat /proc/$pane/task/$pane/children)"
    );
    let out = Command::new("docker")
        .args(["exec", "-u", "agent", &container, "sh", "-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "killing claude: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_killed_mid_turn_fails_the_task_with_its_exit() {
    // The one reply is slow: Claude Code is still waiting for it when it is killed.
    let slow: Script = serde_json::from_value(json!({
        "replies": [{"delay_ms": 60_000, "content": [{"type": "text", "text": "too late"}]}]
    }))
    .unwrap();
    let mock = start_mock(slow).await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Take your time.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "working on the model call",
        |shown| {
            let mock = &mock;
            async move { shown["status"] == "working" && !mock.requests().is_empty() }
        },
    )
    .await;

    kill_claude(&id);
    let killed = Instant::now();
    let shown = loop {
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if shown["lifecycle"] == "failed" {
            break shown;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(20),
            "the crash was not noticed: {shown:#}\n{}",
            story(&server, &id, &mock).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("crash → failed in {:?}", killed.elapsed());
    assert_eq!(shown["status"], "failed", "{shown:#}");
    let reason = shown["failure"].as_str().unwrap_or_default().to_string()
        + shown["detail"].as_str().unwrap_or_default();
    assert!(reason.contains("137"), "the exit is named: {shown:#}");
    // The user is told, once the failure is recorded.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let notes = events(&server, &id, "notification").await;
        if notes
            .iter()
            .any(|n| n["data"]["urgency"] == "needs-attention")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the user is not told: {notes:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    support::remove_containers_of(&id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_told_to_exit_finishes_the_task() {
    let mock = start_mock(Script::default()).await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Say hello.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "idle after its turn",
        |shown| async move { shown["status"] == "idle" },
    )
    .await;

    send_message(&server, &id, "/exit").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(30),
        "finished",
        |shown| async move { shown["lifecycle"] == "finished" },
    )
    .await;
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["status"], "finished", "{shown:#}");
    let hooks: Vec<Value> = events(&server, &id, "task.hook").await;
    assert!(
        hooks.iter().any(|h| h["data"]["name"] == "SessionEnd"),
        "Claude Code said its session ended"
    );

    support::remove_containers_of(&id);
}
