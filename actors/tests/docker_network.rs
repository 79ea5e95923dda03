//! plinth's own Docker network against the real daemon, each test on a network name of its
//! own (removed at the end): made when missing with a gateway, found again, refused when
//! plinth did not make it, made again after it was removed (a stopped container is put back
//! on it), and task containers on it reach the gateway but not each other.

mod support;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use plinth_actors::environments::DockerClient;
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::docker::network::{self, NetworkError, TaskNetwork};
use support::{TEST_LABEL, client};

const BASE_IMAGE: &str = "plinth-base:bookworm";

/// A network name for this test alone; the network is removed on drop.
struct Named(String);

impl Named {
    fn new(test: &str) -> Named {
        Named(format!("plinth-test-{test}-{}", std::process::id()))
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let ids = Command::new("docker")
            .args(["ps", "-aq", "--filter", &format!("network={}", self.0)])
            .output()
            .unwrap();
        for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
            let _ = Command::new("docker").args(["rm", "-f", id]).output();
        }
        let _ = Command::new("docker")
            .args(["network", "rm", &self.0])
            .output();
    }
}

fn ensure(client: &DockerClient, name: &str) -> Result<TaskNetwork, NetworkError> {
    let (c, n) = (client.clone(), name.to_string());
    block_on_docker(async move { network::ensure(&c, &n).await })
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A container of the base image on `network` running `script` (bash), labelled as a
/// test's; its id.
fn container(client: &DockerClient, network: &str, script: &str) -> String {
    let body = ContainerCreateBody {
        image: Some(BASE_IMAGE.into()),
        cmd: Some(vec!["bash".into(), "-c".into(), script.into()]),
        labels: Some(HashMap::from([(TEST_LABEL.to_string(), "1".to_string())])),
        host_config: Some(HostConfig {
            network_mode: Some(network.to_string()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let c = client.clone();
    block_on_docker(async move {
        let made = c
            .api()
            .create_container(Some(CreateContainerOptionsBuilder::new().build()), body)
            .await
            .unwrap();
        c.api().start_container(&made.id, None).await.unwrap();
        made.id
    })
}

fn remove(client: &DockerClient, id: &str) {
    let (c, id) = (client.clone(), id.to_string());
    block_on_docker(async move {
        let options = RemoveContainerOptionsBuilder::new().force(true).build();
        let _ = c.api().remove_container(&id, Some(options)).await;
    });
}

/// Whether a TCP connection from a new container on `network` to `ip:port` succeeds.
fn connects(network: &str, ip: &str, port: u16) -> bool {
    Command::new("docker")
        .args(["run", "--rm", "--network", network, BASE_IMAGE])
        .args(["timeout", "3", "bash", "-c"])
        .arg(format!("exec 3<>/dev/tcp/{ip}/{port}"))
        .status()
        .unwrap()
        .success()
}

#[test]
fn plinths_network_is_made_once_with_a_gateway_and_labelled_as_plinths() {
    let client = client();
    let name = Named::new("made");
    let made = ensure(&client, &name.0).unwrap();
    assert_eq!(made.name, name.0);
    let found = ensure(&client, &name.0).unwrap();
    assert_eq!(found, made, "found again, not made twice");
    let inspected = docker(&[
        "network",
        "inspect",
        &name.0,
        "--format",
        "{{.Driver}} {{json .Labels}} {{json .Options}} {{range .IPAM.Config}}{{.Gateway}}{{end}}",
    ]);
    assert!(inspected.starts_with("bridge "), "{inspected}");
    assert!(inspected.contains("\"plinth.network\""), "{inspected}");
    assert!(
        inspected.contains("\"com.docker.network.bridge.enable_icc\":\"false\""),
        "{inspected}"
    );
    assert!(
        inspected.ends_with(&made.gateway.to_string()),
        "{inspected} vs {}",
        made.gateway
    );
    let count = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("name=^{}$", name.0),
    ]);
    assert_eq!(count.lines().count(), 1, "{count}");
}

#[test]
fn a_network_plinth_did_not_make_is_refused_with_the_fix() {
    let client = client();
    let name = Named::new("foreign");
    docker(&["network", "create", &name.0]);
    let err = ensure(&client, &name.0).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, NetworkError::NotOurs { .. }), "{text}");
    assert!(
        text.contains(&format!("docker network rm {}", name.0)),
        "{text}"
    );
    assert!(text.contains("PLINTH_DOCKER_NETWORK"), "{text}");
}

#[test]
fn a_removed_network_is_made_again_and_a_stopped_container_goes_back_on_it() {
    let client = client();
    let name = Named::new("again");
    let first = ensure(&client, &name.0).unwrap();
    let id = container(&client, &name.0, "sleep infinity");
    docker(&["stop", "-t", "0", &id]);
    docker(&["network", "rm", &name.0]);
    let second = ensure(&client, &name.0).unwrap();
    assert_ne!(second.id, first.id, "a new network");
    // Docker alone refuses: the container names the old network's id.
    let refused = Command::new("docker")
        .args(["start", &id])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "{refused:?}");
    let (c, i, n) = (client.clone(), id.clone(), second.clone());
    block_on_docker(async move { network::reattach(&c, &i, &n).await }).unwrap();
    docker(&["start", &id]);
    let (c, i, n) = (client.clone(), id.clone(), name.0.clone());
    let gateway =
        block_on_docker(async move { network::container_gateway(&c, &i, &n).await }).unwrap();
    assert_eq!(gateway, Some(second.gateway));
    remove(&client, &id);
}

#[test]
fn containers_on_it_reach_the_gateway_but_not_each_other() {
    let client = client();
    let name = Named::new("icc");
    let made = ensure(&client, &name.0).unwrap();
    let listener = std::net::TcpListener::bind(SocketAddr::new(made.gateway, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    // Another task's container, listening.
    let other = container(
        &client,
        &name.0,
        "perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, \
         ReuseAddr => 1) or die; while ($c = $s->accept) { close $c }'",
    );
    let ip = docker(&[
        "inspect",
        "--format",
        &format!(
            "{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}",
            name.0
        ),
        &other,
    ]);
    assert!(ip.parse::<IpAddr>().is_ok(), "{ip}");
    // The listener is up: from its own container it answers (perl takes a moment).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !Command::new("docker")
        .args([
            "exec",
            &other,
            "timeout",
            "3",
            "bash",
            "-c",
            "exec 3<>/dev/tcp/127.0.0.1/8080",
        ])
        .status()
        .unwrap()
        .success()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the other container listens"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        connects(&name.0, &made.gateway.to_string(), port),
        "the gateway (plinth) is reachable"
    );
    assert!(
        !connects(&name.0, &ip, 8080),
        "another task's container is not"
    );
    remove(&client, &other);
}
