//! The host against the real guest adapters, built with wit-bindgen by
//! `scripts/build-adapters.sh` into `target/adapters/` (or `$PLINTH_ADAPTERS_DIR`). These
//! tests fail, never skip, when the guests are not built.

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use plinth_wasm::wit::{
    CapError, Question, Signal, Status, Task, TranscriptEntry, Urgency, WitCapability, WitVersion,
};
use plinth_wasm::{
    Capabilities, Capability, EventsCap, GuestError, HostConfig, InspectError, LoadError,
    LoadedAdapter, WasmHost,
};

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
        panic!(
            "cannot read the guest adapter {}: {e}; build the guests first with scripts/build-adapters.sh (or point PLINTH_ADAPTERS_DIR at them)",
            path.display()
        )
    })
}

/// Compiling a guest in a debug build takes seconds; the tests share compiled guests
/// through the cache (which tests concurrent writers of one file on the way).
fn config() -> HostConfig {
    HostConfig {
        cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plinth-wasm-cache")),
        ..HostConfig::default()
    }
}

fn probe(host: &WasmHost) -> LoadedAdapter {
    host.load(&guest("test/probe.wasm"), &Capability::ALL)
        .unwrap()
}

fn task(prompt: &str) -> Task {
    Task {
        id: "t1".into(),
        prompt: prompt.into(),
        workdir: "/work".into(),
        branch: "plinth/t1".into(),
        env: vec![],
        restarts: 0,
        home: "/home/agent".into(),
        now_ms: 1_764_000_000_000,
    }
}

fn say(text: &str) -> Signal {
    Signal::UserMessage(text.into())
}

/// The transcript, which is where the probe reports, and the statuses set.
#[derive(Default)]
struct Transcript(Mutex<Vec<TranscriptEntry>>, Mutex<Vec<(Status, String)>>);

impl Transcript {
    fn statuses(&self) -> Vec<(Status, String)> {
        self.1.lock().unwrap().clone()
    }
    fn texts(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.text.clone())
            .collect()
    }
    fn last(&self) -> String {
        self.texts().pop().expect("the probe reported something")
    }
}

impl EventsCap for Transcript {
    fn append_transcript(&self, entry: TranscriptEntry) -> Result<u64, CapError> {
        let mut entries = self.0.lock().unwrap();
        entries.push(entry);
        Ok(entries.len() as u64)
    }
    fn set_status(&self, status: Status, detail: &str) -> Result<(), CapError> {
        self.1.lock().unwrap().push((status, detail.to_string()));
        Ok(())
    }
    fn notify(&self, _: &str, _: &str, _: Urgency) -> Result<(), CapError> {
        Ok(())
    }
    fn ask(&self, _: Question) -> Result<(), CapError> {
        Ok(())
    }
}

fn with_transcript(t: &Arc<Transcript>) -> Capabilities {
    Capabilities {
        events: Some(t.clone()),
        log: Some(Arc::new(support::Lines::default())),
        ..Capabilities::none("t1")
    }
}

#[test]
fn the_probe_is_an_adapter_importing_every_capability() {
    let summary = WasmHost::inspect(&guest("test/probe.wasm")).unwrap();
    assert_eq!(summary.capabilities, Capability::ALL.to_vec());
    assert!(summary.other_imports.is_empty());
    let host = WasmHost::new(config()).unwrap();
    let mut instance = probe(&host).instantiate(Capabilities::none("t1")).unwrap();
    let info = instance.info().unwrap();
    assert_eq!(info.name, "probe");
}

#[test]
fn a_trap_in_start_is_a_trap_and_then_poisoned() {
    let host = WasmHost::new(config()).unwrap();
    let mut instance = probe(&host).instantiate(Capabilities::none("t1")).unwrap();
    assert!(matches!(
        instance.start(&task("trap-in-start"), None),
        Err(GuestError::Trap { .. })
    ));
    assert_eq!(
        instance.on_signal(&say("echo hi")),
        Err(GuestError::Poisoned)
    );
}

#[test]
fn a_spinning_probe_hits_its_deadline_while_another_keeps_working() {
    let deadline = Duration::from_millis(200);
    let host = WasmHost::new(HostConfig {
        call_deadline: deadline,
        ..config()
    })
    .unwrap();
    let adapter = probe(&host);
    let spinner = {
        let adapter = adapter.clone();
        thread::spawn(move || {
            let mut instance = adapter.instantiate(Capabilities::none("spin")).unwrap();
            instance.on_signal(&say("spin"))
        })
    };
    let transcript = Arc::new(Transcript::default());
    let mut other = adapter.instantiate(with_transcript(&transcript)).unwrap();
    for i in 0..10 {
        other.on_signal(&say(&format!("echo {i}"))).unwrap();
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        spinner.join().unwrap(),
        Err(GuestError::Deadline { limit: deadline })
    );
    other.on_signal(&say("echo after")).unwrap();
    assert_eq!(transcript.texts().len(), 11);

    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert!(matches!(
        instance.start(&task("spin-in-start"), None),
        Err(GuestError::Deadline { .. })
    ));
}

#[test]
fn a_growing_probe_hits_the_memory_cap() {
    let limit = 16 << 20;
    let host = WasmHost::new(HostConfig {
        memory_limit: limit,
        ..config()
    })
    .unwrap();
    let adapter = probe(&host);
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert_eq!(
        instance.on_signal(&say("grow")),
        Err(GuestError::MemoryCap { limit })
    );
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert_eq!(
        instance.start(&task("grow-in-start"), None),
        Err(GuestError::MemoryCap { limit })
    );
}

#[test]
fn a_denied_capability_is_a_typed_error_in_the_guest() {
    let host = WasmHost::new(config()).unwrap();
    let transcript = Arc::new(Transcript::default());
    let mut instance = probe(&host)
        .instantiate(with_transcript(&transcript))
        .unwrap();
    instance.on_signal(&say("call tmux.kill agent")).unwrap();
    let report = transcript.last();
    assert!(
        report.starts_with("error: access-denied: the `tmux` capability"),
        "{report}"
    );
    instance
        .on_signal(&say("call environment.exec ls"))
        .unwrap();
    assert!(
        transcript.last().starts_with("error: access-denied"),
        "{}",
        transcript.last()
    );
    assert!(!instance.is_poisoned());
}

#[test]
fn a_panicking_host_capability_is_failed_in_the_guest() {
    let host = WasmHost::new(config()).unwrap();
    let transcript = Arc::new(Transcript::default());
    let mut instance = probe(&host)
        .instantiate(Capabilities {
            tmux: Some(support::tmux(|_| panic!("tmux exploded"))),
            ..with_transcript(&transcript)
        })
        .unwrap();
    instance.on_signal(&say("call tmux.kill agent")).unwrap();
    let report = transcript.last();
    assert!(report.starts_with("error: failed: "), "{report}");
    assert!(report.contains("tmux exploded"), "{report}");
    instance.on_signal(&say("echo still alive")).unwrap();
    assert_eq!(transcript.last(), "still alive");
}

#[test]
fn state_round_trips_and_comes_back_to_start() {
    let host = WasmHost::new(config()).unwrap();
    let transcript = Arc::new(Transcript::default());
    let store = Arc::new(support::Memory::default());
    let caps = Capabilities {
        state: Some(store.clone()),
        ..with_transcript(&transcript)
    };
    let adapter = probe(&host);
    let mut instance = adapter.instantiate(caps.clone()).unwrap();
    instance
        .on_signal(&say("state-roundtrip cursor=7"))
        .unwrap();
    assert_eq!(transcript.last(), "state-roundtrip: ok");

    let saved = store.load_blob();
    assert_eq!(saved.as_deref(), Some(&b"cursor=7"[..]));
    let lines = Arc::new(support::Lines::default());
    let mut restarted = adapter
        .instantiate(Capabilities {
            log: Some(lines.clone()),
            ..caps
        })
        .unwrap();
    restarted.start(&task("go"), saved).unwrap();
    assert!(
        lines.messages()[0].contains("saved=\"cursor=7\""),
        "{:?}",
        lines.messages()
    );
}

#[test]
fn log_loop_makes_that_many_host_calls() {
    let host = WasmHost::new(config()).unwrap();
    let lines = Arc::new(support::Lines::default());
    let mut instance = probe(&host)
        .instantiate(Capabilities {
            log: Some(lines.clone()),
            ..Capabilities::none("t1")
        })
        .unwrap();
    instance.on_signal(&say("log-loop 250")).unwrap();
    assert_eq!(lines.messages().len(), 250);
}

#[test]
fn the_minimal_adapter_runs() {
    let bytes = guest("test/minimal.wasm");
    let summary = WasmHost::inspect(&bytes).unwrap();
    let host = WasmHost::new(config()).unwrap();
    let adapter = host.load(&bytes, &summary.capabilities).unwrap();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    instance.info().unwrap();
    instance.start(&task("hello"), None).unwrap();
    instance.on_signal(&Signal::Tick(1)).unwrap();
    instance.stop().unwrap();
}

#[test]
fn the_built_in_guests_are_built_against_the_latest_wit() {
    for guest_file in ["scripted.wasm", "claude-code.wasm", "test/minimal.wasm"] {
        let summary = WasmHost::inspect(&guest(guest_file)).unwrap();
        assert_eq!(
            summary.wit_version,
            Some(WitVersion::LATEST),
            "{guest_file}"
        );
    }
}

/// Built against the frozen 0.1.0 WIT: it loads, runs, and gets an answer as the user
/// message it can understand.
#[test]
fn an_adapter_of_the_previous_wit_still_loads_and_runs() {
    let bytes = guest("test/legacy.wasm");
    let summary = WasmHost::inspect(&bytes).unwrap();
    assert_eq!(summary.wit_version, Some(WitVersion::V0_1));
    assert_eq!(summary.capabilities, vec![Capability::Events]);
    let host = WasmHost::new(config()).unwrap();
    let adapter = host.load(&bytes, &summary.capabilities).unwrap();
    let transcript = Arc::new(Transcript::default());
    let mut instance = adapter.instantiate(with_transcript(&transcript)).unwrap();
    assert_eq!(instance.wit_version(), WitVersion::V0_1);
    assert_eq!(
        instance.info().unwrap().capabilities,
        vec![WitCapability::Events]
    );
    instance.start(&task("hello"), None).unwrap();
    assert_eq!(
        transcript.statuses(),
        [(Status::Idle, "legacy: ready for t1".to_string())]
    );

    instance.on_signal(&say("hi")).unwrap();
    assert_eq!(transcript.last(), "legacy heard: hi");
    // It asked nothing (0.1.0 cannot), so the answer's label is not known: its id comes.
    instance.on_signal(&Signal::Answer("yes".into())).unwrap();
    assert_eq!(transcript.last(), "legacy heard: yes");
    instance.stop().unwrap();
}

#[test]
fn the_foreign_component_is_refused_as_not_an_adapter() {
    let err = WasmHost::inspect(&guest("test/foreign.wasm")).unwrap_err();
    assert!(matches!(err, InspectError::NotAnAdapter { .. }), "{err:?}");
    let host = WasmHost::new(config()).unwrap();
    assert!(matches!(
        host.load(&guest("test/foreign.wasm"), &Capability::ALL),
        Err(LoadError::Inspect(InspectError::NotAnAdapter { .. }))
    ));
}

#[test]
fn the_built_in_adapters_import_only_what_they_declare() {
    let host = WasmHost::new(config()).unwrap();
    for name in ["scripted.wasm", "claude-code.wasm"] {
        let bytes = guest(name);
        let summary = WasmHost::inspect(&bytes).unwrap();
        let adapter = host.load(&bytes, &summary.capabilities).unwrap();
        let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
        let declared: Vec<Capability> = instance
            .info()
            .unwrap()
            .capabilities
            .into_iter()
            .map(Into::into)
            .collect();
        for imported in &summary.capabilities {
            assert!(
                declared.contains(imported),
                "{name} imports {imported} but its info() does not declare it"
            );
        }
    }
}

#[test]
fn the_default_pool_holds_128_live_probes() {
    let host = WasmHost::new(config()).unwrap();
    assert_eq!(host.config().max_instances, 128);
    let adapter = probe(&host);
    let mut live: Vec<_> = (0..128)
        .map(|i| {
            adapter
                .instantiate(Capabilities::none(format!("t{i}")))
                .unwrap_or_else(|e| panic!("instance {i}: {e}"))
        })
        .collect();
    for instance in &mut live {
        instance.start(&task("hello"), None).unwrap();
    }
    match adapter.instantiate(Capabilities::none("one too many")) {
        Err(GuestError::Instantiate(message)) => {
            assert!(message.contains("max_instances"), "{message}")
        }
        other => panic!("expected the pool to be full, got {:?}", other.err()),
    }
}
