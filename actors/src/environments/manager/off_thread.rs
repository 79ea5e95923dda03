//! Blocking work of the handlers (Docker calls on the Docker runtime, git, the file
//! system) runs off the actor's thread.

use super::protocol::EnvironmentError;

/// Runs `work` on a thread of its own, where it may block on the Docker runtime
/// ([`block_on_docker`](crate::environments::docker::exec::block_on_docker)).
pub(super) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EnvironmentError> + Send + 'static,
) -> Result<T, EnvironmentError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| EnvironmentError::Join(e.to_string()))?
}
