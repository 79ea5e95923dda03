//! An ended task holds nothing: once a task has finished (or failed) and its work is
//! synced, its agent host is ended and its environment stopped, with real Docker and real
//! tmux. What still needs the environment wakes it, and it stops again after: the diff
//! (work not committed is only in the container), the web terminal (a shell, since the
//! agent's tmux sessions ended with the container) and a sync. The agent's last screen stays
//! readable from the store. And the prompt is stored once, not in every event of its task.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use support::attach::attach_type_detach;
use support::terminal::{connect, read_until, type_in};
use support::{Containers, Home, Server, repository, rev, running_container, served};

/// Whether the task's agent host is in the registry.
async fn host_is_up(server: &Server, task: &str) -> bool {
    let actors: Vec<Value> = server.get_json("/api/actors").await;
    let name = format!("task-{task}");
    actors
        .iter()
        .any(|a| a["name"].as_str().unwrap_or_default().ends_with(&name))
}

/// Waits (at most `limit`) until `done` holds; panics saying `what` otherwise.
async fn wait_until<F, Fut>(limit: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn lifecycle(server: &Server, id: &str) -> String {
    let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    task["lifecycle"].as_str().unwrap().to_string()
}

/// How long a woken environment may stay up after its last use, with room to spare.
const STOPS_WITHIN: Duration = Duration::from_secs(40);

#[tokio::test]
async fn a_finished_docker_task_stops_its_container_and_host_and_wakes_them_for_diff_terminal_and_sync()
 {
    let (home, server, repo) = served();
    let r = repo.path();
    let id = server
        .create_scripted(
            r,
            "#!scripted\nterm sh -c 'echo agent-was-here; sleep 100000'\nexpect agent-was-here\n\
         write notes.txt first note\ncommit add notes\nwrite loose.txt not committed\\n\nfinish",
            "docker",
        )
        .await;
    let _cleanup = Containers(id.clone());

    // Finished, synced, then released: no container running, no agent host.
    // The first Docker task of a fresh machine builds the agent image (minutes).
    wait_until(Duration::from_secs(600), "the task to finish", || async {
        lifecycle(&server, &id).await == "finished"
    })
    .await;
    wait_until(
        Duration::from_secs(60),
        "the container to stop and the agent host to end",
        || async { running_container(&id).is_none() && !host_is_up(&server, &id).await },
    )
    .await;
    assert!(
        !rev(r, &format!("plinth/{id}:notes.txt")).is_empty(),
        "its work was synced before the container stopped"
    );
    assert_eq!(
        support::containers_of(&id).len(),
        1,
        "stopped, not removed: its files stay"
    );
    let host = server
        .get(&format!("/api/actors/task-{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(host.status(), StatusCode::NOT_FOUND);
    // The agent's last screen is still readable.
    let scrollback: Value = server
        .get_json(&format!("/api/tasks/{id}/scrollback?stream=agent"))
        .await;
    assert!(
        scrollback[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("agent-was-here"),
        "{scrollback:#}"
    );

    // The diff wakes the container: what was never committed is only there.
    let diff: Value = server.get_json(&format!("/api/tasks/{id}/diff")).await;
    assert_eq!(diff["source"], "environment", "{diff:#}");
    let text = diff["diff"].as_str().unwrap();
    assert!(
        text.contains("+not committed") && text.contains("+first note"),
        "{text}"
    );
    assert!(running_container(&id).is_some(), "woken for the diff");
    wait_until(
        STOPS_WITHIN,
        "the container to stop after the diff",
        || async { running_container(&id).is_none() },
    )
    .await;

    // The terminal wakes it too: a shell in the work tree, since the agent's sessions ended
    // with the container. The agent's work is there; a commit made there comes back by a
    // sync, which wakes the container again once the terminal has let it stop.
    let mut terminal = connect(
        &server,
        &format!("/api/tasks/{id}/terminal?cols=120&rows=40"),
    )
    .await;
    type_in(&mut terminal, "cat loose.txt; echo shell-$((6*7))\r").await;
    let shown = read_until(&mut terminal, "shell-42").await;
    assert!(shown.contains("not committed"), "{shown}");
    type_in(
        &mut terminal,
        "git -c user.name=u -c user.email=u@example.invalid commit -qam late --allow-empty \
         && echo committed-$((6*7))\r",
    )
    .await;
    read_until(&mut terminal, "committed-42").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        running_container(&id).is_some(),
        "up while the terminal is open"
    );
    drop(terminal);
    wait_until(
        STOPS_WITHIN,
        "the container to stop after the terminal",
        || async { running_container(&id).is_none() },
    )
    .await;

    // `plinth task attach` goes through the server for an ended task, so it wakes it too.
    let (shown, exit) = attach_type_detach(&home, &id, "echo cli-$((6*7))\r", "cli-42");
    assert!(shown.contains("cli-42"), "{shown}");
    assert_eq!(exit, Some(0), "detached with Ctrl-b d: {shown}");
    wait_until(
        STOPS_WITHIN,
        "the container to stop after the attach",
        || async { running_container(&id).is_none() },
    )
    .await;

    let sync = server
        .post(&format!("/api/tasks/{id}/sync"))
        .send()
        .await
        .unwrap();
    let status = sync.status();
    let report: Value = sync.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{report:#}");
    assert_eq!(report["outcome"], "updated", "{report:#}");
    let subject = Command::new("git")
        .arg("-C")
        .arg(r)
        .args(["log", "-1", "--format=%s", &format!("plinth/{id}")])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&subject.stdout).trim(), "late");
    wait_until(
        STOPS_WITHIN,
        "the container to stop after the sync",
        || async { running_container(&id).is_none() },
    )
    .await;
    assert_eq!(lifecycle(&server, &id).await, "finished");
    assert!(!host_is_up(&server, &id).await, "no agent host came back");
}

#[tokio::test]
async fn a_failed_local_task_ends_its_host_and_tmux_session_and_its_terminal_is_a_shell() {
    let (home, server, repo) = served();
    let id = server.create_scripted(repo.path(),
        "#!scripted\nterm sh -c 'echo agent-was-here; sleep 100000'\nexpect agent-was-here\nfail on purpose",
        "local",
    )
    .await;
    wait_until(Duration::from_secs(60), "the task to fail", || async {
        lifecycle(&server, &id).await == "failed"
    })
    .await;
    let tmux = home.path().join("tmux.sock");
    let sessions = || {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&tmux)
            .args(["list-sessions", "-F", "#{session_name}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    wait_until(
        Duration::from_secs(30),
        "the agent's tmux session and host to end",
        || {
            let listed = sessions();
            let server = &server;
            let id = id.clone();
            async move { !listed.contains(&id) && !host_is_up(server, &id).await }
        },
    )
    .await;

    let mut terminal = connect(
        &server,
        &format!("/api/tasks/{id}/terminal?cols=120&rows=40"),
    )
    .await;
    type_in(&mut terminal, "echo here-$((6*7)) in $(basename $PWD)\r").await;
    read_until(&mut terminal, &format!("here-42 in {id}")).await;
    assert!(sessions().contains(&format!("{id}--shell")));
    drop(terminal);
    wait_until(STOPS_WITHIN, "the shell session to end", || {
        let listed = sessions();
        let id = id.clone();
        async move { !listed.contains(&id) }
    })
    .await;
}

/// What the store holds, in bytes: its pages in use (free pages, such as those a rewritten
/// record left, are reused by later writes). Read with the server stopped, when the
/// write-ahead log has been checkpointed into the database.
fn store_bytes(home: &Home) -> u64 {
    let db = rusqlite::Connection::open(home.path().join("plinth.db")).unwrap();
    let pragma = |name: &str| -> u64 {
        db.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .unwrap()
    };
    (pragma("page_count") - pragma("freelist_count")) * pragma("page_size")
}

fn stop(mut server: Server) {
    server.signal(libc::SIGTERM);
    assert!(
        server.wait_for_exit(Duration::from_secs(20)).is_some(),
        "the server did not stop"
    );
}

#[tokio::test]
async fn a_task_with_a_2_mib_prompt_grows_the_store_by_less_than_3_mib_through_its_life() {
    let home = Home::new();
    stop(home.serve());
    let before = store_bytes(&home);

    let server = home.serve();
    let repo = repository();
    // Under the API's 2 MB body limit with its JSON around it.
    let mut prompt = String::from("#!scripted\n");
    let line = format!("# {}\n", "x".repeat(98));
    while prompt.len() + line.len() < 2_000_000 {
        prompt.push_str(&line);
    }
    prompt.push_str("say read it all\nfinish\n");
    let id = server.create_scripted(repo.path(), &prompt, "local").await;
    wait_until(Duration::from_secs(60), "the task to finish", || async {
        lifecycle(&server, &id).await == "finished"
    })
    .await;
    wait_until(
        Duration::from_secs(30),
        "its work synced at its end",
        || async {
            !server
                .events_after(&format!("task={id}&kind=task.synced"), 0)
                .await
                .is_empty()
        },
    )
    .await;
    let archive = server
        .post(&format!("/api/tasks/{id}/archive"))
        .send()
        .await
        .unwrap();
    assert_eq!(archive.status(), StatusCode::OK);

    // The API gives the prompt whole; its events carry a preview and its length.
    let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(task["prompt"].as_str().unwrap(), prompt);
    let events = server.events_after(&format!("task={id}"), 0).await;
    stop(server);

    let grown = store_bytes(&home) - before;
    assert!(
        grown < 3 << 20,
        "the store grew by {:.1} MiB for one task with a {:.1} MiB prompt",
        grown as f64 / (1 << 20) as f64,
        prompt.len() as f64 / (1 << 20) as f64
    );
    let lifecycle_events: Vec<&Value> = events
        .iter()
        .filter(|e| e["data"]["inputs"].is_object())
        .collect();
    assert!(lifecycle_events.len() >= 4, "{lifecycle_events:#?}");
    for event in lifecycle_events {
        let inputs = &event["data"]["inputs"];
        assert_eq!(inputs["prompt_bytes"], prompt.len(), "{}", event["kind"]);
        assert!(inputs.get("prompt").is_none(), "{}", event["kind"]);
        assert!(
            inputs["prompt_preview"]
                .as_str()
                .unwrap()
                .starts_with("#!scripted\n# xxx"),
            "{inputs}"
        );
    }
}
