//! The Docker daemon restarts under a running task: the task's container and its tmux
//! session keep running (live-restore), the sandbox's calls fail with a clear error while
//! the daemon is away and work again, without a new sandbox, once it is back; the
//! environment stays Running, while one whose container really died meanwhile is then
//! marked Failed.
//!
//! And a manager that starts while the daemon is down adopts its environments once the
//! daemon is back.
//!
//! It stops and starts the machine's dockerd through `scripts/docker-setup.sh`, the way CI
//! starts it, so nothing else may use Docker in this binary: it is its own test binary and
//! its tests take turns ([`DAEMON`]). The daemon is started again even when a test fails.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_actors::agent_host::TaskSandbox;
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::manager::{GetEnvironment, ListEnvironments, RemoveEnvironment};
use plinth_actors::environments::record::EnvironmentStatus;
use plinth_actors::task_inputs::Sandbox;
use plinth_store::EventFilter;
use plinth_wasm::wit::Signal;
use support::{
    client, create_on, ensure_agent_image, new_run, open_store, project, screen_until, sh,
    sh_session, start,
};

/// Held by each test for its whole run: they stop the one daemon they share.
static DAEMON: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn setup_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/docker-setup.sh")
}

/// Runs the setup script with `args`; its own waits are bounded.
fn setup(args: &[&str]) -> Result<(), String> {
    let out = Command::new("bash")
        .arg(setup_script())
        .arg("--quiet")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Starts the daemon again when dropped, so a failing test leaves Docker as it found it.
struct DaemonBack;

impl Drop for DaemonBack {
    fn drop(&mut self) {
        if let Err(e) = setup(&[]) {
            eprintln!("could not start dockerd again: {e}");
        }
    }
}

/// The highest `tick N` on the session's screen.
fn counter(sandbox: &Arc<dyn TaskSandbox>, session: &str) -> u64 {
    let screen = sandbox.clone().tmux().capture_screen(session).unwrap().text;
    screen
        .lines()
        .filter_map(|l| l.trim().strip_prefix("tick ")?.parse().ok())
        .max()
        .unwrap_or_else(|| panic!("no counter on the screen:\n{screen}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_outlive_a_docker_daemon_restart_and_pick_up_once_it_is_back() {
    let _turn = DAEMON.lock().await;
    let client = client();
    assert_live_restore(&client);
    let (run, _cleanup, home, settings) = new_run(&client, "restart");
    ensure_agent_image(&client, &settings);
    let repo = project();
    let store = open_store(home.path());
    let (kernel, manager) = start(&store, &settings).await;
    let create = |task: &str| create_on(repo.path(), task, Sandbox::Docker);
    let (kept_task, dying_task) = (format!("{run}-kept"), format!("{run}-dies"));
    let kept = manager.send(create(&kept_task)).await.unwrap().unwrap();
    let dying = manager.send(create(&dying_task)).await.unwrap().unwrap();
    // The container's init process, to kill from the host while the daemon is away.
    let dying_pid = {
        let (c, id) = (client.clone(), dying.container.clone().unwrap());
        block_on_docker(async move { c.api().inspect_container(&id, None).await })
            .unwrap()
            .state
            .and_then(|s| s.pid)
            .filter(|pid| *pid > 0)
            .expect("the container's pid")
    };

    let sandbox = kept.sandbox.clone();
    let before = tokio::task::spawn_blocking(move || {
        sandbox
            .clone()
            .tmux()
            .create(sh_session(
                "count",
                "i=0; while true; do i=$((i+1)); echo \"tick $i\"; sleep 0.2; done",
                80,
                20,
            ))
            .unwrap();
        screen_until(&sandbox, "count", "tick 3");
        let _ = sandbox.poll();
        counter(&sandbox, "count")
    })
    .await
    .unwrap();

    let daemon_back = DaemonBack;
    setup(&["--stop-daemon"]).unwrap_or_else(|e| panic!("stopping dockerd: {e}"));
    let killed = Command::new("kill")
        .args(["-KILL", &dying_pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill {dying_pid}");

    let sandbox = kept.sandbox.clone();
    tokio::task::spawn_blocking(move || {
        let asked = Instant::now();
        let err = sandbox
            .clone()
            .environment()
            .exec(sh("echo hello"))
            .unwrap_err()
            .to_string();
        assert!(
            asked.elapsed() < Duration::from_secs(15),
            "an exec with the daemon down took {:?}",
            asked.elapsed()
        );
        assert!(err.contains("Docker does not answer"), "{err}");
        let err = sandbox.clone().tmux().capture_screen("count").unwrap_err();
        assert!(err.to_string().contains("Docker does not answer"), "{err}");
        let signals = sandbox.poll();
        assert!(
            !signals
                .iter()
                .any(|s| matches!(s, Signal::ProcessExited(_))),
            "a daemon away is no exit of the sessions: {signals:?}"
        );
    })
    .await
    .unwrap();

    drop(daemon_back);
    let sandbox = kept.sandbox.clone();
    let after = tokio::task::spawn_blocking(move || {
        assert!(sandbox.clone().tmux().is_alive("count").unwrap());
        // The counter goes on from where it was: the same session, not a new one.
        std::thread::sleep(Duration::from_millis(600));
        let out = sandbox
            .clone()
            .environment()
            .exec(sh("echo hello"))
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hello");
        counter(&sandbox, "count")
    })
    .await
    .unwrap();
    assert!(after > before, "the counter went from {before} to {after}");

    // The watcher reconnects, keeps the survivor Running and notices the one that died.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listing = manager.send(ListEnvironments).await.unwrap();
        let status = |task: &str| {
            listing
                .environments
                .iter()
                .find(|e| e.task == task)
                .map(|e| e.status.clone())
                .unwrap()
        };
        assert_eq!(status(&kept_task), EnvironmentStatus::Running);
        if let EnvironmentStatus::Failed { reason } = status(&dying_task) {
            assert_eq!(
                reason,
                "its container was killed from outside (exit code 137)"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the container that died while Docker was away was not noticed: {:?}",
            listing.environments
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let failed: Vec<Option<String>> = store
        .read(
            &EventFilter {
                kind: Some("environment.failed".into()),
                task: None,
            },
            0,
            100,
        )
        .unwrap()
        .into_iter()
        .map(|e| e.task)
        .collect();
    assert_eq!(failed, vec![Some(dying_task.clone())]);
    // The manager's own connection works again too.
    manager
        .send(RemoveEnvironment {
            task: kept_task.clone(),
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("removing after the restart: {e}"));
    let (c, id) = (client.clone(), kept.container.clone().unwrap());
    let inspected = block_on_docker(async move { c.api().inspect_container(&id, None).await });
    assert!(inspected.is_err(), "the container is removed");
    kernel.shutdown(Duration::from_secs(5)).await;
}

fn assert_live_restore(client: &plinth_actors::environments::DockerClient) {
    let c = client.clone();
    let live_restore = block_on_docker(async move { c.api().info().await })
        .unwrap()
        .live_restore_enabled;
    assert_eq!(
        live_restore,
        Some(true),
        "dockerd runs without live-restore: run scripts/docker-setup.sh to turn it on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_started_while_docker_is_down_adopts_its_environments_once_it_is_back() {
    let _turn = DAEMON.lock().await;
    let client = client();
    assert_live_restore(&client);
    let (run, _cleanup, home, settings) = new_run(&client, "adopt");
    ensure_agent_image(&client, &settings);
    let repo = project();
    let store = open_store(home.path());
    let task = format!("{run}-t");
    {
        let (kernel, manager) = start(&store, &settings).await;
        let env = manager
            .send(create_on(repo.path(), &task, Sandbox::Docker))
            .await
            .unwrap()
            .unwrap();
        let sandbox = env.sandbox.clone();
        tokio::task::spawn_blocking(move || {
            sandbox
                .clone()
                .tmux()
                .create(sh_session("agent", "echo waiting; exec sleep 600", 80, 20))
                .unwrap();
            screen_until(&sandbox, "agent", "waiting");
        })
        .await
        .unwrap();
        kernel.shutdown(Duration::from_secs(5)).await;
    }

    let daemon_back = DaemonBack;
    setup(&["--stop-daemon"]).unwrap_or_else(|e| panic!("stopping dockerd: {e}"));
    let (kernel, manager) = start(&store, &settings).await;
    let listing = manager.send(ListEnvironments).await.unwrap();
    assert!(listing.docker_error.is_some(), "Docker is down");
    assert_eq!(listing.environments.len(), 1, "{:?}", listing.environments);
    assert_eq!(listing.environments[0].status, EnvironmentStatus::Running);
    let get = || GetEnvironment { task: task.clone() };
    assert!(
        manager.send(get()).await.unwrap().is_none(),
        "no sandbox yet"
    );

    drop(daemon_back);
    let deadline = Instant::now() + Duration::from_secs(30);
    let env = loop {
        if let Some(env) = manager.send(get()).await.unwrap() {
            break env;
        }
        assert!(
            Instant::now() < deadline,
            "the environment was not adopted once Docker was back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let sandbox = env.sandbox.clone();
    tokio::task::spawn_blocking(move || {
        let tmux = sandbox.clone().tmux();
        assert!(tmux.is_alive("agent").unwrap(), "the same session runs on");
        assert_eq!(tmux.foreground_command("agent").unwrap(), "sleep");
    })
    .await
    .unwrap();
    let listing = manager.send(ListEnvironments).await.unwrap();
    assert!(listing.docker_error.is_none(), "{:?}", listing.docker_error);
    assert_eq!(listing.environments[0].status, EnvironmentStatus::Running);
    let adopted = store
        .read(
            &EventFilter {
                kind: Some("environment.adopted".into()),
                task: Some(task.clone()),
            },
            0,
            10,
        )
        .unwrap();
    assert!(!adopted.is_empty(), "the adoption is an event");
    kernel.shutdown(Duration::from_secs(5)).await;
}
