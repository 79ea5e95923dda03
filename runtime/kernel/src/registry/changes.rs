//! The registry's change counter, which a live view watches.

use tokio::sync::watch;

/// Counts the changes of the tree's shape and of any actor's state, restarts or last error,
/// so a live view can show them at once instead of polling. Counters on the message path
/// (mailbox, handled) do not count: they change with every message, and a view reads them
/// at its own pace.
pub(super) struct Changes(watch::Sender<u64>);

impl Default for Changes {
    fn default() -> Self {
        Changes(watch::channel(0).0)
    }
}

impl Changes {
    pub(super) fn bump(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}
