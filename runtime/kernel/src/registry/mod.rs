//! Every actor, supervisor and probe the kernel runs, readable at any time without asking
//! the actors: counters are atomics updated on the message path, so inspection never waits
//! on a busy mailbox and costs nothing when nobody looks.
//!
//! Here is the `Registry` itself; an actor's record is `entry`, a probe and what an id holds
//! `node`, the change counter a live view watches `changes`, and what it reports `info`.

mod changes;
mod entry;
mod info;
mod node;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use parking_lot::RwLock;
use tokio::sync::watch;

use changes::Changes;
pub use entry::Entry;
pub use info::{ActorInfo, ActorState, RestartLimit};
use node::Node;
pub use node::ProbeReading;

#[derive(Default)]
pub struct Registry {
    next_id: AtomicU64,
    nodes: RwLock<BTreeMap<u64, Node>>,
    changes: Arc<Changes>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Wakes on every change of the tree's shape or of an actor's state, restarts or last
    /// error (not on mailbox or handled counts; see `Changes`).
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Every registered actor, by id (so parents come before their children).
    pub fn snapshot(&self) -> Vec<ActorInfo> {
        self.nodes
            .read()
            .iter()
            .map(|(id, n)| n.info(*id))
            .collect()
    }

    /// By id (`7`), full name (`root/projects`), or a name's last part when it is unique
    /// (`projects`).
    pub fn get(&self, id_or_name: &str) -> Option<ActorInfo> {
        let nodes = self.nodes.read();
        if let Ok(id) = id_or_name.parse::<u64>()
            && let Some(node) = nodes.get(&id)
        {
            return Some(node.info(id));
        }
        if let Some((id, node)) = nodes.iter().find(|(_, n)| n.name() == id_or_name) {
            return Some(node.info(*id));
        }
        let suffix = format!("/{id_or_name}");
        let mut matches = nodes.iter().filter(|(_, n)| n.name().ends_with(&suffix));
        match (matches.next(), matches.next()) {
            (Some((id, node)), None) => Some(node.info(*id)),
            _ => None,
        }
    }

    pub fn register_probe(
        &self,
        name: &str,
        kind: &str,
        parent: Option<u64>,
        read: impl Fn() -> ProbeReading + Send + Sync + 'static,
    ) -> u64 {
        let id = self.allocate_id();
        self.nodes.write().insert(
            id,
            Node::Probe {
                name: name.to_string(),
                kind: kind.to_string(),
                parent,
                registered: (SystemTime::now(), Instant::now()),
                read: Box::new(read),
            },
        );
        self.changes.bump();
        id
    }

    pub fn unregister(&self, id: u64) {
        self.nodes.write().remove(&id);
        self.changes.bump();
    }

    pub(crate) fn register_actor(
        &self,
        name: String,
        kind: &str,
        parent: Option<u64>,
        restart_limit: Option<RestartLimit>,
    ) -> Arc<Entry> {
        let entry = Arc::new(Entry::new(
            self.allocate_id(),
            name,
            kind,
            parent,
            restart_limit,
            self.changes.clone(),
        ));
        self.nodes
            .write()
            .insert(entry.id, Node::Actor(entry.clone()));
        self.changes.bump();
        entry
    }

    /// Removes `id` and everything under it.
    pub(crate) fn unregister_subtree(&self, id: u64) {
        let mut nodes = self.nodes.write();
        let mut doomed = vec![id];
        let mut i = 0;
        while i < doomed.len() {
            let parent = doomed[i];
            doomed.extend(nodes.iter().filter_map(|(id, n)| match n {
                Node::Actor(e) if e.parent == Some(parent) => Some(*id),
                Node::Probe {
                    parent: Some(p), ..
                } if *p == parent => Some(*id),
                _ => None,
            }));
            i += 1;
        }
        for id in doomed {
            nodes.remove(&id);
        }
        self.changes.bump();
    }

    fn allocate_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_found_by_id_full_name_or_unique_last_part() {
        let r = Registry::new();
        let root = r.register_actor("root".into(), "supervisor", None, None);
        let a = r.register_actor(
            "root/projects".into(),
            "project-service",
            Some(root.id),
            None,
        );
        r.register_actor("root/tasks/projects".into(), "x", Some(root.id), None);
        assert_eq!(r.get(&a.id.to_string()).unwrap().name, "root/projects");
        assert_eq!(r.get("root/projects").unwrap().id, a.id);
        assert!(r.get("projects").is_none(), "ambiguous last part");
        assert_eq!(r.get("tasks/projects").unwrap().kind, "x");
        assert!(r.get("nothing").is_none());
    }

    #[test]
    fn counters_follow_the_message_path() {
        let r = Registry::new();
        let e = r.register_actor("a".into(), "k", None, None);
        e.new_mailbox();
        e.incarnated();
        e.enqueued();
        e.enqueued();
        e.begin("Ping");
        let info = r.get("a").unwrap();
        assert_eq!(
            (info.mailbox, info.handled, info.in_flight.as_deref()),
            (1, 0, Some("Ping"))
        );
        e.end();
        let info = r.get("a").unwrap();
        assert_eq!((info.mailbox, info.handled, info.in_flight), (1, 1, None));
        assert_eq!(info.state, ActorState::Running);
    }

    #[test]
    fn probes_are_read_when_inspected() {
        let r = Registry::new();
        let id = r.register_probe("store", "store-writer", None, || ProbeReading {
            state: ActorState::Running,
            mailbox: 3,
            handled: 9,
            last_error: None,
        });
        let info = r.get("store").unwrap();
        assert_eq!((info.id, info.mailbox, info.handled), (id, 3, 9));
        r.unregister(id);
        assert!(r.snapshot().is_empty());
    }

    #[test]
    fn unregistering_a_supervisor_removes_its_subtree() {
        let r = Registry::new();
        let root = r.register_actor("root".into(), "supervisor", None, None);
        let sup = r.register_actor("root/s".into(), "supervisor", Some(root.id), None);
        r.register_actor("root/s/a".into(), "k", Some(sup.id), None);
        r.register_probe("root/s/p", "probe", Some(sup.id), || ProbeReading {
            state: ActorState::Running,
            mailbox: 0,
            handled: 0,
            last_error: None,
        });
        r.unregister_subtree(sup.id);
        let names: Vec<String> = r.snapshot().into_iter().map(|a| a.name).collect();
        assert_eq!(names, vec!["root"]);
    }

    #[test]
    fn the_watch_wakes_on_state_restarts_errors_and_the_trees_shape_not_on_messages() {
        let r = Registry::new();
        let mut watch = r.watch();
        let mut woke = || {
            let woke = watch.has_changed().unwrap();
            watch.mark_unchanged();
            woke
        };
        let e = r.register_actor("a".into(), "k", None, None);
        assert!(woke(), "a new actor");
        e.enqueued();
        e.begin("Ping");
        e.end();
        assert!(!woke(), "messages are not changes");
        e.incarnated();
        assert!(woke(), "starting to run");
        e.set_state(ActorState::Running);
        assert!(!woke(), "the same state again");
        e.set_error("boom");
        assert!(woke(), "an error");
        e.count_restart();
        assert!(woke(), "a restart");
        r.unregister_subtree(e.id);
        assert!(woke(), "gone");
    }

    #[test]
    fn actor_info_serializes_with_the_documented_keys() {
        let r = Registry::new();
        r.register_actor("a".into(), "k", None, None);
        let v = serde_json::to_value(r.snapshot()).unwrap();
        for key in [
            "id", "name", "kind", "parent", "state", "mailbox", "handled", "restarts",
        ] {
            assert!(v[0].get(key).is_some(), "{key}");
        }
        assert_eq!(v[0]["state"], "starting");
    }
}
