//! What callers hold of a running supervisor: `SupervisorRef` sends it commands (start or
//! terminate a child) and waits for its answer.

use tokio::sync::{mpsc, oneshot};

use crate::limits::SUPERVISOR_COMMAND_WAIT;
use crate::spec::ChildSpec;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    #[error("supervisor `{supervisor}` is not running")]
    NotRunning { supervisor: String },
    #[error("supervisor `{supervisor}` already has a child named `{child}`")]
    Duplicate { supervisor: String, child: String },
    #[error("supervisor `{supervisor}` has no child named `{child}`")]
    NoSuchChild { supervisor: String, child: String },
}

pub(crate) enum Command {
    Start(ChildSpec, oneshot::Sender<Result<u64, SupervisorError>>),
    Terminate(String, oneshot::Sender<Result<(), SupervisorError>>),
}

/// Adds and removes children of a running supervisor (tasks come and go this way).
#[derive(Clone)]
pub struct SupervisorRef {
    pub(super) name: String,
    pub(super) commands: mpsc::UnboundedSender<Command>,
}

impl SupervisorRef {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Starts `spec` as a new child; returns its registry id.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<u64, SupervisorError> {
        self.ask(|reply| Command::Start(spec, reply)).await?
    }

    /// Stops the child named `name` and forgets it (it leaves the registry).
    pub async fn terminate_child(&self, name: &str) -> Result<(), SupervisorError> {
        self.ask(|reply| Command::Terminate(name.to_string(), reply))
            .await?
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, SupervisorError> {
        let not_running = || SupervisorError::NotRunning {
            supervisor: self.name.clone(),
        };
        let (tx, rx) = oneshot::channel();
        self.commands.send(command(tx)).map_err(|_| not_running())?;
        match tokio::time::timeout(SUPERVISOR_COMMAND_WAIT, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            _ => Err(not_running()),
        }
    }
}
