//! The capabilities the script needs, as a trait: the component implements it over the
//! WIT imports, the unit tests over a recording fake, so the stepping logic runs on the host.

use crate::plinth::agent::environment::{ExecOutput, ExecRequest};
use crate::plinth::agent::events::Role;
use crate::plinth::agent::log::Level;
use crate::plinth::agent::tmux::SessionSpec;
use crate::plinth::agent::types::{CapError, Question, Status};

pub trait Caps {
    fn exec(&mut self, request: &ExecRequest) -> Result<ExecOutput, CapError>;
    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<(), CapError>;
    fn transcript(&mut self, role: Role, text: &str) -> Result<(), CapError>;
    fn set_status(&mut self, status: Status, detail: &str) -> Result<(), CapError>;
    fn ask(&mut self, question: &Question) -> Result<(), CapError>;
    fn create_session(&mut self, spec: &SessionSpec) -> Result<(), CapError>;
    fn screen_text(&mut self, session: &str) -> Result<String, CapError>;
    fn kill_session(&mut self, session: &str) -> Result<(), CapError>;
    fn save(&mut self, blob: &[u8]) -> Result<(), CapError>;
    fn log(&mut self, level: Level, message: &str);
}
