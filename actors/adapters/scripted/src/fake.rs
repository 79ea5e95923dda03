//! A recording [`Caps`] for the unit tests: every call becomes a line in `calls`, in order,
//! so a test can check what happened and when the progress was saved relative to it.

use std::collections::VecDeque;

use crate::caps::Caps;
use crate::plinth::agent::environment::{ExecOutput, ExecRequest};
use crate::plinth::agent::events::Role;
use crate::plinth::agent::log::Level;
use crate::plinth::agent::tmux::SessionSpec;
use crate::plinth::agent::types::{CapError, Question, Status};

#[derive(Default)]
pub struct Fake {
    pub calls: Vec<String>,
    pub logs: Vec<String>,
    pub requests: Vec<ExecRequest>,
    pub sessions: Vec<SessionSpec>,
    /// Answers for the next execs, in order; an exit 0 with no output once they run out.
    pub exec_answers: VecDeque<Result<ExecOutput, CapError>>,
    /// What capture-screen answers; a missing session when `None`.
    pub screen: Option<String>,
    pub saved: Option<Vec<u8>>,
    pub every_save: Vec<Vec<u8>>,
}

impl Fake {
    pub fn exits(&mut self, code: i32, stderr: &str) {
        self.exec_answers.push_back(Ok(ExecOutput {
            exit_code: code,
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        }));
    }

    /// The calls other than saves and screen reads: what the user or the sandbox saw.
    pub fn effects(&self) -> Vec<String> {
        self.calls
            .iter()
            .filter(|c| !c.starts_with("save ") && !c.starts_with("screen "))
            .cloned()
            .collect()
    }

    pub fn statuses(&self) -> Vec<String> {
        self.calls
            .iter()
            .filter(|c| c.starts_with("status "))
            .cloned()
            .collect()
    }
}

pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Starting => "starting",
        Status::Working => "working",
        Status::WaitingForUser => "waiting-for-user",
        Status::Idle => "idle",
        Status::Finished => "finished",
        Status::Failed => "failed",
    }
}

impl Caps for Fake {
    fn exec(&mut self, request: &ExecRequest) -> Result<ExecOutput, CapError> {
        self.calls
            .push(format!("exec {}", request.command.join(" ")));
        self.requests.push(request.clone());
        self.exec_answers.pop_front().unwrap_or(Ok(ExecOutput {
            exit_code: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }))
    }

    fn write_file(&mut self, path: &str, contents: &[u8]) -> Result<(), CapError> {
        self.calls.push(format!(
            "write {path} {:?}",
            String::from_utf8_lossy(contents)
        ));
        Ok(())
    }

    fn transcript(&mut self, role: Role, text: &str) -> Result<(), CapError> {
        let role = match role {
            Role::User => "user",
            Role::Agent => "agent",
            Role::Tool => "tool",
            Role::System => "system",
        };
        self.calls.push(format!("transcript {role}: {text}"));
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
        self.calls
            .push(format!("ask {} [{}]", question.text, choices.join(", ")));
        Ok(())
    }

    fn create_session(&mut self, spec: &SessionSpec) -> Result<(), CapError> {
        self.calls
            .push(format!("create {} {}", spec.name, spec.command.join(" ")));
        self.sessions.push(spec.clone());
        Ok(())
    }

    fn screen_text(&mut self, session: &str) -> Result<String, CapError> {
        self.calls.push(format!("screen {session}"));
        self.screen
            .clone()
            .ok_or_else(|| CapError::NotFound(format!("no session {session}")))
    }

    fn kill_session(&mut self, session: &str) -> Result<(), CapError> {
        self.calls.push(format!("kill {session}"));
        Ok(())
    }

    fn save(&mut self, blob: &[u8]) -> Result<(), CapError> {
        self.calls
            .push(format!("save {}", String::from_utf8_lossy(blob)));
        self.saved = Some(blob.to_vec());
        self.every_save.push(blob.to_vec());
        Ok(())
    }

    fn log(&mut self, level: Level, message: &str) {
        self.logs.push(format!("{level:?} {message}"));
    }
}
