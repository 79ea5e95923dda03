//! The `state` capability: the blob an adapter saves, kept in the store as versioned state
//! so a restarted instance gets it back. Like every store-backed capability it is called
//! from the guest thread and waits for the store's writer.

use plinth_store::{Store, Versioned};
use plinth_wasm::StateCap;
use plinth_wasm::wit::CapError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The blob an adapter saved, kept outside its memory so a restart can give it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdapterStateV1 {
    /// The blob, hex-encoded.
    pub blob: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum AdapterStateRecord {
    #[serde(rename = "1")]
    V1(AdapterStateV1),
}

impl Versioned for AdapterStateRecord {
    const KIND: &'static str = "adapter-state";
    type Latest = AdapterStateV1;

    fn into_latest(self) -> AdapterStateV1 {
        match self {
            AdapterStateRecord::V1(s) => s,
        }
    }

    fn from_latest(latest: AdapterStateV1) -> Self {
        AdapterStateRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            AdapterStateRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(AdapterStateV1))]
    }
}

#[derive(Clone)]
pub struct TaskState {
    store: Store,
    key: String,
}

impl TaskState {
    pub fn new(store: Store, task: &str) -> Self {
        TaskState {
            store,
            key: format!("adapter-state/{task}"),
        }
    }
}

impl StateCap for TaskState {
    fn save(&self, blob: &[u8]) -> Result<(), CapError> {
        let record = AdapterStateRecord::from_latest(AdapterStateV1 {
            blob: hex::encode(blob),
        });
        futures::executor::block_on(self.store.put_state(&self.key, &record))
            .map_err(|e| CapError::Failed(format!("the store: {e}")))
    }

    fn load(&self) -> Option<Vec<u8>> {
        match self.store.get_state::<AdapterStateRecord>(&self.key) {
            Ok(Some(state)) => hex::decode(state.blob).ok(),
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(key = %self.key, %err, "cannot read the adapter's saved state");
                None
            }
        }
    }
}
