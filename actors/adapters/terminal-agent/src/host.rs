//! [`Caps`] over the component's WIT imports.

use crate::caps::Caps;
use guest_support::plinth::agent::events::{self, TranscriptEntry, Urgency};
use guest_support::plinth::agent::log::{self, Level};
use guest_support::plinth::agent::tmux::{self, SessionSpec};
use guest_support::plinth::agent::types::{CapError, Question, Status};
use guest_support::plinth::agent::{environment, state};

pub struct Host;

impl Caps for Host {
    fn create_session(&mut self, spec: &SessionSpec) -> Result<(), CapError> {
        tmux::create(spec)
    }

    fn paste(&mut self, session: &str, text: &str) -> Result<(), CapError> {
        tmux::paste(session, text)
    }

    fn send_keys(&mut self, session: &str, keys: &[String]) -> Result<(), CapError> {
        tmux::send_keys(session, keys)
    }

    fn screen_text(&mut self, session: &str) -> Result<String, CapError> {
        tmux::capture_screen(session).map(|screen| screen.text)
    }

    fn is_alive(&mut self, session: &str) -> Result<bool, CapError> {
        tmux::is_alive(session)
    }

    fn kill_session(&mut self, session: &str) -> Result<(), CapError> {
        tmux::kill(session)
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, CapError> {
        environment::read_file(path)
    }

    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<(), CapError> {
        environment::write_file(path, contents)
    }

    fn transcript(&mut self, entry: &TranscriptEntry) -> Result<(), CapError> {
        events::append_transcript(entry).map(|_| ())
    }

    fn set_status(&mut self, status: Status, detail: &str) -> Result<(), CapError> {
        events::set_status(status, detail)
    }

    fn ask(&mut self, question: &Question) -> Result<(), CapError> {
        events::ask(question)
    }

    fn notify(&mut self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError> {
        events::notify(title, body, urgency)
    }

    fn save(&mut self, blob: &[u8]) -> Result<(), CapError> {
        state::save(blob)
    }

    fn log(&mut self, level: Level, message: &str) {
        log::log(level, message)
    }
}
