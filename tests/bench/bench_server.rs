//! The real server for benches that drive it over HTTP: started on a home of its own, and
//! killed with whatever containers it made when dropped. Shared by `tasks` and
//! `hostile_tasks`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Server {
    pub child: std::process::Child,
    pub url: String,
    pub token: String,
    pub home: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Every container this server made carries its home.
        let label = format!(
            "label=plinth.home={}",
            self.home.path().canonicalize().unwrap().display()
        );
        let Ok(listed) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &label])
            .output()
        else {
            return;
        };
        for id in String::from_utf8_lossy(&listed.stdout).split_whitespace() {
            let _ = Command::new("docker").args(["rm", "-f", id]).output();
        }
    }
}

/// `plinth serve` on a new home, with `env` set; returns once it answers.
pub fn serve(env: &[(&str, &str)]) -> Server {
    let home = tempfile::tempdir().unwrap();
    let server_file = home.path().join("server.json");
    let child = Command::new(env!("CARGO_BIN_EXE_plinth"))
        .args(["serve", "--port", "0", "--no-open"])
        .env("PLINTH_HOME", home.path())
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let began = Instant::now();
    let file: Value = loop {
        if let Ok(text) = std::fs::read_to_string(&server_file)
            && let Ok(v) = serde_json::from_str(&text)
        {
            break v;
        }
        assert!(began.elapsed() < Duration::from_secs(20), "no server");
        std::thread::sleep(Duration::from_millis(5));
    };
    Server {
        child,
        url: file["url"].as_str().unwrap().into(),
        token: file["token"].as_str().unwrap().into(),
        home,
    }
}

/// A new repository on `main` with one commit.
pub fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["-c", "user.name=b", "-c", "user.email=b@example.invalid"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("README.md"), "bench\n").unwrap();
    git(&["add", "README.md"]);
    git(&["commit", "-q", "-m", "first"]);
    dir
}
