//! The LLM proxy's cost per streamed chunk, for each API it speaks (Anthropic Messages,
//! OpenAI Responses and Chat Completions, Gemini):
//! `cargo bench -p plinth-server --bench llm_proxy`.
//!
//! A long scripted reply (thousands of SSE events) from plinth-mock-llm, read directly
//! and through the proxy, both over loopback:
//!
//! - latency: the mock paces its events (one write each, 1 ms apart); a byte-counting TCP
//!   relay in front of the mock stamps when each event leaves the upstream side, the
//!   client stamps when it has the event whole. Both paths go through the relay, so the
//!   difference of the two latencies is what the proxy adds per chunk. Target: p99 ≤ 1 ms.
//! - throughput: the same reply unpaced, as fast as the mock writes it; events/s and MB/s
//!   both ways, and the average cost per event.
//!
//! Options: `-- --events N` (default 3000), `--rounds R` (paced runs each way, default 5).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use futures::StreamExt;
use parking_lot::Mutex;
use plinth_mock_llm::{MockLlm, Reply, Script, TEXT_CHUNK_CHARS, When};
use plinth_server::llm_proxy::{self, Credentials, ProxyConfig, ProxyEvent, ProxyHost};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "bench-token";

/// Stands in for the server: takes the token, counts events as a channel send would.
struct Host {
    events: AtomicU64,
    sink: tokio::sync::mpsc::UnboundedSender<ProxyEvent>,
}

impl ProxyHost for Host {
    fn authorize(&self, _: &str, token: &str) -> bool {
        token == TOKEN
    }
    fn event(&self, _: &str, event: ProxyEvent) {
        self.events.fetch_add(1, Ordering::Relaxed);
        let _ = self.sink.send(event);
    }
}

/// Forwards one TCP connection at a time to `upstream`, stamping the moment each SSE
/// event (counted by its closing blank line) passes from upstream to downstream.
struct Relay {
    addr: std::net::SocketAddr,
    stamps: Arc<Mutex<Vec<Instant>>>,
}

async fn relay(upstream: std::net::SocketAddr) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stamps: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let shared = stamps.clone();
    tokio::spawn(async move {
        loop {
            let Ok((down, _)) = listener.accept().await else {
                return;
            };
            down.set_nodelay(true).unwrap();
            let up = TcpStream::connect(upstream).await.unwrap();
            up.set_nodelay(true).unwrap();
            let (mut down_r, mut down_w) = down.into_split();
            let (mut up_r, mut up_w) = up.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut down_r, &mut up_w).await;
            });
            let stamps = shared.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut last = 0u8;
                loop {
                    let n = match up_r.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let now = Instant::now();
                    let ends = count_event_ends(&buf[..n], &mut last);
                    stamps.lock().extend(std::iter::repeat_n(now, ends));
                    if down_w.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Relay { addr, stamps }
}

/// Blank lines (`\n\n`) in `bytes`, one per complete SSE event; `last` carries the byte
/// before, so a pair split between reads counts once.
fn count_event_ends(bytes: &[u8], last: &mut u8) -> usize {
    let mut ends = 0;
    for &b in bytes {
        if b == b'\n' && *last == b'\n' {
            ends += 1;
            *last = 0;
        } else {
            *last = b;
        }
    }
    ends
}

struct Run {
    /// When each event was complete at the client.
    arrivals: Vec<Instant>,
    bytes: usize,
    elapsed: Duration,
}

/// One API's streamed request: its path on the upstream and under the proxy's mount, and
/// its body. The token goes in every header a client of any API may use.
struct Case {
    name: &'static str,
    upstream_path: &'static str,
    proxy_path: &'static str,
    body: serde_json::Value,
}

fn cases() -> Vec<Case> {
    let prompt = "go";
    vec![
        Case {
            name: "messages",
            upstream_path: "/v1/messages",
            proxy_path: "/v1/messages",
            body: json!({"model": "claude-bench", "max_tokens": 100000, "stream": true,
                         "messages": [{"role": "user", "content": prompt}]}),
        },
        Case {
            name: "responses",
            upstream_path: "/v1/responses",
            proxy_path: "/openai/v1/responses",
            body: json!({"model": "gpt-bench", "stream": true, "input": prompt}),
        },
        Case {
            name: "chat",
            upstream_path: "/v1/chat/completions",
            proxy_path: "/openai/v1/chat/completions",
            body: json!({"model": "gpt-bench", "stream": true,
                         "stream_options": {"include_usage": true},
                         "messages": [{"role": "user", "content": prompt}]}),
        },
        Case {
            name: "gemini",
            upstream_path: "/v1beta/models/gemini-bench:streamGenerateContent?alt=sse",
            proxy_path: "/gemini/v1beta/models/gemini-bench:streamGenerateContent?alt=sse",
            body: json!({"contents": [{"role": "user", "parts": [{"text": prompt}]}]}),
        },
    ]
}

async fn stream_once(client: &reqwest::Client, url: &str, body: &serde_json::Value) -> Run {
    let start = Instant::now();
    let response = client
        .post(url)
        .header("x-api-key", TOKEN)
        .header("x-goog-api-key", TOKEN)
        .bearer_auth(TOKEN)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut arrivals = Vec::new();
    let mut last = 0u8;
    let mut bytes = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        bytes += chunk.len();
        let now = Instant::now();
        let ends = count_event_ends(&chunk, &mut last);
        arrivals.extend(std::iter::repeat_n(now, ends));
    }
    Run {
        arrivals,
        bytes,
        elapsed: start.elapsed(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Per-event latency in µs from the relay's stamp to the client's.
fn latencies(stamps: &[Instant], run: &Run) -> Vec<f64> {
    assert_eq!(
        stamps.len(),
        run.arrivals.len(),
        "every event seen on both sides"
    );
    let mut out: Vec<f64> = stamps
        .iter()
        .zip(&run.arrivals)
        .map(|(sent, got)| got.saturating_duration_since(*sent).as_secs_f64() * 1e6)
        .collect();
    out.sort_by(f64::total_cmp);
    out
}

async fn serve_proxy(upstream: String, host: Arc<Host>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ProxyConfig::all_at(&upstream);
    config.anthropic.credentials = Credentials::ApiKey("real-key".into());
    let app = Router::new().nest(llm_proxy::MOUNT, llm_proxy::router(config, host));
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    // `cargo test` runs this target without `--bench`: one small round checks it works.
    let measuring = args.iter().any(|a| a == "--bench");
    let (events, rounds) = if measuring {
        (option("--events", 3000), option("--rounds", 5))
    } else {
        (option("--events", 100), option("--rounds", 1))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(events, rounds));
}

async fn run(events: usize, rounds: usize) {
    // One text block of `events` deltas (plus the events around it, which differ by API).
    let text = "x".repeat(TEXT_CHUNK_CHARS * events);
    let paced = Reply {
        chunk_delay_ms: 1,
        ..Reply::text(text.clone())
    }
    .when(When::any());
    let unpaced = Reply::text(text).when(When::any());
    let mock = MockLlm::start("127.0.0.1:0".parse().unwrap(), Script::default())
        .await
        .unwrap();
    let relay = relay(mock.addr()).await;
    let (sink, mut drain) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move { while drain.recv().await.is_some() {} });
    let host = Arc::new(Host {
        events: AtomicU64::new(0),
        sink,
    });
    let via_relay = serve_proxy(format!("http://{}", relay.addr), host.clone()).await;
    let via_mock = serve_proxy(mock.url(), host.clone()).await;
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();

    println!("LLM proxy benchmark: a reply of {events} text deltas, per API");
    let mut verdicts = Vec::new();
    for case in cases() {
        let direct_relay = format!("http://{}{}", relay.addr, case.upstream_path);
        let proxied_relay = format!("http://{via_relay}/tasks/bench/llm{}", case.proxy_path);
        let direct_mock = format!("{}{}", mock.url(), case.upstream_path);
        let proxied_mock = format!("http://{via_mock}/tasks/bench/llm{}", case.proxy_path);
        println!("{}:", case.name);

        // Latency, paced: direct and proxied runs alternate, so noise from the rest of the
        // machine falls on both alike; each side's samples are pooled over the rounds.
        mock.set_script(Script {
            replies: vec![],
            default: paced.clone(),
        });
        let mut measured: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for url in [&direct_relay, &proxied_relay] {
            stream_once(&client, url, &case.body).await; // warm-up
        }
        for _ in 0..rounds {
            for (side, url) in [&direct_relay, &proxied_relay].into_iter().enumerate() {
                relay.stamps.lock().clear();
                let run = stream_once(&client, url, &case.body).await;
                let stamps = std::mem::take(&mut *relay.stamps.lock());
                measured[side].extend(latencies(&stamps, &run));
            }
        }
        for (side, name) in ["direct", "proxied"].into_iter().enumerate() {
            measured[side].sort_by(f64::total_cmp);
            let lat = &measured[side];
            println!(
                "  {name:8} paced 1 ms, {rounds} rounds: per-event latency p50 {:7.1} µs  p99 {:7.1} µs  max {:8.1} µs",
                percentile(lat, 0.5),
                percentile(lat, 0.99),
                lat.last().unwrap()
            );
        }
        let (direct, proxied) = (&measured[0], &measured[1]);
        let added_p50 = percentile(proxied, 0.5) - percentile(direct, 0.5);
        let added_p99 = percentile(proxied, 0.99) - percentile(direct, 0.99);
        let met = added_p99 <= 1000.0;
        println!(
            "  added by the proxy per chunk: p50 {added_p50:.1} µs, p99 {added_p99:.1} µs (target p99 ≤ 1000 µs: {})",
            if met { "met" } else { "MISSED" }
        );
        verdicts.push((case.name, added_p99, met));

        // Throughput, unpaced, straight to the mock.
        mock.set_script(Script {
            replies: vec![],
            default: unpaced.clone(),
        });
        let mut per_event = Vec::new();
        let mut count = None;
        for (name, url) in [("direct", &direct_mock), ("proxied", &proxied_mock)] {
            stream_once(&client, url, &case.body).await;
            let mut best = Duration::MAX;
            let mut bytes = 0;
            for _ in 0..5 {
                let run = stream_once(&client, url, &case.body).await;
                let seen = run.arrivals.len();
                assert!(
                    seen >= events,
                    "{}: {seen} events for {events} deltas",
                    case.name
                );
                assert_eq!(
                    *count.get_or_insert(seen),
                    seen,
                    "the same events both ways"
                );
                best = best.min(run.elapsed);
                bytes = run.bytes;
            }
            let secs = best.as_secs_f64();
            let n = count.unwrap_or(events);
            println!(
                "  {name:8} unpaced: {:6.1} ms for {n} events = {:8.0} events/s, {:6.1} MB/s (best of 5)",
                secs * 1e3,
                n as f64 / secs,
                bytes as f64 / secs / 1e6
            );
            per_event.push(secs / n as f64);
        }
        println!(
            "  average added per event at full speed: {:.1} µs",
            (per_event[1] - per_event[0]) * 1e6
        );
    }
    println!(
        "host events reported: {}",
        host.events.load(Ordering::Relaxed)
    );
    println!("summary, added p99 per chunk:");
    for (name, p99, met) in verdicts {
        println!(
            "  {name:10} {p99:7.1} µs  {}",
            if met { "met" } else { "MISSED" }
        );
    }
}
