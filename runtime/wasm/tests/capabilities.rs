//! Capability calls from a guest: denied and failing calls are values the guest sees,
//! never traps; state round-trips; WASI reaches nothing of the host.

mod support;

use std::sync::Arc;

use plinth_wasm::wit::{CapError, Level, Signal};
use plinth_wasm::{Capabilities, Capability, HostConfig, STATE_BLOB_LIMIT, WasmHost};

fn say(text: &str) -> Signal {
    Signal::UserMessage(text.into())
}

fn probe_host() -> (WasmHost, plinth_wasm::LoadedAdapter) {
    let host = WasmHost::new(HostConfig::default()).unwrap();
    let adapter = host.load(&support::probe(), &Capability::ALL).unwrap();
    (host, adapter)
}

#[test]
fn a_linked_capability_with_no_implementation_is_access_denied_to_the_guest() {
    let (_host, adapter) = probe_host();
    let lines = Arc::new(support::Lines::default());
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(lines.clone()),
            ..Capabilities::none("t1")
        })
        .unwrap();
    instance.on_signal(&say("Kagent")).unwrap();
    instance.on_signal(&say("Vblob")).unwrap();
    let got = lines.messages();
    assert_eq!(got.len(), 2, "{got:?}");
    // Case 0 is access-denied.
    assert!(
        got[0].starts_with("0the `tmux` capability is not available"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("0the `state` capability is not available"),
        "{got:?}"
    );
    assert!(!instance.is_poisoned());
}

#[test]
fn the_embedders_errors_reach_the_guest_as_they_are() {
    let (_host, adapter) = probe_host();
    let lines = Arc::new(support::Lines::default());
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(lines.clone()),
            tmux: Some(support::tmux(|name| {
                Err(CapError::NotFound(format!("no session {name}")))
            })),
            ..Capabilities::none("t1")
        })
        .unwrap();
    instance.on_signal(&say("Kagent")).unwrap();
    assert_eq!(lines.messages(), vec!["1no session agent"]);
}

#[test]
fn a_panicking_implementation_is_a_failed_call_not_a_trap() {
    let (_host, adapter) = probe_host();
    let lines = Arc::new(support::Lines::default());
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(lines.clone()),
            tmux: Some(support::tmux(|_| panic!("tmux server vanished"))),
            ..Capabilities::none("t1")
        })
        .unwrap();
    instance.on_signal(&say("Kagent")).unwrap();
    let got = lines.messages();
    // Case 4 is failed.
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("4the host's `tmux` capability failed"),
        "{got:?}"
    );
    assert!(got[0].contains("tmux server vanished"), "{got:?}");
    assert!(!instance.is_poisoned());
    instance.on_signal(&Signal::Tick(1)).unwrap();
}

#[test]
fn a_panicking_logger_does_not_hurt_the_guest() {
    struct Broken;
    impl plinth_wasm::LogCap for Broken {
        fn log(&self, _: Level, _: &str) {
            panic!("disk full");
        }
    }
    let (_host, adapter) = probe_host();
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(Arc::new(Broken)),
            ..Capabilities::none("t1")
        })
        .unwrap();
    instance.on_signal(&Signal::Tick(3)).unwrap();
    assert!(!instance.is_poisoned());
}

#[test]
fn state_round_trips_through_the_host() {
    let (_host, adapter) = probe_host();
    let lines = Arc::new(support::Lines::default());
    let store = Arc::new(support::Memory::default());
    let caps = Capabilities {
        log: Some(lines.clone()),
        state: Some(store.clone()),
        ..Capabilities::none("t1")
    };
    let mut instance = adapter.instantiate(caps.clone()).unwrap();
    instance.on_signal(&say("Vcursor=42")).unwrap();
    assert_eq!(lines.messages(), vec!["cursor=42"]);
    assert_eq!(store.0.lock().unwrap().as_deref(), Some(&b"cursor=42"[..]));

    // A new instance (a restart) sees what the last one saved.
    let mut again = adapter.instantiate(caps).unwrap();
    again.on_signal(&say("Vcursor=43")).unwrap();
    assert_eq!(lines.messages().last().unwrap(), "cursor=43");
}

#[test]
fn state_blobs_over_64_kib_are_refused_before_the_embedder_sees_them() {
    let (_host, adapter) = probe_host();
    let lines = Arc::new(support::Lines::default());
    let store = Arc::new(support::Memory::default());
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(lines.clone()),
            state: Some(store.clone()),
            ..Capabilities::none("t1")
        })
        .unwrap();
    let at_limit = format!("V{}", "a".repeat(STATE_BLOB_LIMIT));
    instance.on_signal(&say(&at_limit)).unwrap();
    assert_eq!(
        store.0.lock().unwrap().as_ref().unwrap().len(),
        STATE_BLOB_LIMIT
    );

    let over = format!("V{}", "b".repeat(STATE_BLOB_LIMIT + 1));
    instance.on_signal(&say(&over)).unwrap();
    let last = lines.messages().pop().unwrap();
    assert!(last.starts_with("0state blob of 65537 bytes"), "{last}");
    assert_eq!(store.0.lock().unwrap().as_ref().unwrap()[0], b'a');
}

#[test]
fn without_a_logger_log_calls_still_succeed() {
    let (_host, adapter) = probe_host();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    instance.on_signal(&Signal::Tick(5)).unwrap();
}

#[test]
fn a_wasi_guest_sees_no_directories_no_environment_and_its_stdout_is_logged() {
    // Host environment the guest must not inherit.
    // SAFETY: nothing else in this test binary reads or writes the environment concurrently.
    unsafe { std::env::set_var("PLINTH_WASM_SECRET", "hunter2") };
    let host = WasmHost::new(HostConfig::default()).unwrap();
    let bytes = support::wasi();
    let adapter = host.load(&bytes, &[]).unwrap();
    assert!(adapter.summary().imports_wasi());
    let lines = Arc::new(support::Lines::default());
    let mut instance = adapter
        .instantiate(Capabilities {
            log: Some(lines.clone()),
            ..Capabilities::none("t1")
        })
        .unwrap();
    instance.on_signal(&say("look around")).unwrap();
    let got = lines.0.lock().unwrap().clone();
    assert_eq!(got, vec![(Level::Info, "preopens=0 env=0".to_string())]);
}
