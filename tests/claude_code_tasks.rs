//! The product, end to end: the real Claude Code CLI (in plinth's agent image) on a task in
//! a real container, talking to a scripted mock of the model through plinth's proxy, its
//! hooks posted to plinth. Checks the statuses, the branch that comes back into the user's
//! repository (whose own dirty work is untouched), and that the real key never reaches the
//! container.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use plinth_mock_llm::{MockLlm, Script};
use serde_json::{Value, json};
use support::{Home, Server, repository};

/// What the user holds; only the mock (the "upstream") may ever see it.
const REAL_KEY: &str = "sk-ant-real-user-key-0123456789abcdef";

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

async fn events(server: &Server, id: &str, kind: &str) -> Vec<Value> {
    server
        .get_json(&format!("/api/events?task={id}&kind={kind}"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_writes_and_commits_a_file_and_its_branch_comes_back() {
    let mock = MockLlm::start("127.0.0.1:0".parse().unwrap(), script())
        .await
        .unwrap();
    let home = Home::new();
    let mut command = home.command(&["serve", "--port", "0", "--no-open"]);
    command
        .env("PLINTH_LLM_UPSTREAM", mock.url())
        .env("ANTHROPIC_API_KEY", REAL_KEY)
        .env("PLINTH_SKIP_PERMISSIONS", "true");
    let server = home.serve_with_command(command);

    let repo = repository();
    // The user's own work in progress, which nothing may touch.
    std::fs::write(repo.path().join("README.md"), "my unsaved edit\n").unwrap();
    let status_before = git_out(repo.path(), &["status", "--porcelain"]);

    let res = server
        .post("/api/tasks")
        .json(
            &json!({"prompt": "Create hello.txt and commit it.", "repo": repo.path(),
                      "agent": "claude-code", "sandbox": "docker"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let task: Value = res.json().await.unwrap();
    let id = task["id"].as_str().unwrap().to_string();

    // Claude Code ends its turn: the Stop hook makes it idle, and the sync follows.
    // The first Docker task of a fresh machine builds the agent image (minutes).
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        let synced = git_out(repo.path(), &["show", &format!("plinth/{id}:hello.txt")]);
        if shown["status"] == "idle" && !synced.is_empty() {
            break;
        }
        assert!(
            shown["lifecycle"] != "failed",
            "the task failed: {shown:#}\n{:#?}",
            events(&server, &id, "task.").await
        );
        assert!(
            Instant::now() < deadline,
            "never idle with its branch: {shown:#}\nevents: {}\nrequests: {:?}",
            events(&server, &id, "task.")
                .await
                .iter()
                .map(|e| format!("{} {}", e["kind"], e["data"])
                    .chars()
                    .take(300)
                    .collect::<String>())
                .collect::<Vec<_>>()
                .join("\n"),
            mock.requests()
                .iter()
                .map(|r| (r.path.clone(), r.served))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let statuses: Vec<String> = events(&server, &id, "task.status")
        .await
        .iter()
        .map(|e| e["data"]["status"].as_str().unwrap_or_default().to_string())
        .collect();
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

fn git_out(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
