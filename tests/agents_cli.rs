//! `plinth agents`: add, list, inspect, remove, with the real built adapter components and
//! no server running.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use support::{Home, adapter_component, stderr, stdout, test_component};

fn json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "plinth failed: {}\n{}",
        stderr(out),
        stdout(out)
    );
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

fn write_temp(home: &Home, name: &str, bytes: &[u8]) -> PathBuf {
    let path = home.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn list_shows_the_built_in_adapters_without_a_server() {
    assert!(adapter_component("scripted").exists());
    let home = Home::new();
    let list = json(&home.run(&["agents", "list", "--json"]));
    assert_eq!(names(&list), ["claude-code", "codex", "gemini", "scripted"]);
    for agent in list.as_array().unwrap() {
        assert_eq!(agent["builtin"], true);
        assert!(!agent["version"].as_str().unwrap().is_empty());
        assert_eq!(
            agent["imports"], agent["grants"],
            "built-ins get what they import"
        );
        assert!(
            agent["imports"]
                .as_array()
                .unwrap()
                .contains(&Value::from("events")),
            "{agent}"
        );
    }
    let text = stdout(&home.run(&["agents", "list"]));
    assert!(text.starts_with("NAME"), "{text}");
    assert!(text.contains("built-in"), "{text}");
}

#[test]
fn an_added_component_is_listed_with_its_grants_until_removed() {
    let home = Home::new();
    let minimal = test_component("minimal");
    let added = json(&home.run(&[
        "agents",
        "add",
        minimal.to_str().unwrap(),
        "--name",
        "tiny",
        "--yes",
        "--json",
    ]));
    assert_eq!(added["name"], "tiny");
    assert_eq!(added["builtin"], false);
    assert_eq!(added["imports"], serde_json::json!(["log"]));
    assert_eq!(added["grants"], serde_json::json!(["log"]));

    let list = json(&home.run(&["agents", "list", "--json"]));
    assert_eq!(
        names(&list),
        ["claude-code", "codex", "gemini", "scripted", "tiny"]
    );
    let shown = stdout(&home.run(&["agents", "inspect", "tiny"]));
    assert!(shown.contains("loads") && shown.contains("yes"), "{shown}");

    let again = home.run(&[
        "agents",
        "add",
        minimal.to_str().unwrap(),
        "--name",
        "tiny",
        "--yes",
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already installed"),
        "{}",
        stderr(&again)
    );

    let removed = home.run(&["agents", "remove", "tiny"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let list = json(&home.run(&["agents", "list", "--json"]));
    assert_eq!(names(&list), ["claude-code", "codex", "gemini", "scripted"]);
    let gone = home.run(&["agents", "inspect", "tiny"]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(
        stderr(&gone).contains("no agent named \"tiny\""),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn a_partial_grant_is_stored_but_reported_as_not_loadable() {
    let home = Home::new();
    let probe = test_component("probe");
    let out = home.run(&[
        "agents",
        "add",
        probe.to_str().unwrap(),
        "--grant",
        "log,events",
        "--yes",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("not granted: "), "{}", stdout(&out));
    let shown = json(&home.run(&["agents", "inspect", "probe", "--json"]));
    assert_eq!(shown["grants"], serde_json::json!(["events", "log"]));
    let text = stdout(&home.run(&["agents", "inspect", "probe"]));
    assert!(text.contains("no: "), "{text}");
    assert!(text.contains("tmux"), "{text}");
}

#[tokio::test]
async fn list_and_inspect_json_say_whether_it_loads_as_the_api_does() {
    let home = Home::new();
    let probe = test_component("probe");
    let partly = ["--grant", "log,events", "--yes", "--json"];
    let add = [&["agents", "add", probe.to_str().unwrap()][..], &partly].concat();
    let added = json(&home.run(&add));
    assert_eq!(added["loads"], false, "{added}");
    let shown = json(&home.run(&["agents", "inspect", "probe", "--json"]));
    assert_eq!(shown["loads"], false, "{shown}");
    let shown = json(&home.run(&["agents", "inspect", "scripted", "--json"]));
    assert_eq!(shown["loads"], true, "{shown}");
    let listed = json(&home.run(&["agents", "list", "--json"]));
    let loads: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["loads"])
        .collect();
    assert_eq!(
        loads,
        [
            &json!(true),
            &json!(true),
            &json!(true),
            &json!(true),
            &json!(false)
        ],
        "{listed}"
    );

    let server = home.serve();
    let api: Value = server.get_json("/api/agents").await;
    assert_eq!(api, listed, "the CLI and the API give one shape");
}

#[test]
fn bad_components_are_refused_with_a_clear_error_and_nothing_is_stored() {
    let home = Home::new();
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            write_temp(&home, "notes.wasm", b"hello, not wasm"),
            "not WebAssembly",
        ),
        (
            // The smallest valid core module: a header and nothing else.
            write_temp(&home, "core.wasm", b"\0asm\x01\0\0\0"),
            "core WebAssembly module",
        ),
        (test_component("foreign"), "plinth:agent/agent"),
    ];
    for (path, expected) in cases {
        let out = home.run(&["agents", "add", path.to_str().unwrap(), "--yes"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            path.display(),
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(err.contains(expected), "{}: {err}", path.display());
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
    let list = json(&home.run(&["agents", "list", "--json"]));
    assert_eq!(names(&list), ["claude-code", "codex", "gemini", "scripted"]);
}

#[test]
fn adding_without_yes_and_without_a_terminal_asks_for_yes() {
    let home = Home::new();
    let out = home.run(&["agents", "add", test_component("minimal").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    let list = json(&home.run(&["agents", "list", "--json"]));
    assert_eq!(names(&list).len(), 4);
}

#[test]
fn built_in_names_cannot_be_taken_or_removed() {
    let home = Home::new();
    let out = home.run(&[
        "agents",
        "add",
        test_component("minimal").to_str().unwrap(),
        "--name",
        "scripted",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("built in"), "{}", stderr(&out));
    let out = home.run(&["agents", "remove", "claude-code"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be removed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_capability_name_is_a_usage_error() {
    let home = Home::new();
    let out = home.run(&[
        "agents",
        "add",
        test_component("minimal").to_str().unwrap(),
        "--grant",
        "network",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("tmux, environment, events, log, state"));
}

#[tokio::test]
async fn the_server_lists_the_agents_a_task_can_name_with_one_added_while_it_runs() {
    let home = Home::new();
    let server = home.serve();
    let list: Value = server.get_json("/api/agents").await;
    assert_eq!(names(&list), ["claude-code", "codex", "gemini", "scripted"]);
    for agent in list.as_array().unwrap() {
        assert_eq!(
            (&agent["builtin"], &agent["loads"]),
            (&json!(true), &json!(true))
        );
        assert!(
            !agent["description"].as_str().unwrap().is_empty(),
            "{agent}"
        );
    }

    let minimal = test_component("minimal");
    let added = home.run(&[
        "agents",
        "add",
        minimal.to_str().unwrap(),
        "--name",
        "tiny",
        "--yes",
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let list: Value = server.get_json("/api/agents").await;
    assert_eq!(
        names(&list),
        ["claude-code", "codex", "gemini", "scripted", "tiny"]
    );
    let tiny = &list[4];
    assert_eq!(
        (&tiny["builtin"], &tiny["loads"]),
        (&json!(false), &json!(true))
    );
}
