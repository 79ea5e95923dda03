//! A store plinth cannot write to is refused at start (exit 3, with the fix), an empty
//! database file is refused rather than taken for a new store, and a store that stops
//! taking writes while the server runs shows in `/api/health`.
//!
//! These run as root, for whom file modes do not stop a write: the read-only conditions
//! are ones that hold for root too (the immutable attribute, a full filesystem).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Home, stderr};

/// Runs `plinth serve` and waits (bounded) for it to exit on its own.
fn serve_expecting_exit(home: &Home) -> Output {
    let mut child = home
        .command(&["serve", "--port", "0", "--no-open"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "plinth serve kept running on a store it cannot use: {}",
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A store made by plinth itself, then closed.
fn made_store(home: &Home) -> PathBuf {
    let server = home.serve();
    drop(server);
    // What the killed server left announcing itself.
    let _ = std::fs::remove_file(home.server_file());
    let db = home.path().join("plinth.db");
    assert!(db.metadata().unwrap().len() > 0);
    db
}

/// Sets the immutable attribute on a file for as long as it lives: no one, root included,
/// opens it for writing.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Immutable {
        let out = Command::new("chattr").arg("+i").arg(path).output().unwrap();
        assert!(
            out.status.success(),
            "this test needs `chattr +i` (root, a filesystem with attributes): {}",
            stderr(&out)
        );
        Immutable(path.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn a_store_that_cannot_be_written_is_refused_at_start_with_exit_3_and_the_fix() {
    let home = Home::new();
    let db = made_store(&home);
    let _immutable = Immutable::set(&db);
    // What a root user sees as writable: the mode bits do not stop root.
    assert!(!db.metadata().unwrap().permissions().readonly());

    let out = serve_expecting_exit(&home);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains(&db.display().to_string()), "{text}");
    assert!(text.contains("cannot be written"), "says what: {text}");
    assert!(text.contains("chattr -i"), "says how to fix it: {text}");
    assert!(
        !home.server_file().exists(),
        "a refused server announces nothing"
    );
}

#[test]
fn an_empty_store_file_is_refused_with_how_to_start_afresh() {
    let home = Home::new();
    let db = home.path().join("plinth.db");
    std::fs::write(&db, b"").unwrap();

    let out = serve_expecting_exit(&home);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("is empty"), "says what: {text}");
    assert!(
        text.contains(&format!("rm {}", db.display())),
        "says how to start afresh: {text}"
    );
    assert_eq!(
        db.metadata().unwrap().len(),
        0,
        "the file is left as it was found"
    );
}

/// A tmpfs of its own at `path`, unmounted (lazily, so a process still in it cannot keep
/// it) when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> SmallDisk {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "this test needs to mount a tmpfs (root): {}",
            stderr(&out)
        );
        SmallDisk(path.to_path_buf())
    }

    /// Writes a file until the filesystem is full.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        // Bounded: the disk is a few MiB.
        for _ in 0..100_000 {
            if file
                .write_all(&chunk)
                .and_then(|_| file.sync_all())
                .is_err()
            {
                return path;
            }
        }
        panic!("the small disk never filled up");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

async fn health(server: &support::Server) -> Value {
    server.get_json("/api/health").await
}

async fn append(server: &support::Server, size: usize) -> reqwest::StatusCode {
    server
        .post("/api/events")
        .json(&json!({"kind": "ext.filler", "data": {"text": "z".repeat(size)}}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn health_says_when_the_store_stops_taking_writes_and_when_it_takes_them_again() {
    let home = Home::new();
    let disk = SmallDisk::mount(home.path(), "64m");
    let server = home.serve();
    let ok = health(&server).await;
    assert_eq!(ok["status"], "ok", "{ok}");
    assert_eq!(ok["store"]["writable"], true, "{ok}");

    let filler = disk.fill();
    // Bigger than anything the log holds yet, so it needs new room on the disk.
    let refused = append(&server, 1024 * 1024).await;
    assert_eq!(refused, reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let failing = health(&server).await;
    assert_ne!(failing["status"], "ok", "{failing}");
    assert_eq!(failing["status"], "store-failing", "{failing}");
    assert_eq!(failing["store"]["writable"], false, "{failing}");
    assert!(
        failing["store"]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{failing}"
    );

    std::fs::remove_file(filler).unwrap();
    assert!(append(&server, 16).await.is_success());
    let again = health(&server).await;
    assert_eq!(again["status"], "ok", "{again}");
    assert_eq!(again["store"]["writable"], true, "{again}");
    drop(server);
    drop(disk);
}
