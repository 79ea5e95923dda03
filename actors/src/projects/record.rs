//! The stored record of a project, by version.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use plinth_store::Versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Store keys of project records: `project/<id>`.
pub(super) const KEY_PREFIX: &str = "project/";

/// A registered project, as the API shows it.
pub type Project = ProjectV1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectV1 {
    /// `<directory name>-<6 hex>`: readable, and stable for one path.
    pub id: String,
    pub name: String,
    /// The repository's working tree root, canonical.
    pub path: PathBuf,
    pub added_at: DateTime<Utc>,
}

/// The stored shape of a project, by version.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "version")]
pub enum ProjectRecord {
    #[serde(rename = "1")]
    V1(ProjectV1),
}

impl Versioned for ProjectRecord {
    const KIND: &'static str = "project";
    type Latest = ProjectV1;

    fn into_latest(self) -> ProjectV1 {
        match self {
            ProjectRecord::V1(p) => p,
        }
    }

    fn from_latest(latest: ProjectV1) -> Self {
        ProjectRecord::V1(latest)
    }

    fn version(&self) -> u32 {
        match self {
            ProjectRecord::V1(_) => 1,
        }
    }

    fn schemas() -> Vec<(u32, schemars::Schema)> {
        vec![(1, schemars::schema_for!(ProjectV1))]
    }
}
