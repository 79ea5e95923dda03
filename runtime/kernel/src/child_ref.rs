//! A stable address for a supervised actor: it outlives the actor's incarnations, so callers
//! keep one handle while the supervisor restarts what is behind it.

use std::sync::{Arc, OnceLock};

use actix::{Addr, Message};
use tokio::sync::watch;

use crate::child::{Carrier, Child, Handle, Retire};
use crate::limits::RESTART_WAIT;
use crate::registry::Entry;
use crate::spin::{self, SpinPoll};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error(
        "actor `{actor}` is not running (it stopped, or its supervisor gave up on it; `plinth ps` shows why)"
    )]
    NotRunning { actor: String },
    #[error(
        "actor `{actor}` stopped before it replied (it failed or is shutting down; its supervisor decides whether it restarts)"
    )]
    Died { actor: String },
}

pub(crate) enum Incarnation<A: Child> {
    /// Not running now, and may run again (starting, or waiting out a backoff).
    Between,
    Running(Addr<Carrier<A>>),
    /// Will not run again.
    Stopped,
}

pub(crate) struct Shared<A: Child> {
    name: String,
    entry: OnceLock<Arc<Entry>>,
    current: watch::Sender<Incarnation<A>>,
}

impl<A: Child> Shared<A> {
    pub(crate) fn attach(&self, entry: Arc<Entry>) {
        let _ = self.entry.set(entry);
    }

    pub(crate) fn set(&self, incarnation: Incarnation<A>) {
        self.current.send_replace(incarnation);
    }

    /// What the running incarnation calls as it ends.
    pub(crate) fn retirer(self: &Arc<Self>) -> Retire {
        let shared = self.clone();
        Arc::new(move || shared.set(Incarnation::Between))
    }
}

pub struct ChildRef<A: Child> {
    shared: Arc<Shared<A>>,
}

impl<A: Child> Clone for ChildRef<A> {
    fn clone(&self) -> Self {
        ChildRef {
            shared: self.shared.clone(),
        }
    }
}

impl<A: Child> ChildRef<A> {
    pub(crate) fn new(name: String) -> (Self, Arc<Shared<A>>) {
        let shared = Arc::new(Shared {
            name,
            entry: OnceLock::new(),
            current: watch::channel(Incarnation::Between).0,
        });
        (
            ChildRef {
                shared: shared.clone(),
            },
            shared,
        )
    }

    /// The registry id, once the child's supervisor has registered it.
    pub fn id(&self) -> Option<u64> {
        self.shared.entry.get().map(|e| e.id())
    }

    /// The path in the tree once registered, else the name the child was given.
    pub fn name(&self) -> &str {
        match self.shared.entry.get() {
            Some(e) => e.name(),
            None => &self.shared.name,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(*self.shared.current.borrow(), Incarnation::Running(_))
    }

    /// Sends `msg` and waits for the reply. While the actor is between incarnations the send
    /// waits (bounded) for the next one, so a restart is invisible to callers that were not
    /// mid-conversation.
    pub async fn send<M>(&self, msg: M) -> Result<M::Result, SendError>
    where
        A: Handle<M>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        let addr = self.running().await?;
        if let Some(entry) = self.shared.entry.get() {
            entry.enqueued();
        }
        let request = std::pin::pin!(addr.send(msg));
        spin::note_message();
        SpinPoll::new(request, crate::limits::CALLER_SPIN)
            .await
            .map_err(|_| SendError::Died {
                actor: self.name().to_string(),
            })
    }

    /// Sends without waiting for a reply; fails at once when the actor is not running.
    pub fn do_send<M>(&self, msg: M) -> Result<(), SendError>
    where
        A: Handle<M>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        let addr = match &*self.shared.current.borrow() {
            Incarnation::Running(addr) => addr.clone(),
            _ => return Err(self.not_running()),
        };
        if let Some(entry) = self.shared.entry.get() {
            entry.enqueued();
        }
        addr.do_send(msg);
        spin::note_message();
        Ok(())
    }

    async fn running(&self) -> Result<Addr<Carrier<A>>, SendError> {
        if let Incarnation::Running(addr) = &*self.shared.current.borrow() {
            return Ok(addr.clone());
        }
        let mut current = self.shared.current.subscribe();
        let wait = async {
            loop {
                match &*current.borrow_and_update() {
                    Incarnation::Running(addr) => return Ok(addr.clone()),
                    Incarnation::Stopped => return Err(self.not_running()),
                    Incarnation::Between => {}
                }
                if current.changed().await.is_err() {
                    return Err(self.not_running());
                }
            }
        };
        tokio::time::timeout(RESTART_WAIT, wait)
            .await
            .unwrap_or_else(|_| Err(self.not_running()))
    }

    fn not_running(&self) -> SendError {
        SendError::NotRunning {
            actor: self.name().to_string(),
        }
    }
}
