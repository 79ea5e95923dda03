//! How many times a task's adapter has started, kept in the store so the count (the WIT's
//! `task.restarts`) goes on across the server's restarts, not only the actor's.

use plinth_store::{Store, Versioned};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The starts of one task's adapter so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdapterStartsV1 {
    pub starts: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum AdapterStartsRecord {
    #[serde(rename = "1")]
    V1(AdapterStartsV1),
}

impl Versioned for AdapterStartsRecord {
    const KIND: &'static str = "adapter-starts";
    type Latest = AdapterStartsV1;

    fn into_latest(self) -> AdapterStartsV1 {
        match self {
            AdapterStartsRecord::V1(s) => s,
        }
    }

    fn from_latest(latest: AdapterStartsV1) -> Self {
        AdapterStartsRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            AdapterStartsRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(AdapterStartsV1))]
    }
}

/// Counts a start of `task`'s adapter; answers how many came before it (0 the first time).
/// Called from the guest thread, which may wait for the store's writer.
pub fn count_start(store: &Store, task: &str) -> Result<u32, String> {
    let key = format!("adapter-starts/{task}");
    let before = store
        .get_state::<AdapterStartsRecord>(&key)
        .map_err(|e| format!("cannot read the adapter's starts: {e}"))?
        .map_or(0, |record| record.starts);
    let record = AdapterStartsRecord::from_latest(AdapterStartsV1 { starts: before + 1 });
    futures::executor::block_on(store.put_state(&key, &record))
        .map_err(|e| format!("cannot count the adapter's start: {e}"))?;
    Ok(before)
}
