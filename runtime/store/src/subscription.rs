//! A subscription: every matching event after a cursor, stored ones first, then live ones,
//! each exactly once and in order.
//!
//! The live channel is joined *before* the first read of the store, so every event committed
//! after that read is on the channel; events both read and received are told apart by `seq`.
//! A subscriber too slow for the channel (it lagged) goes back to reading the store from its
//! cursor and then rejoins the live events, so falling behind loses nothing.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::error::StoreError;
use crate::event::Event;
use crate::filter::EventFilter;
use crate::limits::SUBSCRIPTION_PAGE;
use crate::reader_pool::ReaderPool;
use crate::reads;

/// The stream returned by [`Store::subscribe`](crate::Store::subscribe). It ends when the
/// store closes, and after yielding an error.
pub struct Subscription {
    inner: Pin<Box<dyn Stream<Item = Result<Event, StoreError>> + Send>>,
}

impl Subscription {
    /// `live` is `None` when the store was already closed: then only stored events follow.
    pub(crate) fn start(
        readers: Arc<ReaderPool>,
        live: Option<broadcast::Receiver<Event>>,
        filter: EventFilter,
        after: u64,
    ) -> Self {
        let follower = Follower {
            filter,
            readers,
            live,
            cursor: after,
            pending: VecDeque::new(),
            catching_up: true,
            done: false,
        };
        let stream = futures::stream::unfold(follower, |mut follower| async move {
            let item = follower.next().await?;
            Some((item, follower))
        });
        Subscription {
            inner: Box::pin(stream),
        }
    }
}

impl Stream for Subscription {
    type Item = Result<Event, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

struct Follower {
    filter: EventFilter,
    readers: Arc<ReaderPool>,
    live: Option<broadcast::Receiver<Event>>,
    /// The `seq` of the last event handed out, or the starting cursor.
    cursor: u64,
    /// A page read from the store and not yet handed out.
    pending: VecDeque<Event>,
    /// Reading from the store rather than the live channel.
    catching_up: bool,
    done: bool,
}

impl Follower {
    async fn next(&mut self) -> Option<Result<Event, StoreError>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.cursor = event.seq;
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            if self.catching_up {
                match self.read_page().await {
                    Ok(page) => {
                        // A short page means the store had nothing more when it was read;
                        // anything later is on the live channel.
                        self.catching_up = page.len() == SUBSCRIPTION_PAGE;
                        self.pending.extend(page);
                    }
                    Err(err) => {
                        self.done = true;
                        return Some(Err(err));
                    }
                }
                continue;
            }
            let Some(live) = self.live.as_mut() else {
                self.done = true;
                continue;
            };
            match live.recv().await {
                Ok(event) => {
                    if event.seq > self.cursor && self.filter.matches(&event) {
                        self.cursor = event.seq;
                        return Some(Ok(event));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(
                        missed,
                        cursor = self.cursor,
                        "subscriber lagged; reading the store"
                    );
                    self.catching_up = true;
                }
                // Every event sent before the store closed was received before this.
                Err(RecvError::Closed) => self.done = true,
            }
        }
    }

    async fn read_page(&self) -> Result<Vec<Event>, StoreError> {
        let readers = self.readers.clone();
        let filter = self.filter.clone();
        let after = self.cursor;
        tokio::task::spawn_blocking(move || {
            readers.with(|conn| reads::events(conn, &filter, after, SUBSCRIPTION_PAGE))
        })
        .await
        // The blocking pool refuses work only while the runtime shuts down.
        .unwrap_or(Err(StoreError::Closed))
    }
}
