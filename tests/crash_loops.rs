//! Agents that crash in a loop are their own task's business: each task has a restart
//! budget, past which it fails with the reason and a notification, while the server and
//! every other task go on, and a restart of the server does not bring them back.

mod support;

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Home, Server, repository};

const HOSTILE: usize = 20;
/// A task whose adapter traps at every start: each `trap` step is saved as done just
/// before it traps, so every restart runs into the next one.
fn trap_loop() -> String {
    let mut script = String::from("#!scripted\n# traps at every start\n");
    for _ in 0..100 {
        script.push_str("trap\n");
    }
    script
}
/// Runs through the storm and finishes once it is over.
const HEALTHY: &str = "#!scripted\nsay working through the storm\nsleep 8000\nrun echo done > out.txt\ncommit the work\nfinish";
/// The default budget (5 restarts in 60 s, the first after 0.5 s and doubling) fails a
/// task that traps at once within about 16 s; a loaded machine gets ample slack.
const FAILED_WITHIN: Duration = Duration::from_secs(120);

async fn create(server: &Server, repo: &Path, script: &str) -> String {
    server
        .create_task(
            &json!({"prompt": script, "repo": repo, "agent": "scripted", "sandbox": "local"}),
        )
        .await
}

/// The server's stderr, read as it comes: each adapter failure is logged with its WASM
/// backtrace, and a pipe left full would block the server's logging threads. Keeps the
/// last 64 KiB, to show when the server dies.
fn drain_stderr(server: &mut Server) -> Arc<Mutex<String>> {
    let kept = Arc::new(Mutex::new(String::new()));
    let mut pipe = server.child.stderr.take().expect("the server's stderr");
    let sink = kept.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            let mut kept = sink.lock().unwrap();
            kept.push_str(&String::from_utf8_lossy(&chunk[..n]));
            if kept.len() > 128 << 10 {
                let cut = kept.len() - (64 << 10);
                let cut = (cut..kept.len())
                    .find(|&i| kept.is_char_boundary(i))
                    .unwrap();
                kept.drain(..cut);
            }
        }
    });
    kept
}

/// Whether the server process is still alive, and its health answers `ok`.
async fn assert_up(server: &mut Server, stderr: &Mutex<String>, when: &str) {
    if let Ok(Some(status)) = server.child.try_wait() {
        std::thread::sleep(Duration::from_millis(200));
        let err = stderr.lock().unwrap().clone();
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        panic!("the server died {when} ({status}): {tail:#?}");
    }
    let health: Value = server.get_json("/api/health").await;
    assert_eq!(health["status"], "ok", "{when}: {health}");
}

#[tokio::test]
async fn twenty_trap_looping_tasks_fail_on_their_own_budget_while_the_server_and_healthy_tasks_go_on()
 {
    let home = Home::new();
    let mut server = home.serve();
    let stderr = drain_stderr(&mut server);
    // A repository each: tasks in one repository would share its worktree list, which is
    // not what this test is about.
    let repos: Vec<_> = (0..HOSTILE + 2).map(|_| repository()).collect();
    let script = trap_loop();
    let made = Instant::now();
    let hostile: Vec<String> = futures::future::join_all(
        repos[..HOSTILE]
            .iter()
            .map(|repo| create(&server, repo.path(), &script)),
    )
    .await;
    let healthy: Vec<String> = futures::future::join_all(
        repos[HOSTILE..]
            .iter()
            .map(|repo| create(&server, repo.path(), HEALTHY)),
    )
    .await;

    // Every hostile task ends failed, on its own, while the server stays up.
    let deadline = made + FAILED_WITHIN;
    let failed: Vec<Value> = loop {
        assert_up(&mut server, &stderr, "while tasks crash-loop").await;
        let tasks: Vec<Value> = server.get_json("/api/tasks").await;
        let of = |id: &String| tasks.iter().find(|t| t["id"] == id.as_str()).unwrap();
        let ended: Vec<Value> = hostile
            .iter()
            .map(of)
            .filter(|t| t["status"] == "failed")
            .cloned()
            .collect();
        if ended.len() == HOSTILE {
            break ended;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {HOSTILE} trap-looping tasks failed within {FAILED_WITHIN:?}; still: {:#?}",
            ended.len(),
            hostile
                .iter()
                .map(of)
                .filter(|t| t["status"] != "failed")
                .map(|t| (&t["id"], &t["status"], &t["agent_status"]))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    for task in &failed {
        let id = task["id"].as_str().unwrap();
        let reason = task["failure"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with("the adapter failed 6 times in 60 s (5 restarts allowed): ")
                && reason.contains("trap"),
            "{id}'s failure says why: {task:#}"
        );
        let notes: Vec<Value> = server
            .get_json(&format!("/api/events?kind=notification&task={id}"))
            .await;
        assert!(
            notes
                .iter()
                .any(|n| n["data"]["urgency"] == "needs-attention"
                    && n["data"]["body"].as_str() == Some(reason)),
            "{id} was announced with its reason: {notes:#?}"
        );
    }

    // The healthy ones were not taken down with them.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert_up(&mut server, &stderr, "while the healthy tasks finish").await;
        let mut done = 0;
        for id in &healthy {
            let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
            assert_ne!(task["status"], "failed", "{task:#}");
            done += (task["status"] == "finished") as usize;
        }
        if done == healthy.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the healthy tasks did not finish"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // The next start does not resume what failed: no agent host, no new adapter start.
    let last_seq = server.get_json::<Value>("/api/health").await["last_seq"]
        .as_u64()
        .unwrap();
    server.kill9();
    let mut server = home.serve();
    let stderr = drain_stderr(&mut server);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_up(&mut server, &stderr, "after its restart").await;
    let actors: Vec<Value> = server.get_json("/api/actors").await;
    for id in &hostile {
        let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        assert_eq!(task["status"], "failed", "{task:#}");
        let host = format!("root/tasks/task-{id}");
        assert!(
            !actors.iter().any(|a| a["name"] == host.as_str()),
            "{id}'s agent host was started again"
        );
        let since: Vec<Value> = server
            .events_after(&format!("task={id}&kind=task.log"), last_seq)
            .await;
        assert!(since.is_empty(), "{id}'s adapter ran again: {since:#?}");
    }
}
