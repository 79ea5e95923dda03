//! The real Claude Code CLI, in plinth's agent image, against the mock: `claude -p` asked
//! to make a file gets a scripted `Write` tool_use, runs it, sends the tool_result back,
//! and prints the scripted final text. Needs the Docker daemon (and builds the agent image
//! if it is missing, ~4 minutes). The mock listens on the gateway of a Docker network of
//! the test's own; the network and the container (labelled `plinth.test=1`) are removed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures::StreamExt;
use plinth_actors::environments::docker_exec::blocking;
use plinth_actors::environments::{DockerClient, ImageRecipe, Images};
use plinth_mock_llm::{MockLlm, Reply, Script, Served, When, claude_code};
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
        blocking(async move {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_writes_a_file_through_a_scripted_tool_use_and_prints_the_reply() {
    let client = DockerClient::connect().await.unwrap_or_else(|e| {
        panic!("{e}\n\nthis test needs a running Docker daemon: run scripts/docker-setup.sh")
    });
    let images = Images::new(client.clone());
    let recipe = ImageRecipe::agent(None);
    let tag = images.tag_of(&recipe).await.unwrap();
    // Builds only when no image has this tag yet.
    images
        .ensure(&recipe, |_| {})
        .await
        .unwrap_or_else(|e| panic!("the agent image {tag} is missing and cannot be built: {e}"));

    let network = format!("plinth-test-mockllm-{}", std::process::id());
    let mut cleanup = Cleanup {
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

    let script = Script::new(vec![
        Reply::tool_use(
            "Write",
            json!({"file_path": "/workspace/hello.txt", "content": FILE_CONTENT}),
        ),
        Reply::text(FINAL_TEXT).when(When::tool_result("hello.txt")),
    ]);
    let mock = MockLlm::start(SocketAddr::new(gateway, 0), script)
        .await
        .unwrap();

    // `~/.claude.json` is written by the container's shell from an environment variable,
    // so nothing is mounted from the host.
    let mut env: Vec<String> = claude_code::env(&mock.url(), API_KEY)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    env.push(format!(
        "CLAUDE_JSON={}",
        claude_code::claude_json("/workspace", API_KEY)
    ));
    let command = "printf '%s' \"$CLAUDE_JSON\" > ~/.claude.json \
         && claude -p 'Create hello.txt saying hello' --dangerously-skip-permissions; \
         status=$?; echo '=== hello.txt'; cat /workspace/hello.txt; exit $status";
    let body = ContainerCreateBody {
        image: Some(tag.clone()),
        user: Some("agent".into()),
        working_dir: Some("/workspace".into()),
        env: Some(env),
        cmd: Some(vec!["sh".into(), "-c".into(), command.into()]),
        labels: Some(labels()),
        host_config: Some(HostConfig {
            network_mode: Some(network.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let name = format!("{network}-claude");
    let created = client
        .api()
        .create_container(
            Some(CreateContainerOptionsBuilder::new().name(&name).build()),
            body,
        )
        .await
        .unwrap();
    cleanup.container = Some(created.id.clone());
    client
        .api()
        .start_container(&created.id, None)
        .await
        .unwrap();

    let waited = tokio::time::timeout(RUN_LIMIT, async {
        let mut wait = client.api().wait_container(&created.id, None);
        wait.next().await
    })
    .await;
    let logs = output(&client, &created.id).await;
    let status = match waited {
        Ok(Some(Ok(response))) => response.status_code,
        // bollard reports a non-zero exit as an error carrying the code.
        Ok(Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. }))) => code,
        other => panic!("claude did not finish: {other:?}\n--- output ---\n{logs}"),
    };
    let requests = mock.requests();
    let summary: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {} -> {:?}", r.method, r.path, r.served))
        .collect();
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

    let answered: Vec<&plinth_mock_llm::RecordedRequest> = requests
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
    // The tool_result answers the tool_use id the mock made up.
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
    assert_eq!(result_id, Some(tool_use_id));
    assert_eq!(mock.remaining(), 0);

    mock.shutdown().await.unwrap();
    drop(cleanup);
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
