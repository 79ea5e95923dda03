//! The task's status as this adapter tracks it. A copy of the WIT `status` enum that can be
//! saved with the rest of the state (generated types have no serde).

use serde::{Deserialize, Serialize};

use guest_support::plinth::agent::types::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    #[default]
    Starting,
    Working,
    WaitingForUser,
    Idle,
    Finished,
    Failed,
}

impl Phase {
    /// Finished and failed are final: no later signal moves the task out of them.
    pub fn is_final(self) -> bool {
        matches!(self, Phase::Finished | Phase::Failed)
    }
}

impl From<Phase> for Status {
    fn from(phase: Phase) -> Status {
        match phase {
            Phase::Starting => Status::Starting,
            Phase::Working => Status::Working,
            Phase::WaitingForUser => Status::WaitingForUser,
            Phase::Idle => Status::Idle,
            Phase::Finished => Status::Finished,
            Phase::Failed => Status::Failed,
        }
    }
}
