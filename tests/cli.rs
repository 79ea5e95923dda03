//! The CLI against a real server: what a user and a script see.

mod support;

use std::io::BufRead;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Home, stderr, stdout};

#[test]
fn without_a_server_each_client_command_says_how_to_start_one_and_exits_2() {
    let home = Home::new();
    for args in [&["ps"][..], &["inspect", "root"], &["events"]] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains("plinth serve"), "{err}");
    }
}

#[test]
fn a_server_killed_without_cleanup_counts_as_no_server() {
    let home = Home::new();
    home.serve().kill9();
    assert!(home.server_file().exists(), "the stale file is still there");
    let out = home.run(&["ps"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn ps_shows_the_actor_tree_and_its_json_has_the_documented_keys() {
    let home = Home::new();
    let _server = home.serve();
    let out = home.run(&["ps"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for word in [
        "NAME", "STATE", "MAILBOX", "HANDLED", "RESTARTS", "UPTIME", "root", "projects", "running",
    ] {
        assert!(text.contains(word), "{word} in:\n{text}");
    }
    let out = home.run(&["ps", "--json"]);
    let actors: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(actors.len() >= 2);
    for actor in &actors {
        for key in [
            "id", "name", "kind", "parent", "state", "mailbox", "handled", "restarts",
        ] {
            assert!(actor.get(key).is_some(), "{key} missing in {actor}");
        }
    }
    let root = actors
        .iter()
        .find(|a| a["name"] == "root")
        .expect("root listed");
    let projects = actors
        .iter()
        .find(|a| a["name"] == "root/projects")
        .expect("projects listed");
    assert_eq!(projects["parent"], root["id"]);
}

/// Each line the child prints, read as JSON, on a channel.
fn json_lines(child: &mut std::process::Child) -> mpsc::Receiver<Value> {
    let (lines, got) = mpsc::channel();
    let out = child.stdout.take().expect("stdout piped");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let value = serde_json::from_str(&line).expect("one JSON value a line");
            if lines.send(value).is_err() {
                return;
            }
        }
    });
    got
}

/// Reads lines until one is `wanted`, for at most 30 s; says what came last otherwise.
fn next_with(got: &mpsc::Receiver<Value>, what: &str, wanted: &dyn Fn(&Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Value::Null;
    loop {
        match got.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(value) if wanted(&value) => return,
            Ok(value) => last = value,
            Err(_) => panic!("never {what}; the last line: {last:#}"),
        }
    }
}

fn has_actor(tree: &Value, wanted: impl Fn(&Value) -> bool) -> bool {
    tree.as_array().is_some_and(|t| t.iter().any(wanted))
}

#[test]
fn ps_watch_streams_the_tree_again_when_an_actor_comes_and_follows_a_restarted_server() {
    let home = Home::new();
    let server = home.serve();
    let mut watch = home
        .command(&["ps", "--watch", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let trees = json_lines(&mut watch);
    // The tree as the server starts, then again as its services come up.
    next_with(&trees, "the tree", &|t| {
        has_actor(t, |a| a["name"] == "root/projects")
    });
    next_with(&trees, "all running", &|t| {
        t.as_array()
            .is_some_and(|t| t.iter().all(|a| a["state"] == "running"))
    });

    // A task's agent host joins the tree: the watch shows it without being asked again.
    let repo = support::repository();
    let mut new = home.command(&[
        "task",
        "new",
        "#!scripted\nwait-message",
        "--agent",
        "scripted",
        "--sandbox",
        "local",
        "--json",
    ]);
    new.current_dir(repo.path());
    let made = new.output().unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let task: Value = serde_json::from_slice(&made.stdout).unwrap();
    let host = format!("root/tasks/task-{}", task["id"].as_str().unwrap());
    next_with(&trees, "the task's agent host", &|t| {
        has_actor(t, |a| a["name"] == host.as_str())
    });

    // The server dies and a new one starts, on another port: the watch finds it by itself.
    server.kill9();
    let _server = home.serve();
    next_with(&trees, "the restarted server's tree", &|t| {
        has_actor(t, |a| a["name"] == host.as_str() && a["handled"] == 0)
    });
    watch.kill().unwrap();
    watch.wait().unwrap();
}

#[tokio::test]
async fn events_follow_goes_on_from_its_cursor_after_the_server_restarts() {
    let home = Home::new();
    let server = home.serve();
    let append = |server: &support::Server, n: u32| {
        server
            .post("/api/events")
            .json(&serde_json::json!({"kind": "ext.test", "data": {"n": n}}))
            .send()
    };
    assert!(append(&server, 1).await.unwrap().status().is_success());
    let mut follow = home
        .command(&["events", "--follow", "--json", "--kind", "ext.test"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let events = json_lines(&mut follow);
    next_with(&events, "the first event", &|e| e["data"]["n"] == 1);

    server.kill9();
    let server = home.serve();
    assert!(append(&server, 2).await.unwrap().status().is_success());
    // The next line is the new event: the first is not shown again.
    next_with(&events, "the event after the restart", &|e| {
        assert_ne!(e["data"]["n"], 1, "shown twice: {e}");
        e["data"]["n"] == 2
    });
    follow.kill().unwrap();
    follow.wait().unwrap();
}

#[test]
fn inspect_finds_an_actor_by_name_or_id_and_reports_unknown_ones() {
    let home = Home::new();
    let _server = home.serve();
    let out = home.run(&["inspect", "root/projects", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["kind"], "project-service");
    let by_id = home.run(&["inspect", &info["id"].to_string()]);
    assert!(stdout(&by_id).contains("root/projects"));
    let missing = home.run(&["inspect", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("plinth ps"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn plinth_in_a_repository_registers_it_and_a_second_run_reuses_the_server() {
    let home = Home::new();
    let repo = tempfile::tempdir().unwrap();
    assert!(
        std::process::Command::new("git")
            .arg("init")
            .arg("-q")
            .arg(repo.path())
            .status()
            .unwrap()
            .success()
    );
    let sub = repo.path().join("src");
    std::fs::create_dir(&sub).unwrap();

    let mut cmd = home.command(&["--port", "0", "--no-open"]);
    cmd.current_dir(&sub);
    let server = home.serve_with_command(cmd);
    let projects: Vec<Value> = home
        .run(&["events", "--json", "--kind", "project.registered"])
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(projects.len(), 1);
    let canonical = repo.path().canonicalize().unwrap();
    assert_eq!(projects[0]["data"]["path"], canonical.to_str().unwrap());
    for key in ["seq", "kind", "task", "at", "data"] {
        assert!(projects[0].get(key).is_some(), "events --json has {key}");
    }

    // Again from the repository root, with the server running: same project, same server.
    let mut again = home.command(&["--no-open"]);
    again.current_dir(repo.path());
    let out = again.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&server.url), "{}", stdout(&out));
    let out = home.run(&["events", "--json", "--kind", "project.registered"]);
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "registering twice is idempotent"
    );
}

#[test]
fn plinth_outside_a_repository_says_so_and_exits_2() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = home.command(&["--no-open", "--port", "0"]);
    cmd.current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap());
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("git"), "{}", stderr(&out));
}

#[test]
fn a_command_that_starts_no_server_shows_none_of_its_options() {
    let home = Home::new();
    let help = stdout(&home.run(&["task", "new", "--help"]));
    assert!(help.contains("--agent"), "{help}");
    for option in ["--bind", "--port", "--public-name", "--no-open"] {
        assert!(!help.contains(option), "{option} in:\n{help}");
    }
    let help = stdout(&home.run(&["serve", "--help"]));
    for option in ["--bind", "--port", "--public-name", "--no-open", "--home"] {
        assert!(help.contains(option), "{option} in:\n{help}");
    }
    let out = home.run(&["--port", "0", "serve"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("plinth serve --port"),
        "{}",
        stderr(&out)
    );
}
