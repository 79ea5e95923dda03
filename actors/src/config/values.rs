//! The value types of keys that are more than a number or a string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::task_inputs::Sandbox;

// `sandbox.default` is the same `Sandbox` a task stores in its inputs; how the config reads
// and prints it is here. `local` runs on the host, unconfined: only for machines without
// Docker, and said so every time.
impl FromStr for Sandbox {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "docker" => Ok(Sandbox::Docker),
            "local" => Ok(Sandbox::Local),
            other => Err(format!(
                "`{other}` is not a sandbox: use `docker` or `local`"
            )),
        }
    }
}

impl fmt::Display for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sandbox::Docker => "docker",
            Sandbox::Local => "local",
        })
    }
}

/// Which of its tools an agent runs without asking, for agents that have modes (Claude
/// Code's `--permission-mode`); `skip_permissions` overrides it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionMode {
    /// Whatever the agent starts in on its own (Claude Code: auto mode).
    #[default]
    Agent,
    /// Ask before every edit and command.
    Manual,
    /// The agent's own classifier decides, and asks when it cannot.
    Auto,
    /// Edits run without asking; commands ask.
    AcceptEdits,
    /// Read and plan only.
    Plan,
}

impl PermissionMode {
    pub const ALL: [PermissionMode; 5] = [
        PermissionMode::Agent,
        PermissionMode::Manual,
        PermissionMode::Auto,
        PermissionMode::AcceptEdits,
        PermissionMode::Plan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PermissionMode::Agent => "agent",
            PermissionMode::Manual => "manual",
            PermissionMode::Auto => "auto",
            PermissionMode::AcceptEdits => "accept-edits",
            PermissionMode::Plan => "plan",
        }
    }
}

impl FromStr for PermissionMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        PermissionMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
            .ok_or_else(|| {
                format!("`{text}` is not a permission mode: use agent, manual, auto, accept-edits or plan")
            })
    }
}

impl fmt::Display for PermissionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A memory size written as Docker's `--memory` takes it: `512m`, `4g`, or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MemorySize(u64);

impl MemorySize {
    /// Docker refuses container memory limits below this.
    pub const MIN: MemorySize = MemorySize(6 << 20);

    pub const fn from_bytes(bytes: u64) -> Self {
        MemorySize(bytes)
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for MemorySize {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let digits_end = lower
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(lower.len());
        let (digits, unit) = lower.split_at(digits_end);
        let shift = match unit.trim_end_matches('b') {
            "" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            _ => return Err(format!("`{text}` is not a size: write e.g. `512m` or `4g`")),
        };
        let number: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is not a size: write e.g. `512m` or `4g`"))?;
        number
            .checked_mul(1 << shift)
            .map(MemorySize)
            .ok_or_else(|| format!("`{text}` is too large"))
    }
}

impl fmt::Display for MemorySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shift, unit) in [(30, "g"), (20, "m"), (10, "k")] {
            if self.0 >= 1 << shift && self.0.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", self.0 >> shift);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl Serialize for MemorySize {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemorySize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_read_like_dockers() {
        let parse = |s: &str| s.parse::<MemorySize>().map(MemorySize::bytes);
        assert_eq!(parse("4g"), Ok(4 << 30));
        assert_eq!(parse("4G"), Ok(4 << 30));
        assert_eq!(parse("512mb"), Ok(512 << 20));
        assert_eq!(parse("1024"), Ok(1024));
        assert!(parse("").is_err());
        assert!(parse("g").is_err());
        assert!(parse("1.5g").is_err());
        assert_eq!(MemorySize(1536 << 20).to_string(), "1536m");
    }
}
