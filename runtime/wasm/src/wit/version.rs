//! The versions of the `plinth:agent` package this host runs, and their names.

use serde::Serialize;

/// The WIT package every plinth import and export belongs to.
pub(crate) const PACKAGE: &str = "plinth:agent";

/// A version of `plinth:agent` a component is built against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum WitVersion {
    /// 0.1.0: no `ask`, no `answer` (an answer reaches it as a user message).
    #[serde(rename = "0.1.0")]
    V0_1,
    /// 0.2.0, the latest: questions with choices.
    #[serde(rename = "0.2.0")]
    V0_2,
}

impl WitVersion {
    /// Every version, oldest first.
    pub const ALL: [WitVersion; 2] = [WitVersion::V0_1, WitVersion::V0_2];
    /// What the host's own shapes are, and what new adapters are built against.
    pub const LATEST: WitVersion = WitVersion::V0_2;

    pub fn as_str(self) -> &'static str {
        match self {
            WitVersion::V0_1 => "0.1.0",
            WitVersion::V0_2 => "0.2.0",
        }
    }

    /// The component name of one of its interfaces: `plinth:agent/tmux@0.2.0`.
    pub fn interface(self, name: &str) -> String {
        format!("{PACKAGE}/{name}@{}", self.as_str())
    }

    /// The version of an import or export name of `plinth:agent`, with the interface's
    /// name; `None` for another package or a version this host does not run.
    pub(crate) fn split(name: &str) -> Option<(&str, WitVersion)> {
        let (interface, version) = name
            .strip_prefix(PACKAGE)?
            .strip_prefix('/')?
            .split_once('@')?;
        let version = WitVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == version)?;
        Some((interface, version))
    }

    /// Every version, as a person reads it: "0.1.0 or 0.2.0".
    pub fn names() -> String {
        WitVersion::ALL.map(WitVersion::as_str).join(" or ")
    }
}

impl std::fmt::Display for WitVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_their_interface_and_version() {
        assert_eq!(
            WitVersion::split("plinth:agent/tmux@0.1.0"),
            Some(("tmux", WitVersion::V0_1))
        );
        assert_eq!(
            WitVersion::split("plinth:agent/agent@0.2.0"),
            Some(("agent", WitVersion::V0_2))
        );
        assert_eq!(WitVersion::split("plinth:agent/tmux@0.3.0"), None);
        assert_eq!(WitVersion::split("acme:agent/tmux@0.1.0"), None);
        assert_eq!(
            WitVersion::LATEST.interface("events"),
            "plinth:agent/events@0.2.0"
        );
    }
}
