//! plinth's own Docker network: a user-defined bridge that every task container is attached
//! to (and to nothing else), made when it is missing and labelled as plinth's.
//!
//! Why not Docker's default `bridge`: on a daemon's very first start Debian's docker.io
//! reports it with no gateway, and a daemon started with `--bridge=none` has none at all,
//! so plinth could not tell where containers reach it. A user-defined network always
//! reports its gateway, gives containers DNS, and keeps task containers apart from the
//! other containers on the machine. Inter-container traffic on it is off
//! (`enable_icc=false`): tasks cannot reach each other, while the gateway, where plinth's
//! sandbox listener is, stays reachable (that traffic goes to the host, not across the
//! bridge). A daemon run with `--iptables=false` does not enforce that option.
//!
//! The network is looked up (and made again if someone removed it) each time a container
//! is made or started, not once at start-up: Docker may come up after plinth, or be reset
//! under it.

use std::collections::HashMap;
use std::net::IpAddr;

use bollard::models::{
    Network, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest,
};
use bollard::query_parameters::ListNetworksOptionsBuilder;

use super::client::DockerClient;
use crate::limits::NETWORK_LOCK_WAIT;
use crate::limits::POLL;

/// The network's name unless `docker.network` says otherwise.
pub const DEFAULT_NETWORK: &str = "plinth";
/// On the networks plinth made; a network of the configured name without it is not used.
pub const LABEL_NETWORK: &str = "plinth.network";
const ICC_OPTION: &str = "com.docker.network.bridge.enable_icc";
/// Docker's own networks: none of them is plinth's to configure.
const PREDEFINED: [&str; 3] = ["bridge", "host", "none"];

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error(
        "the Docker network {name:?} was not made by plinth (it has no `{LABEL_NETWORK}` label): \
         remove it (`docker network rm {name}`) or set docker.network (PLINTH_DOCKER_NETWORK) \
         to a name plinth may own"
    )]
    NotOurs { name: String },
    #[error(
        "the Docker network {name:?} reports no gateway, so containers on it cannot reach \
         plinth: remove it (`docker network rm {name}`) and plinth makes it again"
    )]
    NoGateway { name: String },
    #[error(
        "there are {} Docker networks called {name:?}, with containers on each, so none \
         can be used: remove all but one (`docker network rm ID`; ids: {})",
        ids.len(),
        ids.join(", ")
    )]
    Ambiguous { name: String, ids: Vec<String> },
    #[error("the Docker network {name:?}: {source}")]
    Docker {
        name: String,
        #[source]
        source: bollard::errors::Error,
    },
}

/// plinth's network as Docker has it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskNetwork {
    pub name: String,
    pub id: String,
    /// The host's address on the network: where containers on it reach plinth.
    pub gateway: IpAddr,
}

impl TaskNetwork {
    /// The Linux bridge behind the network, as Docker names it (`br-` and the id's first 12
    /// characters): what a firewall rule names.
    pub fn bridge_interface(&self) -> String {
        format!("br-{}", self.id.chars().take(12).collect::<String>())
    }
}

/// Checks `name` as a network name plinth may own (the `docker.network` setting).
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !valid {
        return Err(format!(
            "{name:?} is not a Docker network name: use letters, digits, '_', '.' and '-', \
             starting with a letter or digit"
        ));
    }
    if PREDEFINED.contains(&name) {
        return Err(format!(
            "{name:?} is one of Docker's own networks: plinth needs a network of its own \
             (the default is {DEFAULT_NETWORK:?})"
        ));
    }
    Ok(())
}

/// plinth's network `name`, made when it is missing.
///
/// Docker (before API 1.44) makes a second network of a name that exists when two ask at
/// once, and a container on a name two networks share cannot start. So plinths on one
/// machine take turns (`MakerLock`), and a second network left by a plinth from before
/// that is removed when nothing is on it.
pub async fn ensure(client: &DockerClient, name: &str) -> Result<TaskNetwork, NetworkError> {
    let _turn = MakerLock::take(name).await;
    if let Some(found) = find(client, name).await? {
        return describe(name, found);
    }
    let failed = |source| NetworkError::Docker {
        name: name.to_string(),
        source,
    };
    let request = NetworkCreateRequest {
        name: name.to_string(),
        driver: Some("bridge".into()),
        options: Some(HashMap::from([(
            ICC_OPTION.to_string(),
            "false".to_string(),
        )])),
        labels: Some(HashMap::from([
            (LABEL_NETWORK.to_string(), "1".to_string()),
            (
                "plinth.version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
        ])),
        ..Default::default()
    };
    let created = client.api().create_network(request).await.map_err(failed)?;
    // Daemons before API 1.44 make a second network of the same name when asked (with a
    // warning): another plinth got there first, so ours goes and theirs is used.
    if !created.warning.is_empty() {
        let _ = client.api().remove_network(&created.id).await;
    }
    let found = find(client, name)
        .await?
        .ok_or_else(|| NetworkError::Docker {
            name: name.to_string(),
            source: bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message: "the network was made but cannot be found".into(),
            },
        })?;
    describe(name, found)
}

/// The network called exactly `name`. Where two have that name, those with no container on
/// them go (the one with containers, else the lowest id, stays); when that leaves two, the
/// user is told which to remove.
async fn find(client: &DockerClient, name: &str) -> Result<Option<Network>, NetworkError> {
    let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
    let options = ListNetworksOptionsBuilder::new().filters(&filters).build();
    let mut found: Vec<Network> = client
        .api()
        .list_networks(Some(options))
        .await
        .map_err(|source| NetworkError::Docker {
            name: name.to_string(),
            source,
        })?
        .into_iter()
        // The filter matches part of a name.
        .filter(|n| n.name.as_deref() == Some(name))
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    if found.len() > 1 {
        found = keep_one(client, found).await;
    }
    match found.len() {
        0 | 1 => Ok(found.into_iter().next()),
        _ => Err(NetworkError::Ambiguous {
            name: name.to_string(),
            ids: found.into_iter().filter_map(|n| n.id).collect(),
        }),
    }
}

/// Removes the networks among `same_name` that nothing is on, keeping one; what is left.
async fn keep_one(client: &DockerClient, same_name: Vec<Network>) -> Vec<Network> {
    let mut used = Vec::new();
    let mut unused = Vec::new();
    for network in same_name {
        let id = network.id.clone().unwrap_or_default();
        let containers = match client.api().inspect_network(&id, None).await {
            Ok(inspected) => inspected.containers.map_or(0, |c| c.len()),
            // Gone meanwhile, or unknown: leave it be.
            Err(_) => continue,
        };
        if containers > 0 {
            used.push(network);
        } else {
            unused.push(network);
        }
    }
    if used.is_empty() && !unused.is_empty() {
        used.push(unused.remove(0));
    }
    for network in unused {
        let id = network.id.clone().unwrap_or_default();
        if client.api().remove_network(&id).await.is_err() {
            used.push(network);
        }
    }
    used
}

/// Turns among the plinths of this machine at making network `name`: a file lock in the
/// temporary directory, waited for at most a few seconds (a plinth that cannot take it
/// goes on; Docker's own check then still catches most collisions).
struct MakerLock(Option<std::fs::File>);

impl MakerLock {
    async fn take(name: &str) -> MakerLock {
        let path = std::env::temp_dir().join(format!("plinth-docker-network-{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            // Another user's file: a read-only descriptor locks as well.
            .or_else(|_| std::fs::File::open(&path));
        let Ok(file) = file else {
            return MakerLock(None);
        };
        let deadline = tokio::time::Instant::now() + NETWORK_LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return MakerLock(Some(file)),
                Err(std::fs::TryLockError::WouldBlock)
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(POLL).await;
                }
                Err(_) => return MakerLock(None),
            }
        }
    }
}

impl Drop for MakerLock {
    fn drop(&mut self) {
        if let Some(file) = &self.0 {
            let _ = file.unlock();
        }
    }
}

fn describe(name: &str, network: Network) -> Result<TaskNetwork, NetworkError> {
    let ours = network
        .labels
        .as_ref()
        .is_some_and(|labels| labels.contains_key(LABEL_NETWORK));
    if !ours {
        return Err(NetworkError::NotOurs { name: name.into() });
    }
    let gateway = network
        .ipam
        .and_then(|ipam| ipam.config)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.gateway)
        .filter_map(|g| g.parse::<IpAddr>().ok())
        // Containers get IPv4 on a bridge; an IPv6 gateway comes second.
        .min_by_key(|g| g.is_ipv6())
        .ok_or_else(|| NetworkError::NoGateway { name: name.into() })?;
    Ok(TaskNetwork {
        name: name.to_string(),
        id: network.id.unwrap_or_default(),
        gateway,
    })
}

/// Where `container` reaches plinth: the gateway it has on plinth's network `network`, or,
/// for a container an older plinth put on another network (Docker's default bridge), the
/// gateway it has there. `None` when it is on no network with a gateway.
pub async fn container_gateway(
    client: &DockerClient,
    container: &str,
    network: &str,
) -> Result<Option<IpAddr>, bollard::errors::Error> {
    let inspected = client.api().inspect_container(container, None).await?;
    let mut networks: Vec<(String, String)> = inspected
        .network_settings
        .and_then(|s| s.networks)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, endpoint)| Some((name, endpoint.gateway?)))
        .filter(|(_, gateway)| !gateway.is_empty())
        .collect();
    networks.sort_by_key(|(name, _)| (name != network, name.clone()));
    Ok(networks
        .into_iter()
        .find_map(|(_, gateway)| gateway.parse().ok()))
}

/// Puts a stopped container back on plinth's network when the network it was made on is
/// gone (removed and made again while the container was stopped): Docker would refuse to
/// start it, naming a network id that no longer exists.
pub async fn reattach(
    client: &DockerClient,
    container: &str,
    network: &TaskNetwork,
) -> Result<(), bollard::errors::Error> {
    let inspected = client.api().inspect_container(container, None).await?;
    let endpoints = inspected
        .network_settings
        .and_then(|s| s.networks)
        .unwrap_or_default();
    let Some(endpoint) = endpoints.get(&network.name) else {
        return Ok(());
    };
    if endpoint
        .network_id
        .as_deref()
        .is_none_or(|id| id == network.id)
    {
        return Ok(());
    }
    // For a stopped container, disconnecting by name forgets its stale endpoint.
    client
        .api()
        .disconnect_network(
            &network.name,
            NetworkDisconnectRequest {
                container: container.to_string(),
                force: Some(true),
            },
        )
        .await?;
    // By id: two networks may share the name (see `find`).
    client
        .api()
        .connect_network(
            &network.id,
            NetworkConnectRequest {
                container: container.to_string(),
                endpoint_config: None,
            },
        )
        .await
}
