//! The real Claude Code CLI, in plinth's agent image, against the mock: asked to make a
//! file, it gets a scripted `Write` tool_use, runs it, sends the tool_result back, and
//! shows the scripted final text; in print mode (`claude -p`) and interactively in tmux,
//! the latter with `~/.claude.json` from [`claude_code::claude_json`] so that no dialog
//! stops it. Needs the Docker daemon (and builds the agent image if it is missing, ~4
//! minutes). The mock listens on the gateway of a Docker network of each test's own; the
//! network and the container (labelled `plinth.test=1`) are removed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures::StreamExt;
use plinth_actors::environments::docker::exec::{ExecSpec, block_on_docker, exec};
use plinth_actors::environments::{DockerClient, ImageRecipe, Images};
use plinth_mock_llm::{MockLlm, RecordedRequest, Reply, Script, Served, When, claude_code};
use serde_json::json;

const TEST_LABEL: &str = "plinth.test";
const API_KEY: &str = "sk-ant-mock-plinth-test-0000000000000000";
const FINAL_TEXT: &str = "MOCK-FINAL: hello.txt is written";
const FILE_CONTENT: &str = "hello from the mock\n";
/// Claude Code answers in about two seconds; this only bounds a hang.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// Removes the test's container and network however the test ends.
struct Cleanup {
    client: DockerClient,
    network: String,
    container: Option<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let client = self.client.clone();
        let network = self.network.clone();
        let container = self.container.take();
        block_on_docker(async move {
            if let Some(id) = container {
                let options = RemoveContainerOptionsBuilder::new().force(true).build();
                let _ = client.api().remove_container(&id, Some(options)).await;
            }
            let _ = client.api().remove_network(&network).await;
        });
    }
}

fn labels() -> HashMap<String, String> {
    HashMap::from([(TEST_LABEL.to_string(), "1".to_string())])
}

/// A Docker network of the test's own with the mock on its gateway, and the agent image.
struct Rig {
    client: DockerClient,
    tag: String,
    mock: MockLlm,
    cleanup: Cleanup,
}

impl Rig {
    async fn new(test: &str) -> Rig {
        let client = DockerClient::connect().await.unwrap_or_else(|e| {
            panic!("{e}\n\nthis test needs a running Docker daemon: run scripts/docker-setup.sh")
        });
        let images = Images::new(client.clone());
        let recipe = ImageRecipe::agent(None);
        let tag = images.tag_of(&recipe).await.unwrap();
        // Builds only when no image has this tag yet.
        images.ensure(&recipe, |_| {}).await.unwrap_or_else(|e| {
            panic!("the agent image {tag} is missing and cannot be built: {e}")
        });

        let network = format!("plinth-test-mockllm-{}-{test}", std::process::id());
        let cleanup = Cleanup {
            client: client.clone(),
            network: network.clone(),
            container: None,
        };
        client
            .api()
            .create_network(NetworkCreateRequest {
                name: network.clone(),
                driver: Some("bridge".into()),
                labels: Some(labels()),
                ..Default::default()
            })
            .await
            .unwrap();
        let inspected = client.api().inspect_network(&network, None).await.unwrap();
        let gateway: IpAddr = inspected
            .ipam
            .and_then(|ipam| ipam.config)
            .and_then(|configs| configs.into_iter().find_map(|c| c.gateway))
            .and_then(|gateway| gateway.parse().ok())
            .expect("the test network has an IPv4 gateway");
        let mock = MockLlm::start(SocketAddr::new(gateway, 0), write_then_done())
            .await
            .unwrap();
        Rig {
            client,
            tag,
            mock,
            cleanup,
        }
    }

    /// Creates and starts a container of the agent image on the network, as `agent` in
    /// `/workspace`, with Claude Code's environment and `~/.claude.json`'s text in
    /// `CLAUDE_JSON` (the command writes it, so nothing is mounted from the host).
    async fn run(&mut self, command: &str, extra_env: &[&str]) -> String {
        let mut env: Vec<String> = claude_code::env(&self.mock.url(), API_KEY)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        env.push(format!(
            "CLAUDE_JSON={}",
            claude_code::claude_json("/workspace", API_KEY)
        ));
        env.extend(extra_env.iter().map(|e| e.to_string()));
        let body = ContainerCreateBody {
            image: Some(self.tag.clone()),
            user: Some("agent".into()),
            working_dir: Some("/workspace".into()),
            env: Some(env),
            cmd: Some(vec!["sh".into(), "-c".into(), command.into()]),
            labels: Some(labels()),
            host_config: Some(HostConfig {
                network_mode: Some(self.cleanup.network.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let name = format!("{}-claude", self.cleanup.network);
        let created = self
            .client
            .api()
            .create_container(
                Some(CreateContainerOptionsBuilder::new().name(&name).build()),
                body,
            )
            .await
            .unwrap();
        self.cleanup.container = Some(created.id.clone());
        self.client
            .api()
            .start_container(&created.id, None)
            .await
            .unwrap();
        created.id
    }

    /// `sh -c SCRIPT` in the running container as `agent`: (exit code, stdout).
    async fn exec(&self, container: &str, script: &str) -> (i32, String) {
        let spec = ExecSpec {
            command: vec!["sh".into(), "-c".into(), script.into()],
            user: "agent".into(),
            workdir: Some("/workspace".into()),
            env: Vec::new(),
            stdin: None,
            timeout: Duration::from_secs(30),
        };
        let out = exec(self.client.api(), container, spec).await.unwrap();
        (
            out.exit_code,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn summary(&self) -> Vec<String> {
        self.mock
            .requests()
            .iter()
            .map(|r| format!("{} {} -> {:?}", r.method, r.path, r.served))
            .collect()
    }

    /// The mock gave both scripted replies: the first to a streamed turn with the key, the
    /// second to the turn carrying the `Write` tool's result for the mock's tool_use id.
    fn assert_the_tool_round_trip(&self) {
        let requests = self.mock.requests();
        let summary = self.summary();
        let answered: Vec<&RecordedRequest> = requests
            .iter()
            .filter(|r| matches!(r.served, Served::Scripted(_)))
            .collect();
        assert_eq!(answered.len(), 2, "{summary:#?}");
        assert_eq!(answered[0].header("x-api-key"), Some(API_KEY));
        assert!(answered[0].path.starts_with("/v1/messages"));
        assert_eq!(answered[0].body["stream"], true);
        let results = answered[1].tool_results();
        assert!(
            results.iter().any(|r| r.contains("hello.txt")),
            "the second turn carries the Write tool's result: {results:?}"
        );
        let messages = answered[1].body["messages"].as_array().unwrap();
        let tool_use_id = messages
            .iter()
            .flat_map(|m| m["content"].as_array().into_iter().flatten())
            .find(|b| b["type"] == "tool_use")
            .map(|b| b["id"].clone())
            .expect("the assistant's tool_use is in the history");
        let result_id = messages.last().unwrap()["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "tool_result")
            .map(|b| b["tool_use_id"].clone());
        assert_eq!(result_id, Some(tool_use_id), "it answers the mock's id");
        assert_eq!(self.mock.remaining(), 0);
    }
}

/// A `Write` of hello.txt, then (once its result comes back) the final text.
fn write_then_done() -> Script {
    Script::new(vec![
        Reply::tool_use(
            "Write",
            json!({"file_path": "/workspace/hello.txt", "content": FILE_CONTENT}),
        ),
        Reply::text(FINAL_TEXT).when(When::tool_result("hello.txt")),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_writes_a_file_through_a_scripted_tool_use_and_prints_the_reply() {
    let mut rig = Rig::new("print").await;
    let command = "printf '%s' \"$CLAUDE_JSON\" > ~/.claude.json \
         && claude -p 'Create hello.txt saying hello' --dangerously-skip-permissions; \
         status=$?; echo '=== hello.txt'; cat /workspace/hello.txt; exit $status";
    let id = rig.run(command, &[]).await;

    let waited = tokio::time::timeout(RUN_LIMIT, async {
        let mut wait = rig.client.api().wait_container(&id, None);
        wait.next().await
    })
    .await;
    let logs = output(&rig.client, &id).await;
    let status = match waited {
        Ok(Some(Ok(response))) => response.status_code,
        // bollard reports a non-zero exit as an error carrying the code.
        Ok(Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. }))) => code,
        other => panic!("claude did not finish: {other:?}\n--- output ---\n{logs}"),
    };
    let summary = rig.summary();
    assert_eq!(
        status, 0,
        "claude exited {status}\n--- output ---\n{logs}\n--- requests ---\n{summary:#?}"
    );

    let (printed, file) = logs
        .split_once("=== hello.txt\n")
        .unwrap_or_else(|| panic!("no file section in the output:\n{logs}"));
    assert!(
        printed.contains(FINAL_TEXT),
        "the final text was printed: {printed}"
    );
    assert_eq!(file, FILE_CONTENT, "the Write tool_use made the file");

    rig.assert_the_tool_round_trip();
    rig.mock.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_runs_interactively_in_tmux_without_a_dialog() {
    let mut rig = Rig::new("tmux").await;
    let id = rig
        .run(
            "printf '%s' \"$CLAUDE_JSON\" > ~/.claude.json && exec sleep 600",
            &["CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN=1"],
        )
        .await;
    let (code, _) = rig
        .exec(
            &id,
            "while [ ! -s ~/.claude.json ]; do sleep 0.1; done; \
             tmux new-session -d -s agent -x 160 -y 50 \
             \"claude --dangerously-skip-permissions 'Create hello.txt saying hello'\"",
        )
        .await;
    assert_eq!(code, 0, "tmux started");

    // Any dialog (theme, trust, key, bypass warning) would stop it before the first turn.
    let deadline = Instant::now() + RUN_LIMIT;
    let screen = loop {
        let (_, screen) = rig.exec(&id, "tmux capture-pane -p -t agent -S -200").await;
        if rig.mock.remaining() == 0 && screen.contains(FINAL_TEXT) {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "claude did not finish the turn\n--- screen ---\n{screen}\n--- requests ---\n{:#?}",
            rig.summary()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let (_, file) = rig.exec(&id, "cat /workspace/hello.txt").await;
    assert_eq!(
        file, FILE_CONTENT,
        "the Write tool_use made the file\n{screen}"
    );
    rig.assert_the_tool_round_trip();
    rig.mock.shutdown().await.unwrap();
}

/// The container's stdout and stderr.
async fn output(client: &DockerClient, id: &str) -> String {
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).build();
    let mut logs = client.api().logs(id, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = logs.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    text
}
