//! A recording [`Caps`] for the unit tests: every call becomes a line in `calls`, in order;
//! and [`context`], a profile's context from a few variables.

use std::collections::BTreeMap;

use crate::caps::Caps;
use guest_support::plinth::agent::events::{Role, TranscriptEntry, Urgency};
use guest_support::plinth::agent::log::Level;
use guest_support::plinth::agent::tmux::SessionSpec;
use guest_support::plinth::agent::types::{CapError, Question, Status};

#[derive(Default)]
pub struct Fake {
    pub calls: Vec<String>,
    pub logs: Vec<String>,
    pub files: BTreeMap<String, Vec<u8>>,
    pub sessions: Vec<SessionSpec>,
    pub entries: Vec<TranscriptEntry>,
    pub alive: bool,
    pub screen: String,
    pub saved: Option<Vec<u8>>,
    /// Makes every tmux call fail with this error.
    pub tmux_error: Option<CapError>,
    /// Makes pastes alone fail.
    pub refuse_paste: bool,
}

impl Fake {
    pub fn calls_starting(&self, prefix: &str) -> Vec<String> {
        self.calls
            .iter()
            .filter(|c| c.starts_with(prefix))
            .cloned()
            .collect()
    }

    fn tmux(&self) -> Result<(), CapError> {
        match &self.tmux_error {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Starting => "Starting",
        Status::Working => "Working",
        Status::WaitingForUser => "WaitingForUser",
        Status::Idle => "Idle",
        Status::Finished => "Finished",
        Status::Failed => "Failed",
    }
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Agent => "agent",
        Role::Tool => "tool",
        Role::System => "system",
    }
}

impl Caps for Fake {
    fn create_session(&mut self, spec: &SessionSpec) -> Result<(), CapError> {
        self.tmux()?;
        self.calls
            .push(format!("create {} {}", spec.name, spec.command.join(" ")));
        self.sessions.push(spec.clone());
        self.alive = true;
        Ok(())
    }

    fn paste(&mut self, session: &str, text: &str) -> Result<(), CapError> {
        self.tmux()?;
        if self.refuse_paste {
            return Err(CapError::Failed("paste refused".into()));
        }
        self.calls.push(format!("paste {session} {text}"));
        Ok(())
    }

    fn send_keys(&mut self, session: &str, keys: &[String]) -> Result<(), CapError> {
        self.tmux()?;
        self.calls
            .push(format!("keys {session} {}", keys.join(" ")));
        Ok(())
    }

    fn screen_text(&mut self, session: &str) -> Result<String, CapError> {
        self.tmux()?;
        self.calls.push(format!("screen {session}"));
        Ok(self.screen.clone())
    }

    fn is_alive(&mut self, session: &str) -> Result<bool, CapError> {
        self.tmux()?;
        self.calls.push(format!("alive? {session}"));
        Ok(self.alive)
    }

    fn kill_session(&mut self, session: &str) -> Result<(), CapError> {
        self.calls.push(format!("kill {session}"));
        self.alive = false;
        Ok(())
    }

    fn read_file(&mut self, path: &str) -> Result<Vec<u8>, CapError> {
        self.calls.push(format!("read {path}"));
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| CapError::NotFound(path.to_string()))
    }

    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<(), CapError> {
        self.calls.push(format!("write {path}"));
        self.files.insert(path.to_string(), contents.to_vec());
        Ok(())
    }

    fn transcript(&mut self, entry: &TranscriptEntry) -> Result<(), CapError> {
        let tool = entry
            .tool
            .as_deref()
            .map(|t| format!(" [{t}]"))
            .unwrap_or_default();
        self.calls.push(format!(
            "transcript {}{tool}: {}",
            role_word(entry.role),
            entry.text
        ));
        self.entries.push(entry.clone());
        Ok(())
    }

    fn set_status(&mut self, status: Status, detail: &str) -> Result<(), CapError> {
        self.calls
            .push(format!("status {}: {detail}", status_word(status)));
        Ok(())
    }

    fn ask(&mut self, question: &Question) -> Result<(), CapError> {
        let choices: Vec<String> = question
            .choices
            .iter()
            .map(|c| format!("{}={}", c.id, c.label))
            .collect();
        self.calls.push(format!(
            "ask {} ({}) [{}]",
            question.text,
            question.detail.as_deref().unwrap_or(""),
            choices.join(", ")
        ));
        Ok(())
    }

    fn notify(&mut self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError> {
        self.calls
            .push(format!("notify {urgency:?} {title}: {body}"));
        Ok(())
    }

    fn save(&mut self, blob: &[u8]) -> Result<(), CapError> {
        self.calls.push("save".to_string());
        self.saved = Some(blob.to_vec());
        Ok(())
    }

    fn log(&mut self, level: Level, message: &str) {
        self.logs.push(format!("{level:?} {message}"));
    }
}

/// The context a profile gets for a task with these variables, in `/workspace`.
pub fn context(pairs: &[(&str, &str)]) -> crate::profile::Context {
    let env: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    crate::launch::context(&env, "/workspace")
}
