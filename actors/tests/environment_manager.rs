//! The EnvironmentManager under a real kernel supervisor, against the real Docker daemon:
//! a Docker and a local environment made, exec'd in, then the kernel stopped and a new
//! manager started on the same store, which re-adopts the container (its tmux session
//! still running) and reports a foreign container labelled as ours as an orphan. Needs
//! `scripts/docker-setup.sh` to have run; without a daemon the test fails and says so. Its
//! containers are labelled `plinth.test=1` and removed.

mod support;

use std::time::{Duration, Instant};

use plinth_actors::environments::DockerClient;
use plinth_actors::environments::docker::container::{self, ContainerSpec, Limits};
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::manager::{
    EnvironmentError, GetEnvironment, ListEnvironments, RemoveEnvironment, StopEnvironment,
};
use plinth_actors::environments::record::{
    EnvironmentKind, EnvironmentRecord, EnvironmentStatus, KEY_PREFIX,
};
use plinth_actors::task_inputs::Sandbox;
use plinth_store::EventFilter;
use support::{
    client, create_on, ensure_agent_image, git, new_run, open_store, project, screen_until,
    settings, sh_session, start, stdout,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environments_are_made_used_and_readopted_by_a_new_manager() {
    let client = client();
    let (run, _cleanup, home, settings) = new_run(&client, "em");
    ensure_agent_image(&client, &settings);

    let repo = project();
    let store = open_store(home.path());
    let (kernel, manager) = start(&store, &settings).await;
    let docker_task = format!("{run}-d");
    let local_task = format!("{run}-l");
    let killed_task = format!("{run}-k");
    let create = |task: &str, sandbox| create_on(repo.path(), task, sandbox);
    let docker = manager
        .send(create(&docker_task, Sandbox::Docker))
        .await
        .unwrap()
        .unwrap();
    let local = manager
        .send(create(&local_task, Sandbox::Local))
        .await
        .unwrap()
        .unwrap();
    let killed = manager
        .send(create(&killed_task, Sandbox::Docker))
        .await
        .unwrap()
        .unwrap();
    let again = manager
        .send(create(&docker_task, Sandbox::Docker))
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
            .create(sh_session("agent", "echo adopted; exec sleep 600", 100, 30))
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
    block_on_docker(async move { container::create(&c, &spec).await }).unwrap();

    kernel.shutdown(Duration::from_secs(5)).await;
    drop((docker, local, killed.sandbox, manager));

    // One container dies while no manager watches: the next one must say so.
    let (c, id) = (client.clone(), killed.container.clone().unwrap());
    block_on_docker(async move { container::stop(&c, &id, Duration::ZERO).await }).unwrap();

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
    block_on_docker(async move { c.api().inspect_container(&id, None).await })
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
    let store = open_store(home.path());
    let (kernel, manager) = start(&store, &settings).await;
    let listing = manager.send(ListEnvironments).await.unwrap();
    let why = listing.docker_error.expect("the Docker error is recorded");
    assert!(why.contains("cannot reach Docker"), "{why}");

    let repo = project();
    let create = |task: &str, sandbox| create_on(repo.path(), task, sandbox);
    let err = manager
        .send(create("down-d", Sandbox::Docker))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, EnvironmentError::DockerDown(_)), "{err}");
    assert!(err.to_string().contains("--sandbox local"), "{err}");

    std::fs::write(repo.path().join("README.md"), "committed\ndirty\n").unwrap();
    let mut local = create("down-l", Sandbox::Local);
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
    block_on_docker(async move { c.api().inspect_container(&id, None).await })
        .unwrap()
        .config
        .and_then(|c| c.labels)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_killed_from_outside_fails_its_environment_and_a_stop_through_plinth_does_not()
{
    let client = client();
    let (run, _cleanup, home, settings) = new_run(&client, "kill");
    ensure_agent_image(&client, &settings);
    let repo = project();
    let store = open_store(home.path());
    let (kernel, manager) = start(&store, &settings).await;
    let create = |task: &str| create_on(repo.path(), task, Sandbox::Docker);
    let (killed_task, stopped_task) = (format!("{run}-k"), format!("{run}-s"));
    let killed = manager.send(create(&killed_task)).await.unwrap().unwrap();
    manager.send(create(&stopped_task)).await.unwrap().unwrap();

    let (c, id) = (client.clone(), killed.container.clone().unwrap());
    block_on_docker(async move { c.api().kill_container(&id, None).await }).unwrap();
    manager
        .send(StopEnvironment {
            task: stopped_task.clone(),
        })
        .await
        .unwrap()
        .unwrap();

    let expected = EnvironmentStatus::Failed {
        reason: "its container was killed from outside (exit code 137)".into(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let listing = loop {
        let listing = manager.send(ListEnvironments).await.unwrap();
        let status = |task: &str| {
            listing
                .environments
                .iter()
                .find(|e| e.task == task)
                .map(|e| e.status.clone())
        };
        if status(&killed_task).as_ref() == Some(&expected) {
            break listing;
        }
        assert!(
            Instant::now() < deadline,
            "the killed container was not noticed: {:?}",
            listing.environments
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The stop's own container death has long been seen by now.
    let stopped = listing
        .environments
        .iter()
        .find(|e| e.task == stopped_task)
        .unwrap();
    assert_eq!(stopped.status, EnvironmentStatus::Stopped, "{stopped:?}");
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

    let failed = store
        .read(
            &EventFilter {
                kind: Some("environment.failed".into()),
                task: None,
            },
            0,
            1000,
        )
        .unwrap();
    assert_eq!(failed.len(), 1, "one failure, the killed one: {failed:?}");
    assert_eq!(failed[0].task.as_deref(), Some(killed_task.as_str()));
    assert_eq!(
        failed[0].data["reason"],
        "its container was killed from outside (exit code 137)"
    );
    let stored = store
        .list_state::<EnvironmentRecord>(KEY_PREFIX)
        .unwrap()
        .into_iter()
        .map(|(_, r)| (r.task.clone(), r.status))
        .collect::<std::collections::HashMap<_, _>>();
    assert_eq!(
        stored.get(&killed_task),
        Some(&expected),
        "the record is stored"
    );
    assert_eq!(stored.get(&stopped_task), Some(&EnvironmentStatus::Stopped));
    kernel.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_path_that_is_not_a_git_repository_is_refused_with_the_fix() {
    let client = client();
    let (run, _cleanup, home, settings) = new_run(&client, "norepo");
    let store = open_store(home.path());
    let (kernel, manager) = start(&store, &settings).await;
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("main.rs"), "fn main() {}\n").unwrap();
    for sandbox in [Sandbox::Docker, Sandbox::Local] {
        let task = format!("{run}-{sandbox:?}");
        let err = manager
            .send(create_on(plain.path(), &task, sandbox))
            .await
            .unwrap()
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, EnvironmentError::Project(_)), "{text}");
        assert!(text.contains("is not inside a git repository"), "{text}");
        assert!(text.contains("git init"), "the fix is named: {text}");
    }
    let listing = manager.send(ListEnvironments).await.unwrap();
    assert!(
        listing.environments.is_empty(),
        "{:?}",
        listing.environments
    );
    assert!(!settings.worktrees().exists(), "no worktree was made");
    let label = format!("plinth.test.run={run}");
    let made =
        block_on_docker(async move { container::find_labelled(&client, &label).await }).unwrap();
    assert!(made.is_empty(), "no container was made: {made:?}");
    let events = store.read(&EventFilter::default(), 0, 100).unwrap();
    assert!(
        !events.iter().any(|e| e.kind.starts_with("environment.")),
        "{events:?}"
    );
    kernel.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_with_a_dockerfile_runs_in_its_image_with_plinths_layer_on_top() {
    let client = client();
    let (run, _cleanup, home, settings) = new_run(&client, "pd");
    let agent = ensure_agent_image(&client, &settings);

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

    let store = open_store(home.path());
    let (kernel, manager) = start(&store, &settings).await;
    let task = format!("{run}-p");
    let env = manager
        .send(create_on(repo.path(), &task, Sandbox::Docker))
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
            .create(sh_session("sh", "echo tmux-works; sleep 60", 80, 24))
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
