//! `plinth:agent/events`: what the user sees of the task.

use wasmtime::component::Linker;

use super::Capability;
use super::view::{CapsData, CapsView, GetView};
use crate::wit::bindings::plinth::agent::events as wit;
use crate::wit::{CapError, Status, TranscriptEntry, Urgency};

pub trait EventsCap: Send + Sync {
    fn append_transcript(&self, entry: TranscriptEntry) -> Result<u64, CapError>;
    fn set_status(&self, status: Status, detail: &str) -> Result<(), CapError>;
    fn notify(&self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError>;
}

pub(super) fn link<T: 'static>(linker: &mut Linker<T>, view: GetView<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, CapsData>(linker, view)
}

impl CapsView<'_> {
    fn events<R>(
        &mut self,
        call: impl FnOnce(&dyn EventsCap) -> Result<R, CapError>,
    ) -> Result<R, CapError> {
        self.cap_call(Capability::Events, |c| c.events.as_ref(), |e| call(e))
    }
}

impl wit::Host for CapsView<'_> {
    fn append_transcript(&mut self, entry: TranscriptEntry) -> Result<u64, CapError> {
        self.events(|e| e.append_transcript(entry))
    }

    fn set_status(&mut self, status: Status, detail: String) -> Result<(), CapError> {
        self.events(|e| e.set_status(status, &detail))
    }

    fn notify(&mut self, title: String, body: String, urgency: Urgency) -> Result<(), CapError> {
        self.events(|e| e.notify(&title, &body, urgency))
    }
}
