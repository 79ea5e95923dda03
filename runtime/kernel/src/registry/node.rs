//! What the registry holds under an id: an actor's `Entry`, or a probe for something that is
//! not an actor, read only when inspected.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::entry::Entry;
use super::info::{ActorInfo, ActorState, millis_since_epoch};

/// What a probe reports for something that is not an actor but belongs in the inspector
/// (the store's writer thread).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeReading {
    pub state: ActorState,
    pub mailbox: u64,
    pub handled: u64,
    pub last_error: Option<String>,
}

pub(super) type Probe = Box<dyn Fn() -> ProbeReading + Send + Sync>;

pub(super) enum Node {
    Actor(Arc<Entry>),
    Probe {
        name: String,
        kind: String,
        parent: Option<u64>,
        registered: (SystemTime, Instant),
        read: Probe,
    },
}

impl Node {
    pub(super) fn name(&self) -> &str {
        match self {
            Node::Actor(e) => &e.name,
            Node::Probe { name, .. } => name,
        }
    }

    pub(super) fn info(&self, id: u64) -> ActorInfo {
        match self {
            Node::Actor(e) => e.info(),
            Node::Probe {
                name,
                kind,
                parent,
                registered,
                read,
            } => {
                let reading = read();
                ActorInfo {
                    id,
                    name: name.clone(),
                    kind: kind.clone(),
                    parent: *parent,
                    state: reading.state,
                    mailbox: reading.mailbox,
                    handled: reading.handled,
                    restarts: 0,
                    last_error: reading.last_error,
                    started_at: millis_since_epoch(registered.0),
                    uptime_ms: registered.1.elapsed().as_millis() as u64,
                    in_flight: None,
                    restart_limit: None,
                }
            }
        }
    }
}
