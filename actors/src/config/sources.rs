//! Where each value came from, as `plinth config` shows it.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    File { path: PathBuf, line: usize },
    Env { variable: &'static str },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Env { variable } => write!(f, "${variable}"),
        }
    }
}

/// One key's effective value and its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: &'static str,
    pub variables: &'static [&'static str],
    pub value: serde_json::Value,
    pub source: Source,
}

impl Serialize for Setting {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (kind, from) = match &self.source {
            Source::Default => ("default", None),
            Source::File { .. } => ("file", Some(self.source.to_string())),
            Source::Env { variable } => ("env", Some((*variable).to_string())),
        };
        let mut s = serializer.serialize_struct("Setting", 5)?;
        s.serialize_field("key", self.key)?;
        s.serialize_field("value", &self.value)?;
        s.serialize_field("source", kind)?;
        s.serialize_field("from", &from)?;
        s.serialize_field("env", self.variables)?;
        s.end()
    }
}

/// Where the configuration was looked for and where each value came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sources {
    pub file: PathBuf,
    pub file_found: bool,
    pub settings: Vec<Setting>,
}

impl Sources {
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.key == key)
    }
}
