//! The worked examples of docs/adapters.md, built by scripts/build-examples.sh exactly as the
//! guide says, loaded by the real WASM host and driven through a task: start, a message, a
//! restart that resumes from the saved state, stop; and added with `plinth agents add`.
//!
//! The components are not built here: run `scripts/build-examples.sh` (scripts/test.sh
//! does) first. A missing component fails the test with that instruction.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use plinth_wasm::wit::{
    CapError, Level, Question, Role, Signal, Status, Task, TranscriptEntry, Urgency,
};
use plinth_wasm::{
    AdapterInstance, Capabilities, Capability, ComponentSummary, EventsCap, GuestError, HostConfig,
    LoadedAdapter, LogCap, StateCap, WasmHost,
};

fn example_path(file: &str) -> PathBuf {
    plinth_actors::builtin_adapters::adapters_dir()
        .join("examples")
        .join(file)
}

fn example(file: &str) -> Vec<u8> {
    let path = example_path(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the example adapter {}: {e}. Build the examples first: \
             scripts/build-examples.sh (scripts/test.sh runs it before cargo test)",
            path.display()
        )
    })
}

/// What the adapter did, in order, through the capabilities it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Transcript(Role, String),
    Status(Status, String),
    Notify(String),
}

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
    logs: Mutex<Vec<(Level, String)>>,
    saved: Mutex<Option<Vec<u8>>>,
}

impl Recorder {
    /// The calls made since the last `take`.
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    fn saved(&self) -> Option<String> {
        self.saved
            .lock()
            .unwrap()
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    fn logged(&self, needle: &str) -> bool {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .any(|(_, message)| message.contains(needle))
    }
}

impl EventsCap for Recorder {
    fn append_transcript(&self, entry: TranscriptEntry) -> Result<u64, CapError> {
        let mut calls = self.calls.lock().unwrap();
        calls.push(Call::Transcript(entry.role, entry.text));
        Ok(calls.len() as u64)
    }

    fn set_status(&self, status: Status, detail: &str) -> Result<(), CapError> {
        self.calls
            .lock()
            .unwrap()
            .push(Call::Status(status, detail.to_string()));
        Ok(())
    }

    fn notify(&self, title: &str, _body: &str, _urgency: Urgency) -> Result<(), CapError> {
        self.calls
            .lock()
            .unwrap()
            .push(Call::Notify(title.to_string()));
        Ok(())
    }

    fn ask(&self, question: Question) -> Result<(), CapError> {
        self.set_status(Status::WaitingForUser, &question.text)
    }
}

impl LogCap for Recorder {
    fn log(&self, level: Level, message: &str) {
        self.logs.lock().unwrap().push((level, message.to_string()));
    }
}

impl StateCap for Recorder {
    fn save(&self, blob: &[u8]) -> Result<(), CapError> {
        *self.saved.lock().unwrap() = Some(blob.to_vec());
        Ok(())
    }

    fn load(&self) -> Option<Vec<u8>> {
        self.saved.lock().unwrap().clone()
    }
}

/// One host for the whole test binary, with the default configuration (the one
/// `plinth agents add` uses), caching compiled components under cargo's test scratch
/// directory. Compiling the Python example (a CPython interpreter, ~18 MB) takes ~15 s; the
/// cache makes that a first-run cost only.
fn host() -> &'static WasmHost {
    static HOST: OnceLock<WasmHost> = OnceLock::new();
    HOST.get_or_init(|| {
        WasmHost::new(HostConfig {
            cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("adapter-examples")),
            ..HostConfig::default()
        })
        .expect("WASM host")
    })
}

/// The example, inspected and loaded with everything it imports granted; loaded once per
/// test binary.
fn loaded(file: &'static str) -> (ComponentSummary, LoadedAdapter) {
    static LOADED: Mutex<Vec<(&str, ComponentSummary, LoadedAdapter)>> = Mutex::new(Vec::new());
    // Compiling twice at once would only waste the machine's cores: hold the lock.
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, summary, adapter)) = loaded.iter().find(|(f, ..)| *f == file) {
        return (summary.clone(), adapter.clone());
    }
    let bytes = example(file);
    let summary = WasmHost::inspect(&bytes).expect("the example is an adapter");
    let adapter = host()
        .load(&bytes, &summary.capabilities)
        .expect("load with everything it imports granted");
    loaded.push((file, summary.clone(), adapter.clone()));
    (summary, adapter)
}

fn instantiate(adapter: &LoadedAdapter, recorder: &Arc<Recorder>) -> AdapterInstance {
    adapter
        .instantiate(Capabilities {
            task_id: "t1".to_string(),
            events: Some(recorder.clone()),
            log: Some(recorder.clone()),
            state: Some(recorder.clone()),
            ..Capabilities::none("t1")
        })
        .expect("instantiate the example")
}

fn task(restarts: u32) -> Task {
    Task {
        id: "t1".to_string(),
        prompt: "add a README".to_string(),
        workdir: "/work".to_string(),
        branch: "plinth/t1".to_string(),
        env: vec![("ANTHROPIC_BASE_URL".to_string(), "http://proxy".to_string())],
        restarts,
        home: "/home/agent".into(),
        now_ms: 1_764_000_000_000,
    }
}

fn status(status: Status, detail: &str) -> Call {
    Call::Status(status, detail.to_string())
}

fn said(role: Role, text: &str) -> Call {
    Call::Transcript(role, text.to_string())
}

/// Everything docs/adapters.md says the echo examples do, through the real host.
fn the_example_echoes_and_resumes(file: &'static str, name: &str) {
    let (summary, adapter) = loaded(file);
    for cap in [Capability::Events, Capability::Log, Capability::State] {
        assert!(summary.capabilities.contains(&cap), "{summary:?}");
    }
    let recorder = Arc::new(Recorder::default());
    let mut instance = instantiate(&adapter, &recorder);

    let info = instance.info().unwrap();
    assert_eq!(info.name, name);
    assert_eq!(info.version, "0.1.0");
    assert!(info.description.contains("Echoes"), "{}", info.description);
    let asked: Vec<Capability> = info.capabilities.into_iter().map(Into::into).collect();
    assert_eq!(
        asked,
        [Capability::Events, Capability::Log, Capability::State]
    );

    // A first start: working, the prompt quoted, the state saved, idle.
    instance.start(&task(0), None).unwrap();
    assert_eq!(
        recorder.take(),
        [
            status(Status::Working, "reading the prompt"),
            said(Role::Agent, "You asked: add a README"),
            status(Status::Idle, "waiting for a message"),
        ]
    );
    assert_eq!(recorder.saved().as_deref(), Some("0"));

    // Ticks cost nothing and do nothing.
    for now in 0..20 {
        instance
            .on_signal(&Signal::Tick(1_700_000_000_000 + now * 250))
            .unwrap();
    }
    instance
        .on_signal(&Signal::ScreenChanged("agent".into()))
        .unwrap();
    assert_eq!(recorder.take(), []);

    instance
        .on_signal(&Signal::UserMessage("hello there".to_string()))
        .unwrap();
    assert_eq!(
        recorder.take(),
        [
            status(Status::Working, "answering"),
            said(Role::User, "hello there"),
            said(Role::Agent, "echo: hello there"),
            status(Status::Idle, "waiting for a message"),
        ]
    );
    assert_eq!(recorder.saved().as_deref(), Some("1"));

    // A restart: a new instance, `start` again with the saved blob. It resumes without
    // repeating anything, and counts on from the saved state.
    drop(instance);
    let mut instance = instantiate(&adapter, &recorder);
    let saved = recorder.load();
    instance.start(&task(1), saved).unwrap();
    assert_eq!(recorder.take(), [status(Status::Idle, "resumed")]);
    assert!(
        recorder.logged("resumed task t1 (restart 1, 1 replies so far)"),
        "{:?}",
        recorder.logs.lock().unwrap()
    );
    instance
        .on_signal(&Signal::UserMessage("again".to_string()))
        .unwrap();
    assert_eq!(recorder.take().len(), 4);
    assert_eq!(recorder.saved().as_deref(), Some("2"));

    instance.stop().unwrap();
    assert_eq!(recorder.take(), [status(Status::Finished, "stopped")]);
    assert!(recorder.logged("stopping"));
    assert!(!instance.is_poisoned());
    let usage = instance.usage();
    assert!(
        usage.memory_bytes <= host().config().memory_limit,
        "{usage:?}"
    );
}

/// A capability that is linked but refused is an error value the example turns into its
/// own, not a trap: the instance stays usable.
fn a_refused_capability_is_an_error_not_a_trap(file: &'static str, name: &str) {
    let (_, adapter) = loaded(file);
    let mut instance = adapter
        .instantiate(Capabilities::none("t1"))
        .expect("instantiate with nothing behind the capabilities");
    let err = instance.start(&task(0), None).unwrap_err();
    let GuestError::Returned(message) = &err else {
        panic!("expected the adapter's own error, got {err:?}");
    };
    assert!(
        message.starts_with(&format!("{name}: set-status: ")),
        "{message}"
    );
    assert!(message.to_lowercase().contains("access"), "{message}");
    assert!(!instance.is_poisoned());
    instance.info().expect("still usable after a refused call");
}

/// wit-component keeps only the imports a Rust guest calls; componentize-py keeps every
/// import of the world it builds for, hence the guide's narrower world for Python.
#[test]
fn each_example_imports_what_the_guide_says() {
    let imports = |file| WasmHost::inspect(&example(file)).unwrap().capabilities;
    let used = [Capability::Events, Capability::Log, Capability::State];
    assert_eq!(imports("echo-rust.wasm"), used);
    assert_eq!(imports("echo-py.wasm"), Capability::ALL);
    assert_eq!(imports("echo-py-narrow.wasm"), used);

    let py = WasmHost::inspect(&example("echo-py.wasm")).unwrap();
    assert!(
        py.wasi_imports
            .iter()
            .any(|i| i.starts_with("wasi:cli/stdout@")),
        "{py:?}"
    );
    assert!(py.other_imports.is_empty(), "{py:?}");
}

#[test]
fn rust_example_echoes_and_resumes_through_the_real_host() {
    the_example_echoes_and_resumes("echo-rust.wasm", "echo-rust");
}

#[test]
fn python_example_echoes_and_resumes_through_the_real_host() {
    the_example_echoes_and_resumes("echo-py.wasm", "echo-py");
}

#[test]
fn rust_example_reports_a_refused_capability_as_an_error() {
    a_refused_capability_is_an_error_not_a_trap("echo-rust.wasm", "echo-rust");
}

#[test]
fn python_example_reports_a_refused_capability_as_an_error() {
    a_refused_capability_is_an_error_not_a_trap("echo-py.wasm", "echo-py");
}

/// `plinth agents add` accepts the Python example and lists its WASI imports, which are
/// not grants (the host gives such components an empty WASI context).
#[test]
fn plinth_agents_add_lists_the_python_example_with_its_wasi_imports() {
    let path = example_path("echo-py.wasm");
    let (summary, _) = loaded("echo-py.wasm");
    let home = tempfile::tempdir().unwrap();
    // `agents add` runs the component to ask for its name, so it compiles it, into
    // $PLINTH_HOME/cache/wasm. Seeding that with what this binary's host (same wasmtime, same
    // configuration) already compiled saves compiling it again; if the layout changes, the
    // test only gets slower.
    let compiled = host()
        .cache_path(&summary.hash)
        .expect("the test host caches");
    let seeded = home.path().join("cache/wasm");
    std::fs::create_dir_all(&seeded).unwrap();
    if let Some(name) = compiled.file_name() {
        let _ = std::fs::copy(&compiled, seeded.join(name));
    }
    let plinth = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_plinth"))
            .args(args)
            .env("PLINTH_HOME", home.path())
            .env("RUST_LOG", "warn")
            .output()
            .expect("run plinth");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "plinth {args:?} failed ({}): {}\n{stdout}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str::<serde_json::Value>(&stdout)
            .unwrap_or_else(|e| panic!("plinth {args:?} printed no JSON ({e}): {stdout}"))
    };

    let added = plinth(&["agents", "add", path.to_str().unwrap(), "--yes", "--json"]);
    assert_eq!(added["name"], "echo-py", "{added}");
    assert_eq!(added["builtin"], false, "{added}");
    let wasi = added["wasi_imports"].as_array().expect("wasi_imports");
    assert!(
        wasi.iter()
            .any(|i| i.as_str().is_some_and(|i| i.starts_with("wasi:"))),
        "{added}"
    );
    for cap in ["events", "log", "state"] {
        assert!(
            added["grants"].as_array().unwrap().contains(&cap.into()),
            "{added}"
        );
    }

    let list = plinth(&["agents", "list", "--json"]);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "echo-py")
        .unwrap_or_else(|| panic!("echo-py is not listed: {list}"));
    assert_eq!(listed["wasi_imports"], added["wasi_imports"]);
    assert_eq!(listed["hash"], added["hash"]);
}
