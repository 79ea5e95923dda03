//! Getting messages into the agent: one at a time, typed when its input prompt is on the
//! screen (as its profile's [`Typing`] says), and answers to its questions, typed when the
//! question is on the screen.
//!
//! The queue lives in the saved state, and a message leaves it (saved) before it is typed:
//! a restart mid-delivery loses at most that Enter, never types a message twice.

use crate::phase::Phase;
use crate::profile::ScreenState;
use crate::question::Question;
use crate::saved::Saved;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Enter,
    Paste(String),
    /// Keys that answer the question on the screen.
    Answer(Vec<String>),
}

/// Whether [`next`] needs the screen: an answer waits for its question, or a message waits
/// with nothing else in its way (a turn under way is in the way even on a ready screen).
pub fn wants_screen(saved: &Saved) -> bool {
    saved.launched
        && !saved.phase.is_final()
        && !saved.awaiting_enter
        && (saved.answer.is_some() || can_type(saved))
}

fn can_type(saved: &Saved) -> bool {
    !saved.turn_active && !saved.pending.is_empty() && saved.llm_in_flight.is_empty()
}

/// The next thing to type, given the screen when [`wants_screen`] asked for it.
pub fn next(saved: &mut Saved, screen: Option<&ScreenState>) -> Option<Delivery> {
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
    let screen = screen?;
    if saved.answer.is_some() {
        if let Some(keys) = answer(saved, screen) {
            return Some(Delivery::Answer(keys));
        }
        if saved.answer.is_some() {
            return None;
        }
    }
    if !can_type(saved) || *screen != ScreenState::Ready {
        return None;
    }
    let message = saved.pending.pop_front()?;
    saved.awaiting_enter = true;
    saved.delivered_any = true;
    saved.remember_echo(&message);
    Some(Delivery::Paste(message))
}

/// The keys of the waiting answer once its question is on the screen: the one place an
/// answer by choice id becomes keys. "Instead" text is queued first, to follow as the next
/// prompt once the deny has ended the agent's turn. When the question went away first
/// (answered in the terminal), the text is an ordinary message and a bare choice has
/// nothing left to answer.
fn answer(saved: &mut Saved, screen: &ScreenState) -> Option<Vec<String>> {
    let shown = match screen {
        ScreenState::Asking(question) => Some(question),
        _ => None,
    };
    if shown.is_none() && saved.phase == Phase::WaitingForUser {
        return None;
    }
    let answer = saved.answer.take()?;
    let Some(shown) = shown else {
        if let Some(text) = answer.then {
            saved.pending.push_back(text);
        }
        return None;
    };
    let keys = keys_for(shown, saved.question.as_ref(), &answer.choice)?;
    if let Some(text) = answer.then {
        saved.turn_active = false;
        saved.pending.push_front(text);
    }
    Some(keys)
}

/// The keys of choice `id`: from the question on the screen, else the one reported.
pub fn keys_for(shown: &Question, reported: Option<&Question>, id: &str) -> Option<Vec<String>> {
    shown
        .choice(id)
        .or_else(|| reported.and_then(|q| q.choice(id)))
        .map(|c| c.keys.clone())
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
    use crate::question::{Choice, ChoiceKind};
    use crate::saved::Answer;

    fn queued(messages: &[&str]) -> Saved {
        Saved {
            launched: true,
            pending: messages.iter().map(|m| m.to_string()).collect(),
            ..Saved::default()
        }
    }

    fn question() -> Question {
        Question {
            text: "Allow Shell?".into(),
            detail: String::new(),
            choices: vec![
                Choice::new("allow", "Allow once", ChoiceKind::Allow, &["1"]),
                Choice::new("deny", "No", ChoiceKind::Deny, &["Escape"]),
            ],
        }
    }

    fn waiting(choice: &str, then: Option<&str>) -> Saved {
        Saved {
            launched: true,
            phase: Phase::WaitingForUser,
            turn_active: true,
            question: Some(question()),
            answer: Some(Answer {
                choice: choice.into(),
                then: then.map(str::to_string),
            }),
            ..Saved::default()
        }
    }

    #[test]
    fn pastes_when_ready_then_enters_on_the_next_call() {
        let mut saved = queued(&["one", "two"]);
        assert_eq!(next(&mut saved, Some(&ScreenState::Busy)), None);
        assert_eq!(
            next(&mut saved, Some(&ScreenState::Ready)),
            Some(Delivery::Paste("one".into()))
        );
        assert!(!wants_screen(&saved));
        assert_eq!(next(&mut saved, None), Some(Delivery::Enter));
        assert_eq!(saved.pending, ["two"]);
        assert!(saved.delivered_any);
    }

    #[test]
    fn waits_for_the_turn_and_the_model() {
        let mut saved = Saved {
            turn_active: true,
            ..queued(&["one"])
        };
        assert_eq!(next(&mut saved, Some(&ScreenState::Ready)), None);
        saved.turn_active = false;
        saved.llm_in_flight.push("c".into());
        assert_eq!(next(&mut saved, Some(&ScreenState::Ready)), None);
        let mut saved = Saved {
            launched: false,
            ..queued(&["one"])
        };
        assert_eq!(next(&mut saved, Some(&ScreenState::Ready)), None);
    }

    #[test]
    fn an_answer_is_typed_when_its_question_is_on_the_screen() {
        let mut saved = waiting("allow", None);
        assert_eq!(next(&mut saved, Some(&ScreenState::Busy)), None);
        assert!(saved.answer.is_some());
        assert_eq!(
            next(&mut saved, Some(&ScreenState::Asking(question()))),
            Some(Delivery::Answer(vec!["1".into()]))
        );
        assert!(saved.answer.is_none());
        assert!(saved.turn_active);
    }

    #[test]
    fn an_instead_denies_then_is_the_next_prompt() {
        let mut saved = waiting("deny", Some("use /tmp"));
        assert_eq!(
            next(&mut saved, Some(&ScreenState::Asking(question()))),
            Some(Delivery::Answer(vec!["Escape".into()]))
        );
        assert!(!saved.turn_active);
        saved.phase = Phase::Idle;
        assert_eq!(
            next(&mut saved, Some(&ScreenState::Ready)),
            Some(Delivery::Paste("use /tmp".into()))
        );
    }

    #[test]
    fn an_answer_whose_question_went_away_is_a_message_or_nothing() {
        let mut saved = Saved {
            phase: Phase::Working,
            ..waiting("allow", None)
        };
        assert_eq!(next(&mut saved, Some(&ScreenState::Busy)), None);
        assert!(saved.answer.is_none() && saved.pending.is_empty());
        let mut saved = Saved {
            phase: Phase::Idle,
            turn_active: false,
            ..waiting("deny", Some("add a test"))
        };
        assert_eq!(
            next(&mut saved, Some(&ScreenState::Ready)),
            Some(Delivery::Paste("add a test".into()))
        );
    }

    #[test]
    fn a_failed_paste_is_queued_again_first() {
        let mut saved = queued(&["one", "two"]);
        let Some(Delivery::Paste(message)) = next(&mut saved, Some(&ScreenState::Ready)) else {
            panic!()
        };
        paste_failed(&mut saved, message);
        assert_eq!(saved.pending, ["one", "two"]);
        assert!(saved.echoes.is_empty());
    }
}
