//! An agent adapter the user added, as stored. The component itself lives on disk under
//! `$PLINTH_HOME/agents/<hash>.wasm`; the record says what it is and what it was granted.

use chrono::{DateTime, Utc};
use plinth_store::Versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) const KEY_PREFIX: &str = "agent/";

pub type InstalledAgent = InstalledAgentV1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InstalledAgentV1 {
    /// What tasks name it by (`--agent NAME`): the adapter's own name unless `--name` gave one.
    pub name: String,
    /// The adapter's version, from its `info` export. (Not `version`: that key is the
    /// record's own shape version.)
    pub agent_version: String,
    pub description: String,
    /// sha256 of the component, hex: also its file name.
    pub hash: String,
    /// The plinth capabilities the component imports (`tmux`, `events`, ...).
    pub imports: Vec<String>,
    /// WASI interfaces it imports; they get a context with no files and no network.
    pub wasi_imports: Vec<String>,
    /// The capabilities the user granted. A component that imports one not listed here
    /// does not load.
    pub grants: Vec<String>,
    pub added_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum InstalledAgentRecord {
    #[serde(rename = "1")]
    V1(InstalledAgentV1),
}

impl Versioned for InstalledAgentRecord {
    const KIND: &'static str = "installed-agent";
    type Latest = InstalledAgentV1;

    fn into_latest(self) -> InstalledAgentV1 {
        match self {
            InstalledAgentRecord::V1(a) => a,
        }
    }

    fn from_latest(latest: InstalledAgentV1) -> Self {
        InstalledAgentRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            InstalledAgentRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(InstalledAgentV1))]
    }
}

pub(crate) fn key(name: &str) -> String {
    format!("{KEY_PREFIX}{name}")
}
