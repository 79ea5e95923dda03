//! Everything the driver must not lose across a restart, saved through `state` as JSON.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::phase::Phase;
use crate::question::Question;

/// How many delivered messages to remember, to tell them from prompts typed in the terminal.
pub const ECHOES_KEPT: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    /// The status last set, so a signal that does not change it sets nothing.
    pub phase: Phase,
    pub detail: String,
    /// The task's prompt was queued (and recorded); a restart must not queue it again.
    pub prompt_queued: bool,
    /// The session was started at least once.
    pub launched: bool,
    /// A message reached the agent at least once: a relaunch resumes its conversation.
    pub delivered_any: bool,
    /// The session was started again to resume its conversation and has not moved since:
    /// at its prompt with nothing to type, it is idle.
    pub resumed: bool,
    /// The agent's id for its session (from its SessionStart hook), to resume it by.
    pub session: Option<String>,
    /// Messages waiting for the agent's input prompt, oldest first.
    pub pending: VecDeque<String>,
    /// The question the agent asked, while it waits for its answer.
    pub question: Option<Question>,
    /// The answer to give when the question is on the screen.
    pub answer: Option<Answer>,
    /// A message was pasted and still needs its Enter.
    pub awaiting_enter: bool,
    /// Messages delivered lately, to tell them from prompts typed in the terminal.
    pub echoes: VecDeque<String>,
    /// Model calls the proxy saw start and not finish.
    pub llm_in_flight: Vec<String>,
    /// Between a prompt and the end of its turn.
    pub turn_active: bool,
    /// The agent said its session ended: its exit is not a crash. Cleared by a launch or
    /// a SessionStart.
    pub session_ended: bool,
    /// `stop` was called: the exit that follows is not a failure.
    pub stop_requested: bool,
    /// What keeps the agent from working that only the user can fix; the task waits for
    /// its user until a model call goes through.
    pub trouble: Option<String>,
    /// Model calls in a row that failed: an agent that retries a failing API by itself
    /// (Gemini CLI for half an hour) would otherwise look busy all along.
    pub failed_calls: u32,
    /// Ticks in a row the screen disagreed with the status; a restart looks afresh.
    #[serde(skip)]
    pub idle_ticks: u16,
}

/// An answer waiting to be typed: the choice, and for "no, do this instead" the message
/// that becomes the next prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub choice: String,
    pub then: Option<String>,
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

    /// Whether `prompt` is a message this driver delivered; if so it is forgotten.
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
    fn round_trips_without_the_tick_counter_and_reads_older_blobs() {
        let mut saved = Saved {
            phase: Phase::WaitingForUser,
            session: Some("s1".into()),
            pending: VecDeque::from(["one".to_string()]),
            answer: Some(Answer {
                choice: "deny".into(),
                then: Some("do x".into()),
            }),
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
        assert_eq!(
            Saved::decode(br#"{"phase":"idle"}"#).unwrap().phase,
            Phase::Idle
        );
        assert!(Saved::decode(b"nope").is_err());
    }

    #[test]
    fn echoes_match_once_and_are_bounded() {
        let mut saved = Saved::default();
        for n in 0..20 {
            saved.remember_echo(&format!("m{n}"));
        }
        assert_eq!(saved.echoes.len(), ECHOES_KEPT);
        assert!(saved.take_echo(" m19\n"));
        assert!(!saved.take_echo("m19"));
    }
}
