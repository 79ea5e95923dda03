//! The CLI against a real server: what a user and a script see.

mod support;

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
