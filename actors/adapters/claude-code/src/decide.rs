//! Signal + current state → new state and what to do about it. Pure: it changes `Saved`
//! and returns [`Effect`]s; the driver carries them out. Hooks say what Claude Code did,
//! the proxy's calls say whether the model is busy, the screen covers what neither tells
//! (an Esc that ends a turn without a `Stop`, a dialog before its notification).

use crate::exports::plinth::agent::agent::Signal;
use crate::hooks::{Ask, Hook, classify_notification};
use crate::launch::SESSION;
use crate::phase::Phase;
use crate::plinth::agent::events::{Role, Urgency};
use crate::plinth::agent::log::Level;
use crate::saved::Saved;
use crate::screen;
use crate::tool_use;
use crate::trouble;

/// Ticks (about 250 ms each) the screen must look idle before a `working` status that no
/// hook ended is taken back to idle: long enough to span the gap between two model calls.
pub const IDLE_TICKS: u8 = 3;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Status {
        phase: Phase,
        detail: String,
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
    /// Wait for the user on a dialog, asked as a question (`events.ask`): the status is
    /// `waiting-for-user` with `text` its detail.
    Ask {
        text: String,
        detail: Option<String>,
    },
    /// Record the last reply found in Claude Code's transcript file at this path.
    ReadLastReply {
        path: String,
    },
    Log(Level, String),
}

impl Effect {
    pub(crate) fn said(role: Role, text: impl Into<String>) -> Effect {
        Effect::Transcript {
            role,
            text: text.into(),
            tool: None,
            data: None,
        }
    }
}

pub fn on_signal(saved: &mut Saved, signal: &Signal) -> Vec<Effect> {
    let mut out = Vec::new();
    match signal {
        Signal::Hook(event) => on_hook(saved, Hook::parse(&event.name, &event.body), &mut out),
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
                    let message = format!(
                        "claude-code: model call {} ({}) failed: {error}",
                        result.id, result.model
                    );
                    out.push(Effect::Log(Level::Warn, message));
                    if let Some(reason) = trouble::from_model_error(error) {
                        in_trouble(saved, reason, &mut out);
                    }
                }
                // A call went through: whatever stood in the way is gone.
                None => {
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
        // A choice of the dialog's question: its id is the message that answers it.
        Signal::Answer(id) => {
            let label = crate::answer::CHOICES
                .iter()
                .find(|(choice, _, _)| choice == id)
                .map_or(id.as_str(), |(_, label, _)| label);
            out.push(Effect::said(Role::User, label));
            if saved.phase == Phase::WaitingForUser
                && saved.answer.is_none()
                && saved.trouble.is_none()
            {
                saved.answer = Some(id.clone());
            } else {
                out.push(Effect::Log(
                    Level::Info,
                    format!("claude-code: an answer ({id}) while no dialog waits"),
                ));
            }
        }
        Signal::UserMessage(text) => {
            out.push(Effect::said(Role::User, text.clone()));
            if saved.phase.is_final() {
                out.push(Effect::Log(
                    Level::Info,
                    "claude-code: a message after the end; not delivered".into(),
                ));
            } else if saved.phase == Phase::WaitingForUser
                && saved.answer.is_none()
                && saved.trouble.is_none()
            {
                // A dialog's answer; with trouble there is no dialog, and the message is
                // the next prompt (the retry once the user fixed what was wrong).
                saved.answer = Some(text.clone());
            } else {
                saved.pending.push_back(text.clone());
            }
        }
        // Only Claude Code's own session matters; another would be the adapter's business.
        Signal::ProcessExited(exit) if exit.session != SESSION => {}
        Signal::ProcessExited(exit) => {
            let shown = exit
                .exit_code
                .map_or("an unknown code".to_string(), |c| c.to_string());
            // A clean exit is an end, not a crash, even when its SessionEnd hook is still on
            // its way (the pane's exit can be seen first).
            if saved.stop_requested || saved.session_ended || exit.exit_code == Some(0) {
                set_phase(saved, Phase::Finished, "Claude Code exited", &mut out);
            } else {
                set_phase(
                    saved,
                    Phase::Failed,
                    &format!("Claude Code exited with {shown}"),
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

fn on_hook(saved: &mut Saved, hook: Hook, out: &mut Vec<Effect>) {
    match hook {
        Hook::SessionStart => out.push(Effect::Log(
            Level::Info,
            "claude-code: session started".into(),
        )),
        Hook::UserPromptSubmit { prompt } => {
            saved.turn_active = true;
            saved.last_tool = None;
            // A prompt this adapter pasted is already in the transcript (recorded when the
            // user sent it); one typed in the terminal is not.
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
        Hook::PreToolUse { tool, input } => {
            saved.turn_active = true;
            saved.last_tool = Some((tool.clone(), tool_use::summary(&tool, &input)));
            out.push(Effect::Transcript {
                role: Role::Tool,
                text: tool_use::summary(&tool, &input),
                tool: Some(tool.clone()),
                data: Some(tool_use::data(&input)),
            });
            working_unless_waiting(saved, &format!("running {tool}"), out);
        }
        Hook::PostToolUse { tool, id, response } => {
            // Done with: a dialog from now on is about another tool.
            saved.last_tool = None;
            // The result, for the UI to fold under its call (matched by the call's id).
            out.push(Effect::Transcript {
                role: Role::Tool,
                text: tool_use::result_summary(&tool, &response),
                tool: Some(tool),
                data: Some(tool_use::result_data(&id, &response)),
            });
            saved.turn_active = true;
            set_phase(saved, Phase::Working, "thinking", out);
        }
        Hook::Notification { kind, message } => match classify_notification(&kind, &message) {
            Ask::NeedsUser => {
                let detail = if message.is_empty() {
                    "permission prompt".to_string()
                } else {
                    message
                };
                ask_user(saved, &detail, None, out);
            }
            Ask::Idle => {
                if saved.llm_in_flight.is_empty() {
                    saved.turn_active = false;
                    set_phase(saved, Phase::Idle, "waiting for a message", out);
                }
            }
            Ask::Nothing => out.push(Effect::Log(
                Level::Info,
                format!("claude-code: notification: {message}"),
            )),
        },
        Hook::Stop {
            last_message,
            transcript_path,
        } => {
            saved.turn_active = false;
            if saved.llm_in_flight.is_empty() {
                set_phase(saved, Phase::Idle, "turn finished", out);
            }
            match (last_message, transcript_path) {
                (Some(text), _) => out.push(Effect::said(Role::Agent, crate::reply::clip(&text))),
                (None, Some(path)) => out.push(Effect::ReadLastReply { path }),
                (None, None) => {}
            }
        }
        Hook::SessionEnd { reason } => {
            saved.turn_active = false;
            if reason == "clear" {
                set_phase(saved, Phase::Idle, "conversation cleared", out);
            } else {
                saved.session_ended = true;
                let detail = format!(
                    "Claude Code ended its session ({})",
                    if reason.is_empty() {
                        "no reason given"
                    } else {
                        &reason
                    }
                );
                set_phase(saved, Phase::Finished, &detail, out);
            }
        }
        Hook::Other(name) => out.push(Effect::Log(
            Level::Debug,
            format!("claude-code: hook {name}"),
        )),
    }
}

/// A changed screen (the host noticed) that shows Claude Code stuck on something only the
/// user can fix. `has_proxy`: the task's environment points Claude Code at the proxy.
pub fn on_changed_screen(saved: &mut Saved, text: &str, has_proxy: bool) -> Vec<Effect> {
    let mut out = Vec::new();
    if saved.phase.is_final() || saved.trouble.is_some() {
        return out;
    }
    if let Some(reason) = trouble::from_screen(text, has_proxy) {
        in_trouble(saved, reason, &mut out);
    }
    out
}

/// Waits for the user because of `reason` until a model call goes through.
fn in_trouble(saved: &mut Saved, reason: String, out: &mut Vec<Effect>) {
    // Unchanged: the same trouble again (Claude Code's next retry) says nothing new.
    if saved.trouble.as_deref() == Some(reason.as_str()) {
        return;
    }
    wait_for_user(saved, &reason, out);
    saved.trouble = Some(reason);
}

/// Whether a tick should read the screen for [`on_screen`]: the status says working but
/// no model call is running, or a dialog is waiting for the user — the cases where a missed
/// hook, or an answer typed in the terminal (no hook tells of one), leaves it wrong.
pub fn watches_screen(saved: &Saved) -> bool {
    (saved.phase == Phase::Working || saved.phase == Phase::WaitingForUser)
        && saved.llm_in_flight.is_empty()
}

/// A tick's look at the screen while [`watches_screen`].
pub fn on_screen(saved: &mut Saved, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    if !watches_screen(saved) {
        saved.idle_ticks = 0;
        return out;
    }
    if screen::dialog_open(text) {
        saved.idle_ticks = 0;
        // Asked again only when the screen tells more than the wait says (a notification
        // that came before the tool's hook): an unchanged question sets nothing.
        let said = if saved.phase == Phase::WaitingForUser {
            saved.detail.clone()
        } else {
            "a dialog is waiting for an answer".to_string()
        };
        ask_user(saved, &said, screen::dialog_subject(text), &mut out);
        return out;
    }
    if saved.phase == Phase::WaitingForUser {
        // The dialog is gone: answered in the terminal. Only after a few ticks, since
        // Claude Code redraws a dialog it has just shown.
        saved.idle_ticks += 1;
        if saved.idle_ticks >= IDLE_TICKS {
            if screen::busy(text) {
                saved.idle_ticks = 0;
                set_phase(saved, Phase::Working, "thinking", &mut out);
            } else if screen::input_ready(text) {
                saved.idle_ticks = 0;
                saved.turn_active = false;
                set_phase(saved, Phase::Idle, "at its prompt", &mut out);
            }
        }
        return out;
    }
    if screen::input_ready(text) {
        saved.idle_ticks += 1;
        if saved.idle_ticks >= IDLE_TICKS {
            saved.idle_ticks = 0;
            saved.turn_active = false;
            set_phase(saved, Phase::Idle, "at its prompt", &mut out);
        }
    } else {
        saved.idle_ticks = 0;
    }
    out
}

/// Working, unless a dialog waits for the user. The signals that call this can land after
/// the screen showed the dialog they preceded (Claude Code posts `PreToolUse` before it asks
/// for the tool's permission; the proxy's model-call signals travel apart from the screen):
/// only an answer ends a wait — the tool's `PostToolUse`, a prompt, or the dialog gone.
fn working_unless_waiting(saved: &mut Saved, detail: &str, out: &mut Vec<Effect>) {
    if saved.phase != Phase::WaitingForUser {
        set_phase(saved, Phase::Working, detail, out);
    }
}

/// Blocked on the user: the status says why, and a notification is raised once, when the
/// wait begins (a later notification for the same wait only updates the detail).
fn wait_for_user(saved: &mut Saved, detail: &str, out: &mut Vec<Effect>) {
    let was_waiting = saved.phase == Phase::WaitingForUser;
    if set_phase(saved, Phase::WaitingForUser, detail, out) && !was_waiting {
        out.push(Effect::Notify {
            title: "Claude Code needs you".into(),
            body: detail.to_string(),
            urgency: Urgency::NeedsAttention,
        });
    }
}

/// Blocked on a dialog: asked as a question, "Allow Bash?" about the tool Claude Code said
/// it would run (its command or path the detail), else about the tool call `seen` drawn
/// above the dialog, else `said` (what the notification or the screen told). Notified
/// once, as [`wait_for_user`] does.
fn ask_user(saved: &mut Saved, said: &str, seen: Option<(String, String)>, out: &mut Vec<Effect>) {
    let seen = seen.map(|(tool, argument)| {
        let summary = format!("{tool}: {argument}");
        (tool, summary)
    });
    let (text, detail) = match saved.last_tool.clone().or(seen) {
        Some((tool, summary)) => (format!("Allow {tool}?"), Some(summary)),
        None => (said.to_string(), None),
    };
    let was_waiting = saved.phase == Phase::WaitingForUser;
    if !set_phase(saved, Phase::WaitingForUser, &text, out) {
        return;
    }
    // The question carries the status.
    out.pop();
    out.push(Effect::Ask {
        text: text.clone(),
        detail: detail.clone(),
    });
    if !was_waiting {
        out.push(Effect::Notify {
            title: "Claude Code needs you".into(),
            body: match detail {
                Some(detail) => format!("{text} {detail}"),
                None => text,
            },
            urgency: Urgency::NeedsAttention,
        });
    }
}

/// Moves to `phase` unless the task already ended; returns whether a status was set.
/// Working and idle do not repeat for a new detail (one event per change, not per tool);
/// waiting for the user does, since the detail says what the user must do.
pub fn set_phase(saved: &mut Saved, phase: Phase, detail: &str, out: &mut Vec<Effect>) -> bool {
    if saved.phase.is_final() {
        return false;
    }
    // Trouble holds the wait: Claude Code's spinner while it retries, its prompt after it
    // gave up, or a hook do not mean it can work; only a call that goes through does (it
    // clears the trouble first), or an end.
    if saved.trouble.is_some() && !phase.is_final() && phase != Phase::WaitingForUser {
        return false;
    }
    let same = saved.phase == phase && (phase != Phase::WaitingForUser || saved.detail == detail);
    if same {
        return false;
    }
    saved.phase = phase;
    saved.detail = detail.to_string();
    out.push(Effect::Status {
        phase,
        detail: detail.to_string(),
    });
    true
}
