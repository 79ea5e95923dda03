//! The real server process: time to listen, idle RSS, and time to stop on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

pub fn run() {
    let mut starts = Vec::new();
    let mut stops = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..RUNS {
        let home = tempfile::tempdir().unwrap();
        let server_file = home.path().join("server.json");
        let began = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_plinth"))
            .args(["serve", "--port", "0", "--no-open"])
            .env("PLINTH_HOME", home.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        while !server_file.exists() {
            assert!(
                began.elapsed() < Duration::from_secs(20),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        starts.push(began.elapsed());
        // Idle: nothing happens for a while after start.
        std::thread::sleep(Duration::from_secs(2));
        rss.push(rss_kib(child.id()) as f64 / 1024.0);
        let stop = Instant::now();
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().unwrap();
        stops.push(stop.elapsed());
    }
    starts.sort();
    stops.sort();
    rss.sort_by(f64::total_cmp);
    println!(
        "server start (spawn → listening, fresh home): median {:.0} ms over {RUNS} runs",
        ms(starts[RUNS / 2])
    );
    println!(
        "idle server RSS: median {:.1} MB, max {:.1} MB (target ≤ 30 MB)",
        rss[RUNS / 2],
        rss[RUNS - 1]
    );
    println!(
        "shutdown on SIGTERM (whole tree stopped, store flushed): median {:.0} ms, max {:.0} ms (target < 1000 ms)",
        ms(stops[RUNS / 2]),
        ms(stops[RUNS - 1])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}
