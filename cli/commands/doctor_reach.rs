//! `plinth doctor`'s proof that a task container reaches plinth: plinth's Docker network is
//! made (or found), a listener like the server's sandbox listener answers on its gateway,
//! and a throwaway container on that network, from the agent image (or the base image: no
//! image can be pulled), asks it with the same probe a task's container runs before its
//! agent starts. Checking the network's settings would not do: a firewall that drops
//! traffic from containers to the host is only seen by trying.

use std::collections::HashMap;
use std::net::SocketAddr;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures::StreamExt;
use plinth_actors::config::Config;
use plinth_actors::environments::docker::network::{self, TaskNetwork};
use plinth_actors::environments::{DockerClient, ImageRecipe, Images};
use plinth_actors::tasks::reach::{CANNOT_PROBE, probe_command};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{Check, image_exists};
use crate::limits::REACH_CHECK_DEADLINE;
use crate::limits::REACH_READ_TIMEOUT;

const NAME: &str = "sandbox-reach";

pub async fn check(docker: Option<&DockerClient>, config: &Config) -> Check {
    let Some(client) = docker else {
        return Check::warn(
            NAME,
            "not checked: Docker is not reachable",
            "see the docker check",
        );
    };
    let network = match network::ensure(client, &config.docker.network).await {
        Ok(network) => network,
        Err(err) => {
            return Check::fail(
                NAME,
                format!("plinth's Docker network: {err}"),
                "see the message; docs/docker.md (Networking) says what plinth needs",
            );
        }
    };
    let Some(image) = image_to_try(client, config).await else {
        return Check::warn(
            NAME,
            format!(
                "not checked: neither the agent image nor {} is there to try from",
                config.docker.base_image
            ),
            "see the base-image check",
        );
    };
    let listener = match TcpListener::bind(SocketAddr::new(network.gateway, 0)).await {
        Ok(listener) => listener,
        Err(err) => {
            return Check::fail(
                NAME,
                format!(
                    "cannot listen on {}, the gateway of Docker network {}: {err}",
                    network.gateway, network.name
                ),
                "plinth must run on the machine (and in the network namespace) of the Docker \
                 daemon it uses; a daemon on another machine, or rootless Docker, is not \
                 supported yet",
            );
        }
    };
    let port = match listener.local_addr() {
        Ok(addr) => addr.port(),
        Err(err) => return Check::fail(NAME, err.to_string(), "see the message"),
    };
    let answering = tokio::spawn(answer(listener));
    let base = format!("http://{}", SocketAddr::new(network.gateway, port));
    let tried = tokio::time::timeout(
        REACH_CHECK_DEADLINE,
        probe_from(client, &image, &network, &base),
    )
    .await;
    answering.abort();
    let (code, output) = match tried {
        Ok(Ok(result)) => result,
        Ok(Err(err)) => {
            return Check::warn(
                NAME,
                format!("could not run a container to try from ({image}): {err}"),
                "see the docker check",
            );
        }
        Err(_) => (
            -1,
            format!("no result within {}s", REACH_CHECK_DEADLINE.as_secs()),
        ),
    };
    let seen = format!(
        "a container on Docker network {} ({}) asked plinth at {base}",
        network.name,
        network.bridge_interface()
    );
    match code {
        0 => Check::ok(NAME, format!("{seen}: it answers")),
        code if code == i64::from(CANNOT_PROBE) => Check::warn(
            NAME,
            format!("not checked: {image} has no curl, wget or bash to try with"),
            "see the agent-image check",
        ),
        _ => Check::fail(
            NAME,
            format!("{seen}: no answer ({})", output.trim()),
            format!(
                "Docker tasks cannot start until containers reach the host: a firewall \
                 probably drops connections from Docker's networks to this machine. Allow \
                 them, e.g. `iptables -I INPUT -i {iface} -j ACCEPT`, or with ufw `ufw allow \
                 in on {iface}`; the rule must let TCP reach plinth's sandbox port (in \
                 $PLINTH_HOME/sandbox-port)",
                iface = network.bridge_interface()
            ),
        ),
    }
}

/// The agent image when it is built (it is what tasks run), else the base image.
async fn image_to_try(client: &DockerClient, config: &Config) -> Option<String> {
    let base = &config.docker.base_image;
    let images = Images::new(client.clone());
    if let Ok(tag) = images.tag_of(&ImageRecipe::agent(Some(base))).await
        && matches!(image_exists(client, &tag).await, Ok(true))
    {
        return Some(tag);
    }
    matches!(image_exists(client, base).await, Ok(true)).then(|| base.clone())
}

/// Answers every connection as plinth's sandbox listener answers its health path.
async fn answer(listener: TcpListener) {
    while let Ok((mut stream, _)) = listener.accept().await {
        tokio::spawn(async move {
            // Read the request first: closing on unread data would reset the connection.
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
                match tokio::time::timeout(REACH_READ_TIMEOUT, stream.read(&mut buf)).await {
                    Ok(Ok(n)) if n > 0 => request.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 7\r\n\r\nplinth\n")
                .await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Runs the probe in a throwaway container on `network`; its exit code and output. The
/// container is removed whatever happens.
async fn probe_from(
    client: &DockerClient,
    image: &str,
    network: &TaskNetwork,
    base: &str,
) -> Result<(i64, String), bollard::errors::Error> {
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(probe_command(base)),
        entrypoint: Some(Vec::new()),
        labels: Some(HashMap::from([("plinth.doctor".into(), "1".into())])),
        host_config: Some(HostConfig {
            network_mode: Some(network.name.clone()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::new().build();
    let created = client.api().create_container(Some(options), body).await?;
    let ran = run(client, &created.id).await;
    let remove = RemoveContainerOptionsBuilder::new().force(true).build();
    let _ = client
        .api()
        .remove_container(&created.id, Some(remove))
        .await;
    ran
}

async fn run(client: &DockerClient, id: &str) -> Result<(i64, String), bollard::errors::Error> {
    client.api().start_container(id, None).await?;
    let code = match client.api().wait_container(id, None).next().await {
        Some(Ok(exit)) => exit.status_code,
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
        Some(Err(err)) => return Err(err),
        None => -1,
    };
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).build();
    let output: Vec<String> = client
        .api()
        .logs(id, Some(options))
        .filter_map(|chunk| async move { chunk.ok().map(|c| c.to_string()) })
        .collect()
        .await;
    Ok((code, output.concat()))
}
