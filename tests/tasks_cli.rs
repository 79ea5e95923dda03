//! `plinth task …` against a real server, with the scripted agent in local mode: what
//! people see when they start, list, show, follow and archive a task.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Home, repository, stderr, stdout};

#[test]
fn task_commands_start_list_show_log_and_archive_a_task() {
    let home = Home::new();
    let _server = home.serve();
    let repo = repository();
    let sub = repo.path().join("src");
    std::fs::create_dir(&sub).unwrap();

    let mut new = home.command(&[
        "task",
        "new",
        "#!scripted\nsay hello from the script\nfinish",
        "--agent",
        "scripted",
        "--sandbox",
        "local",
        "--json",
    ]);
    new.current_dir(&sub);
    let out = new.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("local mode, which is unsafe"),
        "local mode is called unsafe every time: {}",
        stderr(&out)
    );
    let task: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let id = task["id"].as_str().unwrap().to_string();
    for key in ["id", "agent", "status", "branch", "created_at"] {
        assert!(task.get(key).is_some(), "{key} in {task}");
    }
    assert_eq!(
        task["project_path"],
        repo.path().canonicalize().unwrap().to_str().unwrap(),
        "the repository around the current directory"
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = home.run(&["task", "show", &id, "--json"]);
        let shown: Value = serde_json::from_str(&stdout(&out)).unwrap();
        if shown["status"] == "finished" {
            break;
        }
        assert!(Instant::now() < deadline, "never finished: {shown}");
        std::thread::sleep(Duration::from_millis(100));
    }

    let list = home.run(&["task", "list"]);
    let text = stdout(&list);
    for word in ["ID", "STATUS", "FOR", &id, "finished", "scripted", "local!"] {
        assert!(text.contains(word), "{word} in:\n{text}");
    }
    let shown = stdout(&home.run(&["task", "show", &id]));
    assert!(shown.contains("finished (for "), "{shown}");
    assert!(shown.contains("local mode (unsafe)"), "{shown}");
    assert!(shown.contains(&format!("plinth/{id}")), "{shown}");

    let logs = stdout(&home.run(&["task", "logs", &id]));
    assert!(logs.contains("hello from the script"), "{logs}");

    let stop = home.run(&["task", "stop", &id]);
    assert_eq!(stop.status.code(), Some(1));
    assert!(stderr(&stop).contains("is finished"), "{}", stderr(&stop));
    assert!(home.run(&["task", "archive", &id]).status.success());
    assert!(!stdout(&home.run(&["task", "list"])).contains(&id));
    assert!(stdout(&home.run(&["task", "list", "--all"])).contains(&id));

    let unknown = home.run(&["task", "show", "no-such-task"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no task no-such-task"),
        "{}",
        stderr(&unknown)
    );
}
