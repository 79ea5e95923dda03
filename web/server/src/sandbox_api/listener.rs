//! Where sandboxes reach plinth: loopback for local mode, bound at start, and for
//! containers the gateway of the Docker network they are on, bound when a Docker task's
//! agent is about to start ([`Gateways`]): the network may not exist at start (Docker down,
//! or a daemon never used), and may be made again with another gateway later. All on one
//! port that plinth keeps across restarts (in `$PLINTH_HOME/sandbox-port`), so an agent
//! still running from before a restart finds the new server where the old one was.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};

use plinth_actors::tasks::{GatewayListener, SandboxEndpoints};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const PORT_FILE: &str = "sandbox-port";

pub struct SandboxListeners {
    /// Bound at start: loopback.
    pub listeners: Vec<TcpListener>,
    pub endpoints: SandboxEndpoints,
    /// Binds on gateways as Docker tasks need them.
    pub gateways: Arc<Gateways>,
    /// What [`Gateways`] binds, for the server to serve.
    pub later: mpsc::UnboundedReceiver<std::net::TcpListener>,
}

/// Binds the loopback listener, on the port of the last run when it is free.
pub async fn bind(home: &Path) -> std::io::Result<SandboxListeners> {
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
    let (tx, later) = mpsc::unbounded_channel();
    Ok(SandboxListeners {
        listeners: vec![local],
        endpoints: SandboxEndpoints {
            local: Some(format!("http://127.0.0.1:{port}")),
            docker: None,
        },
        gateways: Arc::new(Gateways {
            port,
            bound: Mutex::default(),
            serve: tx,
        }),
        later,
    })
}

/// The sandbox listener's addresses on Docker networks' gateways. One bound address stays
/// bound for the server's life: a network removed and made again with the same gateway
/// finds it still listening.
pub struct Gateways {
    port: u16,
    bound: Mutex<HashMap<IpAddr, String>>,
    serve: mpsc::UnboundedSender<std::net::TcpListener>,
}

impl GatewayListener for Gateways {
    fn listen_on(&self, gateway: IpAddr) -> std::io::Result<String> {
        let mut bound = self.bound.lock().expect("gateway listeners poisoned");
        if let Some(url) = bound.get(&gateway) {
            return Ok(url.clone());
        }
        let addr = SocketAddr::new(gateway, self.port);
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        self.serve
            .send(listener)
            .map_err(|_| std::io::Error::other("the server is stopping"))?;
        tracing::info!(%addr, "the sandbox listener listens for containers");
        let url = format!("http://{addr}");
        bound.insert(gateway, url.clone());
        Ok(url)
    }
}
