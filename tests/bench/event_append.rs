//! Events appended and durable per second: many concurrent appenders, each awaiting the
//! commit of its event (WAL, synchronous=FULL), so every counted event is on disk.

use std::time::Instant;

use plinth_store::{NewEvent, Store};

const APPENDERS: usize = 64;
const PER_APPENDER: usize = 2_000;

pub fn run() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for round in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("plinth.db")).unwrap();
            let began = Instant::now();
            let appenders: Vec<_> = (0..APPENDERS)
                .map(|a| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        for i in 0..PER_APPENDER {
                            let event = NewEvent::new("bench.tick", serde_json::json!({"appender": a, "i": i, "line": "cargo test: 12 passed"}))
                                .for_task(format!("task-{}", a % 8));
                            store.append(event).await.unwrap();
                        }
                    })
                })
                .collect();
            for a in appenders {
                a.await.unwrap();
            }
            let elapsed = began.elapsed();
            let total = APPENDERS * PER_APPENDER;
            let stats = store.writer_stats();
            store.close().await.unwrap();
            assert_eq!(stats.written as usize, total);
            println!(
                "event append, durable (round {}): {total} events from {APPENDERS} concurrent appenders in {:.0} ms = {:.0} events/s, {:.0} events per commit (target ≥ 50,000/s)",
                round + 1,
                elapsed.as_secs_f64() * 1000.0,
                total as f64 / elapsed.as_secs_f64(),
                stats.written as f64 / stats.batches.max(1) as f64
            );
        }
    });
}
