//! Persisted scrollback, with the EnvironmentManager under a real kernel, real tmux, real
//! Docker and a real SQLite store: the timer stores a local environment's sessions (and
//! does not rewrite what did not change), the newest lines are kept under the cap, a
//! `task.status` event captures its task at once, and a Docker environment's last screen
//! is captured when it is stopped and is still readable after its container is removed.
//! Docker containers are labelled `plinth.test=1` and removed.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_actors::agent_host::{TaskSandbox, kind};
use plinth_actors::config::Config;
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::manager::{
    Environment, EnvironmentManager, ManagerSettings, RemoveEnvironment, StopEnvironment,
};
use plinth_actors::environments::{ImageRecipe, Images};
use plinth_actors::limits::SCROLLBACK_MAX_LINES as MAX_LINES;
use plinth_actors::task_inputs::Sandbox;
use plinth_kernel::{ChildRef, Kernel};
use plinth_store::{NewEvent, Scrollback, Store};
use serde_json::json;

/// Long enough that the timer never fires during a test that wants other triggers.
const NEVER: u64 = 3_600_000;

fn settings(home: &Path, run: &str, interval_ms: u64) -> ManagerSettings {
    let mut settings = support::settings(home, run);
    settings.config.terminal.scrollback_interval_ms = interval_ms;
    settings
}

/// A test's manager over a fresh home and store.
struct Setup {
    home: tempfile::TempDir,
    repo: tempfile::TempDir,
    store: Store,
    kernel: Kernel,
    manager: ChildRef<EnvironmentManager>,
}

impl Setup {
    async fn new(run: &str, interval_ms: u64) -> Setup {
        let home = tempfile::tempdir().unwrap();
        let store = support::open_store(home.path());
        let (kernel, manager) =
            support::start(&store, &settings(home.path(), run, interval_ms)).await;
        Setup {
            home,
            repo: support::project(),
            store,
            kernel,
            manager,
        }
    }

    async fn create(&self, task: &str, sandbox: Sandbox) -> Environment {
        self.manager
            .send(support::create_on(self.repo.path(), task, sandbox))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("creating {task}: {e}"))
    }

    async fn remove(&self, task: &str) {
        self.manager
            .send(RemoveEnvironment { task: task.into() })
            .await
            .unwrap()
            .unwrap();
    }

    async fn finish(self) {
        self.kernel.shutdown(Duration::from_secs(5)).await;
        drop(self.home);
    }
}

/// Starts session `name` running `script`, then waits until its screen shows `until`.
async fn session(env: &Environment, name: &str, script: &str, until: &str) {
    let (sandbox, name, script, until) = (
        env.sandbox.clone(),
        name.to_string(),
        script.to_string(),
        until.to_string(),
    );
    tokio::task::spawn_blocking(move || {
        let tmux = sandbox.clone().tmux();
        tmux.create(support::sh_session(&name, &script, 100, 30))
            .unwrap();
        screen_until(&sandbox, &name, &until);
    })
    .await
    .unwrap();
}

fn screen_until(sandbox: &Arc<dyn TaskSandbox>, session: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let history = sandbox
            .clone()
            .tmux()
            .capture_history(session, 100)
            .unwrap();
        if history.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {text:?} in\n{history}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The stored row once `done` holds for it; fails after `within`.
async fn row_until(
    store: &Store,
    task: &str,
    stream: &str,
    within: Duration,
    done: impl Fn(&Scrollback) -> bool,
) -> Scrollback {
    let deadline = Instant::now() + within;
    loop {
        let row = store.scrollback_stream(task, stream).unwrap();
        if let Some(row) = row.filter(|r| done(r)) {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "no scrollback of {task}/{stream} as expected within {within:?}: {:?}",
            store.scrollback_stream(task, stream).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timer_stores_a_local_sessions_scrollback_and_skips_unchanged_text() {
    let setup = Setup::new("sbtimer", 200).await;
    let task = format!("sbt{}", std::process::id());
    let env = setup.create(&task, Sandbox::Local).await;
    session(
        &env,
        "agent",
        "for i in $(seq 1 40); do echo line-$i; done; exec sleep 600",
        "line-40",
    )
    .await;
    let row = row_until(&setup.store, &task, "agent", Duration::from_secs(10), |r| {
        r.text.contains("line-40")
    })
    .await;
    assert_eq!(row.task, task);
    assert!(row.text.contains("line-1\n"), "{}", row.text);
    assert!(row.lines >= 40, "{} lines", row.lines);

    // Nothing prints now: several ticks must write nothing at all.
    let before = setup.store.writer_stats().written;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        setup.store.writer_stats().written,
        before,
        "idle ticks wrote to the store"
    );
    let again = setup
        .store
        .scrollback_stream(&task, "agent")
        .unwrap()
        .unwrap();
    assert_eq!(again, row, "an unchanged stream keeps its row as it was");

    // A second session is its own stream, and new text is written on the next tick.
    session(
        &env,
        "shell",
        "echo second-stream; exec sleep 600",
        "second-stream",
    )
    .await;
    row_until(&setup.store, &task, "shell", Duration::from_secs(10), |r| {
        r.text.contains("second-stream")
    })
    .await;
    assert!(setup.store.writer_stats().written > before);
    let streams: Vec<String> = setup
        .store
        .scrollback(&task)
        .unwrap()
        .into_iter()
        .map(|r| r.stream)
        .collect();
    assert_eq!(streams, ["agent", "shell"]);

    setup.remove(&task).await;
    assert_eq!(
        setup.store.scrollback(&task).unwrap().len(),
        2,
        "removing the environment keeps its scrollback"
    );
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatty_stream_keeps_only_its_newest_lines() {
    let setup = Setup::new("sbcap", 200).await;
    let task = format!("sbc{}", std::process::id());
    let env = setup.create(&task, Sandbox::Local).await;
    // 2,000 lines more than are kept.
    let last = format!("\n{}", MAX_LINES + 2000);
    let script = format!("seq 1 {}; exec sleep 600", MAX_LINES + 2000);
    session(&env, "agent", &script, &last).await;
    let row = row_until(&setup.store, &task, "agent", Duration::from_secs(10), |r| {
        r.text.ends_with(&last)
    })
    .await;
    assert_eq!(row.lines, u64::from(MAX_LINES));
    assert_eq!(row.text.lines().count(), MAX_LINES as usize);
    assert_eq!(row.text.lines().next(), Some("2001"), "the oldest lines go");
    setup.remove(&task).await;
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_captures_its_task_at_once() {
    let setup = Setup::new("sbstatus", NEVER).await;
    let task = format!("sbs{}", std::process::id());
    let env = setup.create(&task, Sandbox::Local).await;
    session(
        &env,
        "agent",
        "echo before-status; exec sleep 600",
        "before-status",
    )
    .await;
    assert!(
        setup.store.scrollback(&task).unwrap().is_empty(),
        "nothing captured before any trigger"
    );
    setup
        .store
        .append(
            NewEvent::new(kind::STATUS, json!({"status": "working", "detail": ""})).for_task(&task),
        )
        .await
        .unwrap();
    row_until(&setup.store, &task, "agent", Duration::from_secs(10), |r| {
        r.text.contains("before-status")
    })
    .await;
    setup.remove(&task).await;
    setup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docker_environments_last_screen_is_captured_at_stop_and_outlives_its_container() {
    let client = support::client();
    let run = format!("sbd{}", std::process::id());
    let _cleanup = support::Cleanup {
        client: client.clone(),
        run: run.clone(),
    };
    let setup = Setup::new(&run, NEVER).await;
    // The image once, up front, so its build time does not count against the actor's.
    let (images, base) = (
        Images::new(client.clone()),
        Config::default().docker.base_image,
    );
    block_on_docker(async move {
        images
            .ensure(&ImageRecipe::agent(Some(&base)), |_| {})
            .await
    })
    .unwrap_or_else(|e| panic!("the agent image: {e}"));

    let task = format!("{run}-d");
    let env = setup.create(&task, Sandbox::Docker).await;
    let id = env.container.clone().unwrap();
    session(
        &env,
        "agent",
        "for i in $(seq 1 30); do echo in-container-$i; done; exec sleep 600",
        "in-container-30",
    )
    .await;
    assert!(setup.store.scrollback(&task).unwrap().is_empty());

    setup
        .manager
        .send(StopEnvironment { task: task.clone() })
        .await
        .unwrap()
        .unwrap();
    let row = setup
        .store
        .scrollback_stream(&task, "agent")
        .unwrap()
        .expect("stopping captured the scrollback");
    assert!(row.text.contains("in-container-1\n"), "{}", row.text);
    assert!(row.text.contains("in-container-30"), "{}", row.text);

    setup.remove(&task).await;
    let (c, gone) = (client.clone(), id.clone());
    let inspected = block_on_docker(async move { c.api().inspect_container(&gone, None).await });
    assert!(inspected.is_err(), "the container {id} is removed");
    let after = setup.store.scrollback(&task).unwrap();
    assert_eq!(after, vec![row], "the scrollback outlives the container");
    setup.finish().await;
}
