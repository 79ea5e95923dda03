//! Every actor, supervisor and probe the kernel runs, readable at any time without asking
//! the actors: counters are atomics updated on the message path, so inspection never waits
//! on a busy mailbox and costs nothing when nobody looks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::policy::Intensity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorState {
    Starting,
    Running,
    /// Waiting out its backoff before the next incarnation.
    Restarting,
    Stopped,
    /// Failed for good: past its supervisor's intensity, or not restarted by its policy.
    Failed,
}

impl ActorState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => ActorState::Starting,
            1 => ActorState::Running,
            2 => ActorState::Restarting,
            3 => ActorState::Stopped,
            _ => ActorState::Failed,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartLimit {
    pub max_restarts: u32,
    pub within_ms: u64,
}

impl From<Intensity> for RestartLimit {
    fn from(i: Intensity) -> Self {
        RestartLimit {
            max_restarts: i.max_restarts,
            within_ms: i.within.as_millis() as u64,
        }
    }
}

/// One row of `plinth ps`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActorInfo {
    pub id: u64,
    /// The path in the tree, e.g. `root/projects`.
    pub name: String,
    pub kind: String,
    pub parent: Option<u64>,
    pub state: ActorState,
    pub mailbox: u64,
    pub handled: u64,
    pub restarts: u64,
    pub last_error: Option<String>,
    /// When the current incarnation started, in milliseconds since the Unix epoch.
    pub started_at: u64,
    pub uptime_ms: u64,
    /// The message being handled right now, if any.
    pub in_flight: Option<String>,
    /// The supervisor's intensity that applies to this actor's restarts.
    pub restart_limit: Option<RestartLimit>,
}

/// What a probe reports for something that is not an actor but belongs in the inspector
/// (the store's writer thread).
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeReading {
    pub state: ActorState,
    pub mailbox: u64,
    pub handled: u64,
    pub last_error: Option<String>,
}

type Probe = Box<dyn Fn() -> ProbeReading + Send + Sync>;

/// Counts the changes of the tree's shape and of any actor's state, restarts or last error,
/// so a live view can show them at once instead of polling. Counters on the message path
/// (mailbox, handled) do not count: they change with every message, and a view reads them
/// at its own pace.
struct Changes(watch::Sender<u64>);

impl Default for Changes {
    fn default() -> Self {
        Changes(watch::channel(0).0)
    }
}

impl Changes {
    fn bump(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// The live record of one actor or supervisor; the kernel updates it, the registry reads it.
pub struct Entry {
    pub(crate) id: u64,
    pub(crate) name: String,
    kind: String,
    parent: Option<u64>,
    restart_limit: Option<RestartLimit>,
    state: AtomicU8,
    // Signed: a send counted just before an incarnation's reset must not wrap around.
    mailbox: AtomicI64,
    handled: AtomicU64,
    restarts: AtomicU64,
    last_error: Mutex<Option<String>>,
    in_flight: Mutex<Option<&'static str>>,
    started: Mutex<(SystemTime, Instant)>,
    changes: Arc<Changes>,
}

impl Entry {
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn set_state(&self, state: ActorState) {
        let before = self.state.swap(state as u8, Ordering::AcqRel);
        if before != state as u8 {
            self.changes.bump();
        }
    }

    pub(crate) fn state(&self) -> ActorState {
        ActorState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// A new incarnation is running: its clock starts now.
    pub(crate) fn incarnated(&self) {
        *self.started.lock() = (SystemTime::now(), Instant::now());
        *self.in_flight.lock() = None;
        self.set_state(ActorState::Running);
    }

    /// A new mailbox, before anyone can send to it: what was queued for the last
    /// incarnation died with it.
    pub(crate) fn new_mailbox(&self) {
        self.mailbox.store(0, Ordering::Relaxed);
    }

    pub(crate) fn count_restart(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
        self.changes.bump();
    }

    pub(crate) fn set_error(&self, error: impl Into<String>) {
        *self.last_error.lock() = Some(error.into());
        self.changes.bump();
    }

    pub(crate) fn enqueued(&self) {
        self.mailbox.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn begin(&self, message: &'static str) {
        self.mailbox.fetch_sub(1, Ordering::Relaxed);
        *self.in_flight.lock() = Some(message);
    }

    pub(crate) fn end(&self) {
        *self.in_flight.lock() = None;
        self.handled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn in_flight(&self) -> Option<&'static str> {
        *self.in_flight.lock()
    }

    fn info(&self) -> ActorInfo {
        let (started_wall, started) = *self.started.lock();
        ActorInfo {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind.clone(),
            parent: self.parent,
            state: self.state(),
            mailbox: self.mailbox.load(Ordering::Relaxed).max(0) as u64,
            handled: self.handled.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
            last_error: self.last_error.lock().clone(),
            started_at: millis_since_epoch(started_wall),
            uptime_ms: started.elapsed().as_millis() as u64,
            in_flight: self.in_flight().map(crate::exit::short_type_name),
            restart_limit: self.restart_limit,
        }
    }
}

enum Node {
    Actor(Arc<Entry>),
    Probe {
        name: String,
        kind: String,
        parent: Option<u64>,
        registered: (SystemTime, Instant),
        read: Probe,
    },
}

impl Node {
    fn name(&self) -> &str {
        match self {
            Node::Actor(e) => &e.name,
            Node::Probe { name, .. } => name,
        }
    }

    fn info(&self, id: u64) -> ActorInfo {
        match self {
            Node::Actor(e) => e.info(),
            Node::Probe {
                name,
                kind,
                parent,
                registered,
                read,
            } => {
                let reading = read();
                ActorInfo {
                    id,
                    name: name.clone(),
                    kind: kind.clone(),
                    parent: *parent,
                    state: reading.state,
                    mailbox: reading.mailbox,
                    handled: reading.handled,
                    restarts: 0,
                    last_error: reading.last_error,
                    started_at: millis_since_epoch(registered.0),
                    uptime_ms: registered.1.elapsed().as_millis() as u64,
                    in_flight: None,
                    restart_limit: None,
                }
            }
        }
    }
}

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
        self.changes.0.subscribe()
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
        let entry = Arc::new(Entry {
            id: self.allocate_id(),
            name,
            kind: kind.to_string(),
            parent,
            restart_limit,
            state: AtomicU8::new(ActorState::Starting as u8),
            mailbox: AtomicI64::new(0),
            handled: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            last_error: Mutex::new(None),
            in_flight: Mutex::new(None),
            started: Mutex::new((SystemTime::now(), Instant::now())),
            changes: self.changes.clone(),
        });
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

fn millis_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
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
