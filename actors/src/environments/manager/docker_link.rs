//! The manager's connection to Docker, shared with its handlers' work and the watcher.

use std::sync::{Arc, Mutex};

use super::protocol::EnvironmentError;
use crate::environments::docker::DockerClient;
use crate::environments::docker::exec::block_on_docker;

/// The manager's connection to Docker, shared with its handlers' work. A daemon that was
/// down is asked again on the next use, so Docker environments work once it is back
/// without restarting plinth.
#[derive(Clone)]
pub(super) struct DockerLink {
    pub(super) address: String,
    client: Arc<Mutex<Result<DockerClient, String>>>,
}

impl DockerLink {
    /// Connects to the daemon at `address`; a daemon that is down is remembered as such,
    /// not an error. Blocks: call it off any async thread.
    pub(super) fn connect(address: String) -> Self {
        let a = address.clone();
        DockerLink {
            address,
            client: Arc::new(Mutex::new(
                block_on_docker(async move { DockerClient::connect_to(&a).await })
                    .map_err(|e| e.to_string()),
            )),
        }
    }

    pub(super) fn current(&self) -> Result<DockerClient, String> {
        self.client.lock().expect("docker link poisoned").clone()
    }

    /// The client, reconnecting first if the daemon was down. Blocks: call it off the
    /// actor's thread.
    pub(super) fn get(&self) -> Result<DockerClient, EnvironmentError> {
        if let Ok(client) = self.current() {
            return Ok(client);
        }
        let address = self.address.clone();
        let fresh = block_on_docker(async move { DockerClient::connect_to(&address).await })
            .map_err(|e| e.to_string());
        *self.client.lock().expect("docker link poisoned") = fresh.clone();
        fresh.map_err(EnvironmentError::DockerDown)
    }
}
