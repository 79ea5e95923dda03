//! `plinth:agent/tmux`: terminal sessions in the task's sandbox.

use super::Capability;
use super::view::CapsView;
use crate::wit::convert::down;
use crate::wit::latest::plinth::agent::tmux as wit;
use crate::wit::v1::plinth::agent::{tmux as v1, types as types1};
use crate::wit::{CapError, Screen, SessionSpec};

pub trait TmuxCap: Send + Sync {
    fn create(&self, spec: SessionSpec) -> Result<(), CapError>;
    fn paste(&self, session: &str, text: &str) -> Result<(), CapError>;
    fn send_keys(&self, session: &str, keys: &[String]) -> Result<(), CapError>;
    fn capture_screen(&self, session: &str) -> Result<Screen, CapError>;
    fn capture_history(&self, session: &str, max_lines: u32) -> Result<String, CapError>;
    fn foreground_command(&self, session: &str) -> Result<String, CapError>;
    fn is_alive(&self, session: &str) -> Result<bool, CapError>;
    fn kill(&self, session: &str) -> Result<(), CapError>;
}

impl CapsView<'_> {
    fn tmux<R>(
        &mut self,
        call: impl FnOnce(&dyn TmuxCap) -> Result<R, CapError>,
    ) -> Result<R, CapError> {
        self.cap_call(Capability::Tmux, |c| c.tmux.as_ref(), |t| call(t))
    }
}

impl wit::Host for CapsView<'_> {
    fn create(&mut self, spec: SessionSpec) -> Result<(), CapError> {
        self.tmux(|t| t.create(spec))
    }

    fn paste(&mut self, session: String, text: String) -> Result<(), CapError> {
        self.tmux(|t| t.paste(&session, &text))
    }

    fn send_keys(&mut self, session: String, keys: Vec<String>) -> Result<(), CapError> {
        self.tmux(|t| t.send_keys(&session, &keys))
    }

    fn capture_screen(&mut self, session: String) -> Result<Screen, CapError> {
        self.tmux(|t| t.capture_screen(&session))
    }

    fn capture_history(&mut self, session: String, max_lines: u32) -> Result<String, CapError> {
        self.tmux(|t| t.capture_history(&session, max_lines))
    }

    fn foreground_command(&mut self, session: String) -> Result<String, CapError> {
        self.tmux(|t| t.foreground_command(&session))
    }

    fn is_alive(&mut self, session: String) -> Result<bool, CapError> {
        self.tmux(|t| t.is_alive(&session))
    }

    fn kill(&mut self, session: String) -> Result<(), CapError> {
        self.tmux(|t| t.kill(&session))
    }
}

impl v1::Host for CapsView<'_> {
    fn create(&mut self, spec: v1::SessionSpec) -> Result<(), types1::CapError> {
        down(wit::Host::create(self, spec.into()))
    }

    fn paste(&mut self, session: String, text: String) -> Result<(), types1::CapError> {
        down(wit::Host::paste(self, session, text))
    }

    fn send_keys(&mut self, session: String, keys: Vec<String>) -> Result<(), types1::CapError> {
        down(wit::Host::send_keys(self, session, keys))
    }

    fn capture_screen(&mut self, session: String) -> Result<v1::Screen, types1::CapError> {
        down(wit::Host::capture_screen(self, session))
    }

    fn capture_history(
        &mut self,
        session: String,
        max_lines: u32,
    ) -> Result<String, types1::CapError> {
        down(wit::Host::capture_history(self, session, max_lines))
    }

    fn foreground_command(&mut self, session: String) -> Result<String, types1::CapError> {
        down(wit::Host::foreground_command(self, session))
    }

    fn is_alive(&mut self, session: String) -> Result<bool, types1::CapError> {
        down(wit::Host::is_alive(self, session))
    }

    fn kill(&mut self, session: String) -> Result<(), types1::CapError> {
        down(wit::Host::kill(self, session))
    }
}
