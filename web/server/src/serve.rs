//! The server's whole life: take the home, open the store, start the actor tree, listen,
//! publish `server.json`, and on SIGINT/SIGTERM (or a root supervisor that gave up) stop it
//! all in a bounded time with the store flushed.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::serve::ListenerExt;
use plinth_actors::agents::AgentCatalog;
use plinth_actors::config::Config;
use plinth_actors::projects::{Project, RegisterProject};
use plinth_actors::spend::{PriceTable, SpendBook};
use plinth_actors::tasks::TaskKeys;
use plinth_kernel::{Exit, Kernel, KernelConfig};
use plinth_store::{Store, StoreError};
use plinth_wasm::{HostConfig, WasmHost};
use tokio_util::sync::CancellationToken;

use crate::app_state::AppState;
use crate::guard::Guard;
use crate::home::Home;
use crate::home_lock::HomeLock;
use crate::limits::SHUTDOWN_BUDGET;
use crate::llm_proxy::{Credentials, Provider, ProxyConfig, Timeouts, Upstream};
use crate::server_file::ServerFile;
use crate::token::AccessToken;
use crate::{routes, sandbox_api, tree};

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub home: Home,
    pub bind: IpAddr,
    pub port: u16,
    /// Another name this server answers to (`Host`/`Origin`), e.g. behind a tunnel.
    pub public_name: Option<String>,
    /// A repository to register as a project before serving.
    pub register: Option<PathBuf>,
    /// The loaded `config.toml` with its `PLINTH_*` overrides.
    pub config: Config,
}

/// What the caller shows the user once the server listens.
pub struct Ready<'a> {
    pub server: &'a ServerFile,
    pub project: Option<&'a Project>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot use {path}: {source}")]
    Home {
        path: String,
        source: std::io::Error,
    },
    #[error("another plinth server already uses {home}{}", .url.as_ref().map(|u| format!(" ({u})")).unwrap_or_default())]
    AlreadyRunning { home: String, url: Option<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the actor runtime failed to start: {0}")]
    Kernel(String),
    #[error("{0}")]
    Project(String),
    #[error("{0} (fix it, or unset llm.prices_file to use plinth's own prices)")]
    Prices(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// How the server stopped.
#[derive(Debug, PartialEq)]
pub enum Stopped {
    /// SIGINT or SIGTERM.
    Signal,
    /// The root supervisor gave up (a child past its restart intensity).
    RootFailed(String),
}

pub async fn serve(
    options: ServeOptions,
    on_ready: impl FnOnce(Ready<'_>),
) -> Result<Stopped, ServeError> {
    let started = Instant::now();
    let home = options.home.clone();
    let home_error = |source| ServeError::Home {
        path: home.root().display().to_string(),
        source,
    };
    home.ensure().map_err(home_error)?;
    let _lock = HomeLock::try_acquire(&home)
        .map_err(home_error)?
        .ok_or_else(|| ServeError::AlreadyRunning {
            home: home.root().display().to_string(),
            url: ServerFile::find(&home).ok().map(|f| f.url),
        })?;
    let token = AccessToken::load_or_create(&home).map_err(home_error)?;
    let store = Store::open(&home.database())?;

    let kernel =
        Kernel::start(KernelConfig::default()).map_err(|e| ServeError::Kernel(e.to_string()))?;
    let registry = kernel.registry();
    let wasm = WasmHost::new(HostConfig {
        cache_dir: Some(home.wasm_cache_dir()),
        memory_limit: options.config.adapters.memory_limit_bytes(),
        call_deadline: options.config.adapters.call_deadline(),
        ..HostConfig::default()
    })
    .map_err(|e| ServeError::Kernel(format!("the WebAssembly host: {e}")))?;
    let catalog = AgentCatalog::new(store.clone(), home.agents_dir(), wasm);
    // Before the tree: tasks resumed at start already need to know where their sandboxes
    // reach plinth.
    let sandbox = sandbox_api::listener::bind(home.root())
        .await
        .map_err(|source| ServeError::Home {
            path: home.root().display().to_string(),
            source,
        })?;
    let keys = TaskKeys::new(token.token().as_bytes().to_vec());
    let prices = match &options.config.llm.prices_file {
        Some(path) => {
            PriceTable::with_overrides(path).map_err(|e| ServeError::Prices(e.to_string()))?
        }
        None => PriceTable::built_in(),
    };
    let spend = SpendBook::new(store.clone(), prices);
    let tree = tree::build(
        &store,
        &registry,
        &home,
        &options.config,
        catalog.clone(),
        tree::SharedWithSandboxes {
            keys: keys.clone(),
            spend: spend.clone(),
        },
        &sandbox,
    );
    kernel
        .start_root(tree.spec)
        .await
        .map_err(|e| ServeError::Kernel(e.to_string()))?;

    let project = match &options.register {
        Some(path) => Some(
            tree.projects
                .send(RegisterProject { path: path.clone() })
                .await
                .map_err(|e| ServeError::Project(e.to_string()))?
                .map_err(|e| ServeError::Project(e.to_string()))?,
        ),
        None => None,
    };

    let addr = SocketAddr::new(options.bind, options.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let guard = Arc::new(Guard::new(
        token.clone(),
        allowed_hosts(local, options.public_name.as_deref()),
        local.port(),
    ));
    let shutdown = CancellationToken::new();
    let ttyd = options.config.terminal.ttyd.clone().map(|binary| {
        Arc::new(crate::ttyd_pool::TtydPool::new(
            binary,
            home.root().join("run"),
        ))
    });
    let state = AppState {
        store: store.clone(),
        registry,
        projects: tree.projects,
        environments: tree.environments,
        tasks: tree.tasks,
        spend: spend.clone(),
        agents: catalog,
        config: Arc::new(options.config.clone()),
        guard,
        started,
        shutdown: shutdown.clone(),
        terminals: routes::terminal_slots(),
        ttyd: ttyd.clone(),
    };
    // Installed before the server file says the server is up: a SIGTERM sent as soon as a
    // client sees that file must stop the server cleanly, not by the signal's default.
    let stop_signal = stop_signal();
    let server_file = ServerFile {
        url: format!("http://{}", url_host(local)),
        token: token.token().to_string(),
        pid: std::process::id(),
    };
    server_file.write(&home).map_err(home_error)?;
    tracing::info!(url = %server_file.url, elapsed_ms = started.elapsed().as_millis() as u64, "plinth is listening");
    on_ready(Ready {
        server: &server_file,
        project: project.as_ref(),
    });

    let stop_reason = {
        let kernel = kernel.clone();
        let shutdown = shutdown.clone();
        async move {
            let reason = tokio::select! {
                _ = stop_signal => Stopped::Signal,
                exit = kernel.root_exited() => Stopped::RootFailed(match exit {
                    Exit::Failed(reason) => reason,
                    other => format!("the root supervisor stopped ({other:?})"),
                }),
            };
            shutdown.cancel();
            reason
        }
    };
    let terminals = Arc::clone(&state.terminals);
    // The user's credentials stay in this process: only the upstream request carries them.
    let proxy = proxy_config(&options.config.llm);
    let sandbox_app = sandbox_api::router(
        sandbox_api::SandboxState {
            tasks: state.tasks.clone(),
            keys,
            spend,
        },
        store.clone(),
        proxy,
    );
    let serve_sandbox = {
        let stop = shutdown.clone();
        move |listener: tokio::net::TcpListener| {
            let app = sandbox_app.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                // Streamed model replies go out chunk by chunk: no Nagle delay on them.
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await;
                if let Err(err) = served {
                    tracing::error!(%err, "the sandbox listener failed");
                }
            });
        }
    };
    for listener in sandbox.listeners {
        serve_sandbox(listener);
    }
    // Gateways of Docker networks, bound as Docker tasks start.
    let mut later = sandbox.later;
    tokio::spawn(async move {
        while let Some(listener) = later.recv().await {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => serve_sandbox(listener),
                Err(err) => tracing::error!(%err, "cannot serve a sandbox listener"),
            }
        }
    });
    let app = routes::router(state);
    let (reason_tx, reason_rx) = tokio::sync::oneshot::channel();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = reason_tx.send(stop_reason.await);
    });
    // A graceful stop still waits for open connections; past half the budget, drop them.
    let served = async {
        let mut server = std::pin::pin!(server.into_future());
        tokio::select! {
            result = &mut server => result,
            _ = async {
                shutdown.cancelled().await;
                tokio::time::sleep(SHUTDOWN_BUDGET / 2).await;
            } => Ok(()),
        }
    };
    if let Err(err) = served.await {
        tracing::error!(%err, "the HTTP server failed");
    }
    let reason = reason_rx.await.unwrap_or(Stopped::Signal);
    let stop_started = Instant::now();
    // Open terminals saw the shutdown too and are ending their tmux clients meanwhile.
    tokio::join!(
        kernel.shutdown(SHUTDOWN_BUDGET / 4),
        routes::terminals_closed(&terminals, SHUTDOWN_BUDGET / 2),
        async {
            if let Some(ttyd) = &ttyd {
                ttyd.stop_all().await;
            }
        },
    );
    if let Err(err) = store.close().await {
        tracing::error!(%err, "flushing the store failed");
    }
    ServerFile::remove_if_ours(&home);
    tracing::info!(
        ?reason,
        stop_ms = stop_started.elapsed().as_millis() as u64,
        "plinth stopped"
    );
    Ok(reason)
}

/// Waits for SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    );
    async move {
        let (Ok(mut int), Ok(mut term)) = handlers else {
            // Without signal handlers the process can still be stopped by default actions.
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
}

fn url_host(addr: SocketAddr) -> String {
    match addr.ip() {
        ip if ip.is_unspecified() => format!("127.0.0.1:{}", addr.port()),
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}

fn allowed_hosts(addr: SocketAddr, public_name: Option<&str>) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
        hosts.push(url_host(addr));
    }
    if let Some(name) = public_name {
        hosts.push(name.to_string());
        if !name.contains(':') {
            hosts.push(format!("{name}:{port}"));
        }
    }
    hosts
}

/// The model proxy's upstreams from the config, each with the user's credentials for it
/// from plinth's environment: they stay in this process, only upstream requests carry
/// them.
fn proxy_config(llm: &plinth_actors::config::LlmConfig) -> ProxyConfig {
    let env = |name: &str| std::env::var(name).ok();
    let upstream =
        |url: &str, provider| Upstream::new(url, Credentials::for_provider(provider, env));
    ProxyConfig {
        anthropic: upstream(&llm.upstream, Provider::Anthropic),
        openai: upstream(&llm.openai_upstream, Provider::OpenAi),
        gemini: upstream(&llm.gemini_upstream, Provider::Google),
        timeouts: Timeouts::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_the_public_name_are_allowed() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let hosts = allowed_hosts(addr, Some("box.example"));
        for h in [
            "127.0.0.1:4000",
            "localhost:4000",
            "[::1]:4000",
            "box.example",
            "box.example:4000",
        ] {
            assert!(hosts.contains(&h.to_string()), "{h}");
        }
        assert!(!hosts.iter().any(|h| h.starts_with("0.0.0.0")));
    }

    #[test]
    fn unspecified_bind_prints_a_loopback_url() {
        assert_eq!(url_host("0.0.0.0:5".parse().unwrap()), "127.0.0.1:5");
    }
}
