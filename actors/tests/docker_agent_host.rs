//! The real `scripted` adapter run by the agent host in a Docker sandbox: its files, commands,
//! terminal and commit all happen inside the task's container. Needs the Docker daemon
//! (scripts/docker-setup.sh) and the built adapters (scripts/build-adapters.sh); fails
//! saying so without them.

mod support;

use std::time::{Duration, Instant};

use plinth_actors::agent_host::{AgentSpec, TaskSpec};
use plinth_actors::environments::docker::container::{self, ContainerSpec, Limits};
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::docker::repo_copy::{RepoCopy, copy_repo};
use plinth_actors::environments::docker::sandbox::DockerSandbox;
use plinth_actors::environments::{DockerClient, ImageRecipe, Images};
use plinth_kernel::{
    Backoff, ChildSpec, Intensity, Kernel, KernelConfig, Restart, Strategy, SupervisorSpec,
};
use plinth_store::{EventFilter, Store};
use plinth_wasm::wit::ExecRequest;
use plinth_wasm::{Capability, EnvironmentCap, HostConfig, WasmHost};
use support::{component, last_status};

/// Removes the container even when an assertion fails.
struct Remove(DockerClient, String);

impl Drop for Remove {
    fn drop(&mut self) {
        let (c, id) = (self.0.clone(), self.1.clone());
        let _ = block_on_docker(async move { container::remove(&c, &id).await });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_task_runs_writes_uses_the_terminal_and_commits_in_its_container() {
    let client = DockerClient::connect().await.unwrap_or_else(|e| {
        panic!("{e}\n\nthis test needs Docker: run scripts/docker-setup.sh (as root) first")
    });
    let image = Images::new(client.clone())
        .ensure(&ImageRecipe::agent(None), |_| {})
        .await
        .unwrap()
        .tag;
    let task = format!("dah{}", std::process::id());
    let spec = ContainerSpec {
        task: task.clone(),
        project: "test-project".into(),
        image,
        limits: Limits::default(),
        labels: vec![("plinth.test".into(), "1".into())],
        env: Vec::new(),
    };
    let made = container::create(&client, &spec).await.unwrap();
    let _remove = Remove(client.clone(), made.id.clone());
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "start"]);
    let copy = RepoCopy {
        repo: repo.path().to_path_buf(),
        base: "main".into(),
        task: task.clone(),
        include_uncommitted: false,
    };
    let copied = copy_repo(&client, &made.id, &copy).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("plinth.db")).unwrap();
    let host = WasmHost::new(HostConfig {
        cache_dir: Some(dir.path().join("cache")),
        ..HostConfig::default()
    })
    .unwrap();
    let adapter = host.load(&component("scripted"), &Capability::ALL).unwrap();
    let sandbox = DockerSandbox::new(&client, &made.id, &task).unwrap();
    let prompt = "#!scripted\nsay in a container\nwrite notes/a.txt hello\nrun test -f notes/a.txt\n\
                  term echo from-the-terminal; sleep 600\nexpect from-the-terminal\n\
                  commit add notes\nfinish";
    let agent = AgentSpec {
        task: TaskSpec {
            id: task.clone(),
            prompt: prompt.into(),
            branch: copied.branch.clone(),
            env: Vec::new(),
        },
        adapter,
        sandbox: sandbox.clone(),
        store: store.clone(),
        tick: Duration::from_millis(100),
        start_deadline: None,
    };
    let (child, _ref) = ChildSpec::actor(&task, "agent-host", Restart::Transient, agent.factory());
    let kernel = Kernel::start(KernelConfig { workers: 2 }).unwrap();
    kernel
        .start_root(SupervisorSpec {
            strategy: Strategy::OneForOne,
            intensity: Intensity {
                max_restarts: 5,
                within: Duration::from_secs(30),
            },
            backoff: Backoff {
                initial: Duration::from_millis(10),
                max: Duration::from_millis(100),
                factor: 2,
            },
            children: vec![child],
        })
        .await
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let events = store.read(&EventFilter::task(&task), 0, 10_000).unwrap();
        match last_status(&events).as_deref() {
            Some("finished") => break,
            Some("failed") => panic!("the task failed: {events:#?}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "never finished: {events:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = sandbox
        .exec(ExecRequest {
            command: ["git", "log", "--format=%s", copied.branch.as_str()]
                .map(String::from)
                .to_vec(),
            workdir: None,
            env: Vec::new(),
            stdin: None,
            timeout_ms: 10_000,
        })
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&log.stdout), "add notes\nstart\n");
}
