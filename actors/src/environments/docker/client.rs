//! The connection to the Docker daemon.
//!
//! bollard speaks the newest API it knows by default; Debian's `docker.io` daemon answers
//! only up to 1.41 and refuses newer paths, so every connection negotiates the version down
//! before use. A daemon that is not there is the most common failure a user meets, so it
//! gets its own error that says how to fix it.

use crate::limits::DOCKER_CONNECT_TIMEOUT;
use crate::limits::DOCKER_REQUEST_TIMEOUT_SECS;
use bollard::{API_DEFAULT_VERSION, Docker};

/// Where Docker listens when neither the caller nor `DOCKER_HOST` says otherwise.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(
        "cannot reach Docker at {address}: {reason}; start it with `dockerd` or \
         `systemctl start docker`, or use --sandbox local"
    )]
    Unreachable { address: String, reason: String },
    #[error(
        "Docker at {address} refuses this user: add it to the docker group \
         (`sudo usermod -aG docker $USER`, then log in again) or run as root, or use \
         --sandbox local"
    )]
    PermissionDenied { address: String },
    #[error(
        "unsupported Docker address {address:?}: use unix:///path/to/docker.sock or tcp://host:port"
    )]
    BadAddress { address: String },
    #[error("Docker: {0}")]
    Api(#[from] bollard::errors::Error),
}

/// A negotiated connection to one Docker daemon. Cloning is cheap: clones share the
/// connection pool.
#[derive(Clone, Debug)]
pub struct DockerClient {
    docker: Docker,
    address: String,
    api_version: String,
}

impl DockerClient {
    /// Connects to `DOCKER_HOST` if set, else to the default socket.
    pub async fn connect() -> Result<Self, DockerError> {
        let address = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_DOCKER_HOST.to_string());
        Self::connect_to(&address).await
    }

    /// Connects to `address` (`unix://…`, a bare socket path, or `tcp://…`/`http://…`) and
    /// negotiates the API version with the daemon.
    pub async fn connect_to(address: &str) -> Result<Self, DockerError> {
        let unreachable = |reason: String| DockerError::Unreachable {
            address: address.to_string(),
            reason,
        };
        let docker = if let Some(path) = address.strip_prefix("unix://") {
            Docker::connect_with_unix(path, DOCKER_REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else if address.starts_with('/') {
            Docker::connect_with_unix(address, DOCKER_REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else if address.starts_with("tcp://") || address.starts_with("http://") {
            Docker::connect_with_http(address, DOCKER_REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else {
            return Err(DockerError::BadAddress {
                address: address.to_string(),
            });
        }
        .map_err(|e| unreachable(describe(&e)))?;

        let docker = tokio::time::timeout(DOCKER_CONNECT_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| {
                unreachable(format!(
                    "no answer within {}s",
                    DOCKER_CONNECT_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| {
                if permission_denied(&e) {
                    DockerError::PermissionDenied {
                        address: address.to_string(),
                    }
                } else {
                    unreachable(describe(&e))
                }
            })?;
        let api_version = docker.client_version().to_string();
        Ok(Self {
            docker,
            address: address.to_string(),
            api_version,
        })
    }

    /// The bollard handle, for the calls this module does not wrap.
    pub fn api(&self) -> &Docker {
        &self.docker
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// The API version both sides agreed on, e.g. "1.41".
    pub fn api_version(&self) -> &str {
        &self.api_version
    }
}

/// A socket the daemon listens on but this user may not open: the daemon is up, so
/// "start it" would be the wrong advice.
fn permission_denied(error: &bollard::errors::Error) -> bool {
    // bollard's IOError is transparent: its source() skips the io::Error it holds.
    if let bollard::errors::Error::IOError { err } = error {
        return err.kind() == std::io::ErrorKind::PermissionDenied;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// bollard's own messages for a missing socket or a refused connection name neither the
/// cause nor the path in words a user acts on.
fn describe(error: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match error {
        E::SocketNotFoundError(path) => format!("no socket at {path}"),
        E::RequestTimeoutError => "the request timed out".to_string(),
        other => {
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(cause) = source {
                let line = cause.to_string();
                if !text.contains(&line) {
                    text.push_str(": ");
                    text.push_str(&line);
                }
                source = cause.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_socket_names_the_address_and_the_fix() {
        let err = DockerClient::connect_to("unix:///nonexistent/plinth/docker.sock")
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, DockerError::Unreachable { .. }), "{text}");
        assert!(
            text.starts_with("cannot reach Docker at unix:///nonexistent/plinth/docker.sock: "),
            "{text}"
        );
        assert!(
            text.contains("no socket at /nonexistent/plinth/docker.sock"),
            "{text}"
        );
        assert!(text.contains("`dockerd`"), "{text}");
        assert!(text.contains("--sandbox local"), "{text}");
    }

    #[test]
    fn a_refused_socket_is_told_apart_from_a_missing_daemon() {
        let denied = bollard::errors::Error::IOError {
            err: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(permission_denied(&denied));
        let refused = bollard::errors::Error::IOError {
            err: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert!(!permission_denied(&refused));
        let text = DockerError::PermissionDenied {
            address: DEFAULT_DOCKER_HOST.into(),
        }
        .to_string();
        assert!(text.contains("docker group"), "{text}");
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_refused() {
        let err = DockerClient::connect_to("ssh://somewhere")
            .await
            .unwrap_err();
        assert!(matches!(err, DockerError::BadAddress { .. }), "{err}");
    }
}
