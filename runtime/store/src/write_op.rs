//! What callers ask of the writer thread, each with the channel its answer goes back on.
//! Payloads arrive already encoded as JSON text: encoding on the caller's task spreads that
//! work across threads instead of piling it on the single writer.

use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::event::{Event, NewEvent};
use crate::scrollback::ScrollbackWrite;

pub(crate) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// An event on its way into the log, its data encoded once for the database and kept as a
/// value for the copy handed back and published.
pub(crate) struct PendingEvent {
    pub kind: String,
    pub task: Option<String>,
    pub data: serde_json::Value,
    pub json: String,
}

impl PendingEvent {
    pub(crate) fn encode(event: NewEvent) -> Result<Self, StoreError> {
        let json = serde_json::to_string(&event.data).map_err(|source| StoreError::Encode {
            what: format!("the data of a {:?} event", event.kind),
            source,
        })?;
        Ok(PendingEvent {
            kind: event.kind,
            task: event.task,
            data: event.data,
            json,
        })
    }

    pub(crate) fn committed(self, seq: u64, at: chrono::DateTime<chrono::Utc>) -> Event {
        Event {
            seq,
            kind: self.kind,
            task: self.task,
            at,
            data: self.data,
        }
    }
}

/// A state row to insert or replace.
pub(crate) struct StateWrite {
    pub key: String,
    pub kind: &'static str,
    pub version: u32,
    pub json: String,
}

pub(crate) enum WriteOp {
    /// Events, and with them (written first, in the same transaction) a state row: a
    /// record and the events that tell of its change are committed together or not at all.
    Append {
        state: Option<StateWrite>,
        events: Vec<PendingEvent>,
        reply: Reply<Vec<Event>>,
    },
    PutState {
        write: StateWrite,
        reply: Reply<()>,
    },
    DeleteState {
        key: String,
        reply: Reply<bool>,
    },
    SetCursor {
        name: String,
        seq: u64,
        reply: Reply<()>,
    },
    /// Answers whether the row changed (an identical text leaves it untouched).
    PutScrollback {
        write: ScrollbackWrite,
        reply: Reply<bool>,
    },
}

impl WriteOp {
    /// How many rows this op writes, for the queue and throughput counters.
    pub(crate) fn items(&self) -> u64 {
        match self {
            WriteOp::Append { state, events, .. } => events.len() as u64 + state.is_some() as u64,
            _ => 1,
        }
    }

    /// Answers the caller with `error`. A caller that stopped waiting is not an error.
    pub(crate) fn fail(self, error: impl Fn() -> StoreError) {
        match self {
            WriteOp::Append { reply, .. } => drop(reply.send(Err(error()))),
            WriteOp::PutState { reply, .. } | WriteOp::SetCursor { reply, .. } => {
                drop(reply.send(Err(error())))
            }
            WriteOp::DeleteState { reply, .. } | WriteOp::PutScrollback { reply, .. } => {
                drop(reply.send(Err(error())))
            }
        }
    }
}

/// The writer's mailbox carries writes and, once, the request to stop.
pub(crate) enum Command {
    Write(WriteOp),
    Close,
}
