//! The Docker sandbox against the real daemon: a container per task with the repository
//! copied in, exec, tmux inside, confined files, re-adoption and a container killed from
//! outside. These tests need `scripts/docker-setup.sh` to have run; without a daemon they
//! fail and say so, since a skipped Docker test reads like a passing one. Their containers
//! are labelled `plinth.test=1` and removed.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use plinth_actors::agent_host::TaskSandbox;
use plinth_actors::environments::docker::container::{self, ContainerSpec, Limits, TaskContainer};
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::docker::repo_copy::{RepoCopy, RepoCopyError, copy_repo};
use plinth_actors::environments::docker::sandbox::DockerSandbox;
use plinth_actors::environments::{DockerClient, ImageRecipe, Images};
use plinth_testkit::{git, repository_with_readme};
use plinth_wasm::wit::{CapError, ExecRequest, ProcessExit, SessionSpec, Signal};
use plinth_wasm::{EnvironmentCap, TmuxCap};
use support::{client, contains};

const TEST_LABEL: &str = "plinth.test";

fn agent_image(client: &DockerClient) -> String {
    let images = Images::new(client.clone());
    block_on_docker(async move { images.ensure(&ImageRecipe::agent(None), |_| {}).await })
        .unwrap_or_else(|e| panic!("the agent image: {e}"))
        .tag
}

fn task_id() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "dt{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A repository with one commit on `main` and an uncommitted change to it.
fn project() -> tempfile::TempDir {
    let dir = repository_with_readme("committed\n");
    std::fs::write(dir.path().join("README.md"), "committed\ndirty\n").unwrap();
    dir
}

/// One task's container, removed when dropped (even when an assertion failed).
struct Env {
    client: DockerClient,
    container: TaskContainer,
    task: String,
}

impl Env {
    fn new(client: &DockerClient, image: &str) -> Env {
        let task = task_id();
        let spec = ContainerSpec {
            task: task.clone(),
            project: "test-project".into(),
            image: image.into(),
            limits: Limits {
                cpus: 1.0,
                memory_bytes: 1 << 30,
                pids: 512,
            },
            labels: vec![(TEST_LABEL.into(), "1".into())],
            env: Vec::new(),
        };
        let c = client.clone();
        let container = block_on_docker(async move { container::create(&c, &spec).await }).unwrap();
        Env {
            client: client.clone(),
            container,
            task,
        }
    }

    fn copy(&self, repo: &Path, include_uncommitted: bool) -> Result<String, RepoCopyError> {
        let copy = RepoCopy {
            repo: repo.to_path_buf(),
            base: "main".into(),
            task: self.task.clone(),
            include_uncommitted,
        };
        let (c, id) = (self.client.clone(), self.container.id.clone());
        block_on_docker(async move { copy_repo(&c, &id, &copy).await }).map(|r| r.branch)
    }

    fn sandbox(&self) -> Arc<DockerSandbox> {
        DockerSandbox::new(&self.client, &self.container.id, &self.task).unwrap()
    }
}

/// A task's container of the agent image on the machine's daemon, and the client.
fn started() -> (DockerClient, Env) {
    let client = client();
    let image = agent_image(&client);
    let env = Env::new(&client, &image);
    (client, env)
}

impl Drop for Env {
    fn drop(&mut self) {
        let (c, id) = (self.client.clone(), self.container.id.clone());
        let _ = block_on_docker(async move { container::remove(&c, &id).await });
    }
}

fn sh(script: &str) -> ExecRequest {
    ExecRequest {
        command: vec!["sh".into(), "-c".into(), script.into()],
        workdir: None,
        env: vec![("WHO".into(), "plinth".into())],
        stdin: None,
        timeout_ms: 10_000,
    }
}

fn session(name: &str, script: &str) -> SessionSpec {
    SessionSpec {
        name: name.into(),
        command: vec!["sh".into(), "-c".into(), script.into()],
        env: vec![("WHO".into(), "plinth".into())],
        workdir: None,
        width: 100,
        height: 30,
    }
}

fn stdout(sandbox: &DockerSandbox, script: &str) -> String {
    let out = sandbox.exec(sh(script)).unwrap();
    assert_eq!(out.exit_code, 0, "{script}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn poll_until(sandbox: &DockerSandbox, want: &Signal) -> Vec<Signal> {
    support::poll_until(
        || sandbox.poll(),
        want,
        Duration::from_secs(20),
        Duration::from_millis(100),
    )
}

fn screen_until(sandbox: &DockerSandbox, session: &str, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let screen = sandbox.sessions().capture_screen(session).unwrap().text;
        if screen.contains(text) {
            return screen;
        }
        assert!(Instant::now() < deadline, "never saw {text:?} in\n{screen}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn create_copy_exec_tmux_files_and_remove() {
    let (client, env) = started();
    let repo = project();

    // The container: ours, limited, as the agent, with nothing of the host inside.
    let c = client.clone();
    let ours = block_on_docker(async move { container::find_labelled(&c, "plinth.test=1").await })
        .unwrap();
    let found = ours.iter().find(|c| c.id == env.container.id).unwrap();
    assert_eq!(found.task, env.task);
    assert_eq!(found.project, "test-project");
    assert_eq!(found.version, env!("CARGO_PKG_VERSION"));
    assert!(found.is_running());
    let inspect = Command::new("docker")
        .args([
            "inspect",
            "-f",
            "{{.HostConfig.Init}} {{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.Config.User}} {{len .Mounts}}",
            &env.container.id,
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&inspect.stdout).trim(),
        "true 1000000000 1073741824 agent 0"
    );

    // The repository, on the task's branch, without the uncommitted change.
    let branch = env.copy(repo.path(), false).unwrap();
    assert_eq!(branch, format!("plinth/{}", env.task));
    let sandbox = env.sandbox();
    assert_eq!(stdout(&sandbox, "git rev-parse --abbrev-ref HEAD"), branch);
    assert_eq!(stdout(&sandbox, "cat README.md"), "committed");
    assert_eq!(
        stdout(&sandbox, "git log --format=%s"),
        "first",
        "the host's history came along"
    );
    assert_eq!(stdout(&sandbox, "git status --porcelain"), "");

    // exec: output, stderr, exit code, env, stdin, workdir.
    let mut request = sh("cat; echo \" $WHO $(pwd)\"; echo err >&2; exit 3");
    request.stdin = Some(b"from stdin".to_vec());
    let out = sandbox.exec(request).unwrap();
    assert_eq!(out.exit_code, 3);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "from stdin plinth /workspace\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    let err = sandbox
        .exec(ExecRequest {
            command: vec!["no-such-program-plinth".into()],
            ..sh("")
        })
        .unwrap_err();
    assert!(matches!(err, CapError::NotFound(_)), "{err:?}");

    // A command past its limit is killed, with what it started.
    let started = Instant::now();
    let err = sandbox
        .exec(ExecRequest {
            timeout_ms: 500,
            ..sh("sleep 31 & sleep 31")
        })
        .unwrap_err();
    assert!(matches!(err, CapError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The init process reaps the killed ones a moment later. ("3[1]" keeps this script's
    // own command line from matching.)
    let sleeping = "for i in $(seq 30); do \
        n=$(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c 'sleep 3[1]'); \
        [ \"$n\" = 0 ] && break; sleep 0.1; done; echo $n";
    assert_eq!(stdout(&sandbox, sleeping), "0");

    // tmux: a session, its screen, a paste and Enter, the exit code through poll.
    sandbox
        .sessions()
        .create(session(
            "worker",
            "echo hello $WHO; read line; echo got $line; exit 4",
        ))
        .unwrap();
    poll_until(&sandbox, &Signal::ScreenChanged("worker".into()));
    let screen = sandbox.sessions().capture_screen("worker").unwrap();
    assert!(screen.text.contains("hello plinth"), "{}", screen.text);
    assert_eq!((screen.width, screen.height), (100, 30));
    assert!(sandbox.sessions().is_alive("worker").unwrap());
    sandbox.sessions().paste("worker", "typed text").unwrap();
    screen_until(&sandbox, "worker", "typed text");
    sandbox
        .sessions()
        .send_keys("worker", &["Enter".into()])
        .unwrap();
    let exit = Signal::ProcessExited(ProcessExit {
        session: "worker".into(),
        exit_code: Some(4),
    });
    poll_until(&sandbox, &exit);
    assert!(
        !contains(&sandbox.poll(), &exit),
        "an exit is reported once"
    );
    assert!(!sandbox.sessions().is_alive("worker").unwrap());
    let history = sandbox.sessions().capture_history("worker", 100).unwrap();
    assert!(history.contains("got typed text"), "{history}");
    let err = sandbox.sessions().paste("nobody", "x").unwrap_err();
    assert!(matches!(err, CapError::NotFound(_)), "{err:?}");

    // Files: inside the workdir and the home; `..`, elsewhere and symlinks out are denied.
    sandbox.write_file("notes/a.txt", b"written").unwrap();
    assert_eq!(sandbox.read_file("notes/a.txt").unwrap(), b"written");
    assert_eq!(stdout(&sandbox, "cat notes/a.txt"), "written");
    sandbox
        .write_file("/home/agent/.config/x.json", b"{}")
        .unwrap();
    assert_eq!(
        sandbox.read_file("/home/agent/.config/x.json").unwrap(),
        b"{}"
    );
    stdout(&sandbox, "ln -s /etc escape");
    for path in [
        "../x",
        "/etc/passwd",
        "escape/passwd",
        "/workspace/../etc/passwd",
    ] {
        let err = sandbox.read_file(path).unwrap_err();
        assert!(matches!(err, CapError::AccessDenied(_)), "{path}: {err:?}");
    }
    for path in [
        "escape/evil",
        "../evil",
        "/etc/plinth-evil",
        "/workspace/../tmp/evil",
    ] {
        let err = sandbox.write_file(path, b"x").unwrap_err();
        assert!(matches!(err, CapError::AccessDenied(_)), "{path}: {err:?}");
    }
    assert_eq!(
        stdout(
            &sandbox,
            "ls /etc/plinth-evil /evil /tmp/evil 2>/dev/null | wc -l"
        ),
        "0",
        "nothing was written outside the workdir and the home"
    );
    let err = sandbox.read_file("missing.txt").unwrap_err();
    assert!(matches!(err, CapError::NotFound(_)), "{err:?}");

    // Removed: gone from the daemon.
    let (c, id) = (client.clone(), env.container.id.clone());
    block_on_docker(async move { container::remove(&c, &id).await }).unwrap();
    let c = client.clone();
    let ours = block_on_docker(async move { container::find_ours(&c).await }).unwrap();
    assert!(ours.iter().all(|c| c.id != env.container.id));
}

#[test]
fn uncommitted_changes_come_only_when_asked() {
    let (_client, env) = started();
    let repo = project();
    env.copy(repo.path(), true).unwrap();
    let sandbox = env.sandbox();
    assert_eq!(stdout(&sandbox, "cat README.md"), "committed\ndirty");
    assert_eq!(stdout(&sandbox, "git status --porcelain"), "M README.md");
}

#[test]
fn a_project_that_is_not_a_repository_or_lacks_the_base_is_refused() {
    let (_client, env) = started();
    let plain = tempfile::tempdir().unwrap();
    let err = env.copy(plain.path(), false).unwrap_err();
    assert!(matches!(err, RepoCopyError::NotARepository(_)), "{err}");
    let repo = project();
    git(repo.path(), &["branch", "-m", "main", "trunk"]);
    let err = env.copy(repo.path(), false).unwrap_err();
    assert!(matches!(err, RepoCopyError::NoBase { .. }), "{err}");
}

#[test]
fn a_restarted_plinth_finds_its_container_and_the_session_still_running() {
    let (client, env) = started();
    {
        let sandbox = env.sandbox();
        sandbox
            .sessions()
            .create(session("agent", "echo adopted; exec sleep 600"))
            .unwrap();
        screen_until(&sandbox, "agent", "adopted");
    }
    // Every handle is gone, as after a restart; only the daemon remembers.
    let c = client.clone();
    let ours = block_on_docker(async move { container::find_ours(&c).await }).unwrap();
    let found = ours.iter().find(|c| c.task == env.task).unwrap();
    assert!(found.is_running());
    let sandbox = DockerSandbox::new(&client, &found.id, &found.task).unwrap();
    assert!(sandbox.sessions().is_alive("agent").unwrap());
    assert_eq!(
        sandbox.sessions().foreground_command("agent").unwrap(),
        "sleep"
    );
    let signals = sandbox.poll();
    assert!(
        contains(&signals, &Signal::ScreenChanged("agent".into())),
        "{signals:?}"
    );
}

#[test]
fn a_container_killed_from_outside_fails_calls_and_ends_its_sessions() {
    let (_client, env) = started();
    let sandbox = env.sandbox();
    sandbox
        .sessions()
        .create(session("agent", "sleep 600"))
        .unwrap();
    sandbox.poll();
    let killed = Command::new("docker")
        .args(["kill", &env.container.id])
        .output()
        .unwrap();
    assert!(killed.status.success(), "{killed:?}");

    let err = sandbox.exec(sh("true")).unwrap_err();
    let CapError::Failed(text) = &err else {
        panic!("{err:?}")
    };
    assert!(text.contains(&env.container.id), "{text}");
    assert!(text.contains("is exited"), "{text}");
    let err = sandbox.sessions().capture_screen("agent").unwrap_err();
    assert!(
        matches!(&err, CapError::Failed(t) if t.contains("is exited")),
        "{err:?}"
    );
    let signals = sandbox.poll();
    let exit = Signal::ProcessExited(ProcessExit {
        session: "agent".into(),
        exit_code: None,
    });
    assert!(contains(&signals, &exit), "{signals:?}");
    assert!(sandbox.poll().is_empty(), "reported once");
}
