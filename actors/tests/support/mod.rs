//! What the tests that drive a real EnvironmentManager against the real Docker daemon
//! share: a Docker client, a git project, a run of their own (its name, home, settings,
//! and the removal of every container it made), the manager under a kernel supervisor,
//! and sandbox shortcuts. The generic pieces come from the shared test kit; these name
//! this crate's types, so they stay here.
#![allow(dead_code, unused_imports)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_actors::agent_host::{TaskSandbox, kind};
use plinth_actors::config::Config;
use plinth_actors::environments::docker::container;
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::manager::{
    CreateEnvironment, EnvironmentManager, ManagerSettings,
};
use plinth_actors::environments::{DockerClient, ImageRecipe, ImageRef, Images};
use plinth_actors::task_inputs::Sandbox;
use plinth_kernel::{
    Backoff, ChildRef, ChildSpec, Intensity, Kernel, KernelConfig, Restart, Strategy,
    SupervisorSpec,
};
use plinth_store::{Event, Store};
use plinth_wasm::wit::{ExecRequest, SessionSpec, Signal};

pub use plinth_testkit::{git, repository_with_readme};

pub const TEST_LABEL: &str = "plinth.test";

pub fn client() -> DockerClient {
    block_on_docker(DockerClient::connect()).unwrap_or_else(|e| {
        panic!(
            "{e}\n\nthis test needs a running Docker daemon and the base image: \
             run scripts/docker-setup.sh (as root) first"
        )
    })
}

/// A built-in adapter, as embedded in plinth (from `scripts/build-adapters.sh`'s output).
pub fn component(name: &str) -> Vec<u8> {
    plinth_actors::builtin_adapters::builtin_adapter(name)
        .unwrap_or_else(|| {
            panic!("{name} was not built in: run scripts/build-adapters.sh first (scripts/test.sh does)")
        })
        .bytes
        .to_vec()
}

/// The status an agent reported last among `events`.
pub fn last_status(events: &[Event]) -> Option<String> {
    events
        .iter()
        .rev()
        .find(|e| e.kind == kind::STATUS)
        .and_then(|e| e.data["status"].as_str().map(str::to_owned))
}

/// A repository on `main` with one commit: a README saying "committed".
pub fn project() -> tempfile::TempDir {
    repository_with_readme("committed\n")
}

pub fn settings(home: &Path, run: &str) -> ManagerSettings {
    let (config, _) =
        Config::load_from(&home.join("config.toml"), |name| std::env::var(name).ok()).unwrap();
    ManagerSettings {
        home: home.to_path_buf(),
        config,
        labels: vec![
            (TEST_LABEL.into(), "1".into()),
            ("plinth.test.run".into(), run.into()),
        ],
    }
}

pub async fn start(
    store: &Store,
    settings: &ManagerSettings,
) -> (Kernel, ChildRef<EnvironmentManager>) {
    let kernel = Kernel::start(KernelConfig { workers: 2 }).unwrap();
    let (store, settings) = (store.clone(), settings.clone());
    let (spec, manager) = ChildSpec::actor(
        "environments",
        "environment-manager",
        Restart::Permanent,
        move || {
            EnvironmentManager::start(store.clone(), settings.clone()).map_err(|e| e.to_string())
        },
    );
    kernel
        .start_root(SupervisorSpec {
            strategy: Strategy::OneForOne,
            intensity: Intensity {
                max_restarts: 1,
                within: Duration::from_secs(30),
            },
            backoff: Backoff {
                initial: Duration::from_millis(50),
                max: Duration::from_secs(1),
                factor: 2,
            },
            children: vec![spec],
        })
        .await
        .unwrap();
    (kernel, manager)
}

/// A new environment for `task` on `repo`'s `main`, its committed work only.
pub fn create_on(repo: &Path, task: &str, sandbox: Sandbox) -> CreateEnvironment {
    CreateEnvironment {
        task: task.into(),
        project_path: repo.to_path_buf(),
        base_branch: "main".into(),
        sandbox,
        include_uncommitted: false,
        agent: "scripted".into(),
    }
}

/// A tmux session `name` running `script` under sh, `width` by `height`.
pub fn sh_session(name: &str, script: &str, width: u16, height: u16) -> SessionSpec {
    SessionSpec {
        name: name.into(),
        command: vec!["sh".into(), "-c".into(), script.into()],
        env: Vec::new(),
        workdir: None,
        width,
        height,
    }
}

pub fn sh(script: &str) -> ExecRequest {
    ExecRequest {
        command: vec!["sh".into(), "-c".into(), script.into()],
        workdir: None,
        env: Vec::new(),
        stdin: None,
        timeout_ms: 20_000,
    }
}

pub fn stdout(sandbox: &Arc<dyn TaskSandbox>, script: &str) -> String {
    let out = sandbox.clone().environment().exec(sh(script)).unwrap();
    assert_eq!(out.exit_code, 0, "{script}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn screen_until(sandbox: &Arc<dyn TaskSandbox>, session: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let screen = sandbox.clone().tmux().capture_screen(session).unwrap().text;
        if screen.contains(text) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {text:?} in\n{screen}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A test's own run against the real daemon: its name (`prefix` and the process id), the
/// removal of its containers at the end, a home, and the manager's settings there.
pub fn new_run(
    client: &DockerClient,
    prefix: &str,
) -> (String, Cleanup, tempfile::TempDir, ManagerSettings) {
    let run = format!("{prefix}{}", std::process::id());
    let cleanup = Cleanup {
        client: client.clone(),
        run: run.clone(),
    };
    let home = tempfile::tempdir().unwrap();
    let settings = settings(home.path(), &run);
    (run, cleanup, home, settings)
}

/// The store in `home`.
pub fn open_store(home: &Path) -> Store {
    Store::open(&home.join("plinth.db")).unwrap()
}

/// The generated `Signal` has no `PartialEq`; its Debug form says all.
pub fn contains(signals: &[Signal], want: &Signal) -> bool {
    let want = format!("{want:?}");
    signals.iter().any(|s| format!("{s:?}") == want)
}

/// Polls (at most `limit`, every `every`) until `want` shows up among the signals; all
/// it saw.
pub fn poll_until(
    mut poll: impl FnMut() -> Vec<Signal>,
    want: &Signal,
    limit: Duration,
    every: Duration,
) -> Vec<Signal> {
    let deadline = Instant::now() + limit;
    let mut all = Vec::new();
    while Instant::now() < deadline {
        all.extend(poll());
        if contains(&all, want) {
            return all;
        }
        std::thread::sleep(every);
    }
    panic!("never saw {want:?}; saw {all:?}");
}

/// Removes every container of this run, whatever happened.
pub struct Cleanup {
    pub client: DockerClient,
    pub run: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (c, label) = (self.client.clone(), format!("plinth.test.run={}", self.run));
        block_on_docker(async move {
            for found in container::find_labelled(&c, &label)
                .await
                .unwrap_or_default()
            {
                let _ = container::remove(&c, &found.id).await;
            }
        });
    }
}

/// The agent image, built once up front so its build time does not count against the
/// manager's.
pub fn ensure_agent_image(client: &DockerClient, settings: &ManagerSettings) -> ImageRef {
    let images = Images::new(client.clone());
    let base = settings.config.docker.base_image.clone();
    block_on_docker(async move {
        images
            .ensure(&ImageRecipe::agent(Some(&base)), |_| {})
            .await
    })
    .unwrap_or_else(|e| panic!("the agent image: {e}"))
}
