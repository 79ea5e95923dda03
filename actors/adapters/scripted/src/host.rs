//! [`Caps`] over the component's WIT imports.

use crate::caps::Caps;
use crate::plinth::agent::environment::{self, ExecOutput, ExecRequest};
use crate::plinth::agent::events::{self, Role, TranscriptEntry};
use crate::plinth::agent::log::{self, Level};
use crate::plinth::agent::state;
use crate::plinth::agent::tmux::{self, SessionSpec};
use crate::plinth::agent::types::{CapError, Question, Status};

pub struct Host;

impl Caps for Host {
    fn exec(&mut self, request: &ExecRequest) -> Result<ExecOutput, CapError> {
        environment::exec(request)
    }

    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<(), CapError> {
        environment::write_file(path, contents)
    }

    fn transcript(&mut self, role: Role, text: &str) -> Result<(), CapError> {
        let entry = TranscriptEntry {
            role,
            text: text.to_string(),
            tool: None,
            data: None,
        };
        events::append_transcript(&entry).map(|_| ())
    }

    fn set_status(&mut self, status: Status, detail: &str) -> Result<(), CapError> {
        events::set_status(status, detail)
    }

    fn ask(&mut self, question: &Question) -> Result<(), CapError> {
        events::ask(question)
    }

    fn create_session(&mut self, spec: &SessionSpec) -> Result<(), CapError> {
        tmux::create(spec)
    }

    fn screen_text(&mut self, session: &str) -> Result<String, CapError> {
        tmux::capture_screen(session).map(|screen| screen.text)
    }

    fn kill_session(&mut self, session: &str) -> Result<(), CapError> {
        tmux::kill(session)
    }

    fn save(&mut self, blob: &[u8]) -> Result<(), CapError> {
        state::save(blob)
    }

    fn log(&mut self, level: Level, message: &str) {
        log::log(level, message)
    }
}
