//! The WASM host's figures, each printed with its target: `cargo bench -p plinth-wasm`.
//! Needs the guests built by `scripts/build-adapters.sh`. Under `cargo test` (no `--bench`
//! argument) it runs a few iterations of each, as a smoke test.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_wasm::wit::{Level, Signal};
use plinth_wasm::{Capabilities, Capability, HostConfig, LogCap, WasmHost};

struct NoopLog;

impl LogCap for NoopLog {
    fn log(&self, _: Level, _: &str) {}
}

fn adapters_dir() -> PathBuf {
    std::env::var_os("PLINTH_ADAPTERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/adapters"
            ))
        })
}

fn guest(relative: &str) -> Vec<u8> {
    let path = adapters_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!(
            "cannot read {}: {e}\nbuild the guest adapters first: scripts/build-adapters.sh",
            path.display()
        );
        std::process::exit(2)
    })
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at]
}

fn micros(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn verdict(value: Duration, target: Duration) -> &'static str {
    if value <= target { "ok" } else { "OVER TARGET" }
}

struct Scale {
    instantiations: usize,
    log_calls: u64,
    log_rounds: usize,
    compiles: usize,
    cached_loads: usize,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full {
        Scale {
            instantiations: 5_000,
            log_calls: 20_000,
            log_rounds: 31,
            compiles: 3,
            cached_loads: 21,
        }
    } else {
        Scale {
            instantiations: 20,
            log_calls: 100,
            log_rounds: 3,
            compiles: 1,
            cached_loads: 3,
        }
    };
    let cache = tempfile::tempdir().expect("a temporary cache directory");
    let config = HostConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..HostConfig::default()
    };
    let host = WasmHost::new(config.clone()).expect("the host starts");

    instantiate(&host, &scale);
    host_call(&host, &scale);
    for name in ["scripted.wasm", "claude-code.wasm"] {
        compile_versus_cache(&config, name, &scale);
    }
}

/// A fresh instance of a compiled, cached adapter from the pool: the cost of (re)starting
/// a task's adapter.
fn instantiate(host: &WasmHost, scale: &Scale) {
    let bytes = guest("test/probe.wasm");
    host.load(&bytes, &Capability::ALL).expect("probe loads");
    let adapter = host
        .load(&bytes, &Capability::ALL)
        .expect("probe loads from the cache");
    assert!(host.cache_stats().hits >= 1);
    let caps = Capabilities {
        log: Some(Arc::new(NoopLog)),
        ..Capabilities::none("bench")
    };
    for _ in 0..scale.instantiations / 10 + 1 {
        drop(adapter.instantiate(caps.clone()).unwrap());
    }
    let mut samples = Vec::with_capacity(scale.instantiations);
    let mut first_calls = Vec::with_capacity(scale.instantiations);
    let mut teardowns = Vec::with_capacity(scale.instantiations);
    for _ in 0..scale.instantiations {
        let started = Instant::now();
        let mut instance = adapter.instantiate(caps.clone()).unwrap();
        samples.push(started.elapsed());
        // The first call pays for faulting in the pages the guest touches.
        let started = Instant::now();
        instance.on_signal(&Signal::Tick(0)).unwrap();
        first_calls.push(started.elapsed());
        let started = Instant::now();
        drop(instance);
        teardowns.push(started.elapsed());
    }
    let med = median(samples.clone());
    let target = Duration::from_micros(25);
    println!(
        "instantiate probe (pooling, cached): median {} p90 {} over {} [target ≤ {}: {}]",
        micros(med),
        micros(percentile(samples, 0.9)),
        scale.instantiations,
        micros(target),
        verdict(med, target)
    );
    println!(
        "first call into a fresh probe instance: median {} p90 {} [no target]",
        micros(median(first_calls.clone())),
        micros(percentile(first_calls, 0.9)),
    );
    println!(
        "drop a probe instance (slot back to the pool): median {} p90 {} [no target]",
        micros(median(teardowns.clone())),
        micros(percentile(teardowns, 0.9)),
    );
}

/// One guest-to-host call with a small string, through the whole canonical ABI path:
/// the probe's `log-loop N` with a logger that does nothing, divided by N.
fn host_call(host: &WasmHost, scale: &Scale) {
    let adapter = host
        .load(&guest("test/probe.wasm"), &Capability::ALL)
        .expect("probe loads");
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(Arc::new(NoopLog)),
            ..Capabilities::none("bench")
        })
        .unwrap();
    let message = Signal::UserMessage(format!("log-loop {}", scale.log_calls));
    instance.on_signal(&message).unwrap();
    let samples: Vec<Duration> = (0..scale.log_rounds)
        .map(|_| {
            let started = Instant::now();
            instance.on_signal(&message).unwrap();
            started.elapsed() / scale.log_calls as u32
        })
        .collect();
    let med = median(samples);
    let target = Duration::from_micros(1);
    println!(
        "host call round trip (log, small string): median {} per call over {} rounds of {} [target ≤ {}: {}]",
        micros(med),
        scale.log_rounds,
        scale.log_calls,
        micros(target),
        verdict(med, target)
    );
}

/// Loading a built-in adapter on a cold cache (inspect + Cranelift + link) against a warm
/// one (inspect + verify + deserialize + link).
fn compile_versus_cache(config: &HostConfig, name: &str, scale: &Scale) {
    let bytes = guest(name);
    let grants = WasmHost::inspect(&bytes)
        .expect("a valid adapter")
        .capabilities;

    let uncached = WasmHost::new(HostConfig {
        cache_dir: None,
        ..config.clone()
    })
    .unwrap();
    let cold: Vec<Duration> = (0..scale.compiles)
        .map(|_| {
            let started = Instant::now();
            uncached.load(&bytes, &grants).unwrap();
            started.elapsed()
        })
        .collect();

    let cached = WasmHost::new(config.clone()).unwrap();
    cached.load(&bytes, &grants).unwrap();
    let warm: Vec<Duration> = (0..scale.cached_loads)
        .map(|_| {
            let started = Instant::now();
            cached.load(&bytes, &grants).unwrap();
            started.elapsed()
        })
        .collect();
    let inspect: Vec<Duration> = (0..scale.cached_loads)
        .map(|_| {
            let started = Instant::now();
            WasmHost::inspect(&bytes).unwrap();
            started.elapsed()
        })
        .collect();
    let (cold, warm) = (median(cold), median(warm));
    println!(
        "load {name} ({} KiB): cold compile {} vs cached {} ({:.0}x; of which inspect {}) [target: cached well under cold]",
        bytes.len() / 1024,
        millis(cold),
        millis(warm),
        cold.as_secs_f64() / warm.as_secs_f64(),
        millis(median(inspect)),
    );
}
