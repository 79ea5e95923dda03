//! Getting messages into Claude Code: one at a time, as a bracketed paste when its input
//! prompt is on the screen, then Enter on the next signal, once the TUI has taken the paste.
//! A message sent while a dialog waits for the user answers the dialog instead (see
//! [`answer`]).
//!
//! The queue lives in the saved state, and a message leaves it (saved) before it is pasted:
//! a restart mid-delivery loses at most that Enter, never types a message twice.

use crate::answer::{self, Answer};
use crate::phase::Phase;
use crate::saved::Saved;
use crate::screen;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Enter,
    Paste(String),
    /// Keys that answer the dialog on the screen.
    Answer(Vec<String>),
}

/// Whether [`next`] needs the screen: an answer waits for its dialog, or a message waits
/// with nothing else in its way. A turn in progress (hooks between a prompt and its `Stop`)
/// is in the way even when the screen looks ready: Claude Code would queue the message into
/// the running turn.
pub fn wants_screen(saved: &Saved) -> bool {
    saved.launched
        && !saved.phase.is_final()
        && !saved.awaiting_enter
        && (saved.answer.is_some() || can_paste(saved))
}

fn can_paste(saved: &Saved) -> bool {
    !saved.turn_active && !saved.pending.is_empty() && saved.llm_in_flight.is_empty()
}

/// The next thing to type, given the screen when [`wants_screen`] asked for it.
pub fn next(saved: &mut Saved, screen_text: Option<&str>) -> Option<Delivery> {
    if saved.phase.is_final() {
        saved.awaiting_enter = false;
        return None;
    }
    if saved.awaiting_enter {
        saved.awaiting_enter = false;
        return Some(Delivery::Enter);
    }
    if !wants_screen(saved) {
        return None;
    }
    let screen_text = screen_text?;
    if saved.answer.is_some() {
        if let Some(keys) = answer_dialog(saved, screen_text) {
            return Some(Delivery::Answer(keys));
        }
        if saved.answer.is_some() {
            return None;
        }
    }
    if !can_paste(saved) || !screen::input_ready(screen_text) {
        return None;
    }
    let message = saved.pending.pop_front()?;
    saved.awaiting_enter = true;
    saved.delivered_any = true;
    saved.remember_echo(&message);
    Some(Delivery::Paste(message))
}

/// The keys for the waiting answer once its dialog is on the screen. An instruction
/// cancels the dialog, which ends Claude Code's turn, and becomes the next prompt. When the
/// dialog went away first (answered in the terminal), an instruction is an ordinary
/// message and a bare yes or no has nothing left to answer.
fn answer_dialog(saved: &mut Saved, screen_text: &str) -> Option<Vec<String>> {
    let dialog = screen::dialog_open(screen_text);
    if !dialog && saved.phase == Phase::WaitingForUser {
        return None;
    }
    let answer = answer::read(&saved.answer.take()?);
    if let Answer::Instead(text) = &answer {
        if dialog {
            saved.turn_active = false;
            saved.pending.push_front(text.clone());
        } else {
            saved.pending.push_back(text.clone());
        }
    }
    dialog.then(|| answer::keys(&answer, screen_text))
}

/// A paste the host refused goes back to the front of the queue, for the next try.
pub fn paste_failed(saved: &mut Saved, message: String) {
    saved.awaiting_enter = false;
    saved.take_echo(&message);
    saved.pending.push_front(message);
}

#[cfg(test)]
mod tests {
    use super::*;

    const READY: &str = "────\n❯ \n────\n  ? for shortcuts";
    const BUSY: &str = "✻ Thinking… (esc to interrupt)\n────\n❯ \n────";

    fn queued(messages: &[&str]) -> Saved {
        Saved {
            launched: true,
            pending: messages.iter().map(|m| m.to_string()).collect(),
            ..Saved::default()
        }
    }

    #[test]
    fn pastes_when_ready_then_enters_on_the_next_call() {
        let mut saved = queued(&["one", "two"]);
        assert!(wants_screen(&saved));
        assert_eq!(
            next(&mut saved, Some(READY)),
            Some(Delivery::Paste("one".into()))
        );
        assert!(saved.delivered_any);
        assert!(!wants_screen(&saved));
        assert_eq!(next(&mut saved, None), Some(Delivery::Enter));
        assert_eq!(saved.pending, ["two"]);
        assert!(saved.take_echo("one"));
    }

    #[test]
    fn waits_while_busy_not_ready_or_calling_the_model() {
        let mut saved = queued(&["one"]);
        assert_eq!(next(&mut saved, Some(BUSY)), None);
        assert_eq!(next(&mut saved, Some("Loading…")), None);
        assert_eq!(next(&mut saved, None), None);
        saved.llm_in_flight.push("c1".into());
        assert!(!wants_screen(&saved));
        assert_eq!(next(&mut saved, Some(READY)), None);
        assert_eq!(saved.pending, ["one"]);
    }

    #[test]
    fn waits_for_a_turn_to_end_even_on_a_ready_screen() {
        let mut saved = Saved {
            turn_active: true,
            ..queued(&["one"])
        };
        assert_eq!(next(&mut saved, Some(READY)), None);
        saved.turn_active = false;
        assert_eq!(
            next(&mut saved, Some(READY)),
            Some(Delivery::Paste("one".into()))
        );
    }

    #[test]
    fn nothing_before_launch_or_after_the_end() {
        let mut saved = Saved {
            launched: false,
            ..queued(&["one"])
        };
        assert_eq!(next(&mut saved, Some(READY)), None);
        let mut saved = Saved {
            phase: Phase::Failed,
            awaiting_enter: true,
            ..queued(&["one"])
        };
        assert_eq!(next(&mut saved, Some(READY)), None);
        assert!(!saved.awaiting_enter);
    }

    const DIALOG: &str = " Do you want to proceed?\n ❯ 1. Yes\n   2. No\n Esc to cancel";

    fn waiting(answer: &str) -> Saved {
        Saved {
            launched: true,
            phase: Phase::WaitingForUser,
            turn_active: true,
            answer: Some(answer.into()),
            ..Saved::default()
        }
    }

    #[test]
    fn an_answer_is_typed_when_its_dialog_is_on_the_screen() {
        let mut saved = waiting("yes");
        assert!(wants_screen(&saved));
        assert_eq!(
            next(&mut saved, Some("✻ Working… (esc to interrupt)")),
            None
        );
        assert_eq!(saved.answer.as_deref(), Some("yes"));
        assert_eq!(
            next(&mut saved, Some(DIALOG)),
            Some(Delivery::Answer(vec!["1".into()]))
        );
        assert_eq!(saved.answer, None);
        assert!(saved.turn_active, "a yes lets the turn go on");
    }

    #[test]
    fn an_instruction_cancels_the_dialog_and_is_the_next_prompt() {
        let mut saved = waiting("use /tmp instead");
        assert_eq!(
            next(&mut saved, Some(DIALOG)),
            Some(Delivery::Answer(vec!["Escape".into()]))
        );
        assert!(!saved.turn_active);
        assert_eq!(saved.pending, ["use /tmp instead"]);
        assert_eq!(
            next(&mut saved, Some(READY)),
            Some(Delivery::Paste("use /tmp instead".into()))
        );
    }

    #[test]
    fn an_answer_whose_dialog_was_answered_in_the_terminal_is_a_message_or_nothing() {
        let mut saved = Saved {
            phase: Phase::Working,
            ..waiting("yes")
        };
        assert_eq!(next(&mut saved, Some(READY)), None);
        assert_eq!(saved.answer, None);
        assert!(saved.pending.is_empty());
        let mut saved = Saved {
            phase: Phase::Idle,
            turn_active: false,
            ..waiting("now add a test")
        };
        assert_eq!(
            next(&mut saved, Some(READY)),
            Some(Delivery::Paste("now add a test".into()))
        );
    }

    #[test]
    fn a_failed_paste_is_queued_again_first() {
        let mut saved = queued(&["one", "two"]);
        let Some(Delivery::Paste(message)) = next(&mut saved, Some(READY)) else {
            panic!()
        };
        paste_failed(&mut saved, message);
        assert_eq!(saved.pending, ["one", "two"]);
        assert!(!saved.awaiting_enter);
        assert!(saved.echoes.is_empty());
    }
}
