//! Where sandboxes reach plinth: loopback for local mode, and the Docker bridge's gateway
//! for containers, on one port that plinth keeps across restarts (in
//! `$PLINTH_HOME/sandbox-port`), so an agent still running from before a restart finds the
//! new server where the old one was.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use plinth_actors::environments::DockerClient;
use plinth_actors::tasks::SandboxEndpoints;
use tokio::net::TcpListener;

const PORT_FILE: &str = "sandbox-port";
/// How long asking Docker for its bridge may take before containers go without.
const DOCKER_WAIT: Duration = Duration::from_secs(3);

pub struct SandboxListeners {
    pub listeners: Vec<TcpListener>,
    pub endpoints: SandboxEndpoints,
}

/// Binds the sandbox listeners. Failing to listen where containers can reach plinth is
/// not fatal (Docker may be down): Docker tasks then run without hooks or the model proxy,
/// and the reason is logged.
pub async fn bind(home: &Path, docker_socket: &str) -> std::io::Result<SandboxListeners> {
    let port_file = home.join(PORT_FILE);
    let saved: u16 = std::fs::read_to_string(&port_file)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let local = match TcpListener::bind(SocketAddr::new(loopback, saved)).await {
        Ok(listener) => listener,
        // Taken by something else since: any free port, saved for next time.
        Err(_) => TcpListener::bind(SocketAddr::new(loopback, 0)).await?,
    };
    let port = local.local_addr()?.port();
    if port != saved {
        let _ = std::fs::write(&port_file, port.to_string());
    }
    let mut endpoints = SandboxEndpoints {
        local: Some(format!("http://127.0.0.1:{port}")),
        docker: None,
    };
    let mut listeners = vec![local];
    match docker_gateway(docker_socket).await {
        Ok(gateway) => match TcpListener::bind(SocketAddr::new(gateway, port)).await {
            Ok(listener) => {
                endpoints.docker = Some(format!("http://{gateway}:{port}"));
                listeners.push(listener);
            }
            Err(err) => tracing::warn!(
                %err, %gateway, port,
                "cannot listen on the Docker bridge: Docker tasks run without hooks or the model proxy"
            ),
        },
        Err(reason) => tracing::info!(
            %reason,
            "no Docker bridge to listen on: Docker tasks run without hooks or the model proxy"
        ),
    }
    Ok(SandboxListeners {
        listeners,
        endpoints,
    })
}

/// The gateway of Docker's default bridge: the host as containers see it.
async fn docker_gateway(socket: &str) -> Result<IpAddr, String> {
    let ask = async {
        let client = DockerClient::connect_to(socket)
            .await
            .map_err(|e| e.to_string())?;
        let network = client
            .api()
            .inspect_network("bridge", None)
            .await
            .map_err(|e| format!("inspecting Docker's bridge network: {e}"))?;
        network
            .ipam
            .and_then(|ipam| ipam.config)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| c.gateway)
            .find_map(|g| g.parse::<IpAddr>().ok())
            .ok_or_else(|| "Docker's bridge network has no gateway".to_string())
    };
    tokio::time::timeout(DOCKER_WAIT, ask)
        .await
        .map_err(|_| "Docker did not answer".to_string())?
}
