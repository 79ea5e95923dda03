//! The per-instance limits: traps poison, deadlines count guest time only, memory is capped,
//! fuel runs out, and none of it spills onto other instances.

mod support;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use plinth_wasm::wit::{Signal, Task};
use plinth_wasm::{Capabilities, Capability, GuestError, HostConfig, WasmHost};

fn task(prompt: &str) -> Task {
    Task {
        id: "t1".into(),
        prompt: prompt.into(),
        workdir: "/work".into(),
        branch: "plinth/t1".into(),
        env: vec![("K".into(), "V".into())],
        restarts: 0,
        home: "/home/agent".into(),
        now_ms: 1_764_000_000_000,
    }
}

fn say(text: &str) -> Signal {
    Signal::UserMessage(text.into())
}

fn host(config: HostConfig) -> WasmHost {
    WasmHost::new(config).unwrap()
}

#[test]
fn an_adapter_runs_and_reports_its_info_and_usage() {
    let host = host(HostConfig::default());
    let adapter = host.load(&support::bare(), &[]).unwrap();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    let info = instance.info().unwrap();
    assert_eq!(info.name, "wat-probe");
    assert_eq!(info.version, "0.1.0");
    let caps: Vec<Capability> = info.capabilities.into_iter().map(Into::into).collect();
    assert_eq!(
        caps,
        vec![Capability::Log, Capability::Tmux, Capability::State]
    );
    instance.start(&task("hello"), None).unwrap();
    instance.on_signal(&Signal::Tick(1)).unwrap();
    instance.stop().unwrap();
    let usage = instance.usage();
    assert_eq!(usage.calls, 4);
    assert_eq!(usage.memory_bytes, 2 * 64 * 1024);
    assert!(usage.guest_cpu > Duration::ZERO);
    assert_eq!(usage.fuel_consumed, 0);
}

#[test]
fn a_trap_in_start_poisons_the_instance() {
    let host = host(HostConfig::default());
    let adapter = host.load(&support::bare(), &[]).unwrap();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    match instance.start(&task("T"), None) {
        Err(GuestError::Trap { message }) => {
            assert!(message.contains("unreachable"), "{message}")
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert!(instance.is_poisoned());
    assert_eq!(
        instance.on_signal(&Signal::Tick(0)),
        Err(GuestError::Poisoned)
    );
    assert_eq!(instance.stop(), Err(GuestError::Poisoned));

    // The adapter itself is fine: a new instance starts.
    let mut fresh = adapter.instantiate(Capabilities::none("t1")).unwrap();
    fresh.start(&task("hello"), None).unwrap();
}

#[test]
fn a_spinning_guest_hits_its_deadline_and_others_keep_working() {
    let deadline = Duration::from_millis(200);
    let host = host(HostConfig {
        call_deadline: deadline,
        ..HostConfig::default()
    });
    let adapter = host.load(&support::bare(), &[]).unwrap();

    let spinner = {
        let adapter = adapter.clone();
        thread::spawn(move || {
            let mut instance = adapter.instantiate(Capabilities::none("spin")).unwrap();
            let started = Instant::now();
            let result = instance.on_signal(&say("S"));
            (
                result,
                started.elapsed(),
                instance.on_signal(&Signal::Tick(0)),
            )
        })
    };
    // Meanwhile another task's instance answers promptly, again and again.
    let mut other = adapter.instantiate(Capabilities::none("other")).unwrap();
    for _ in 0..20 {
        let started = Instant::now();
        other.on_signal(&Signal::Tick(0)).unwrap();
        assert!(started.elapsed() < Duration::from_millis(100));
        thread::sleep(Duration::from_millis(10));
    }
    let (result, took, after) = spinner.join().unwrap();
    assert_eq!(result, Err(GuestError::Deadline { limit: deadline }));
    assert!(took >= deadline, "{took:?}");
    assert!(took < deadline + Duration::from_millis(500), "{took:?}");
    assert_eq!(after, Err(GuestError::Poisoned));
    other.on_signal(&Signal::Tick(0)).unwrap();
}

#[test]
fn a_spin_in_start_hits_the_deadline_too() {
    let host = host(HostConfig {
        call_deadline: Duration::from_millis(50),
        ..HostConfig::default()
    });
    let adapter = host.load(&support::bare(), &[]).unwrap();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert!(matches!(
        instance.start(&task("S"), None),
        Err(GuestError::Deadline { .. })
    ));
}

#[test]
fn time_inside_host_calls_does_not_count_against_the_deadline() {
    let host = host(HostConfig {
        call_deadline: Duration::from_millis(100),
        ..HostConfig::default()
    });
    let adapter = host.load(&support::probe(), &Capability::ALL).unwrap();
    let lines = Arc::new(support::Lines::default());
    let caps = Capabilities {
        log: Some(lines.clone()),
        // A slow `exec`-like call: three times the guest's whole budget.
        tmux: Some(support::tmux(|_| {
            thread::sleep(Duration::from_millis(300));
            Ok(())
        })),
        ..Capabilities::none("t1")
    };
    let mut instance = adapter.instantiate(caps).unwrap();
    instance.on_signal(&say("Kagent")).unwrap();
    assert_eq!(lines.messages(), vec!["ok"]);
    let usage = instance.usage();
    assert!(usage.guest_cpu < Duration::from_millis(100), "{usage:?}");
    // And the instance is still usable.
    instance.on_signal(&Signal::Tick(3)).unwrap();
}

#[test]
fn growing_past_the_memory_cap_is_reported_as_such() {
    let limit = 4 << 20;
    let host = host(HostConfig {
        memory_limit: limit,
        ..HostConfig::default()
    });
    let adapter = host.load(&support::bare(), &[]).unwrap();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert_eq!(
        instance.on_signal(&say("G")),
        Err(GuestError::MemoryCap { limit })
    );
    assert!(instance.usage().memory_bytes <= limit);
    assert_eq!(instance.on_signal(&say("")), Err(GuestError::Poisoned));

    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert!(matches!(
        instance.start(&task("G"), None),
        Err(GuestError::MemoryCap { .. })
    ));
}

#[test]
fn fuel_is_per_call_and_runs_out() {
    let host = host(HostConfig {
        fuel: Some(100_000),
        ..HostConfig::default()
    });
    let adapter = host.load(&support::probe(), &Capability::ALL).unwrap();
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(Arc::new(support::Lines::default())),
            ..Capabilities::none("t1")
        })
        .unwrap();
    // Each call gets the whole budget again.
    for _ in 0..5 {
        instance.on_signal(&Signal::Tick(100)).unwrap();
    }
    let used = instance.usage().fuel_consumed;
    assert!(used > 0 && used < 5 * 100_000, "{used}");
    assert_eq!(instance.on_signal(&say("S")), Err(GuestError::OutOfFuel));
    assert_eq!(
        instance.on_signal(&Signal::Tick(0)),
        Err(GuestError::Poisoned)
    );
}

#[test]
fn the_guest_returning_an_error_does_not_poison() {
    let host = host(HostConfig::default());
    let adapter = host.load(&support::probe(), &Capability::ALL).unwrap();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert_eq!(
        instance.on_signal(&say("E")),
        Err(GuestError::Returned("boom".into()))
    );
    assert!(!instance.is_poisoned());
    instance.on_signal(&Signal::Tick(0)).unwrap();
}

#[test]
fn the_pool_holds_max_instances_and_frees_slots_on_drop() {
    let host = host(HostConfig {
        max_instances: 4,
        ..HostConfig::default()
    });
    let adapter = host.load(&support::bare(), &[]).unwrap();
    let mut live: Vec<_> = (0..4)
        .map(|i| {
            adapter
                .instantiate(Capabilities::none(format!("t{i}")))
                .unwrap()
        })
        .collect();
    let err = adapter
        .instantiate(Capabilities::none("one too many"))
        .err()
        .expect("the pool is full");
    assert!(matches!(err, GuestError::Instantiate(_)), "{err:?}");
    live.pop();
    adapter.instantiate(Capabilities::none("t4")).unwrap();
}

#[test]
fn instances_keep_the_engine_ticking_after_the_host_is_dropped() {
    let adapter = {
        let host = host(HostConfig {
            call_deadline: Duration::from_millis(50),
            ..HostConfig::default()
        });
        host.load(&support::bare(), &[]).unwrap()
    };
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    drop(adapter);
    assert!(matches!(
        instance.on_signal(&say("S")),
        Err(GuestError::Deadline { .. })
    ));
}
