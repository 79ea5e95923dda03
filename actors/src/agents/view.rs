//! One agent as the outside sees it: the HTTP API (`GET /api/agents`) and the CLI's
//! `plinth agents list|inspect|add --json` print this one shape, so a script may read
//! either.

use serde::Serialize;

use super::catalog::AgentListing;

#[derive(Clone, Debug, Serialize)]
pub struct AgentView {
    #[serde(flatten)]
    pub listing: AgentListing,
    /// False when it imports capabilities it was not granted: a task naming it fails.
    pub loads: bool,
}

impl From<AgentListing> for AgentView {
    fn from(listing: AgentListing) -> Self {
        AgentView {
            loads: listing.missing_grants().is_empty(),
            listing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(imports: &[&str], grants: &[&str]) -> AgentListing {
        AgentListing {
            name: "a".into(),
            version: "1".into(),
            description: String::new(),
            builtin: false,
            imports: imports.iter().map(|s| s.to_string()).collect(),
            wasi_imports: Vec::new(),
            grants: grants.iter().map(|s| s.to_string()).collect(),
            hash: "h".into(),
            added_at: None,
        }
    }

    #[test]
    fn the_view_is_the_listing_flat_with_whether_it_loads() {
        let view = serde_json::to_value(AgentView::from(listing(&["log"], &["log"]))).unwrap();
        assert_eq!(view["name"], "a");
        assert_eq!(view["grants"], serde_json::json!(["log"]));
        assert_eq!(view["loads"], true);
        let view = AgentView::from(listing(&["log", "tmux"], &["log"]));
        assert!(!view.loads, "tmux is imported but not granted");
    }
}
