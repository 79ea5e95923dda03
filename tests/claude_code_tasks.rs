//! The product, end to end: the real Claude Code CLI (in plinth's agent image) on a task in
//! a real container, talking to a scripted mock of the model through plinth's proxy, its
//! hooks posted to plinth. Checks the statuses, the branch that comes back into the user's
//! repository (whose own dirty work is untouched), that the real key never reaches the
//! container, and that a permission dialog makes the task wait for its user until it is
//! answered by a message or a key in the web terminal.

mod support;

use std::process::Command;
use std::time::Duration;

use plinth_mock_llm::{MockLlm, Script};
use serde_json::json;
use support::claude::{REAL_KEY, create_task, events, git_out, serve, statuses, wait_for};
use support::terminal::{connect, type_in};
use support::{Home, repository};

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
    let mock = MockLlm::start("127.0.0.1:0".parse().unwrap(), script())
        .await
        .unwrap();
    let home = Home::new();
    let server = serve(&home, &mock, true);

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

/// Two writes under `.git`: a protected path, which Claude Code never lets a permission
/// mode short of bypass approve on its own (its default, auto, lets ordinary commands by).
fn permission_script() -> Script {
    let write = |path: &str| {
        json!({"type": "tool_use", "name": "Write",
               "input": {"file_path": path, "content": "from claude\n"}})
    };
    serde_json::from_value(json!({
        "replies": [
            {"content": [write(FIRST)]},
            {"when": {"tool_result": ""}, "content": [write(SECOND)]},
            {"when": {"tool_result": ""},
             "content": [{"type": "text", "text": "Both files are there."}]}
        ]
    }))
    .unwrap()
}

const FIRST: &str = "/workspace/.git/info/plinth-first";
const SECOND: &str = "/workspace/.git/info/plinth-second";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_waits_for_permission_and_goes_on_when_answered_by_message_or_terminal() {
    let mock = MockLlm::start("127.0.0.1:0".parse().unwrap(), permission_script())
        .await
        .unwrap();
    let home = Home::new();
    let server = serve(&home, &mock, false);
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
            assert_ne!(shown["status"], "idle", "the turn ended without asking: {shown:#}");
            shown["status"] == "waiting-for-user"
        },
    )
    .await;
    let notes = events(&server, &id, "notification").await;
    assert_eq!(notes.len(), 1, "one notification for the wait: {notes:#?}");
    assert!(
        !exists_in_container(&id, FIRST),
        "nothing ran before the answer"
    );

    // Answered by a message: the command runs, and the second call asks again.
    let res = server
        .post(&format!("/api/tasks/{id}/messages"))
        .json(&json!({"text": "yes"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(60),
        "asking a second time",
        |_| {
            let server = &server;
            let id = &id;
            async move {
                let statuses = statuses(server, id).await;
                let waits = statuses.iter().filter(|s| *s == "waiting-for-user").count();
                waits >= 2 && statuses.last().is_some_and(|s| s == "waiting-for-user")
            }
        },
    )
    .await;
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
    assert_eq!(events(&server, &id, "notification").await.len(), 2);

    // Answered by a key in the web terminal, as a person watching would.
    let mut terminal = connect(&server, &format!("/api/tasks/{id}/terminal")).await;
    type_in(&mut terminal, "\r").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(60),
        "idle after the answers",
        |shown| async move { shown["status"] == "idle" },
    )
    .await;
    assert!(exists_in_container(&id, SECOND));
    let results: Vec<String> = mock
        .requests()
        .iter()
        .flat_map(|r| r.tool_results())
        .collect();
    assert!(
        !results
            .iter()
            .any(|r| r.contains("rejected") || r.contains("denied")),
        "both commands were allowed: {results:?}"
    );

    support::remove_containers_of(&id);
}
