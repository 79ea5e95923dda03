//! The Docker daemon: whether it answers, and whether it has what a task asks of it.

use plinth_actors::config::Config;
use plinth_actors::environments::{DockerClient, DockerError};

use super::GIB;
use super::check::Check;

const DOCKER_FIX: &str = "start the daemon with `dockerd` (or `systemctl start docker`); on a \
     machine without Docker, `scripts/docker-setup.sh` installs and starts it. Without Docker, \
     tasks can only run with `--sandbox local`, which is unsafe: the agent runs unconfined on \
     this machine";

pub(super) async fn docker_check(docker: &Result<DockerClient, DockerError>) -> Check {
    match docker {
        Ok(client) => {
            let server = match client.api().version().await {
                Ok(version) => format!(
                    " (Docker {}, daemon API {})",
                    version.version.as_deref().unwrap_or("?"),
                    version.api_version.as_deref().unwrap_or("?")
                ),
                Err(_) => String::new(),
            };
            Check::ok(
                "docker",
                format!(
                    "reachable at {}, API {}{server}",
                    client.address(),
                    client.api_version()
                ),
            )
        }
        // The error's own text carries a shorter fix; the check's fix field has the full one.
        Err(DockerError::Unreachable { address, reason }) => Check::fail(
            "docker",
            format!("cannot reach Docker at {address}: {reason}"),
            DOCKER_FIX,
        ),
        Err(DockerError::PermissionDenied { address }) => Check::fail(
            "docker",
            format!("Docker at {address} refuses this user"),
            "add the user to the docker group (`sudo usermod -aG docker $USER`, then log in \
             again) or run as root. Without Docker, tasks can only run with `--sandbox local`, \
             which is unsafe: the agent runs unconfined on this machine",
        ),
        Err(err @ DockerError::BadAddress { .. }) => Check::fail(
            "docker",
            err.to_string(),
            "set docker.socket (or PLINTH_DOCKER_SOCKET / DOCKER_HOST) to the daemon's address, \
             e.g. unix:///var/run/docker.sock",
        ),
        Err(err) => Check::fail("docker", err.to_string(), DOCKER_FIX),
    }
}

/// The daemon refuses a container whose CPU limit exceeds the CPUs it has, so a limit set
/// on a bigger machine would fail every task here.
pub(super) async fn limits_check(docker: Option<&DockerClient>, config: &Config) -> Check {
    let Some(client) = docker else {
        return Check::warn(
            "limits",
            "not checked: Docker is not reachable",
            "see the docker check",
        );
    };
    let wanted = format!(
        "{} CPUs and {} per task",
        config.docker.cpus, config.docker.memory
    );
    let info = match client.api().info().await {
        Ok(info) => info,
        Err(err) => {
            return Check::warn(
                "limits",
                format!("{wanted}; cannot ask the daemon what it has: {err}"),
                "see the docker check",
            );
        }
    };
    let cpus = info.ncpu.unwrap_or(0);
    let memory = info.mem_total.unwrap_or(0).max(0) as u64;
    if cpus > 0 && config.docker.cpus > cpus as f64 {
        return Check::fail(
            "limits",
            format!("{wanted}, but the daemon has only {cpus} CPUs: containers will be refused"),
            format!("set docker.cpus (PLINTH_DOCKER_CPUS) to {cpus} or less"),
        );
    }
    if memory > 0 && config.docker.memory.bytes() > memory {
        return Check::warn(
            "limits",
            format!(
                "{wanted}, but the daemon's machine has {:.1} GiB in all",
                memory as f64 / GIB as f64
            ),
            "lower docker.memory (PLINTH_DOCKER_MEMORY), e.g. \"2g\"",
        );
    }
    Check::ok(
        "limits",
        format!(
            "{wanted}; the daemon has {cpus} CPUs and {:.1} GiB",
            memory as f64 / GIB as f64
        ),
    )
}
