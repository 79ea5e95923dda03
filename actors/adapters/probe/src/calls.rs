//! Carries out a [`Call`] through the imports and says what came back, as one line:
//! `ok: …` or `error: <kind>: …`, the kind being the WIT `cap-error` case, so a host test
//! can tell a typed denial from anything else.

use guest_support::describe;

use crate::command::Call;
use crate::plinth::agent::environment::{self, ExecRequest};
use crate::plinth::agent::events::{self, Role, TranscriptEntry, Urgency};
use crate::plinth::agent::log::{self, Level};
use crate::plinth::agent::state;
use crate::plinth::agent::tmux::{self, SessionSpec};
use crate::plinth::agent::types::{CapError, Status};

/// Long results (a screen, a file) are cut in the report.
const MAX_REPORT_CHARS: usize = 2000;

pub fn perform(call: &Call) -> String {
    let result: Result<String, CapError> = match call {
        Call::TmuxCreate { name, command } => {
            let spec = SessionSpec {
                name: name.clone(),
                command: command.clone(),
                env: Vec::new(),
                workdir: None,
                width: 80,
                height: 24,
            };
            tmux::create(&spec).map(|()| "created".into())
        }
        Call::TmuxPaste { session, text } => tmux::paste(session, text).map(|()| "pasted".into()),
        Call::TmuxSendKeys { session, keys } => {
            tmux::send_keys(session, keys).map(|()| "sent".into())
        }
        Call::TmuxCaptureScreen { session } => tmux::capture_screen(session).map(|s| s.text),
        Call::TmuxCaptureHistory { session, max_lines } => {
            tmux::capture_history(session, *max_lines)
        }
        Call::TmuxForegroundCommand { session } => tmux::foreground_command(session),
        Call::TmuxIsAlive { session } => tmux::is_alive(session).map(|alive| alive.to_string()),
        Call::TmuxKill { session } => tmux::kill(session).map(|()| "killed".into()),
        Call::Exec { command } => {
            let request = ExecRequest {
                command: command.clone(),
                workdir: None,
                env: Vec::new(),
                stdin: None,
                timeout_ms: 30_000,
            };
            environment::exec(&request).map(|out| {
                let stdout = String::from_utf8_lossy(&out.stdout);
                format!("exit {} {}", out.exit_code, stdout.trim_end())
            })
        }
        Call::ReadFile { path } => {
            environment::read_file(path).map(|b| String::from_utf8_lossy(&b).into_owned())
        }
        Call::WriteFile { path, text } => {
            environment::write_file(path, text.as_bytes()).map(|()| "written".into())
        }
        Call::AppendTranscript { text } => {
            let entry = TranscriptEntry {
                role: Role::Agent,
                text: text.clone(),
                tool: None,
                data: None,
            };
            events::append_transcript(&entry).map(|seq| format!("seq {seq}"))
        }
        Call::SetStatus { status, detail } => match status_named(status) {
            Some(status) => events::set_status(status, detail).map(|()| "status set".into()),
            None => return format!("probe: unknown status `{status}`"),
        },
        Call::Notify { title, body } => {
            events::notify(title, body, Urgency::Info).map(|()| "notified".into())
        }
        Call::Log { level, message } => match level_named(level) {
            Some(level) => {
                log::log(level, message);
                Ok("logged".into())
            }
            None => return format!("probe: unknown level `{level}`"),
        },
        Call::StateSave { text } => state::save(text.as_bytes()).map(|()| "saved".into()),
        Call::StateLoad => Ok(match state::load() {
            Some(blob) => format!("some {}", String::from_utf8_lossy(&blob)),
            None => "none".into(),
        }),
    };
    match result {
        Ok(value) => clip(&format!("ok: {value}")),
        Err(error) => clip(&format!("error: {}", describe(&error))),
    }
}

fn status_named(name: &str) -> Option<Status> {
    Some(match name {
        "starting" => Status::Starting,
        "working" => Status::Working,
        "waiting-for-user" => Status::WaitingForUser,
        "idle" => Status::Idle,
        "finished" => Status::Finished,
        "failed" => Status::Failed,
        _ => return None,
    })
}

fn level_named(name: &str) -> Option<Level> {
    Some(match name {
        "trace" => Level::Trace,
        "debug" => Level::Debug,
        "info" => Level::Info,
        "warn" => Level::Warn,
        "error" => Level::Error,
        _ => return None,
    })
}

fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_REPORT_CHARS {
        return text.to_string();
    }
    text.chars().take(MAX_REPORT_CHARS).collect::<String>() + "…"
}
