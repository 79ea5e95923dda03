//! Runs the real `plinth` binary against a private PLINTH_HOME, and talks to it over HTTP.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod attach;
pub mod claude;
pub mod netns_docker;
pub mod terminal;

pub const BIN: &str = env!("CARGO_BIN_EXE_plinth");

pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn server_file(&self) -> PathBuf {
        self.path().join("server.json")
    }

    /// `plinth ARGS` with this home, run to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run plinth")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("PLINTH_HOME", self.path())
            .env_remove("PLINTH_PORT")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("RUST_LOG", "warn");
        cmd
    }

    /// Starts `plinth serve` on a free port and waits until it answers.
    pub fn serve(&self) -> Server {
        self.serve_with(&["serve"])
    }

    pub fn serve_with(&self, args: &[&str]) -> Server {
        let mut full = args.to_vec();
        full.extend(["--port", "0", "--no-open"]);
        self.serve_with_command(self.command(&full))
    }

    /// Runs a prepared command that starts a server, and waits until it answers.
    pub fn serve_with_command(&self, mut command: Command) -> Server {
        let _ = std::fs::remove_file(self.server_file());
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn plinth serve");
        let mut server = Server {
            child,
            url: String::new(),
            token: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(self.server_file())
                && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
                && json["pid"].as_u64() == Some(server.child.id() as u64)
            {
                server.url = json["url"].as_str().unwrap().to_string();
                server.token = json["token"].as_str().unwrap().to_string();
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut err = String::new();
                if let Some(mut pipe) = server.child.stderr.take() {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut err);
                }
                panic!("plinth serve exited early ({status}): {err}");
            }
            assert!(
                Instant::now() < deadline,
                "plinth serve did not start in time"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub token: String,
}

impl Server {
    /// Every stored event matching `filter` (a query such as `task=ID` or `kind=K`) after
    /// `after`, read page by page.
    pub async fn events_after(&self, filter: &str, mut after: u64) -> Vec<serde_json::Value> {
        const PAGE: usize = 500;
        let mut out: Vec<serde_json::Value> = Vec::new();
        loop {
            let page: Vec<serde_json::Value> = self
                .get_json(&format!("/api/events?{filter}&after={after}&limit={PAGE}"))
                .await;
            let n = page.len();
            if let Some(last) = page.last() {
                after = last["seq"].as_u64().unwrap();
            }
            out.extend(page);
            if n < PAGE {
                return out;
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client()
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("accept", "application/json")
    }

    /// GET `path` with the token, as JSON; panics unless the answer is a 2xx with JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let res = self.get(path).send().await.expect("GET");
        let status = res.status();
        let text = res.text().await.expect("read the body");
        assert!(status.is_success(), "GET {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client()
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
    }

    /// Creates a task from `body` (`POST /api/tasks`, which must answer 201); its id.
    pub async fn create_task(&self, body: &serde_json::Value) -> String {
        let res = self
            .post("/api/tasks")
            .json(body)
            .send()
            .await
            .expect("POST /api/tasks");
        let status = res.status();
        let text = res.text().await.expect("read the body");
        assert_eq!(status.as_u16(), 201, "POST /api/tasks: {text}");
        let task: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST /api/tasks: {e}: {text}"));
        task["id"].as_str().expect("the task's id").to_string()
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    /// Waits for the process to end, at most `limit`; `None` if it is still running.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    pub fn kill9(mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where `scripts/build-adapters.sh` puts the built components.
pub fn adapters_dir() -> PathBuf {
    plinth_actors::builtin_adapters::adapters_dir().to_path_buf()
}

fn component(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-adapters.sh first (scripts/test.sh does)",
        path.display()
    );
    path
}

/// A built-in adapter's component (`scripted`, `claude-code`).
pub fn adapter_component(name: &str) -> PathBuf {
    component(adapters_dir().join(format!("{name}.wasm")))
}

/// A test-only component (`probe`, `minimal`, `foreign`).
pub fn test_component(name: &str) -> PathBuf {
    component(adapters_dir().join("test").join(format!("{name}.wasm")))
}

/// `git ARGS` in `dir`, with an identity of its own; panics with git's output on failure.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// What `git ARGS` in `dir` prints; panics with git's output on failure.
pub fn git_stdout(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A new repository on `main` with one commit (a README).
pub fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("README.md"), "hello\n").expect("write README");
    git(dir.path(), &["add", "README.md"]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    dir
}

/// The ids of the containers of `task` (by its `plinth.task` label), running or not.
pub fn containers_of(task: &str) -> Vec<String> {
    let found = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=plinth.task={task}"),
        ])
        .output()
        .expect("run docker");
    String::from_utf8_lossy(&found.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Removes every container of `task`.
pub fn remove_containers_of(task: &str) {
    for id in containers_of(task) {
        let _ = Command::new("docker").args(["rm", "-f", &id]).output();
    }
}

/// The id of the task's running container (by its `plinth.task` label), if one runs.
pub fn running_container(task: &str) -> Option<String> {
    let out = Command::new("docker")
        .args(["ps", "-q", "--filter", &format!("label=plinth.task={task}")])
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!id.is_empty()).then_some(id)
}

/// The commit `name` is at in `repo`; empty when there is no such thing.
pub fn rev(repo: &Path, name: &str) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--verify", "-q", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
