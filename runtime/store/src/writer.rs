//! The writer thread: the only owner of the write connection. Every write is a message to it;
//! it commits whatever has queued up as one transaction, and only after the commit does it
//! publish events to subscribers and answer the callers, so an acknowledged or published
//! event is always on disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::{broadcast, oneshot, watch};

use crate::batch::{self, Outcome};
use crate::error::StoreError;
use crate::event::Event;
use crate::limits::MAX_BATCH_ITEMS;
use crate::stats::WriterCounters;
use crate::timestamp;
use crate::write_op::{Command, Reply, WriteOp};

/// What the writer and the store's handles both see.
#[derive(Default)]
pub(crate) struct WriterShared {
    pub last_seq: AtomicU64,
    pub counters: WriterCounters,
}

/// The handles' side of the writer.
pub(crate) struct WriterHandle {
    commands: mpsc::Sender<Command>,
    stopped: watch::Receiver<bool>,
    shared: Arc<WriterShared>,
}

impl WriterHandle {
    /// Starts the writer thread. `live` must be the only strong sender of the live channel:
    /// when the writer exits it drops it, which ends every subscription.
    pub(crate) fn spawn(
        conn: Connection,
        shared: Arc<WriterShared>,
        live: broadcast::Sender<Event>,
    ) -> std::io::Result<Self> {
        let (commands, inbox) = mpsc::channel();
        let (stopped_tx, stopped) = watch::channel(false);
        let writer = Writer {
            conn,
            shared: shared.clone(),
            live,
        };
        std::thread::Builder::new()
            .name("plinth-store-writer".into())
            .spawn(move || {
                writer.run(inbox);
                // Only now is the database closed and the live channel dropped.
                stopped_tx.send_replace(true);
            })?;
        Ok(WriterHandle {
            commands,
            stopped,
            shared,
        })
    }

    /// Queues an op built around a fresh reply channel and waits for the commit.
    pub(crate) async fn request<T>(
        &self,
        op: impl FnOnce(Reply<T>) -> WriteOp,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let op = op(reply);
        let items = op.items();
        self.shared.counters.enqueued(items);
        if self.commands.send(Command::Write(op)).is_err() {
            self.shared.counters.dequeued(items);
            return Err(StoreError::Closed);
        }
        // A dropped reply means the writer stopped before reaching this op.
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Asks the writer to finish what is queued and stop, and waits until it has. Safe to
    /// call any number of times, from any number of handles.
    pub(crate) async fn close(&self) {
        // Fails only when the writer is already gone, which is what we are waiting for.
        let _ = self.commands.send(Command::Close);
        let mut stopped = self.stopped.clone();
        // An error means the thread ended without saying so (it panicked): stopped as well.
        let _ = stopped.wait_for(|stopped| *stopped).await;
    }
}

struct Writer {
    conn: Connection,
    shared: Arc<WriterShared>,
    live: broadcast::Sender<Event>,
}

impl Writer {
    /// Runs until asked to close or until every handle is gone, then checkpoints.
    fn run(mut self, inbox: mpsc::Receiver<Command>) {
        let mut closing = false;
        while !closing {
            let Ok(first) = inbox.recv() else { break };
            let mut ops = Vec::new();
            let mut items = 0;
            let mut next = Some(first);
            while let Some(command) = next {
                match command {
                    Command::Close => {
                        closing = true;
                        break;
                    }
                    Command::Write(op) => {
                        items += op.items();
                        ops.push(op);
                    }
                }
                next = if items < MAX_BATCH_ITEMS {
                    inbox.try_recv().ok()
                } else {
                    None
                };
            }
            if !ops.is_empty() {
                self.shared.counters.dequeued(items);
                self.write(ops, items);
            }
        }
        // Whatever was sent after Close is refused rather than silently dropped.
        while let Ok(command) = inbox.try_recv() {
            if let Command::Write(op) = command {
                self.shared.counters.dequeued(op.items());
                op.fail(|| StoreError::Closed);
            }
        }
        self.finish();
    }

    fn write(&mut self, ops: Vec<WriteOp>, items: u64) {
        let at = timestamp::now();
        let outcomes = match batch::commit(&mut self.conn, &ops, &timestamp::format(at)) {
            Ok(outcomes) => outcomes,
            Err(err) => {
                let detail = err.to_string();
                tracing::error!(error = %detail, ops = ops.len(), "store write failed");
                self.shared.counters.failed(detail.clone());
                for op in ops {
                    op.fail(|| StoreError::Write(detail.clone()));
                }
                return;
            }
        };
        self.shared.counters.committed(items);
        let newest = outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Outcome::Appended(seqs) => seqs.last().copied(),
                _ => None,
            })
            .max();
        if let Some(newest) = newest {
            self.shared.last_seq.fetch_max(newest, Ordering::Release);
        }
        // Ops are in seq order, so publishing op by op keeps the live channel in seq order.
        for (op, outcome) in ops.into_iter().zip(outcomes) {
            self.answer(op, outcome, at);
        }
    }

    fn answer(&self, op: WriteOp, outcome: Outcome, at: chrono::DateTime<chrono::Utc>) {
        // A caller that gave up waiting is not an error: its write is committed regardless.
        match (op, outcome) {
            (WriteOp::Append { events, reply, .. }, Outcome::Appended(seqs)) => {
                let events: Vec<Event> = events
                    .into_iter()
                    .zip(seqs)
                    .map(|(event, seq)| event.committed(seq, at))
                    .collect();
                if self.live.receiver_count() > 0 {
                    for event in &events {
                        // Fails only when the last subscriber left meanwhile.
                        let _ = self.live.send(event.clone());
                    }
                }
                let _ = reply.send(Ok(events));
            }
            (WriteOp::PutState { reply, .. } | WriteOp::SetCursor { reply, .. }, _) => {
                let _ = reply.send(Ok(()));
            }
            (WriteOp::DeleteState { reply, .. }, Outcome::Deleted(deleted)) => {
                let _ = reply.send(Ok(deleted));
            }
            (WriteOp::PutScrollback { reply, .. }, Outcome::Changed(changed)) => {
                let _ = reply.send(Ok(changed));
            }
            (op, outcome) => {
                tracing::error!(?outcome, "store writer: outcome does not fit its op");
                op.fail(|| StoreError::Write("internal error: mismatched write outcome".into()));
            }
        }
    }

    /// Folds the WAL back into the database so a stopped plinth leaves one self-contained
    /// file. Best effort: a reader holding a snapshot can keep it from finishing.
    fn finish(self) {
        let checkpoint = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        match checkpoint {
            Ok(0) => {}
            Ok(_) => tracing::debug!("store checkpoint at close was blocked by a reader"),
            Err(err) => tracing::warn!(error = %err, "store checkpoint at close failed"),
        }
        if let Err((_, err)) = self.conn.close() {
            tracing::warn!(error = %err, "closing the store's write connection failed");
        }
        drop(self.live);
    }
}
