//! The server's responsiveness while agents crash-loop: `/api/health` latency (p50, p99,
//! max) from one client asking back to back, with the server's RSS and CPU, in three phases:
//!
//! 1. idle (no task);
//! 2. the storm: 20 tasks whose adapter traps at every start, from their creation until
//!    each has spent its restart budget (the default, 5 in 60 s) and failed;
//! 3. a sustained storm: 20 such tasks on a server whose budget never runs out
//!    (`PLINTH_TASKS_MAX_RESTARTS`), for a fixed time, restarting at the backoff's cap.
//!
//! `cargo bench --bench hostile_tasks` (local sandboxes: no Docker needed). Without
//! `--bench` (under `cargo test`), a short run checks that it works.

mod bench_server;

use std::time::{Duration, Instant};

use bench_server::{Server, repository, serve};
use serde_json::{Value, json};

const HOSTILE: usize = 20;

fn trap_loop() -> String {
    let mut script = String::from("#!scripted\n");
    for _ in 0..1000 {
        script.push_str("trap\n");
    }
    script
}

/// What /proc says of the server: resident memory (KiB) and CPU time used (clock ticks).
fn proc_stats(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15: 12 and 13 after the state.
    (rss, ticks(11) + ticks(12))
}

struct Phase {
    latencies: Vec<Duration>,
    peak_rss_kib: u64,
    cpu_ticks: u64,
    took: Duration,
}

impl Phase {
    fn report(&self, name: &str) {
        let mut l = self.latencies.clone();
        l.sort();
        let at = |q: f64| l[((l.len() - 1) as f64 * q).round() as usize];
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let cpu = self.cpu_ticks as f64 / hz;
        println!(
            "{name}: /api/health p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} requests in {:.1} s; server RSS peak {:.0} MiB, CPU {:.1} s ({:.0}% of one core)",
            ms(at(0.5)),
            ms(at(0.99)),
            ms(*l.last().unwrap()),
            l.len(),
            self.took.as_secs_f64(),
            self.peak_rss_kib as f64 / 1024.0,
            cpu,
            100.0 * cpu / self.took.as_secs_f64()
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Asks `/api/health` back to back until `done` says so (checked every 500 ms), and reads
/// the server's memory and CPU meanwhile.
async fn measure<F, Fut>(server: &Server, client: &reqwest::Client, done: F) -> Phase
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let pid = server.child.id();
    let (_, cpu_before) = proc_stats(pid);
    let began = Instant::now();
    let mut latencies = Vec::new();
    let mut peak_rss_kib = 0;
    let mut next_check = began;
    loop {
        let sent = Instant::now();
        let res = client
            .get(format!("{}/api/health", server.url))
            .bearer_auth(&server.token)
            .send()
            .await
            .expect("the server answers");
        assert!(res.status().is_success(), "{}", res.status());
        let body: Value = res.json().await.unwrap();
        latencies.push(sent.elapsed());
        assert_eq!(body["status"], "ok");
        if Instant::now() >= next_check {
            next_check += Duration::from_millis(500);
            peak_rss_kib = peak_rss_kib.max(proc_stats(pid).0);
            if done().await {
                break;
            }
        }
    }
    Phase {
        latencies,
        peak_rss_kib,
        cpu_ticks: proc_stats(pid).1 - cpu_before,
        took: began.elapsed(),
    }
}

async fn create_hostile(
    server: &Server,
    client: &reqwest::Client,
    repos: &[tempfile::TempDir],
) -> Vec<String> {
    let script = trap_loop();
    let mut ids = Vec::new();
    for repo in repos {
        let task: Value = client
            .post(format!("{}/api/tasks", server.url))
            .bearer_auth(&server.token)
            .json(&json!({"prompt": script, "repo": repo.path(), "agent": "scripted", "sandbox": "local"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(
            task["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{task}"))
                .to_string(),
        );
    }
    ids
}

async fn failed_count(server: &Server, client: &reqwest::Client) -> usize {
    let tasks: Vec<Value> = client
        .get(format!("{}/api/tasks", server.url))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tasks.iter().filter(|t| t["status"] == "failed").count()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (hostile, idle, sustained) = if full {
        (HOSTILE, Duration::from_secs(5), Duration::from_secs(30))
    } else {
        (3, Duration::from_secs(1), Duration::from_secs(2))
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let repos: Vec<_> = (0..hostile).map(|_| repository()).collect();

        let server = serve(&[]);
        let began = Instant::now();
        measure(&server, &client, || async { began.elapsed() >= idle })
            .await
            .report("idle");
        let made = Instant::now();
        let ids = create_hostile(&server, &client, &repos).await;
        let storm = measure(&server, &client, || async {
            assert!(
                made.elapsed() < Duration::from_secs(300),
                "the tasks did not fail"
            );
            failed_count(&server, &client).await == ids.len()
        })
        .await;
        storm.report(&format!(
            "{hostile} trap-looping tasks until each spent its budget (all failed {:.1} s after their creation)",
            made.elapsed().as_secs_f64()
        ));
        drop(server);

        let server = serve(&[("PLINTH_TASKS_MAX_RESTARTS", "1000000")]);
        let ids = create_hostile(&server, &client, &repos).await;
        let began = Instant::now();
        measure(&server, &client, || async { began.elapsed() >= sustained })
            .await
            .report(&format!(
                "{} tasks trap-looping without end (budget never spent), for {} s",
                ids.len(),
                sustained.as_secs()
            ));
    });
}
