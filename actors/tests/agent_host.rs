//! The agent host with the real `scripted` adapter component, real tmux, a real git
//! working copy and the real store, under a real kernel supervisor.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_actors::agent_host::{AgentHost, AgentSpec, Deliver, StopAgent, TaskSpec, kind};
use plinth_actors::sandbox::{LocalSandbox, TmuxServer};
use plinth_kernel::{
    Backoff, ChildRef, ChildSpec, Intensity, Kernel, KernelConfig, Registry, Restart, Strategy,
    SupervisorSpec,
};
use plinth_store::{Event, EventFilter, Store};
use plinth_testkit::git;
use plinth_wasm::wit::Signal;
use plinth_wasm::{Capability, HostConfig, WasmHost};
use support::{component, last_status};

struct Rig {
    kernel: Kernel,
    store: Store,
    host: WasmHost,
    tmux: TmuxServer,
    dir: tempfile::TempDir,
}

impl Rig {
    fn new(config: HostConfig) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("plinth.db")).unwrap();
        let host = WasmHost::new(HostConfig {
            cache_dir: Some(dir.path().join("cache")),
            ..config
        })
        .unwrap();
        let tmux = TmuxServer::new(dir.path().join("tmux.sock"));
        Rig {
            kernel: Kernel::start(KernelConfig { workers: 2 }).unwrap(),
            store,
            host,
            tmux,
            dir,
        }
    }

    fn workdir(&self, task: &str) -> PathBuf {
        let path = self.dir.path().join("work").join(task);
        std::fs::create_dir_all(&path).unwrap();
        git(&path, &["init", "-q", "-b", "main"]);
        path
    }

    /// Starts one agent host per `(task, prompt)` under one supervisor.
    async fn start(&self, tasks: &[(&str, &str)]) -> Vec<ChildRef<AgentHost>> {
        let bytes = component("scripted");
        let adapter = self.host.load(&bytes, &Capability::ALL).unwrap();
        let mut children = Vec::new();
        let mut refs = Vec::new();
        for (id, prompt) in tasks {
            let home = self.dir.path().join("homes").join(id);
            let sandbox = LocalSandbox::new(*id, self.workdir(id), home, self.tmux.clone());
            let spec = AgentSpec {
                task: TaskSpec {
                    id: id.to_string(),
                    prompt: prompt.to_string(),
                    branch: format!("plinth/{id}"),
                    env: Vec::new(),
                },
                adapter: adapter.clone(),
                sandbox,
                store: self.store.clone(),
                tick: Duration::from_millis(50),
                start_deadline: None,
            };
            let (child, child_ref) =
                ChildSpec::actor(*id, "agent-host", Restart::Transient, spec.factory());
            children.push(child);
            refs.push(child_ref);
        }
        self.kernel
            .start_root(SupervisorSpec {
                strategy: Strategy::OneForOne,
                intensity: Intensity {
                    max_restarts: 20,
                    within: Duration::from_secs(30),
                },
                backoff: Backoff {
                    initial: Duration::from_millis(10),
                    max: Duration::from_millis(100),
                    factor: 2,
                },
                children,
            })
            .await
            .unwrap();
        refs
    }

    fn events(&self, task: &str) -> Vec<Event> {
        self.store
            .read(&EventFilter::task(task), 0, 10_000)
            .unwrap()
    }

    /// Waits (at most 20 s) for the task's status to become `status`; returns its events.
    async fn wait_status(&self, task: &str, status: &str) -> Vec<Event> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let events = self.events(task);
            if last_status(&events).as_deref() == Some(status) {
                return events;
            }
            assert!(
                Instant::now() < deadline,
                "task {task} never reached {status}; events:\n{}",
                describe(&events)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn registry(&self) -> Arc<Registry> {
        self.kernel.registry()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        plinth_testkit::tmux::kill_server(self.tmux.socket());
    }
}

fn transcript(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.kind == kind::TRANSCRIPT)
        .map(|e| e.data["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn describe(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| format!("{} {} {}", e.seq, e.kind, e.data))
        .collect::<Vec<_>>()
        .join("\n")
}

fn restarts(registry: &Registry, name: &str) -> u64 {
    registry
        .snapshot()
        .into_iter()
        .find(|a| a.name.ends_with(name))
        .map(|a| a.restarts)
        .unwrap_or_else(|| panic!("no actor {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_task_writes_commits_and_finishes() {
    let rig = Rig::new(HostConfig::default());
    rig.start(&[(
        "t1",
        "#!scripted\nsay starting work\nwrite notes/a.txt hello\\nworld\nrun test -f notes/a.txt\ncommit add notes\nfinish",
    )])
    .await;
    let events = rig.wait_status("t1", "finished").await;
    assert_eq!(transcript(&events), ["starting work"]);
    let workdir = rig.dir.path().join("work/t1");
    assert_eq!(
        std::fs::read_to_string(workdir.join("notes/a.txt")).unwrap(),
        "hello\nworld"
    );
    assert_eq!(git(&workdir, &["log", "--format=%s"]).trim(), "add notes");
    let statuses: Vec<String> = events
        .iter()
        .filter(|e| e.kind == kind::STATUS)
        .map(|e| e.data["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses.first().map(String::as_str), Some("starting"));
    assert!(statuses.contains(&"working".to_owned()), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_fails_the_task_with_the_command_and_its_exit_code() {
    let rig = Rig::new(HostConfig::default());
    rig.start(&[(
        "t1",
        "#!scripted\nrun sh -c 'echo oops >&2; exit 7'\nsay never",
    )])
    .await;
    let events = rig.wait_status("t1", "failed").await;
    let detail = events
        .iter()
        .rev()
        .find(|e| e.kind == kind::STATUS)
        .unwrap()
        .data["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains('7'), "{detail}");
    assert!(transcript(&events).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_restarts_the_adapter_which_resumes_after_the_trap() {
    let rig = Rig::new(HostConfig::default());
    rig.start(&[("t1", "#!scripted\nsay one\ntrap\nsay two\nfinish")])
        .await;
    let events = rig.wait_status("t1", "finished").await;
    assert_eq!(transcript(&events), ["one", "two"], "each step ran once");
    assert_eq!(restarts(&rig.registry(), "t1"), 1);
    let logs: Vec<String> = events
        .iter()
        .filter(|e| e.kind == kind::LOG)
        .map(|e| e.data["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("trap") || l.contains("unreachable")),
        "the cause is recorded: {logs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spinning_adapter_hits_its_deadline_and_the_other_task_goes_on() {
    let rig = Rig::new(HostConfig {
        call_deadline: Duration::from_millis(300),
        ..HostConfig::default()
    });
    rig.start(&[
        ("spinner", "#!scripted\nsay before\nspin\nsay after\nfinish"),
        ("steady", "#!scripted\nsleep 400\nsay steady\nfinish"),
    ])
    .await;
    let spun = rig.wait_status("spinner", "finished").await;
    assert_eq!(transcript(&spun), ["before", "after"]);
    assert_eq!(restarts(&rig.registry(), "spinner"), 1);
    let steady = rig.wait_status("steady", "finished").await;
    assert_eq!(transcript(&steady), ["steady"]);
    assert_eq!(restarts(&rig.registry(), "steady"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_growing_past_its_memory_cap_is_restarted_with_the_cause() {
    let rig = Rig::new(HostConfig {
        memory_limit: 32 << 20,
        ..HostConfig::default()
    });
    rig.start(&[("t1", "#!scripted\ngrow\nsay survived\nfinish")])
        .await;
    let events = rig.wait_status("t1", "finished").await;
    assert_eq!(transcript(&events), ["survived"]);
    let cause = events
        .iter()
        .filter(|e| e.kind == kind::LOG)
        .map(|e| e.data["message"].as_str().unwrap().to_owned())
        .find(|m| m.contains("memory"));
    assert!(cause.is_some(), "{}", describe(&events));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_waiting_for_the_user_goes_on_when_a_message_arrives() {
    let rig = Rig::new(HostConfig::default());
    let hosts = rig
        .start(&[("t1", "#!scripted\nwait-message\nsay thanks\nfinish")])
        .await;
    rig.wait_status("t1", "waiting-for-user").await;
    hosts[0]
        .send(Deliver(Signal::UserMessage("go ahead".into())))
        .await
        .unwrap();
    let events = rig.wait_status("t1", "finished").await;
    assert_eq!(transcript(&events), ["go ahead", "thanks"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_session_is_watched_and_stopping_the_task_ends_it() {
    let rig = Rig::new(HostConfig::default());
    let hosts = rig
        .start(&[("t1", "#!scripted\nterm sh -c 'echo ready-now; exec sleep 60'\nexpect ready-now\nsay saw it\nwait-message")])
        .await;
    rig.wait_status("t1", "waiting-for-user").await;
    assert_eq!(transcript(&rig.events("t1")), ["saw it"]);
    assert!(rig.tmux.is_alive("t1--agent").unwrap());
    hosts[0].send(StopAgent).await.unwrap().unwrap();
    assert!(!rig.tmux.has_session("t1--agent").unwrap());
}
