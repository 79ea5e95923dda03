//! `plinth dev mock-llm`, the real binary: prints its URL, answers from the script,
//! records requests to `--record`, stops cleanly on Ctrl-C (SIGINT), and refuses a
//! malformed script with exit code 2; the server's PLINTH_BIND and PLINTH_PORT are not its own.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Home, stderr};

#[test]
fn a_malformed_script_exits_2_naming_the_file_and_the_format() {
    let home = Home::new();
    let script = home.path().join("bad.json");
    std::fs::write(&script, r#"{"replies": [{"contnt": []}]}"#).unwrap();
    let out = home.run(&["dev", "mock-llm", "--script", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("bad.json") && err.contains("contnt") && err.contains("docs/mock-llm.md"),
        "{err}"
    );
}

#[tokio::test]
async fn it_serves_the_script_records_requests_and_stops_on_ctrl_c() {
    let home = Home::new();
    let script = home.path().join("script.json");
    let record = home.path().join("requests.jsonl");
    std::fs::write(
        &script,
        json!({"replies": [{"when": {"tools": null},
                            "content": [{"type": "text", "text": "from the script"}]}]})
        .to_string(),
    )
    .unwrap();
    let (mut child, url) = start(home.command(&[
        "dev",
        "mock-llm",
        "--script",
        script.to_str().unwrap(),
        "--port",
        "0",
        "--record",
        record.to_str().unwrap(),
    ]));
    let url = url.as_str();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    let reply: Value = reqwest::Client::new()
        .post(format!("{url}/v1/messages?beta=true"))
        .header("x-api-key", "k")
        .json(&json!({"model": "m", "max_tokens": 10,
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["content"][0]["text"], "from the script");

    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "mock-llm did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");

    let lines = std::fs::read_to_string(&record).unwrap();
    let recorded: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recorded.len(), 1, "{lines}");
    assert_eq!(recorded[0]["path"], "/v1/messages?beta=true");
    assert_eq!(recorded[0]["headers"]["x-api-key"], "k");
    assert_eq!(
        recorded[0]["served"],
        json!({"kind": "scripted", "index": 0})
    );
}

#[test]
fn the_servers_bind_and_port_variables_do_not_move_the_mock() {
    let home = Home::new();
    let script = home.path().join("script.json");
    std::fs::write(&script, r#"{"replies": []}"#).unwrap();
    let mut command = home.command(&["dev", "mock-llm", "--script", script.to_str().unwrap()]);
    command
        .env("PLINTH_BIND", "127.0.0.2")
        .env("PLINTH_PORT", "1");
    let (mut child, url) = start(command);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "its own --bind default: {url:?}"
    );
    assert!(!url.ends_with(":1"), "its own --port default: {url:?}");
}

/// Starts the mock; its URL is the first line it prints.
fn start(mut command: std::process::Command) -> (std::process::Child, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    (child, url.trim().to_string())
}
