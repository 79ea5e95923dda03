//! The EnvironmentManager under a real kernel supervisor, against the real Docker daemon:
//! a Docker and a local environment made, exec'd in, then the kernel stopped and a new
//! manager started on the same store, which re-adopts the container (its tmux session
//! still running) and reports a foreign container labelled as ours as an orphan. Needs
//! `scripts/docker-setup.sh` to have run; without a daemon the test fails and says so. Its
//! containers are labelled `plinth.test=1` and removed.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_actors::agent_host::Sandbox;
use plinth_actors::config::{Config, SandboxKind};
use plinth_actors::environments::DockerClient;
use plinth_actors::environments::container::{self, ContainerSpec, Limits};
use plinth_actors::environments::docker_exec::blocking;
use plinth_actors::environments::manager::{
    CreateEnvironment, EnvironmentError, EnvironmentManager, GetEnvironment, ListEnvironments,
    ManagerSettings, RemoveEnvironment,
};
use plinth_actors::environments::record::{EnvironmentKind, EnvironmentStatus};
use plinth_actors::environments::{ImageRecipe, ImageRef, Images};
use plinth_kernel::{
    Backoff, ChildRef, ChildSpec, Intensity, Kernel, KernelConfig, Restart, Strategy,
    SupervisorSpec,
};
use plinth_store::{EventFilter, Store};
use plinth_wasm::wit::{ExecRequest, SessionSpec};

const TEST_LABEL: &str = "plinth.test";

fn client() -> DockerClient {
    blocking(DockerClient::connect()).unwrap_or_else(|e| {
        panic!(
            "{e}\n\nthis test needs a running Docker daemon and the base image: \
             run scripts/docker-setup.sh (as root) first"
        )
    })
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("README.md"), "committed\n").unwrap();
    git(dir.path(), &["add", "README.md"]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    dir
}

fn settings(home: &Path, run: &str) -> ManagerSettings {
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

async fn start(
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

/// plinth's agent image on the configured base, built if it is not there yet.
fn agent_image(client: &DockerClient, settings: &ManagerSettings) -> ImageRef {
    let images = Images::new(client.clone());
    let base = settings.config.docker.base_image.clone();
    blocking(async move {
        images
            .ensure(&ImageRecipe::agent(Some(&base)), |_| {})
            .await
    })
    .unwrap_or_else(|e| panic!("the agent image: {e}"))
}

fn sh(script: &str) -> ExecRequest {
    ExecRequest {
        command: vec!["sh".into(), "-c".into(), script.into()],
        workdir: None,
        env: Vec::new(),
        stdin: None,
        timeout_ms: 20_000,
    }
}

fn stdout(sandbox: &Arc<dyn Sandbox>, script: &str) -> String {
    let out = sandbox.clone().environment().exec(sh(script)).unwrap();
    assert_eq!(out.exit_code, 0, "{script}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn screen_until(sandbox: &Arc<dyn Sandbox>, session: &str, text: &str) {
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

/// Removes every container of this run, whatever happened.
struct Cleanup {
    client: DockerClient,
    run: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (c, label) = (self.client.clone(), format!("plinth.test.run={}", self.run));
        blocking(async move {
            for found in container::find_labelled(&c, &label)
                .await
                .unwrap_or_default()
            {
                let _ = container::remove(&c, &found.id).await;
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environments_are_made_used_and_readopted_by_a_new_manager() {
    let client = client();
    let run = format!("em{}", std::process::id());
    let _cleanup = Cleanup {
        client: client.clone(),
        run: run.clone(),
    };
    let home = tempfile::tempdir().unwrap();
    let settings = settings(home.path(), &run);
    // The image once, up front, so its build time does not count against the actor's.
    agent_image(&client, &settings);

    let repo = project();
    let store = Store::open(&home.path().join("plinth.db")).unwrap();
    let (kernel, manager) = start(&store, &settings).await;
    let docker_task = format!("{run}-d");
    let local_task = format!("{run}-l");
    let killed_task = format!("{run}-k");
    let create = |task: &str, sandbox| CreateEnvironment {
        task: task.into(),
        project_path: repo.path().to_path_buf(),
        base_branch: "main".into(),
        sandbox,
        include_uncommitted: false,
    };
    let docker = manager
        .send(create(&docker_task, SandboxKind::Docker))
        .await
        .unwrap()
        .unwrap();
    let local = manager
        .send(create(&local_task, SandboxKind::Local))
        .await
        .unwrap()
        .unwrap();
    let killed = manager
        .send(create(&killed_task, SandboxKind::Docker))
        .await
        .unwrap()
        .unwrap();
    let again = manager
        .send(create(&docker_task, SandboxKind::Docker))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(again, EnvironmentError::Exists(_)), "{again}");
    assert_eq!(docker.kind, EnvironmentKind::Docker);
    assert_eq!(local.kind, EnvironmentKind::Local);
    let worktree = local.worktree.clone().unwrap();
    let labels = container_labels(&client, docker.container.as_deref().unwrap());
    assert_eq!(
        labels.get("plinth.home").map(String::as_str),
        Some(home.path().canonicalize().unwrap().to_str().unwrap()),
        "the container says which plinth home it belongs to"
    );
    assert!(worktree.starts_with(home.path().join("worktrees")));

    let (d, l) = (docker.sandbox.clone(), local.sandbox.clone());
    let (dt, lt) = (docker_task.clone(), local_task.clone());
    tokio::task::spawn_blocking(move || {
        assert_eq!(
            stdout(&d, "git branch --show-current"),
            format!("plinth/{dt}")
        );
        assert_eq!(stdout(&d, "cat README.md"), "committed");
        assert_eq!(stdout(&l, "cat README.md"), "committed");
        assert_eq!(
            stdout(&l, "git branch --show-current"),
            format!("plinth/{lt}")
        );
        d.clone()
            .tmux()
            .create(SessionSpec {
                name: "agent".into(),
                command: vec![
                    "sh".into(),
                    "-c".into(),
                    "echo adopted; exec sleep 600".into(),
                ],
                env: Vec::new(),
                workdir: None,
                width: 100,
                height: 30,
            })
            .unwrap();
        screen_until(&d, "agent", "adopted");
    })
    .await
    .unwrap();

    // A container labelled as ours that no record knows: what a lost store leaves.
    let foreign_task = format!("{run}-foreign");
    let spec = ContainerSpec {
        task: foreign_task.clone(),
        project: "elsewhere".into(),
        image: docker_image(&client, &docker.container.clone().unwrap()),
        limits: Limits {
            cpus: 0.5,
            memory_bytes: 256 << 20,
            pids: 64,
        },
        labels: settings.labels.clone(),
        env: Vec::new(),
    };
    let c = client.clone();
    blocking(async move { container::create(&c, &spec).await }).unwrap();

    // One container dies while no manager watches: the next one must say so.
    let (c, id) = (client.clone(), killed.container.clone().unwrap());
    blocking(async move { container::stop(&c, &id, Duration::ZERO).await }).unwrap();

    kernel.shutdown(Duration::from_secs(5)).await;
    drop((docker, local, killed, manager));

    let (kernel, manager) = start(&store, &settings).await;
    let listing = manager.send(ListEnvironments).await.unwrap();
    assert!(listing.docker_error.is_none(), "{:?}", listing.docker_error);
    assert!(
        listing.orphans.iter().any(|o| o.task == foreign_task),
        "{:?}",
        listing.orphans
    );
    assert!(!listing.orphans.iter().any(|o| o.task == docker_task));
    let status = |task: &str| {
        listing
            .environments
            .iter()
            .find(|e| e.task == task)
            .map(|e| e.status.clone())
            .unwrap_or_else(|| panic!("{task} not listed: {:?}", listing.environments))
    };
    assert_eq!(status(&docker_task), EnvironmentStatus::Running);
    assert_eq!(status(&local_task), EnvironmentStatus::Running);
    assert_eq!(
        status(&killed_task),
        EnvironmentStatus::Failed {
            reason: "its container is exited".into()
        }
    );
    assert!(
        manager
            .send(GetEnvironment {
                task: killed_task.clone()
            })
            .await
            .unwrap()
            .is_none(),
        "a dead environment offers no sandbox"
    );
    let adopted = manager
        .send(GetEnvironment {
            task: docker_task.clone(),
        })
        .await
        .unwrap()
        .expect("the Docker environment is re-adopted");
    let local = manager
        .send(GetEnvironment {
            task: local_task.clone(),
        })
        .await
        .unwrap()
        .expect("the local environment is back");
    tokio::task::spawn_blocking(move || {
        let tmux = adopted.sandbox.clone().tmux();
        assert!(tmux.is_alive("agent").unwrap());
        assert_eq!(tmux.foreground_command("agent").unwrap(), "sleep");
        assert_eq!(stdout(&local.sandbox, "cat README.md"), "committed");
    })
    .await
    .unwrap();

    let events: Vec<String> = store
        .read(&EventFilter::default(), 0, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        "environment.created",
        "environment.adopted",
        "environment.orphaned",
    ] {
        assert!(events.iter().any(|e| e == kind), "{kind} in {events:?}");
    }

    for task in [&docker_task, &local_task, &killed_task] {
        manager
            .send(RemoveEnvironment { task: task.clone() })
            .await
            .unwrap()
            .unwrap();
    }
    assert!(!worktree.exists());
    kernel.shutdown(Duration::from_secs(5)).await;
}

/// The image `container` runs, so the foreign container needs no build of its own.
fn docker_image(client: &DockerClient, container: &str) -> String {
    let (c, id) = (client.clone(), container.to_string());
    blocking(async move { c.api().inspect_container(&id, None).await })
        .unwrap()
        .config
        .and_then(|c| c.image)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_docker_down_the_manager_starts_local_works_and_docker_says_why() {
    let home = tempfile::tempdir().unwrap();
    let mut settings = settings(home.path(), "down");
    settings.config.docker.socket = "unix:///nonexistent/plinth/docker.sock".into();
    let store = Store::open(&home.path().join("plinth.db")).unwrap();
    let (kernel, manager) = start(&store, &settings).await;
    let listing = manager.send(ListEnvironments).await.unwrap();
    let why = listing.docker_error.expect("the Docker error is recorded");
    assert!(why.contains("cannot reach Docker"), "{why}");

    let repo = project();
    let create = |task: &str, sandbox| CreateEnvironment {
        task: task.into(),
        project_path: repo.path().to_path_buf(),
        base_branch: "main".into(),
        sandbox,
        include_uncommitted: false,
    };
    let err = manager
        .send(create("down-d", SandboxKind::Docker))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, EnvironmentError::DockerDown(_)), "{err}");
    assert!(err.to_string().contains("--sandbox local"), "{err}");

    std::fs::write(repo.path().join("README.md"), "committed\ndirty\n").unwrap();
    let mut local = create("down-l", SandboxKind::Local);
    local.include_uncommitted = true;
    let env = manager.send(local).await.unwrap().unwrap();
    let sandbox = env.sandbox.clone();
    let readme = tokio::task::spawn_blocking(move || stdout(&sandbox, "cat README.md"))
        .await
        .unwrap();
    assert_eq!(readme, "committed\ndirty");
    manager
        .send(RemoveEnvironment {
            task: "down-l".into(),
        })
        .await
        .unwrap()
        .unwrap();
    assert!(!env.worktree.unwrap().exists());
    kernel.shutdown(Duration::from_secs(5)).await;
}

fn container_labels(
    client: &DockerClient,
    container: &str,
) -> std::collections::HashMap<String, String> {
    let (c, id) = (client.clone(), container.to_string());
    blocking(async move { c.api().inspect_container(&id, None).await })
        .unwrap()
        .config
        .and_then(|c| c.labels)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_with_a_dockerfile_runs_in_its_image_with_plinths_layer_on_top() {
    let client = client();
    let run = format!("pd{}", std::process::id());
    let _cleanup = Cleanup {
        client: client.clone(),
        run: run.clone(),
    };
    let home = tempfile::tempdir().unwrap();
    let settings = settings(home.path(), &run);
    let agent = agent_image(&client, &settings);

    // Built on plinth's own image, so the layer finds git, tmux and the user already there
    // (a from-scratch project image would spend minutes in apt).
    let repo = project();
    std::fs::write(
        repo.path().join("Dockerfile"),
        format!(
            "FROM {}\nUSER root\nRUN echo from-the-project > /etc/project-marker\n",
            agent.tag
        ),
    )
    .unwrap();
    git(repo.path(), &["add", "Dockerfile"]);
    git(repo.path(), &["commit", "-q", "-m", "a Dockerfile"]);

    let store = Store::open(&home.path().join("plinth.db")).unwrap();
    let (kernel, manager) = start(&store, &settings).await;
    let task = format!("{run}-p");
    let env = manager
        .send(CreateEnvironment {
            task: task.clone(),
            project_path: repo.path().to_path_buf(),
            base_branch: "main".into(),
            sandbox: SandboxKind::Docker,
            include_uncommitted: false,
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("creating the environment: {e}"));
    let sandbox = env.sandbox.clone();
    tokio::task::spawn_blocking(move || {
        assert_eq!(
            stdout(&sandbox, "cat /etc/project-marker"),
            "from-the-project"
        );
        assert_eq!(stdout(&sandbox, "id -un"), "agent");
        assert_eq!(stdout(&sandbox, "cat README.md"), "committed");
        sandbox
            .clone()
            .tmux()
            .create(SessionSpec {
                name: "sh".into(),
                command: vec!["sh".into(), "-c".into(), "echo tmux-works; sleep 60".into()],
                env: Vec::new(),
                workdir: None,
                width: 80,
                height: 24,
            })
            .unwrap();
        screen_until(&sandbox, "sh", "tmux-works");
    })
    .await
    .unwrap();

    let events = store.read(&EventFilter::task(&task), 0, 1000).unwrap();
    let ready = events
        .iter()
        .find(|e| e.kind == "image.build.ready")
        .unwrap_or_else(|| panic!("no image.build.ready among {events:?}"));
    let tag = ready.data["tag"].as_str().unwrap();
    assert!(tag.starts_with("plinth-project-agent:"), "{tag}");

    manager
        .send(RemoveEnvironment { task: task.clone() })
        .await
        .unwrap()
        .unwrap();
    kernel.shutdown(Duration::from_secs(2)).await;
}
