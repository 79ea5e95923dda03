//! What the registry tells about an actor: its state, the restart limit it runs under, and
//! `ActorInfo`, one row of `plinth ps`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::policy::Intensity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorState {
    Starting,
    Running,
    /// Waiting out its backoff before the next incarnation.
    Restarting,
    Stopped,
    /// Failed for good: past its supervisor's intensity, or not restarted by its policy.
    Failed,
}

impl ActorState {
    pub(super) fn from_u8(v: u8) -> Self {
        match v {
            0 => ActorState::Starting,
            1 => ActorState::Running,
            2 => ActorState::Restarting,
            3 => ActorState::Stopped,
            _ => ActorState::Failed,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartLimit {
    pub max_restarts: u32,
    pub within_ms: u64,
}

impl From<Intensity> for RestartLimit {
    fn from(i: Intensity) -> Self {
        RestartLimit {
            max_restarts: i.max_restarts,
            within_ms: i.within.as_millis() as u64,
        }
    }
}

/// One row of `plinth ps`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActorInfo {
    pub id: u64,
    /// The path in the tree, e.g. `root/projects`.
    pub name: String,
    pub kind: String,
    pub parent: Option<u64>,
    pub state: ActorState,
    pub mailbox: u64,
    pub handled: u64,
    pub restarts: u64,
    pub last_error: Option<String>,
    /// When the current incarnation started, in milliseconds since the Unix epoch.
    pub started_at: u64,
    pub uptime_ms: u64,
    /// The message being handled right now, if any.
    pub in_flight: Option<String>,
    /// The supervisor's intensity that applies to this actor's restarts.
    pub restart_limit: Option<RestartLimit>,
}

pub(super) fn millis_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
