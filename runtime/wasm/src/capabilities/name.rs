//! A capability's names: the one a grant uses, and its component import name.

use std::fmt;
use std::str::FromStr;

use super::Capability;
use crate::wit::WitVersion;

impl Capability {
    /// The component import name in the latest version, e.g. `plinth:agent/tmux@0.2.0`.
    pub fn interface_name(self) -> String {
        WitVersion::LATEST.interface(self.as_str())
    }

    /// Every name, in WIT order, as a list for a person to read: "tmux, environment, ...".
    pub fn names() -> String {
        Capability::ALL.map(Capability::as_str).join(", ")
    }

    /// A bit per capability, so a grant set can key the linker cache.
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

// The linker cache keys a set of capabilities by a bit each, in a `u8`.
const _: () = assert!(Capability::ALL.len() <= 8);

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A capability name that is none of [`Capability::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown capability `{0}`: expected one of {names}", names = Capability::names())]
pub struct UnknownCapability(pub String);

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCapability(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_display_and_serde() {
        for cap in Capability::ALL {
            assert_eq!(cap.to_string().parse::<Capability>().unwrap(), cap);
            let json = serde_json::to_string(&cap).unwrap();
            assert_eq!(json, format!("\"{cap}\""));
            assert_eq!(serde_json::from_str::<Capability>(&json).unwrap(), cap);
        }
        assert_eq!(Capability::Tmux.interface_name(), "plinth:agent/tmux@0.2.0");
    }

    #[test]
    fn unknown_names_say_what_is_expected() {
        let err = "terminal".parse::<Capability>().unwrap_err();
        assert!(err.to_string().contains("tmux, environment"), "{err}");
    }
}
