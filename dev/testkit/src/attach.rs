//! `plinth task attach` in a pseudo-terminal made by script(1), as a person would run it.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::home::{Home, binary};

/// Runs `plinth task attach ID` under script(1) (a pseudo-terminal), types `keys`, waits
/// until `marker` shows, detaches with tmux's Ctrl-b d; what the terminal showed, and the
/// exit code (`None` if it did not exit).
pub fn attach_type_detach(
    home: &Home,
    id: &str,
    keys: &str,
    marker: &str,
) -> (String, Option<i32>) {
    let line = format!("{} task attach {id}", binary().display());
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("PLINTH_HOME", home.path())
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(keys.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen).contains(marker) && Instant::now() < deadline {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.extend(chunk);
        }
    }
    let _ = stdin.write_all(b"\x02d");
    let _ = stdin.flush();
    let exit_deadline = Instant::now() + Duration::from_secs(10);
    let mut exit = None;
    while Instant::now() < exit_deadline {
        if let Ok(Some(status)) = child.try_wait() {
            exit = status.code();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    (String::from_utf8_lossy(&seen).into_owned(), exit)
}
