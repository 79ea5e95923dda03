//! Secrets never reach a command line: while tasks of both kinds run, with their agents'
//! tmux sessions holding the task's variables, no line of the host's `ps` shows a task
//! token or one of the user's own keys. Any local user can read every process's arguments.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Home, Server, containers_of, remove_containers_of, repository};

/// The user's keys, as plinth's model proxy gets them from the environment.
const USER_KEYS: [(&str, &str); 3] = [
    (
        "ANTHROPIC_API_KEY",
        "sk-ant-user-key-that-must-stay-on-the-host-7f3a",
    ),
    ("OPENAI_API_KEY", "sk-proj-user-key-that-must-stay-too-91c2"),
    (
        "GEMINI_API_KEY",
        "AIza-user-key-that-must-stay-as-well-5d0e",
    ),
];

/// An agent's session the way every adapter starts one: a tmux session given the task's
/// variables (hook URL and token, the model proxy and its key). It keeps running while the
/// test reads `ps`.
const HOLD_SESSION: &str = "#!scripted
term sleep 600
sleep 600000
finish";

async fn start_task(server: &Server, sandbox: &str, repo: &std::path::Path) -> String {
    server
        .create_task(
            &json!({"prompt": HOLD_SESSION, "repo": repo, "agent": "scripted",
                             "sandbox": sandbox}),
        )
        .await
}

/// Every process's arguments, as `ps -eo args` shows them to any user.
fn command_lines() -> Vec<String> {
    let out = Command::new("ps")
        .args(["-eo", "args", "--no-headers"])
        .output()
        .expect("run ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The token `task`'s agent was given, read from the environment of a process of its
/// (the session's shell or program; a container's processes are the host's too). `None`
/// until one runs.
fn token_of(task: &str) -> Option<String> {
    let marker = format!("PLINTH_TASK={task}");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let vars: Vec<String> = environ
            .split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if !vars.contains(&marker) {
            continue;
        }
        if let Some(token) = vars
            .iter()
            .find_map(|v| v.strip_prefix("PLINTH_HOOK_TOKEN="))
        {
            return Some(token.to_string());
        }
    }
    None
}

/// Removes the Docker task's container when the test ends, passed or not; a removal that
/// meets the container still stopping is tried again (bounded).
struct RemoveContainers(String);

impl Drop for RemoveContainers {
    fn drop(&mut self) {
        for _ in 0..20 {
            remove_containers_of(&self.0);
            if containers_of(&self.0).is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

#[tokio::test]
async fn no_command_line_on_the_host_holds_a_task_token_or_the_users_key() {
    let home = Home::new();
    let mut command = home.command(&["serve", "--port", "0", "--no-open"]);
    for (variable, key) in USER_KEYS {
        command.env(variable, key);
    }
    let server = home.serve_with_command(command);
    let repo = repository();
    let local = start_task(&server, "local", repo.path()).await;
    let docker = start_task(&server, "docker", repo.path()).await;
    let _cleanup = RemoveContainers(docker.clone());

    // Both agents' sessions up, with the task's variables in their environment.
    let deadline = Instant::now() + Duration::from_secs(600);
    let tokens = loop {
        if let (Some(a), Some(b)) = (token_of(&local), token_of(&docker)) {
            break [a, b];
        }
        assert!(
            Instant::now() < deadline,
            "the tasks' sessions never ran with their variables"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for token in &tokens {
        assert!(token.starts_with("plinth-task-"), "{token}");
    }
    // Read a few times while they run, not only at the moment they appeared.
    for _ in 0..10 {
        for line in command_lines() {
            for token in &tokens {
                assert!(
                    !line.contains(token.as_str()),
                    "a task token on a command line: {line}"
                );
            }
            for (variable, key) in USER_KEYS {
                assert!(
                    !line.contains(key),
                    "the user's {variable} on a command line: {line}"
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    for task in [&local, &docker] {
        let _ = server.post(&format!("/api/tasks/{task}/stop")).send().await;
    }
}
