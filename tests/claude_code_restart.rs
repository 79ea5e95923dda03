//! kill -9 of plinth while the real Claude Code is mid-turn (a model call in flight through
//! plinth's proxy, or a tool running while plinth stays down a while) or waits on its
//! permission dialog, then a new `plinth serve` on the same home: the task picks up where
//! it was, no event is lost or doubled, and its status is right again within seconds.

mod support;

use std::time::{Duration, Instant};

use plinth_mock_llm::Script;
use serde_json::{Value, json};
use support::claude::{
    SKIP_PERMISSIONS, create_task, expect_notifications, git_out, send_message, serve, sessions,
    start_mock, statuses, story, wait_for, wait_for_synced,
};
use support::{Containers, Home, Server, repository};

/// How long the cut call's reply makes Claude Code wait: far longer than the test waits
/// before the kill, so the call is surely in flight when plinth dies.
const SLOW_MS: u64 = 30_000;

/// The pause between the events of the reply cut mid-stream: the whole reply would take
/// far longer than the test waits.
const SLOW_CHUNK_MS: u64 = 3_000;

/// How long the tool of the second scenario runs: plinth dies during it and is still down
/// when it ends.
const TOOL_SECONDS: u64 = 4;

/// How soon after the restart the task must be idle. Claude Code retries a broken call
/// with a backoff that starts at half a second and doubles (seen: 1–4 s after a restart);
/// the bound leaves room for a loaded machine.
const RIGHT_AGAIN_WITHIN: Duration = Duration::from_secs(30);

const COMMIT: &str = "git add hello.txt && git commit -q -m 'Add hello.txt'";

fn write_hello() -> Value {
    json!({"content": [
        {"type": "text", "text": "I'll write the file."},
        {"type": "tool_use", "name": "Write",
         "input": {"file_path": "/workspace/hello.txt", "content": "hello from claude\n"}}]})
}

fn bash(command: &str) -> Value {
    json!({"type": "tool_use", "name": "Bash",
           "input": {"command": command, "description": "Commit the file"}})
}

fn done() -> Value {
    json!({"when": {"tool_result": ""},
           "content": [{"type": "text", "text": "Done: hello.txt is committed."}]})
}

/// Write a file; then a slow reply (the call the kill cuts); Claude Code's retry of that
/// call gets the commit; then the turn ends.
fn slow_call_script() -> Script {
    serde_json::from_value(json!({"replies": [
        write_hello(),
        {"when": {"tool_result": ""}, "delay_ms": SLOW_MS, "content": [bash(COMMIT)]},
        {"when": {"tool_result": ""}, "content": [bash(COMMIT)]},
        done()
    ]}))
    .unwrap()
}

/// As [`slow_call_script`], but the cut reply is under way: its head and first events
/// are out, the rest comes slowly.
fn slow_stream_script() -> Script {
    serde_json::from_value(json!({"replies": [
        write_hello(),
        {"when": {"tool_result": ""}, "chunk_delay_ms": SLOW_CHUNK_MS,
         "content": [{"type": "text", "text": "Committing the file now."}, bash(COMMIT)]},
        {"when": {"tool_result": ""}, "content": [bash(COMMIT)]},
        done()
    ]}))
    .unwrap()
}

/// Write a file; then a commit that takes a while (the tool the kill finds running).
fn slow_tool_script() -> Script {
    let command = format!("sleep {TOOL_SECONDS} && {COMMIT}");
    serde_json::from_value(json!({"replies": [
        write_hello(),
        {"when": {"tool_result": ""}, "content": [bash(&command)]},
        done()
    ]}))
    .unwrap()
}

/// Every event of the task.
async fn all_events(server: &Server, id: &str) -> Vec<Value> {
    server.events_after(&format!("task={id}"), 0).await
}

fn seq(event: &Value) -> u64 {
    event["seq"].as_u64().unwrap()
}

/// What the kill finds the task doing, and how long plinth then stays down.
struct Scenario {
    script: Script,
    mid_turn: &'static str,
    /// Over the task's events so far: whether the task is where the kill should find it.
    is_mid_turn: fn(&[Value]) -> bool,
    down_for: Duration,
    /// Model calls the kill cuts.
    cut: usize,
}

fn count(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["kind"] == kind).count()
}

/// Whether the last hook is `name` for `tool`.
fn last_hook_is(events: &[Value], name: &str, tool: &str) -> bool {
    events
        .iter()
        .rev()
        .find(|e| e["kind"] == "task.hook")
        .is_some_and(|e| e["data"]["name"] == name && e["data"]["body"]["tool_name"] == tool)
}

/// The file is written and the next model call (the slow one) is under way.
fn second_call_in_flight(events: &[Value]) -> bool {
    count(events, "task.llm.started") == 2
        && count(events, "task.llm.finished") == 1
        && last_hook_is(events, "PostToolUse", "Write")
}

/// The second call's reply has begun streaming (the proxy saw its `message_start`).
fn second_reply_streaming(events: &[Value]) -> bool {
    second_call_in_flight(events) && count(events, "task.llm.usage") >= 3
}

/// Runs `scenario` to its kill -9 and restart, and checks what the restart must keep and
/// put right; prints how long the status took to be right again.
async fn kill_mid_turn_and_restart(scenario: Scenario) {
    let mock = start_mock(scenario.script).await;
    let home = Home::new();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Create hello.txt and commit it.").await;
    let _containers = Containers(id.clone());

    // The first Docker task of a fresh machine builds the agent image (minutes).
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        scenario.mid_turn,
        |shown| {
            let server = &server;
            let id = &id;
            async move {
                shown["status"] == "working"
                    && (scenario.is_mid_turn)(&all_events(server, id).await)
            }
        },
    )
    .await;
    let before = all_events(&server, &id).await;
    assert!(
        (scenario.is_mid_turn)(&before),
        "still {} when plinth is killed: {}",
        scenario.mid_turn,
        story(&server, &id, &mock).await
    );
    let last_status_before = statuses(&server, &id).await.pop();
    assert_eq!(last_status_before.as_deref(), Some("working"));
    let requests_before = mock.requests().len();
    server.kill9();
    tokio::time::sleep(scenario.down_for).await;

    let restarted = Instant::now();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    wait_for(
        &server,
        &id,
        &mock,
        RIGHT_AGAIN_WITHIN,
        "idle after the restart",
        |shown| async move { shown["status"] == "idle" },
    )
    .await;
    let idle_after = restarted.elapsed();
    let synced = wait_for_synced(&server, &id, &mock, repo.path(), "hello.txt").await;
    println!(
        "killed {}, down {:.0} s: idle {:.1} s after the restart, its branch synced {:.1} s after",
        scenario.mid_turn,
        scenario.down_for.as_secs_f64(),
        idle_after.as_secs_f64(),
        restarted.elapsed().as_secs_f64()
    );

    // (1) Every event seen before the kill is still there, the same, in order, once.
    let after = all_events(&server, &id).await;
    assert!(
        after.windows(2).all(|w| seq(&w[0]) < seq(&w[1])),
        "events in order, none doubled"
    );
    assert!(after.len() > before.len());
    for (was, is) in before.iter().zip(&after) {
        assert_eq!(was, is, "an event before the kill changed or went missing");
    }

    // (2) The turn's work is done and came back.
    assert_eq!(synced, "hello from claude\n");
    assert_eq!(
        git_out(
            repo.path(),
            &["log", "-1", "--format=%s", &format!("plinth/{id}")]
        )
        .trim(),
        "Add hello.txt"
    );
    // Claude Code went on with its own conversation, not a new one.
    let requests = mock.requests();
    assert!(requests.len() > requests_before, "a call after the restart");
    let sessions = sessions(&mock);
    assert_eq!(sessions.len(), 1, "one Claude Code session: {sessions:?}");

    // (3) The statuses after the restart make sense: the task was neither relaunched nor
    // failed, and its turn ended idle.
    let last_before = before.last().map(seq).unwrap_or(0);
    let statuses_after: Vec<String> = after
        .iter()
        .filter(|e| e["kind"] == "task.status" && seq(e) > last_before)
        .map(|e| e["data"]["status"].as_str().unwrap_or_default().to_string())
        .collect();
    // Working when plinth died, it stays so (no restart, no flapping to idle while Claude
    // Code retries its call) until the turn's end makes it idle, once.
    assert_eq!(
        statuses_after,
        ["idle"],
        "{}",
        story(&server, &id, &mock).await
    );
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["lifecycle"], "running", "{shown:#}");
    // Every model call that started has its end, one the kill cut included; every hook
    // Claude Code ran arrived, those it ran while plinth was down too.
    assert_eq!(
        count(&after, "task.llm.started"),
        count(&after, "task.llm.finished"),
        "{}",
        story(&server, &id, &mock).await
    );
    let cut = after
        .iter()
        .filter(|e| e["kind"] == "task.llm.finished")
        .filter(|e| {
            e["data"]["error"]
                .as_str()
                .is_some_and(|s| s.starts_with("cut off"))
        })
        .count();
    assert_eq!(cut, scenario.cut, "calls closed as cut by the kill");
    let hooks = |name: &str| {
        after
            .iter()
            .filter(|e| e["kind"] == "task.hook" && e["data"]["name"] == name)
            .count()
    };
    assert_eq!(
        (hooks("PreToolUse"), hooks("PostToolUse")),
        (2, 2),
        "a PreToolUse and a PostToolUse for each tool: {}",
        story(&server, &id, &mock).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_task_survives_kill_9_of_the_server_mid_turn() {
    // Killed while the second model call waits for its slow reply; restarted at once.
    kill_mid_turn_and_restart(Scenario {
        script: slow_call_script(),
        mid_turn: "with its second model call in flight",
        is_mid_turn: second_call_in_flight,
        down_for: Duration::ZERO,
        cut: 1,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_task_survives_kill_9_of_the_server_mid_stream() {
    // Killed while the second reply streams in, slowly; restarted at once.
    kill_mid_turn_and_restart(Scenario {
        script: slow_stream_script(),
        mid_turn: "with its second reply streaming",
        is_mid_turn: second_reply_streaming,
        down_for: Duration::ZERO,
        cut: 1,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_task_survives_kill_9_of_the_server_mid_turn_and_a_pause_before_the_restart() {
    // The same, with plinth down a while: Claude Code's retries of the cut call are refused
    // and it backs off, so the resumed adapter sees it busy with no call in flight.
    kill_mid_turn_and_restart(Scenario {
        script: slow_call_script(),
        mid_turn: "with its second model call in flight",
        is_mid_turn: second_call_in_flight,
        down_for: Duration::from_secs(6),
        cut: 1,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_task_survives_kill_9_of_the_server_while_a_tool_runs_and_it_stays_down() {
    // Killed while the commit runs; the tool ends, its hook is posted and the next model
    // call is made while plinth is down.
    kill_mid_turn_and_restart(Scenario {
        script: slow_tool_script(),
        mid_turn: "while its Bash tool runs",
        is_mid_turn: |events| last_hook_is(events, "PreToolUse", "Bash"),
        down_for: Duration::from_secs(TOOL_SECONDS + 4),
        cut: 0,
    })
    .await;
}

/// One command that writes and commits the file, asked for in manual mode: Claude Code
/// waits on its permission dialog until the user answers.
fn permission_script() -> Script {
    let command = format!("echo 'hello from claude' > hello.txt && {COMMIT}");
    serde_json::from_value(json!({"replies": [
        {"content": [{"type": "text", "text": "I'll write and commit the file."}, bash(&command)]},
        done()
    ]}))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_task_waiting_for_permission_survives_kill_9_and_the_answer_after_it_counts() {
    let mock = start_mock(permission_script()).await;
    let home = Home::new();
    let manual = &[("PLINTH_PERMISSION_MODE", "manual")];
    let server = serve(&home, &mock, manual);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Create hello.txt and commit it.").await;
    let _containers = Containers(id.clone());
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "waiting for permission",
        |shown| async move { shown["status"] == "waiting-for-user" },
    )
    .await;
    expect_notifications(&server, &id, &mock, 1).await;
    let before = all_events(&server, &id).await;
    let waiting: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    server.kill9();

    let server = serve(&home, &mock, manual);
    // The task's agent host runs again (its adapter resumed, looking at Claude Code's
    // screen); then a few of its screen ticks, for a wrong status or a second
    // notification to show if there were to be one.
    let host = format!("/api/actors/task-{id}");
    wait_for(
        &server,
        &id,
        &mock,
        RIGHT_AGAIN_WITHIN,
        "its agent host running again",
        |_| {
            let server = &server;
            let host = &host;
            async move {
                let res = server.get(host).send().await.unwrap();
                res.status().is_success()
                    && res.json::<Value>().await.unwrap()["state"] == "running"
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["status"], "waiting-for-user", "{shown:#}");
    assert_eq!(
        shown["status_since"], waiting["status_since"],
        "still the same wait: {shown:#}"
    );
    let after = all_events(&server, &id).await;
    for (was, is) in before.iter().zip(&after) {
        assert_eq!(was, is, "an event before the kill changed or went missing");
    }
    let last_before = before.last().map(seq).unwrap_or(0);
    let statuses_after: Vec<&str> = after
        .iter()
        .filter(|e| e["kind"] == "task.status" && seq(e) > last_before)
        .filter_map(|e| e["data"]["status"].as_str())
        .collect();
    assert!(
        statuses_after.iter().all(|s| *s == "waiting-for-user"),
        "no other status while the dialog stayed open: {statuses_after:?}\n{}",
        story(&server, &id, &mock).await
    );
    // The restart does not tell the user again.
    expect_notifications(&server, &id, &mock, 1).await;
    let branch_file = format!("plinth/{id}:hello.txt");
    assert_eq!(
        git_out(repo.path(), &["show", &branch_file]),
        "",
        "nothing ran before the answer"
    );

    // The answer given after the restart reaches the dialog: the command runs.
    send_message(&server, &id, "yes").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(60),
        "idle after the answer",
        |shown| async move { shown["status"] == "idle" },
    )
    .await;
    let synced = wait_for_synced(&server, &id, &mock, repo.path(), "hello.txt").await;
    assert_eq!(synced, "hello from claude\n");
    let sessions = sessions(&mock);
    assert_eq!(sessions.len(), 1, "one Claude Code session: {sessions:?}");
}
