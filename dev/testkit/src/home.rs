//! The real `plinth` binary run against a private PLINTH_HOME: its commands, and `plinth
//! serve` started and waited for.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::server::Server;

/// The `plinth` binary cargo built for the root package's tests: what they would read as
/// `CARGO_BIN_EXE_plinth`, which a library cannot. Cargo puts test binaries in
/// `target/<profile>/deps` and the package's binaries one folder up.
pub fn binary() -> PathBuf {
    let test = std::env::current_exe().expect("the test binary's path");
    let bin = test
        .parent()
        .and_then(Path::parent)
        .expect("a test binary in target/<profile>/deps")
        .join("plinth");
    assert!(
        bin.exists(),
        "{} is missing: the kit's Home serves the root package's tests, which build it",
        bin.display()
    );
    bin
}

/// A private PLINTH_HOME, removed on drop.
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
        let mut cmd = Command::new(binary());
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
        let mut server = Server::new(child);
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

/// A new home served, and a repository to make tasks on.
pub fn served() -> (Home, Server, tempfile::TempDir) {
    let home = Home::new();
    let server = home.serve();
    let repo = crate::git::repository();
    (home, server, repo)
}

/// What a finished command wrote to standard error.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What a finished command wrote to standard output.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
