//! `plinth:agent/events`: what the user sees of the task.

use super::Capability;
use super::view::CapsView;
use crate::wit::convert::down;
use crate::wit::latest::plinth::agent::events as wit;
use crate::wit::v1::plinth::agent::{events as v1, types as types1};
use crate::wit::{CapError, Question, Status, TranscriptEntry, Urgency};

pub trait EventsCap: Send + Sync {
    fn append_transcript(&self, entry: TranscriptEntry) -> Result<u64, CapError>;
    fn set_status(&self, status: Status, detail: &str) -> Result<(), CapError>;
    fn notify(&self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError>;
    /// The status becomes `waiting-for-user` on `question` (its text the detail) until the
    /// next `set_status` or `ask`.
    fn ask(&self, question: Question) -> Result<(), CapError>;
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
        self.events(|e| e.set_status(status, &detail))?;
        *self.asked = None;
        Ok(())
    }

    fn notify(&mut self, title: String, body: String, urgency: Urgency) -> Result<(), CapError> {
        self.events(|e| e.notify(&title, &body, urgency))
    }

    fn ask(&mut self, question: Question) -> Result<(), CapError> {
        // Kept to turn an answer into its label for a guest that cannot take `answer`.
        let asked = question.clone();
        self.events(|e| e.ask(question))?;
        *self.asked = Some(asked);
        Ok(())
    }
}

impl v1::Host for CapsView<'_> {
    fn append_transcript(&mut self, entry: v1::TranscriptEntry) -> Result<u64, types1::CapError> {
        down(wit::Host::append_transcript(self, entry.into()))
    }

    fn set_status(
        &mut self,
        status: types1::Status,
        detail: String,
    ) -> Result<(), types1::CapError> {
        down(wit::Host::set_status(self, status.into(), detail))
    }

    fn notify(
        &mut self,
        title: String,
        body: String,
        urgency: v1::Urgency,
    ) -> Result<(), types1::CapError> {
        down(wit::Host::notify(self, title, body, urgency.into()))
    }
}
