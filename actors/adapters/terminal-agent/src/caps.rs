//! The capabilities the adapter uses, as a trait: the component implements it over the
//! WIT imports, the unit tests over a recording fake.

use guest_support::plinth::agent::events::{TranscriptEntry, Urgency};
use guest_support::plinth::agent::log::Level;
use guest_support::plinth::agent::tmux::SessionSpec;
use guest_support::plinth::agent::types::{CapError, Question, Status};

pub trait Caps {
    fn create_session(&mut self, spec: &SessionSpec) -> Result<(), CapError>;
    fn paste(&mut self, session: &str, text: &str) -> Result<(), CapError>;
    fn send_keys(&mut self, session: &str, keys: &[String]) -> Result<(), CapError>;
    fn screen_text(&mut self, session: &str) -> Result<String, CapError>;
    fn is_alive(&mut self, session: &str) -> Result<bool, CapError>;
    fn kill_session(&mut self, session: &str) -> Result<(), CapError>;
    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, CapError>;
    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<(), CapError>;
    fn transcript(&mut self, entry: &TranscriptEntry) -> Result<(), CapError>;
    fn set_status(&mut self, status: Status, detail: &str) -> Result<(), CapError>;
    fn ask(&mut self, question: &Question) -> Result<(), CapError>;
    fn notify(&mut self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError>;
    fn save(&mut self, blob: &[u8]) -> Result<(), CapError>;
    fn log(&mut self, level: Level, message: &str);
}
