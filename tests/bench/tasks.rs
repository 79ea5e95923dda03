//! Step 4's figure: a prompt submitted → the agent running in its sandbox, with the image
//! cached, for each built-in agent. `cargo bench --bench tasks` (needs Docker and the
//! agent image, as the tests do). Prints each figure with its target. `-- scripted`,
//! `-- claude`, `-- codex`, `-- gemini`, `-- opencode` or `-- aider` runs one of them.
//!
//! The clock starts just before `POST /api/tasks` and stops at the event that shows the
//! agent running: for the scripted agent its first status (its adapter started, in a
//! sandbox whose container is up and holds the repository); for the others the agent's
//! process started in its tmux session in the container (the adapter's log says so), and
//! for Claude Code separately its `SessionStart` hook (Claude Code initialised and running
//! its hooks). The mock model answers every provider's API, so the agents start as they
//! would against the real one.
//! Both times come from one machine's wall clock: the client's before the request, the
//! server's stamp on the event.

mod bench_server;

use std::time::{Duration, Instant};

use bench_server::{Server, repository, serve};
use chrono::{DateTime, Utc};
use plinth_actors::builtin_adapters;
use serde_json::{Value, json};

/// Measured runs under `cargo bench`; `cargo test` (which runs benches too, without
/// `--bench`) only checks that one run works.
const RUNS: usize = 9;

/// Submits a task and returns the time to the first event of `kind` whose data matches.
async fn time_to(
    server: &Server,
    client: &reqwest::Client,
    body: Value,
    kind: &str,
    matches: impl Fn(&Value) -> bool,
) -> (String, Duration) {
    let sent = Utc::now();
    let task: Value = client
        .post(format!("{}/api/tasks", server.url))
        .bearer_auth(&server.token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = task["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{task}"))
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let events: Vec<Value> = client
            .get(format!("{}/api/events?task={id}&kind={kind}", server.url))
            .bearer_auth(&server.token)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(event) = events.iter().find(|e| matches(&e["data"])) {
            let at: DateTime<Utc> = event["at"].as_str().unwrap().parse().unwrap();
            return (id, (at - sent).to_std().unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "task {id} never got its {kind}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn stop(server: &Server, client: &reqwest::Client, id: &str) {
    let _ = client
        .post(format!("{}/api/tasks/{id}/stop", server.url))
        .bearer_auth(&server.token)
        .send()
        .await;
}

async fn measure(
    runs: usize,
    what: &str,
    agent: &str,
    script: &str,
    kind: &str,
    matches: impl Fn(&Value) -> bool + Copy,
) {
    let server = serve(&[]);
    let repo = repository();
    let client = reqwest::Client::new();
    let body = json!({"prompt": script, "repo": repo.path(), "agent": agent, "sandbox": "docker"});
    // The first task builds or finds the image and compiles the adapter: not measured.
    let (first, _) = time_to(&server, &client, body.clone(), kind, matches).await;
    stop(&server, &client, &first).await;
    let mut times = Vec::new();
    for _ in 0..runs {
        let (id, took) = time_to(&server, &client, body.clone(), kind, matches).await;
        times.push(took);
        stop(&server, &client, &id).await;
    }
    times.sort();
    println!(
        "prompt → {what} (cached image): median {:.0} ms, min {:.0} ms, max {:.0} ms over {runs} (target ≤ 1000 ms median)",
        ms(times[runs / 2]),
        ms(times[0]),
        ms(times[runs - 1])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let runs = if std::env::args().any(|a| a == "--bench") {
        RUNS
    } else {
        1
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        if wants("scripted") {
            measure(
                runs,
                "the scripted agent running in its container",
                "scripted",
                "#!scripted\nwait-message",
                "task.status",
                |_| true,
            )
            .await;
        }
        // The other built-in agents: the process running in its container, said by the
        // adapter's log line `<agent>: started `<command> …``.
        for (agent, command) in [
            ("codex", "codex"),
            ("gemini", "gemini"),
            ("opencode", "opencode"),
            ("aider", "aider"),
        ] {
            if !wants(agent) || builtin_adapters::builtin_adapter(agent).is_none() {
                continue;
            }
            let what = format!("the {command} process running in its container");
            let started = format!("{agent}: started `{command}");
            measure(
                runs,
                &what,
                agent,
                "Say hello.",
                "task.log",
                |data: &Value| {
                    data["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with(started.as_str()))
                },
            )
            .await;
        }
        if wants("claude") {
            // The process: the adapter says so once its tmux session runs `claude`.
            measure(
                runs,
                "the claude process running in its container",
                "claude-code",
                "Say hello.",
                "task.log",
                |data: &Value| {
                    data["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("claude-code: started `claude"))
                },
            )
            .await;
            // Claude Code itself up: its first hook.
            measure(
                runs,
                "Claude Code's SessionStart hook",
                "claude-code",
                "Say hello.",
                "task.hook",
                |data: &Value| data["name"] == "SessionStart",
            )
            .await;
        }
    });
}
