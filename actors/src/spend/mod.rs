//! What tasks' model calls cost. The model proxy reports each call's tokens; the
//! [`SpendBook`] prices them by the [`PriceTable`] (data with a date, overridable) and keeps
//! each task's totals and budget, in memory for the proxy's admission check and in the
//! store (`spend/<task>`) for everything else. A task over its budget is refused its next
//! model call; the call under way when it crossed is the only overshoot.

mod book;
mod price_table;
mod record;

pub use book::{BudgetReached, SpendBook, SpendView};
pub use price_table::{ModelPrice, PriceError, PriceTable, Tokens};
pub use record::{SpendRecord, SpendV1, key};
