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

/// Reads `lines` until one satisfies `wanted`, for up to 30 s; all it read, to show.
fn read_until(
    lines: &std::sync::mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    wanted: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !seen.last().is_some_and(|l| wanted(l)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("not seen in time; got:\n{}", seen.join("\n")),
        }
    }
}

fn follow_lines(
    home: &Home,
    args: &[&str],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut child = home
        .command(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

#[test]
fn task_logs_reads_as_a_transcript_with_statuses_and_follows_in_both_forms() {
    let home = Home::new();
    let _server = home.serve();
    let repo = repository();
    let out = home.run(&[
        "task",
        "new",
        "#!scripted\nsay hello from the script\nwait-message\nsay thanks\nfinish",
        "--agent",
        "scripted",
        "--sandbox",
        "local",
        "--repo",
        repo.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let task: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let id = task["id"].as_str().unwrap().to_string();

    let (mut human, human_lines) = follow_lines(&home, &["task", "logs", &id, "--follow"]);
    let (mut raw, raw_lines) = follow_lines(&home, &["task", "logs", &id, "--follow", "--json"]);
    let mut seen = Vec::new();
    read_until(&human_lines, &mut seen, |l| l.contains("waiting-for-user"));
    let mut raw_seen = Vec::new();
    read_until(&raw_lines, &mut raw_seen, |l| {
        l.contains("waiting-for-user")
    });

    let sent = home.run(&["task", "send", &id, "also the docs"]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    read_until(&human_lines, &mut seen, |l| {
        l.contains("environment stopped")
    });
    read_until(&raw_lines, &mut raw_seen, |l| {
        l.contains("\"task.finished\"")
    });
    let _ = human.kill();
    let _ = raw.kill();
    let _ = human.wait();
    let _ = raw.wait();

    let text = seen.join("\n");
    for line in [
        "created     scripted (local) on plinth/",
        "status      working: ",
        "agent       hello from the script",
        "status      waiting-for-user: waiting for a message",
        "user        also the docs",
        "agent       thanks",
        "finished",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    assert!(
        !text.contains('{'),
        "no raw JSON in the human form:\n{text}"
    );
    let stamp = seen[0].split_whitespace().next().unwrap();
    assert!(
        stamp.len() == 8 && stamp.chars().filter(|&c| c == ':').count() == 2,
        "each line starts with its time: {}",
        seen[0]
    );
    for line in &raw_seen {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(event["task"], id.as_str(), "{line}");
    }

    let again = stdout(&home.run(&["task", "logs", &id]));
    assert!(again.contains("user        also the docs"), "{again}");
}

#[test]
fn a_task_gets_a_budget_shows_its_cost_and_the_budget_can_be_changed() {
    let home = Home::new();
    let _server = home.serve();
    let repo = repository();
    let mut new = home.command(&[
        "task",
        "new",
        "#!scripted\nwait-message\nfinish",
        "--agent",
        "scripted",
        "--sandbox",
        "local",
        "--budget",
        "2.50",
        "--json",
    ]);
    new.current_dir(repo.path());
    let out = new.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let task: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let id = task["id"].as_str().unwrap().to_string();
    assert_eq!(task["spend"]["budget"], 2.5);
    assert_eq!(task["spend"]["cost"], 0.0);

    let show = stdout(&home.run(&["task", "show", &id]));
    assert!(show.contains("$0 of a $2.50 budget"), "{show}");
    assert!(show.contains("0 in, 0 out"), "{show}");
    let list = stdout(&home.run(&["task", "list"]));
    assert!(list.contains("COST"), "{list}");
    assert!(list.contains("$0/$2.50"), "{list}");
    assert!(list.contains(": $0 for 1 task"), "a project total: {list}");

    let raised = home.run(&["task", "budget", &id, "$5"]);
    assert!(raised.status.success(), "{}", stderr(&raised));
    assert!(
        stdout(&raised).contains("budget $5.00"),
        "{}",
        stdout(&raised)
    );
    let lifted = home.run(&["task", "budget", &id, "none", "--json"]);
    let shown: Value = serde_json::from_str(&stdout(&lifted)).unwrap();
    assert_eq!(shown["spend"]["budget"], Value::Null);

    let bad = home.run(&["task", "budget", &id, "lots"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("\"lots\" is not a budget"),
        "{}",
        stderr(&bad)
    );
    let unknown = home.run(&["task", "budget", "no-such-task", "5"]);
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    let _ = home.run(&["task", "send", &id, "done"]);
}
