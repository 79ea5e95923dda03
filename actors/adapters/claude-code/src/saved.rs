//! Everything the adapter must not lose across a restart, saved through `state` as JSON.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::phase::Phase;

/// How many delivered messages to remember for matching them to `UserPromptSubmit`.
pub const ECHOES_KEPT: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    /// The status last set, so a signal that does not change it sets nothing.
    pub phase: Phase,
    /// The detail last set with it.
    pub detail: String,
    /// The task's prompt was queued (and recorded); a restart must not queue it again.
    pub prompt_queued: bool,
    /// The session was started at least once, so config is written and a conversation
    /// may exist to continue.
    pub launched: bool,
    /// A message reached Claude Code at least once: a relaunch continues its conversation.
    pub delivered_any: bool,
    /// Messages waiting for Claude Code's input prompt, oldest first.
    pub pending: VecDeque<String>,
    /// A message sent while a dialog waited for the user: its answer, given when the
    /// dialog is on the screen.
    pub answer: Option<String>,
    /// A message was pasted and still needs its Enter (sent one signal later, so the TUI
    /// has taken the paste in first).
    pub awaiting_enter: bool,
    /// Messages delivered lately, to tell them from prompts typed in the terminal.
    pub echoes: VecDeque<String>,
    /// Model calls the proxy saw start and not finish.
    pub llm_in_flight: Vec<String>,
    /// Between a prompt and its `Stop`: the agent is on a turn even with no call in flight.
    pub turn_active: bool,
    /// Claude Code said its session ended (SessionEnd): its exit is not a crash.
    pub session_ended: bool,
    /// `stop` was called: the exit that follows is not a failure.
    pub stop_requested: bool,
    /// What keeps Claude Code from working that only the user can fix (a refused key, no
    /// login, ...; see `trouble`). While set the task waits for its user, whatever the
    /// screen or the hooks say, until a model call goes through.
    pub trouble: Option<String>,
    /// The tool Claude Code said it would run (`PreToolUse`) and has not finished, and what
    /// it runs it on (its summary): what a permission dialog asks about.
    pub last_tool: Option<(String, String)>,
    /// Ticks in a row the screen looked idle while the status said working; not saved,
    /// since a restart should look again anyway.
    #[serde(skip)]
    pub idle_ticks: u8,
}

impl Saved {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the saved state is plain data")
    }

    pub fn decode(blob: &[u8]) -> Result<Saved, String> {
        serde_json::from_slice(blob).map_err(|e| format!("saved state unreadable: {e}"))
    }

    pub fn remember_echo(&mut self, text: &str) {
        self.echoes.push_back(text.to_string());
        while self.echoes.len() > ECHOES_KEPT {
            self.echoes.pop_front();
        }
    }

    /// Whether `prompt` (from `UserPromptSubmit`) is a message this adapter delivered; if
    /// so it is forgotten, so the same text typed later by hand still counts as new.
    pub fn take_echo(&mut self, prompt: &str) -> bool {
        let wanted = prompt.trim();
        match self.echoes.iter().position(|e| e.trim() == wanted) {
            Some(at) => {
                self.echoes.remove(at);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_forgets_the_tick_counter() {
        let mut saved = Saved {
            phase: Phase::WaitingForUser,
            detail: "permission".into(),
            prompt_queued: true,
            launched: true,
            pending: VecDeque::from(["one".to_string(), "two".to_string()]),
            llm_in_flight: vec!["call-1".into()],
            idle_ticks: 2,
            ..Saved::default()
        };
        saved.remember_echo("hi");
        let back = Saved::decode(&saved.encode()).unwrap();
        assert_eq!(
            back,
            Saved {
                idle_ticks: 0,
                ..saved
            }
        );
    }

    #[test]
    fn missing_fields_take_defaults_so_older_blobs_still_load() {
        let back = Saved::decode(br#"{"phase":"idle"}"#).unwrap();
        assert_eq!(back.phase, Phase::Idle);
        assert!(back.pending.is_empty());
        assert!(Saved::decode(b"not json").is_err());
    }

    #[test]
    fn echoes_match_once_and_are_bounded() {
        let mut saved = Saved::default();
        for n in 0..20 {
            saved.remember_echo(&format!("m{n}"));
        }
        assert_eq!(saved.echoes.len(), ECHOES_KEPT);
        assert!(!saved.take_echo("m0"));
        assert!(saved.take_echo(" m19\n"));
        assert!(!saved.take_echo("m19"));
    }
}
