//! plinth's SQLite store: the append-only event log with live subscriptions, named
//! subscriber cursors, versioned state, and terminal scrollback.
//!
//! One database file in WAL mode. All writes go through a single writer thread that batches
//! them into transactions; reads use their own connections and never wait for it.

mod batch;
mod database;
mod error;
mod event;
mod filter;
pub mod frozen;
mod limits;
mod migrations;
mod reader_pool;
mod reads;
mod scrollback;
mod stats;
mod store;
mod subscription;
mod timestamp;
mod versioned;
mod write_op;
mod writer;

pub use error::StoreError;
pub use event::{Event, NewEvent};
pub use filter::EventFilter;
pub use scrollback::Scrollback;
pub use stats::WriterStats;
pub use store::Store;
pub use subscription::Subscription;
pub use versioned::Versioned;
