//! Signal + current state → new state and what to do about it. Pure: it changes `Saved`
//! and returns [`Effect`]s; the driver carries them out. Hooks say what the agent did, the
//! proxy's calls whether the model is busy, and the screen covers what neither tells (a
//! dialog before its hook, an answer typed in the terminal, a turn cancelled with Esc).

use guest_support::exports::plinth::agent::agent::Signal;
use guest_support::plinth::agent::events::{Role, Urgency};
use guest_support::plinth::agent::log::Level;

use crate::launch::SESSION;
use crate::phase::Phase;
use crate::profile::{HookMeaning, Profile, ScreenState};
use crate::question::Question;
use crate::saved::Saved;
use crate::tool_use;
use crate::trouble;

/// Ticks (about 250 ms each) the screen must disagree with the status before it wins:
/// long enough to span the gap between two model calls, or a dialog's redraw.
pub const SETTLE_TICKS: u16 = 3;
/// Ticks an idle-looking screen must last in the middle of a turn (hooks said a turn is
/// under way, none said it ended) before the status says idle: some agents show no
/// "working" line while a tool runs.
pub const TURN_SETTLE_TICKS: u16 = 40;
/// Failed model calls in a row after which the task waits for its user, whatever the error.
pub const FAILED_CALLS: u32 = 3;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Status {
        phase: Phase,
        detail: String,
    },
    /// The agent asks its user this; `notify`: the wait begins with it (a question that
    /// replaces another in the same wait is asked without a new notification).
    Ask {
        question: Question,
        notify: bool,
    },
    Notify {
        title: String,
        body: String,
        urgency: Urgency,
    },
    Transcript {
        role: Role,
        text: String,
        tool: Option<String>,
        data: Option<String>,
    },
    Log(Level, String),
}

pub fn on_signal(saved: &mut Saved, signal: &Signal, profile: &dyn Profile) -> Vec<Effect> {
    let mut out = Vec::new();
    let name = profile.name();
    match signal {
        Signal::Hook(event) => on_hook(
            saved,
            profile.hook(&event.name, &event.body),
            profile,
            &mut out,
        ),
        Signal::LlmCallStarted(call) => {
            if !saved.llm_in_flight.contains(&call.id) {
                saved.llm_in_flight.push(call.id.clone());
            }
            working_unless_waiting(saved, "thinking", &mut out);
        }
        Signal::LlmCallFinished(result) => {
            saved.llm_in_flight.retain(|id| id != &result.id);
            match &result.error {
                Some(error) => {
                    out.push(Effect::Log(
                        Level::Warn,
                        format!(
                            "{name}: model call {} ({}) failed: {error}",
                            result.id, result.model
                        ),
                    ));
                    saved.failed_calls += 1;
                    let reason = trouble::from_model_error(error).or_else(|| {
                        (saved.failed_calls >= FAILED_CALLS).then(|| {
                            format!(
                                "the model API keeps failing (the last call: {error}); {} retries by itself",
                                profile.agent()
                            )
                        })
                    });
                    if let Some(reason) = reason {
                        in_trouble(saved, reason, profile, &mut out);
                    }
                }
                None => {
                    saved.failed_calls = 0;
                    if saved.trouble.take().is_some() {
                        set_phase(saved, Phase::Working, "thinking", &mut out);
                    }
                }
            }
            if saved.llm_in_flight.is_empty() && !saved.turn_active && saved.phase == Phase::Working
            {
                set_phase(saved, Phase::Idle, "turn finished", &mut out);
            }
        }
        Signal::UserMessage(text) => on_message(saved, text, name, &mut out),
        Signal::Answer(id) => on_answer(saved, id, name, &mut out),
        Signal::ProcessExited(exit) if exit.session != SESSION => {}
        Signal::ProcessExited(exit) => {
            let agent = profile.agent();
            if saved.stop_requested || saved.session_ended || exit.exit_code == Some(0) {
                set_phase(saved, Phase::Finished, &format!("{agent} exited"), &mut out);
            } else {
                let code = exit
                    .exit_code
                    .map_or("an unknown code".to_string(), |c| c.to_string());
                set_phase(
                    saved,
                    Phase::Failed,
                    &format!("{agent} exited with {code}"),
                    &mut out,
                );
            }
            saved.turn_active = false;
            saved.llm_in_flight.clear();
            saved.awaiting_enter = false;
        }
        Signal::ScreenChanged(_) | Signal::Tick(_) => {}
    }
    out
}

fn on_message(saved: &mut Saved, text: &str, name: &str, out: &mut Vec<Effect>) {
    out.push(said(Role::User, text));
    if saved.phase.is_final() {
        out.push(Effect::Log(
            Level::Info,
            format!("{name}: a message after the end; not delivered"),
        ));
        return;
    }
    if saved.phase == Phase::WaitingForUser
        && saved.answer.is_none()
        && saved.trouble.is_none()
        && let Some(question) = &saved.question
        && let Some(reply) = crate::question::read(text, question)
    {
        saved.answer = Some(match reply {
            crate::question::Reply::Choose(choice) => crate::saved::Answer { choice, then: None },
            crate::question::Reply::Instead { choice, text } => crate::saved::Answer {
                choice,
                then: Some(text),
            },
        });
        return;
    }
    saved.pending.push_back(text.to_string());
}

/// The user picked choice `id` of the question asked: the one place an answer by choice
/// id is taken (a message read as an answer ends here too). It is typed when the question
/// is on the screen (see `delivery`).
fn on_answer(saved: &mut Saved, id: &str, name: &str, out: &mut Vec<Effect>) {
    let label = saved
        .question
        .as_ref()
        .and_then(|q| q.choice(id))
        .map(|c| c.label.clone());
    out.push(said(Role::User, label.as_deref().unwrap_or(id)));
    if saved.phase == Phase::WaitingForUser && saved.answer.is_none() && label.is_some() {
        saved.answer = Some(crate::saved::Answer {
            choice: id.to_string(),
            then: None,
        });
    } else {
        out.push(Effect::Log(
            Level::Info,
            format!("{name}: an answer ({id}) while no question of its waits"),
        ));
    }
}

fn on_hook(saved: &mut Saved, hook: HookMeaning, profile: &dyn Profile, out: &mut Vec<Effect>) {
    let name = profile.name();
    match hook {
        HookMeaning::SessionStarted { session } => {
            out.push(Effect::Log(
                Level::Info,
                format!(
                    "{name}: session {} started",
                    session.as_deref().unwrap_or("?")
                ),
            ));
            saved.session_ended = false;
            if session.is_some() {
                saved.session = session;
            }
        }
        HookMeaning::PromptSubmitted { prompt } => {
            saved.turn_active = true;
            if !prompt.trim().is_empty() && !saved.take_echo(&prompt) {
                out.push(Effect::Transcript {
                    role: Role::User,
                    text: prompt,
                    tool: None,
                    data: Some(r#"{"source":"terminal"}"#.into()),
                });
            }
            set_phase(saved, Phase::Working, "thinking", out);
        }
        HookMeaning::ToolStarted { tool, input } => {
            saved.turn_active = true;
            out.push(Effect::Transcript {
                role: Role::Tool,
                text: tool_use::summary(&tool, &input),
                tool: Some(tool.clone()),
                data: Some(tool_use::data(&input)),
            });
            working_unless_waiting(saved, &format!("running {tool}"), out);
        }
        HookMeaning::ToolFinished { tool, id, response } => {
            out.push(Effect::Transcript {
                role: Role::Tool,
                text: tool_use::result_summary(&tool, &response),
                tool: Some(tool),
                data: Some(tool_use::result_data(&id, &response)),
            });
            saved.turn_active = true;
            set_phase(saved, Phase::Working, "thinking", out);
        }
        HookMeaning::Asking(question) => ask(saved, question, out),
        HookMeaning::TurnEnded { reply } => {
            saved.turn_active = false;
            if saved.llm_in_flight.is_empty() {
                set_phase(saved, Phase::Idle, "turn finished", out);
            }
            if let Some(text) = reply.filter(|t| !t.trim().is_empty()) {
                out.push(said(Role::Agent, &tool_use::clip_reply(&text)));
            }
        }
        // Not the end yet: the process's exit is (finished, not failed, after this). A
        // session ended while plinth was down can be told only after a new one started
        // to resume it, whose SessionStart then clears this.
        HookMeaning::SessionEnded { reason } => {
            saved.turn_active = false;
            saved.session_ended = true;
            let why = if reason.is_empty() {
                "no reason given"
            } else {
                &reason
            };
            out.push(Effect::Log(
                Level::Info,
                format!("{name}: its session ended ({why})"),
            ));
        }
        HookMeaning::Nothing(hook) => {
            out.push(Effect::Log(Level::Debug, format!("{name}: hook {hook}")))
        }
    }
}

/// A changed screen that shows the agent stuck on something only the user can fix.
pub fn on_changed_screen(
    saved: &mut Saved,
    state: &ScreenState,
    profile: &dyn Profile,
) -> Vec<Effect> {
    let mut out = Vec::new();
    if saved.phase.is_final() || saved.trouble.is_some() {
        return out;
    }
    if let ScreenState::Trouble(reason) = state {
        in_trouble(saved, reason.clone(), profile, &mut out);
    }
    out
}

fn in_trouble(saved: &mut Saved, reason: String, profile: &dyn Profile, out: &mut Vec<Effect>) {
    if saved.trouble.as_deref() == Some(reason.as_str()) {
        return;
    }
    wait_for_user(saved, &reason, profile, out);
    saved.trouble = Some(reason);
}

/// Whether a tick should read the screen for [`on_screen`]: the status says starting (a
/// dialog before the first turn) or working with no model call running, or a question
/// waits — the cases where a missed hook, or an answer typed in the terminal, leaves it
/// wrong.
pub fn watches_screen(saved: &Saved) -> bool {
    saved.launched
        && matches!(
            saved.phase,
            Phase::Starting | Phase::Working | Phase::WaitingForUser
        )
        && saved.llm_in_flight.is_empty()
}

/// A tick's look at the screen while [`watches_screen`].
pub fn on_screen(saved: &mut Saved, state: &ScreenState) -> Vec<Effect> {
    let mut out = Vec::new();
    if !watches_screen(saved) {
        saved.idle_ticks = 0;
        return out;
    }
    if let ScreenState::Asking(question) = state {
        saved.idle_ticks = 0;
        if saved.phase != Phase::WaitingForUser || saved.question.is_none() {
            ask(saved, question.clone(), &mut out);
        }
        return out;
    }
    // Before its first turn only a question counts: the ready prompt is the driver's cue
    // to type, not an idle agent. A session started again to resume its conversation,
    // with nothing to type, is idle at its prompt.
    if saved.phase == Phase::Starting {
        if saved.resumed && saved.pending.is_empty() && *state == ScreenState::Ready {
            saved.idle_ticks += 1;
            if saved.idle_ticks >= SETTLE_TICKS {
                saved.idle_ticks = 0;
                saved.turn_active = false;
                set_phase(saved, Phase::Idle, "resumed; at its prompt", &mut out);
            }
        }
        return out;
    }
    if saved.phase == Phase::WaitingForUser {
        // The question is gone: answered (here or in the terminal), or cancelled; or the
        // agent gave up on the trouble it is in (which holds the wait, but its turn is over
        // and a message may be typed).
        saved.idle_ticks += 1;
        if saved.idle_ticks >= SETTLE_TICKS {
            match state {
                ScreenState::Busy => {
                    saved.idle_ticks = 0;
                    set_phase(saved, Phase::Working, "thinking", &mut out);
                }
                ScreenState::Ready => {
                    saved.idle_ticks = 0;
                    saved.turn_active = false;
                    set_phase(saved, Phase::Idle, "at its prompt", &mut out);
                }
                _ => {}
            }
        }
        return out;
    }
    if *state == ScreenState::Ready {
        saved.idle_ticks += 1;
        let needed = if saved.turn_active {
            TURN_SETTLE_TICKS
        } else {
            SETTLE_TICKS
        };
        if saved.idle_ticks >= needed {
            saved.idle_ticks = 0;
            saved.turn_active = false;
            set_phase(saved, Phase::Idle, "at its prompt", &mut out);
        }
    } else {
        saved.idle_ticks = 0;
    }
    out
}

/// Working, unless a question waits for the user: only its answer ends the wait.
fn working_unless_waiting(saved: &mut Saved, detail: &str, out: &mut Vec<Effect>) {
    if saved.phase != Phase::WaitingForUser {
        set_phase(saved, Phase::Working, detail, out);
    }
}

/// The agent asks its user `question`: the one place a question is reported. The same
/// question again (its hook, then its screen) says nothing new.
pub fn ask(saved: &mut Saved, question: Question, out: &mut Vec<Effect>) {
    if saved.phase.is_final() {
        return;
    }
    let same = saved.phase == Phase::WaitingForUser
        && saved
            .question
            .as_ref()
            .is_some_and(|q| q.text == question.text && q.detail == question.detail);
    if same {
        return;
    }
    // The screen's reading has the keys; a hook's may know more of the detail. Keep the
    // richer detail for one and the same question.
    let question = match &saved.question {
        Some(old) if saved.phase == Phase::WaitingForUser && question.detail.is_empty() => {
            Question {
                detail: old.detail.clone(),
                ..question
            }
        }
        _ => question,
    };
    let was_waiting = saved.phase == Phase::WaitingForUser;
    saved.phase = Phase::WaitingForUser;
    saved.detail = question.summary();
    saved.idle_ticks = 0;
    saved.question = Some(question.clone());
    out.push(Effect::Ask {
        question,
        notify: !was_waiting,
    });
}

/// Blocked on the user for a reason that is no question: the status says why, and a
/// notification is raised when the wait begins.
fn wait_for_user(saved: &mut Saved, detail: &str, profile: &dyn Profile, out: &mut Vec<Effect>) {
    let was_waiting = saved.phase == Phase::WaitingForUser;
    if set_phase(saved, Phase::WaitingForUser, detail, out) && !was_waiting {
        out.push(Effect::Notify {
            title: format!("{} needs you", profile.agent()),
            body: detail.to_string(),
            urgency: Urgency::NeedsAttention,
        });
    }
}

/// Moves to `phase` unless the task already ended; whether a status was set. Leaving the
/// wait forgets its question.
pub fn set_phase(saved: &mut Saved, phase: Phase, detail: &str, out: &mut Vec<Effect>) -> bool {
    if saved.phase.is_final() {
        return false;
    }
    if saved.trouble.is_some() && !phase.is_final() && phase != Phase::WaitingForUser {
        return false;
    }
    let same = saved.phase == phase && (phase != Phase::WaitingForUser || saved.detail == detail);
    if same {
        return false;
    }
    if phase != Phase::WaitingForUser {
        saved.question = None;
    }
    saved.idle_ticks = 0;
    saved.resumed = false;
    saved.phase = phase;
    saved.detail = detail.to_string();
    out.push(Effect::Status {
        phase,
        detail: detail.to_string(),
    });
    true
}

/// An entry of `role` saying `text`.
pub fn said(role: Role, text: &str) -> Effect {
    Effect::Transcript {
        role,
        text: text.to_string(),
        tool: None,
        data: None,
    }
}
