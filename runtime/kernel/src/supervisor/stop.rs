//! Stopping a supervisor's children: each gets a grace period to stop, then is dropped.

use crate::exit::Exit;
use crate::limits::CHILD_STOP_GRACE;
use crate::monitor::Down;
use crate::registry::ActorState;

use super::Supervisor;

impl Supervisor {
    pub(super) async fn stop_slot(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        slot.restart_at = None;
        if let Some(mut running) = slot.running.take() {
            slot.last_exit = Exit::Shutdown;
            running.request_stop();
            if tokio::time::timeout(CHILD_STOP_GRACE, &mut running.exit)
                .await
                .is_err()
            {
                tracing::warn!(actor = %slot.entry.name(), "did not stop in time; dropped");
                running.kill();
            }
        }
        if slot.entry.state() != ActorState::Failed {
            slot.entry.set_state(ActorState::Stopped);
        }
    }

    /// Stops every child. Whether they run again is the parent's call: it restarts this
    /// supervisor, or declares it (and so its children) finished.
    pub(super) async fn stop_all(&mut self) {
        for i in (0..self.slots.len()).rev() {
            self.stop_slot(i).await;
        }
    }

    /// None of its children will run again (this supervisor will not): each is finished
    /// with its last exit.
    pub(super) fn finish_all(&mut self) {
        for slot in &mut self.slots {
            let last = slot.last_exit.clone();
            slot.finish(Down::Exited(last));
        }
    }
}
