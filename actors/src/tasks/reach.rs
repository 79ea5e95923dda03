//! A Docker task's agent starts only with its hook endpoint and model proxy in reach: plinth
//! listens on the gateway of the network the task's container is on, then proves from inside
//! the container that it gets an answer there. When either fails the task fails at once,
//! saying why and what to do, instead of an agent that shows "Not logged in" while the task
//! says `starting` for ever.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use plinth_wasm::wit::ExecRequest;

use super::endpoints::SandboxEndpoints;
use super::state::TaskServiceDeps;
use crate::environments::{Environment, SandboxGateway};
use crate::limits::REACH_PROBE_SECONDS;

/// The path on the sandbox listener that answers anyone, so a probe needs no token.
pub const HEALTH_PATH: &str = "/health";

/// Exit status of `PROBE_SCRIPT` when the image has no tool to probe with.
pub const CANNOT_PROBE: i32 = 97;

/// Asks `$1` (a URL) for an answer with whatever the image has: curl, wget, or bash's
/// `/dev/tcp` (host `$2`, port `$3`), which every Debian image has.
const PROBE_SCRIPT: &str = r#"if command -v curl >/dev/null 2>&1; then exec curl -fsS -o /dev/null --max-time "$4" "$1"; fi
if command -v wget >/dev/null 2>&1; then exec wget -q -T "$4" -O /dev/null "$1"; fi
if command -v bash >/dev/null 2>&1; then exec timeout "$4" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$2" "$3"; fi
echo "no curl, wget or bash in the image to try with" >&2; exit 97"#;

#[derive(Debug, thiserror::Error)]
pub enum ReachError {
    #[error(
        "this plinth server cannot listen for containers, so Docker tasks would run without \
         their hooks and model proxy"
    )]
    NoListener,
    #[error("cannot find where the task's container reaches plinth: {0}")]
    Gateway(String),
    #[error(
        "the task's container is on no Docker network with a gateway, so it cannot reach \
         plinth's hooks and model proxy; remove its container and start the task anew"
    )]
    NoGateway,
    #[error(
        "plinth cannot listen on {gateway}, the gateway of its Docker network, for the task's \
         hooks and model proxy: {source}. plinth must run on the machine (and in the network \
         namespace) of the Docker daemon it uses: a daemon on another machine, or rootless \
         Docker, is not supported yet"
    )]
    Listen {
        gateway: IpAddr,
        source: std::io::Error,
    },
    #[error(
        "the task's container cannot reach plinth at {url} (its hooks and model proxy): \
         {detail}. A firewall on this machine probably drops connections from Docker's \
         networks: allow TCP port {port} from them, e.g. \
         `iptables -I INPUT -i br-+ -p tcp --dport {port} -j ACCEPT` (or `ufw allow in on \
         <the network's br- interface> to any port {port} proto tcp`); `plinth doctor` \
         checks it"
    )]
    Unreachable {
        url: String,
        port: u16,
        detail: String,
    },
}

/// The command that probes `base` (a sandbox listener's `http://ip:port`) from inside a
/// container; exits 0 when it answers, [`CANNOT_PROBE`] when nothing in the image can ask.
pub fn probe_command(base: &str) -> Vec<String> {
    let (host, port) = host_port(base);
    [
        "sh",
        "-c",
        PROBE_SCRIPT,
        "plinth-probe",
        &format!("{base}{HEALTH_PATH}"),
        &host,
        &port.to_string(),
        &REACH_PROBE_SECONDS.to_string(),
    ]
    .map(String::from)
    .to_vec()
}

fn host_port(base: &str) -> (String, u16) {
    let authority = base.trim_start_matches("http://");
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "80"));
    (
        host.trim_matches(['[', ']']).to_string(),
        port.parse().unwrap_or(80),
    )
}

/// Where the Docker task's agent reaches plinth, once plinth listens there and the
/// container has been seen to get an answer.
pub(super) async fn docker_endpoints(
    deps: &TaskServiceDeps,
    task: &str,
    environment: &Environment,
) -> Result<SandboxEndpoints, ReachError> {
    let listener = deps.gateways.clone().ok_or(ReachError::NoListener)?;
    let gateway = deps
        .environments
        .send(SandboxGateway {
            task: task.to_string(),
        })
        .await
        .map_err(|e| ReachError::Gateway(e.to_string()))?
        .map_err(|e| ReachError::Gateway(e.to_string()))?
        .ok_or(ReachError::NoGateway)?;
    let base = listener
        .listen_on(gateway)
        .map_err(|source| ReachError::Listen { gateway, source })?;
    probe(environment, &base).await?;
    Ok(SandboxEndpoints {
        local: None,
        docker: Some(base),
    })
}

async fn probe(environment: &Environment, base: &str) -> Result<(), ReachError> {
    let sandbox = Arc::clone(&environment.sandbox).environment();
    let request = ExecRequest {
        command: probe_command(base),
        workdir: None,
        env: Vec::new(),
        stdin: None,
        timeout_ms: (REACH_PROBE_SECONDS + 5) * 1000,
    };
    let unreachable = |detail: String| ReachError::Unreachable {
        url: base.to_string(),
        port: host_port(base).1,
        detail,
    };
    let ran = tokio::time::timeout(
        Duration::from_secs(u64::from(REACH_PROBE_SECONDS) + 10),
        tokio::task::spawn_blocking(move || sandbox.exec(request)),
    )
    .await
    .map_err(|_| unreachable("the probe in the container did not end".into()))?
    .map_err(|e| unreachable(format!("the probe failed to run: {e}")))?
    .map_err(|e| unreachable(format!("the probe failed to run: {e}")))?;
    match ran.exit_code {
        0 => Ok(()),
        CANNOT_PROBE => {
            // No evidence either way: the agent starts, and its own failure will tell.
            tracing::warn!(%base, "cannot check that the container reaches plinth");
            Ok(())
        }
        code => {
            let stderr = String::from_utf8_lossy(&ran.stderr).trim().to_string();
            Err(unreachable(if stderr.is_empty() {
                format!("the probe exited with {code}")
            } else {
                stderr
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_asks_the_health_path_of_the_gateway_and_port() {
        let command = probe_command("http://172.18.0.1:7434");
        assert_eq!(command[4], "http://172.18.0.1:7434/health");
        assert_eq!(command[5], "172.18.0.1");
        assert_eq!(command[6], "7434");
    }

    #[test]
    fn an_unreachable_listener_says_how_to_open_the_firewall() {
        let err = ReachError::Unreachable {
            url: "http://172.18.0.1:7434".into(),
            port: 7434,
            detail: "Connection timed out".into(),
        };
        let text = err.to_string();
        assert!(text.contains("http://172.18.0.1:7434"), "{text}");
        assert!(text.contains("--dport 7434 -j ACCEPT"), "{text}");
        assert!(text.contains("plinth doctor"), "{text}");
    }
}
