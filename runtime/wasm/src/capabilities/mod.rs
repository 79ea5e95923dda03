//! The capabilities an adapter can import. Each is one WIT interface of `plinth:agent`, one
//! file here (its trait, and its host glue over [`CapsView`] for each WIT version: the
//! latest's calls the trait, 0.1.0's converts and calls the latest's) and one grant name. The list below is the only place that names them all: the [`Capability`] enum,
//! its names (for grants, and for the errors that say which exist), the [`Capabilities`]
//! an embedder hands to an instance, and linking all derive from it.
//!
//! Adding one: its interface in `wit/agent.wit` (imported by the `adapter` world and listed
//! in the `capability` enum), a file here like the others with its `mod` and `pub use`
//! lines, and a line in the list; then its implementation in the embedder and its line in
//! `gather` (both in plinth-actors' `agent_host/capabilities/`) and its place in
//! docs/adapters.md. `the_list_is_the_wits` checks the list against the WIT.
//!
//! The traits are synchronous because an instance runs on its caller's thread; a slow call
//! (an `exec`) blocks only that task's adapter, and its time is not charged to the guest's
//! deadline. Implementations are the task's own: scoping sessions, paths and state to the
//! task is their job, not the host's.

mod declare;
mod environment;
mod events;
mod log;
mod name;
mod state;
mod tmux;
mod view;

pub use environment::EnvironmentCap;
pub use events::EventsCap;
pub use log::LogCap;
pub use name::UnknownCapability;
pub use state::StateCap;
pub use tmux::TmuxCap;
pub(crate) use view::CapsView;

declare::capabilities! {
    /// Terminal sessions in the task's sandbox.
    Tmux = "tmux" in tmux: TmuxCap;
    /// Commands and files in the task's sandbox.
    Environment = "environment" in environment: EnvironmentCap;
    /// The transcript, the status, notifications.
    Events = "events" in events: EventsCap;
    /// The task's operator log.
    Log = "log" in log: LogCap;
    /// A small blob kept across restarts.
    State = "state" in state: StateCap;
}

impl Capabilities {
    /// No implementations: every linked capability denies.
    pub fn none(task_id: impl Into<String>) -> Self {
        Capabilities {
            task_id: task_id.into(),
            ..Capabilities::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use wit_parser::{Resolve, TypeDefKind, WorldItem, WorldKey};

    use super::*;

    /// The list above, the `adapter` world's imports and the WIT's `capability` enum name
    /// the same interfaces in the same order.
    #[test]
    fn the_list_is_the_wits() {
        let mut resolve = Resolve::default();
        let (package, _) = resolve
            .push_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit"))
            .expect("wit/ parses");
        let world = resolve.select_world(&[package], Some("adapter")).unwrap();
        let listed: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();

        let imported: Vec<String> = resolve.worlds[world]
            .imports
            .iter()
            .filter_map(|(key, item)| match (key, item) {
                (WorldKey::Interface(id), WorldItem::Interface { .. }) => {
                    resolve.interfaces[*id].name.clone()
                }
                _ => None,
            })
            .filter(|name| name != "types")
            .collect();
        assert_eq!(imported, listed, "the `adapter` world's imports");

        let types = resolve.packages[package].interfaces["types"];
        let enum_id = resolve.interfaces[types].types["capability"];
        let TypeDefKind::Enum(cases) = &resolve.types[enum_id].kind else {
            panic!("`capability` is not an enum");
        };
        let cases: Vec<&str> = cases.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cases, listed, "the `capability` enum");
    }
}
