//! Docker as a new user has it, on daemons of the test's own (in network namespaces of their
//! own, so the machine's daemon and the other tests never see them; see
//! `dev/testkit/src/netns_docker.rs`):
//!
//! 1. a daemon's very first start, where Docker's default bridge reports no gateway: the
//!    real Claude Code in a task container calls plinth's model proxy and gets the mock
//!    upstream's answer, its hooks arrive, and its container is on plinth's network only;
//!    `plinth doctor` proves a container reaches plinth;
//! 2. a daemon started with `--bridge=none` (no default bridge at all): plinth makes its
//!    network again and a task's agent reaches the proxy;
//! 3. a firewall that drops what containers send to the host: `plinth doctor` fails with
//!    the fix, and a Docker task fails at once saying why, instead of waiting for ever.

mod support;

use std::time::{Duration, Instant};

use plinth_mock_llm::{MockLlm, Reply, Script};
use serde_json::{Value, json};
use support::claude::{
    REAL_KEY, SKIP_PERMISSIONS, create_task, events, serve, start_mock, wait_for,
};
use support::netns_docker::{DaemonRoot, Dockerd, Netns, agent_image};
use support::{Home, Server, repository, stderr, stdout};

const ANSWER: &str = "The upstream answers through plinth's network.";
const BASE_IMAGE: &str = "plinth-base:bookworm";

#[test]
fn docker_tasks_reach_plinth_on_a_first_start_a_bridgeless_daemon_and_say_why_behind_a_firewall() {
    // The images come from the machine's daemon, built there once.
    let agent = agent_image(&Home::new());
    let root = DaemonRoot::new();
    {
        let seed = Netns::new();
        let daemon = Dockerd::start(&seed, root.path(), &[]);
        daemon.load_images(&[BASE_IMAGE, &agent]);
    }
    // As the recipe: no network store and no docker0 (it went with the namespace),
    // so the next start is, for Docker's networks, a first start.
    std::fs::remove_file(root.path().join("data/network/files/local-kv.db"))
        .expect("the seed daemon's network store");

    let first = Netns::new();
    let mut daemon = Dockerd::start(&first, root.path(), &[]);
    let ipam = daemon.bridge_ipam();
    assert!(
        ipam.contains("Subnet") && !ipam.contains("Gateway"),
        "precondition: a first start's default bridge has no gateway: {ipam}"
    );
    first.enter_this_thread();
    runtime().block_on(claude_code_calls_the_proxy(&daemon));
    // Nothing of plinth's is left for the next daemon but what it must make again.
    let removed = daemon.docker(&["network", "rm", "plinth"]);
    assert!(removed.status.success(), "{removed:?}");
    daemon.stop();

    let bridgeless = Netns::new();
    let mut daemon = Dockerd::start(&bridgeless, root.path(), &["--bridge=none"]);
    let networks = stdout(&daemon.docker(&["network", "ls", "--format", "{{.Name}}"]));
    assert!(
        !networks.lines().any(|n| n == "bridge"),
        "precondition: no default bridge: {networks}"
    );
    bridgeless.enter_this_thread();
    runtime().block_on(an_agent_calls_the_proxy_without_a_default_bridge(&daemon));

    let dropped = bridgeless.exec("iptables", &["-I", "INPUT", "-i", "br-+", "-j", "DROP"]);
    assert!(dropped.status.success(), "{dropped:?}");
    runtime().block_on(behind_a_firewall_doctor_and_tasks_say_why(&daemon));
    daemon.stop();
}

fn runtime() -> tokio::runtime::Runtime {
    // Built after the thread entered the namespace: its workers are made there too.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn serve_on(home: &Home, mock: &MockLlm, daemon: &Dockerd, env: &[(&str, &str)]) -> Server {
    let address = daemon.address();
    let mut all = vec![("PLINTH_DOCKER_SOCKET", address.as_str())];
    all.extend_from_slice(env);
    serve(home, mock, &all)
}

fn doctor(home: &Home, daemon: &Dockerd) -> Value {
    let out = home
        .command(&["doctor", "--json"])
        .env("PLINTH_DOCKER_SOCKET", daemon.address())
        .output()
        .unwrap();
    let checks: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "sandbox-reach")
        .cloned()
        .unwrap_or_else(|| panic!("no sandbox-reach check: {checks:#}"))
}

/// The networks a task's container is attached to, by name.
fn networks_of(daemon: &Dockerd, task: &str) -> Vec<String> {
    let id = stdout(&daemon.docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=plinth.task={task}"),
    ]));
    let out = daemon.docker(&[
        "inspect",
        "--format",
        "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}",
        id.trim(),
    ]);
    stdout(&out)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

async fn claude_code_calls_the_proxy(daemon: &Dockerd) {
    let mock = MockLlm::start(
        "127.0.0.1:0".parse().unwrap(),
        Script::new(vec![Reply::text(ANSWER)]).with_default(Reply::text(ANSWER)),
    )
    .await
    .unwrap();
    let home = Home::new();
    let server = serve_on(&home, &mock, daemon, SKIP_PERMISSIONS);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Say something.").await;
    // The Stop hook makes the task idle: hooks get through as well as the model's calls.
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(180),
        "idle after the model's answer",
        |shown| async move { shown["status"] == "idle" },
    )
    .await;
    let text: String = events(&server, &id, "task.llm.text")
        .await
        .iter()
        .filter_map(|e| e["data"]["text"].as_str().map(str::to_string))
        .collect();
    assert!(
        text.contains(ANSWER),
        "the agent got the upstream's answer: {text:?}"
    );
    let requests = mock.requests();
    assert!(requests.iter().any(|r| r.is_messages()), "{requests:?}");
    for request in &requests {
        assert_eq!(
            request.header("x-api-key"),
            Some(REAL_KEY),
            "{}",
            request.path
        );
    }
    assert_eq!(
        networks_of(daemon, &id),
        ["plinth"],
        "on plinth's network and nothing else"
    );
    let network = daemon.docker(&[
        "network",
        "inspect",
        "plinth",
        "--format",
        "{{json .Labels}} {{json .Options}}",
    ]);
    let described = stdout(&network);
    assert!(described.contains("\"plinth.network\""), "{described}");
    assert!(
        described.contains("\"com.docker.network.bridge.enable_icc\":\"false\""),
        "{described}"
    );
    let reach = doctor(&home, daemon);
    assert_eq!(reach["status"], "ok", "{reach:#}");
    drop(server);
    let _ = daemon.docker(&["rm", "-f", &format!("plinth-{id}")]);
}

async fn an_agent_calls_the_proxy_without_a_default_bridge(daemon: &Dockerd) {
    let mock = MockLlm::start(
        "127.0.0.1:0".parse().unwrap(),
        Script::new(vec![]).with_default(Reply::text(ANSWER)),
    )
    .await
    .unwrap();
    let home = Home::new();
    let server = serve_on(&home, &mock, daemon, &[]);
    let repo = repository();
    let body = json!({"model": "claude-test", "max_tokens": 50,
                      "messages": [{"role": "user", "content": "hi"}]});
    let script = format!(
        "#!scripted\nrun curl -fsS --max-time 30 \"$ANTHROPIC_BASE_URL/v1/messages\" -H \"x-api-key: $ANTHROPIC_API_KEY\" -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' -d '{body}' -o /workspace/answer.json\nfinish"
    );
    let res = server
        .post("/api/tasks")
        .json(
            &json!({"prompt": script, "repo": repo.path(), "agent": "scripted",
                      "sandbox": "docker"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(120),
        "finished",
        |shown| async move { shown["status"] == "finished" },
    )
    .await;
    // `cp`, not `exec`: a finished task's container is stopped soon after it ends.
    let answer = daemon.docker(&["cp", &format!("plinth-{id}:/workspace/answer.json"), "-"]);
    assert!(
        stdout(&answer).contains(ANSWER),
        "the upstream's answer in the container: {answer:?}"
    );
    assert!(
        mock.requests()
            .iter()
            .any(|r| r.header("x-api-key") == Some(REAL_KEY)),
        "the call went upstream with the user's key"
    );
    assert_eq!(networks_of(daemon, &id), ["plinth"]);
    drop(server);
    let _ = daemon.docker(&["rm", "-f", &format!("plinth-{id}")]);
}

async fn behind_a_firewall_doctor_and_tasks_say_why(daemon: &Dockerd) {
    let home = Home::new();
    let reach = doctor(&home, daemon);
    assert_eq!(reach["status"], "fail", "{reach:#}");
    let fix = reach["fix"].as_str().unwrap();
    assert!(fix.contains("iptables -I INPUT -i br-"), "{fix}");

    let mock = start_mock(Script::new(vec![])).await;
    let server = serve_on(&home, &mock, daemon, &[]);
    let repo = repository();
    let id = create_task(&server, repo.path(), "Say something.").await;
    let asked = Instant::now();
    let deadline = asked + Duration::from_secs(60);
    let failed = loop {
        let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if shown["lifecycle"] == "failed" {
            break shown;
        }
        assert!(
            Instant::now() < deadline,
            "the task should fail, not wait: {shown:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let reason = failed["failure"].as_str().unwrap_or_default();
    assert!(reason.contains("cannot reach plinth"), "{failed:#}");
    assert!(reason.contains("--dport"), "the fix is named: {failed:#}");
    assert!(mock.requests().is_empty(), "no agent ran");
    let note = events(&server, &id, "notification").await;
    assert!(
        note.iter()
            .any(|n| n.to_string().contains("cannot reach plinth")),
        "the user is told: {note:#?}"
    );
    eprintln!(
        "a task behind the firewall failed {:.1}s after it was asked for",
        asked.elapsed().as_secs_f64()
    );
    drop(server);
    let _ = daemon.docker(&["rm", "-f", &format!("plinth-{id}")]);
}
