//! The status decisions, signal by signal.

use crate::decide::{Effect, IDLE_TICKS, on_screen, on_signal, watches_screen};
use crate::exports::plinth::agent::agent::{HookEvent, LlmCall, LlmResult, Signal};
use crate::phase::Phase;
use crate::plinth::agent::events::{Role, Urgency};
use crate::saved::Saved;

const READY: &str = "────\n❯ \n────";
const BUSY: &str = "✻ Working… (esc to interrupt)\n────\n❯ \n────";

fn hook(name: &str, body: &str) -> Signal {
    Signal::Hook(HookEvent {
        name: name.into(),
        body: body.into(),
    })
}

fn started(id: &str) -> Signal {
    Signal::LlmCallStarted(LlmCall {
        id: id.into(),
        model: "claude-test".into(),
    })
}

fn finished(id: &str, error: Option<&str>) -> Signal {
    Signal::LlmCallFinished(LlmResult {
        id: id.into(),
        model: "claude-test".into(),
        stop_reason: error.is_none().then(|| "end_turn".to_string()),
        input_tokens: 10,
        output_tokens: 5,
        error: error.map(str::to_string),
    })
}

fn statuses(effects: &[Effect]) -> Vec<(Phase, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Status { phase, detail } => Some((*phase, detail.clone())),
            // A dialog's wait is asked as a question, whose text is the status's detail.
            Effect::Ask { text, .. } => Some((Phase::WaitingForUser, text.clone())),
            _ => None,
        })
        .collect()
}

fn phase_after(saved: &mut Saved, signal: Signal) -> Phase {
    on_signal(saved, &signal);
    saved.phase
}

fn at(phase: Phase) -> Saved {
    Saved {
        phase,
        launched: true,
        ..Saved::default()
    }
}

#[test]
fn prompts_tools_and_model_calls_mean_working() {
    for signal in [
        hook("UserPromptSubmit", r#"{"prompt":"go"}"#),
        hook(
            "PreToolUse",
            r#"{"tool_name":"Bash","tool_input":{"command":"ls"}}"#,
        ),
        hook("PostToolUse", r#"{"tool_name":"Bash"}"#),
        started("c1"),
    ] {
        let mut saved = at(Phase::Idle);
        let effects = on_signal(&mut saved, &signal);
        assert_eq!(saved.phase, Phase::Working, "{signal:?}");
        assert_eq!(statuses(&effects).len(), 1);
    }
}

#[test]
fn working_is_set_once_not_per_tool() {
    let mut saved = at(Phase::Idle);
    on_signal(&mut saved, &hook("UserPromptSubmit", r#"{"prompt":"go"}"#));
    let effects = on_signal(
        &mut saved,
        &hook("PreToolUse", r#"{"tool_name":"Read","tool_input":{}}"#),
    );
    assert!(statuses(&effects).is_empty());
}

#[test]
fn pre_tool_use_records_the_tool_with_its_input() {
    let mut saved = at(Phase::Working);
    let effects = on_signal(
        &mut saved,
        &hook(
            "PreToolUse",
            r#"{"tool_name":"Bash","tool_input":{"command":"cargo test"}}"#,
        ),
    );
    assert_eq!(
        effects,
        [Effect::Transcript {
            role: Role::Tool,
            text: "Bash: cargo test".into(),
            tool: Some("Bash".into()),
            data: Some(r#"{"command":"cargo test"}"#.into()),
        }]
    );
}

#[test]
fn a_permission_notification_waits_for_the_user_and_notifies_once() {
    let mut saved = at(Phase::Working);
    let body = r#"{"message":"Claude needs your permission to use Bash","notification_type":"permission_prompt"}"#;
    let effects = on_signal(&mut saved, &hook("Notification", body));
    assert_eq!(saved.phase, Phase::WaitingForUser);
    assert_eq!(
        effects,
        [
            Effect::Ask {
                text: "Claude needs your permission to use Bash".into(),
                detail: None,
            },
            Effect::Notify {
                title: "Claude Code needs you".into(),
                body: "Claude needs your permission to use Bash".into(),
                urgency: Urgency::NeedsAttention,
            },
        ]
    );
    // The same prompt again changes nothing; another one updates the detail, no new alert.
    assert!(on_signal(&mut saved, &hook("Notification", body)).is_empty());
    let other = r#"{"message":"Claude needs your permission to use Edit"}"#;
    let effects = on_signal(&mut saved, &hook("Notification", other));
    assert_eq!(statuses(&effects).len(), 1);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notify { .. })));
    // Approving it runs the tool.
    assert_eq!(
        phase_after(&mut saved, hook("PostToolUse", "{}")),
        Phase::Working
    );
}

#[test]
fn stop_means_idle_unless_a_model_call_is_still_running() {
    let mut saved = at(Phase::Working);
    saved.turn_active = true;
    assert_eq!(phase_after(&mut saved, hook("Stop", "{}")), Phase::Idle);

    let mut saved = at(Phase::Working);
    on_signal(&mut saved, &started("c1"));
    assert_eq!(phase_after(&mut saved, hook("Stop", "{}")), Phase::Working);
    assert_eq!(phase_after(&mut saved, finished("c1", None)), Phase::Idle);
}

#[test]
fn a_model_call_that_ends_mid_turn_stays_working() {
    let mut saved = at(Phase::Idle);
    on_signal(&mut saved, &hook("UserPromptSubmit", r#"{"prompt":"go"}"#));
    on_signal(&mut saved, &started("c1"));
    assert_eq!(
        phase_after(&mut saved, finished("c1", None)),
        Phase::Working
    );
}

#[test]
fn a_model_call_outside_a_turn_returns_to_idle() {
    let mut saved = at(Phase::Idle);
    assert_eq!(phase_after(&mut saved, started("side")), Phase::Working);
    let effects = on_signal(&mut saved, &finished("side", Some("overloaded")));
    assert_eq!(saved.phase, Phase::Idle);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Log(_, m) if m.contains("overloaded")))
    );
}

#[test]
fn idle_prompt_notification_means_idle_when_no_call_runs() {
    let mut saved = at(Phase::Working);
    let body =
        r#"{"message":"Claude is waiting for your input","notification_type":"idle_prompt"}"#;
    assert_eq!(
        phase_after(&mut saved, hook("Notification", body)),
        Phase::Idle
    );
    let mut saved = at(Phase::Working);
    on_signal(&mut saved, &started("c1"));
    assert_eq!(
        phase_after(&mut saved, hook("Notification", body)),
        Phase::Working
    );
}

#[test]
fn stop_records_the_reply_from_the_body_or_asks_for_the_transcript() {
    let mut saved = at(Phase::Working);
    let effects = on_signal(
        &mut saved,
        &hook("Stop", r#"{"last_assistant_message":"All done."}"#),
    );
    assert!(effects.contains(&Effect::Transcript {
        role: Role::Agent,
        text: "All done.".into(),
        tool: None,
        data: None
    }));
    let mut saved = at(Phase::Working);
    let effects = on_signal(
        &mut saved,
        &hook("Stop", r#"{"transcript_path":"/h/t.jsonl"}"#),
    );
    assert!(effects.contains(&Effect::ReadLastReply {
        path: "/h/t.jsonl".into()
    }));
}

#[test]
fn a_prompt_typed_in_the_terminal_is_recorded_but_a_delivered_one_is_not_again() {
    let mut saved = at(Phase::Idle);
    saved.remember_echo("from plinth");
    let effects = on_signal(
        &mut saved,
        &hook("UserPromptSubmit", r#"{"prompt":"from plinth"}"#),
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Transcript { .. }))
    );
    let effects = on_signal(
        &mut saved,
        &hook("UserPromptSubmit", r#"{"prompt":"typed by hand"}"#),
    );
    assert!(effects.contains(&Effect::Transcript {
        role: Role::User,
        text: "typed by hand".into(),
        tool: None,
        data: Some(r#"{"source":"terminal"}"#.into()),
    }));
}

#[test]
fn a_user_message_is_recorded_and_queued() {
    let mut saved = at(Phase::Idle);
    let effects = on_signal(&mut saved, &Signal::UserMessage("next please".into()));
    assert_eq!(
        effects,
        [Effect::Transcript {
            role: Role::User,
            text: "next please".into(),
            tool: None,
            data: None
        }]
    );
    assert_eq!(saved.pending, ["next please"]);
}

#[test]
fn an_unclean_exit_fails_the_task_unless_stop_was_asked_or_the_session_ended() {
    let mut saved = at(Phase::Working);
    let effects = on_signal(&mut saved, &Signal::ProcessExited(exited(Some(137))));
    assert_eq!(
        statuses(&effects),
        [(Phase::Failed, "Claude Code exited with 137".to_string())]
    );
    let effects = on_signal(&mut saved, &started("late"));
    assert!(effects.is_empty(), "a failed task stays failed");

    let mut saved = at(Phase::Idle);
    saved.stop_requested = true;
    assert_eq!(
        phase_after(&mut saved, Signal::ProcessExited(exited(Some(0)))),
        Phase::Finished
    );

    let mut saved = at(Phase::Idle);
    assert_eq!(
        phase_after(
            &mut saved,
            hook("SessionEnd", r#"{"reason":"prompt_input_exit"}"#)
        ),
        Phase::Finished
    );
    assert_eq!(
        phase_after(&mut saved, Signal::ProcessExited(exited(None))),
        Phase::Finished
    );
}

#[test]
fn a_clean_exit_before_its_session_end_hook_finishes_the_task() {
    let mut saved = at(Phase::Idle);
    let effects = on_signal(&mut saved, &Signal::ProcessExited(exited(Some(0))));
    assert_eq!(
        statuses(&effects),
        [(Phase::Finished, "Claude Code exited".to_string())]
    );
    // The hook that comes after changes nothing.
    let late = hook("SessionEnd", r#"{"reason":"prompt_input_exit"}"#);
    assert!(statuses(&on_signal(&mut saved, &late)).is_empty());
    assert_eq!(saved.phase, Phase::Finished);
}

#[test]
fn the_exit_of_another_session_is_not_claude_code_exiting() {
    let mut saved = at(Phase::Working);
    let other = crate::exports::plinth::agent::agent::ProcessExit {
        session: "helper".into(),
        exit_code: Some(1),
    };
    let effects = on_signal(&mut saved, &Signal::ProcessExited(other));
    assert!(statuses(&effects).is_empty(), "{effects:?}");
    assert_eq!(saved.phase, Phase::Working);
}

#[test]
fn clearing_the_conversation_is_not_an_end() {
    let mut saved = at(Phase::Working);
    assert_eq!(
        phase_after(&mut saved, hook("SessionEnd", r#"{"reason":"clear"}"#)),
        Phase::Idle
    );
    assert!(!saved.session_ended);
}

#[test]
fn the_screen_ends_a_turn_no_hook_ended() {
    let mut saved = at(Phase::Working);
    assert!(watches_screen(&saved));
    for _ in 1..IDLE_TICKS {
        assert!(on_screen(&mut saved, READY).is_empty());
    }
    let effects = on_screen(&mut saved, READY);
    assert_eq!(
        statuses(&effects),
        [(Phase::Idle, "at its prompt".to_string())]
    );
}

#[test]
fn a_busy_screen_resets_the_count() {
    let mut saved = at(Phase::Working);
    for _ in 0..10 {
        on_screen(&mut saved, READY);
        on_screen(&mut saved, BUSY);
    }
    assert_eq!(saved.phase, Phase::Working);
}

#[test]
fn the_screen_is_not_watched_while_a_call_runs_or_when_not_working() {
    let mut saved = at(Phase::Working);
    saved.llm_in_flight.push("c".into());
    assert!(!watches_screen(&saved));
    assert!(!watches_screen(&at(Phase::Idle)));
}

#[test]
fn a_permission_dialog_on_screen_waits_for_the_user() {
    let screen = "● Bash(rm -rf build)\n Do you want to proceed?\n ❯ 1. Yes\n   2. No";
    let mut saved = at(Phase::Working);
    let effects = on_screen(&mut saved, screen);
    assert_eq!(saved.phase, Phase::WaitingForUser);
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Notify {
            urgency: Urgency::NeedsAttention,
            ..
        }
    )));
}

#[test]
fn auto_modes_own_dialog_notification_waits_for_the_user() {
    let mut saved = at(Phase::Working);
    let body = r#"{"message":"Auto mode can't check actions in this session and needs your choice","notification_type":"agent_needs_input"}"#;
    let effects = on_signal(&mut saved, &hook("Notification", body));
    assert_eq!(saved.phase, Phase::WaitingForUser);
    assert_eq!(
        statuses(&effects),
        [(
            Phase::WaitingForUser,
            "Auto mode can't check actions in this session and needs your choice".to_string()
        )]
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Notify { .. })));
}

#[test]
fn a_message_while_waiting_for_the_user_is_the_answer_not_a_queued_prompt() {
    let mut saved = at(Phase::WaitingForUser);
    on_signal(&mut saved, &Signal::UserMessage("yes".into()));
    assert_eq!(saved.answer.as_deref(), Some("yes"));
    assert!(saved.pending.is_empty());
    // A second one, before the first was given, waits as an ordinary message.
    on_signal(
        &mut saved,
        &Signal::UserMessage("then run the tests".into()),
    );
    assert_eq!(saved.pending, ["then run the tests"]);
}

#[test]
fn a_dialog_answered_in_the_terminal_goes_back_to_working_or_idle() {
    let mut saved = at(Phase::WaitingForUser);
    assert!(watches_screen(&saved));
    for _ in 1..IDLE_TICKS {
        assert!(
            on_screen(&mut saved, BUSY).is_empty(),
            "not at the first look"
        );
    }
    let effects = on_screen(&mut saved, BUSY);
    assert_eq!(
        statuses(&effects),
        [(Phase::Working, "thinking".to_string())]
    );

    let mut saved = at(Phase::WaitingForUser);
    saved.turn_active = true;
    for _ in 0..IDLE_TICKS {
        on_screen(&mut saved, READY);
    }
    assert_eq!(
        saved.phase,
        Phase::Idle,
        "cancelled with Esc: back at the prompt"
    );
    assert!(!saved.turn_active);
}

#[test]
fn a_dialog_still_open_keeps_the_wait_without_a_second_notification() {
    let screen = " Do you want to create x?\n ❯ No\n   Yes\n Esc to cancel · Tab to amend";
    let mut saved = at(Phase::WaitingForUser);
    for _ in 0..5 {
        assert!(on_screen(&mut saved, screen).is_empty());
    }
    assert_eq!(saved.phase, Phase::WaitingForUser);
}

#[test]
fn a_late_pre_tool_use_does_not_end_the_wait_its_dialog_began() {
    let dialog = " Do you want to proceed?\n ❯ 1. Yes\n   2. No\n Esc to cancel";
    let mut saved = at(Phase::Working);
    on_screen(&mut saved, dialog);
    assert_eq!(saved.phase, Phase::WaitingForUser);
    let late = hook(
        "PreToolUse",
        r#"{"tool_name":"Bash","tool_input":{"command":"touch a"}}"#,
    );
    let effects = on_signal(&mut saved, &late);
    assert_eq!(saved.phase, Phase::WaitingForUser);
    assert!(statuses(&effects).is_empty());
    assert_eq!(
        phase_after(&mut saved, hook("PostToolUse", r#"{"tool_name":"Bash"}"#)),
        Phase::Working
    );
}

#[test]
fn a_late_model_call_signal_does_not_end_a_wait() {
    let mut saved = at(Phase::WaitingForUser);
    assert!(on_signal(&mut saved, &started("c1")).is_empty());
    assert_eq!(saved.phase, Phase::WaitingForUser);
    on_signal(&mut saved, &finished("c1", None));
    assert_eq!(saved.phase, Phase::WaitingForUser);
    assert!(saved.llm_in_flight.is_empty());
}

fn exited(exit_code: Option<i32>) -> crate::exports::plinth::agent::agent::ProcessExit {
    crate::exports::plinth::agent::agent::ProcessExit {
        session: "agent".into(),
        exit_code,
    }
}

fn notifications(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| {
            matches!(
                e,
                Effect::Notify {
                    urgency: Urgency::NeedsAttention,
                    ..
                }
            )
        })
        .count()
}

#[test]
fn a_refused_key_waits_for_the_user_at_once_and_claude_codes_retries_do_not_end_it() {
    let mut saved = at(Phase::Working);
    saved.turn_active = true;
    on_signal(&mut saved, &started("c1"));
    let effects = on_signal(
        &mut saved,
        &finished("c1", Some("401 authentication_error: invalid x-api-key")),
    );
    assert_eq!(
        statuses(&effects),
        [(
            Phase::WaitingForUser,
            "the model API refused the key (401): authentication_error: invalid x-api-key"
                .to_string()
        )]
    );
    assert_eq!(notifications(&effects), 1);
    // Claude Code retries for minutes: each retry fails the same way, its spinner shows,
    // and when it gives up it is back at its prompt with its Stop hook; none of it is news.
    for call in ["c2", "c3"] {
        let mut effects = on_signal(&mut saved, &started(call));
        effects.extend(on_signal(
            &mut saved,
            &finished(call, Some("401 authentication_error: invalid x-api-key")),
        ));
        assert!(statuses(&effects).is_empty(), "{effects:?}");
    }
    for _ in 0..IDLE_TICKS + 1 {
        assert!(statuses(&on_screen(&mut saved, BUSY)).is_empty());
        assert!(statuses(&on_screen(&mut saved, READY)).is_empty());
    }
    assert!(statuses(&on_signal(&mut saved, &hook("Stop", "{}"))).is_empty());
    assert_eq!(saved.phase, Phase::WaitingForUser);

    // The user fixed the key and sends the prompt again: it is the next prompt, not a
    // dialog's answer, and the first call that goes through ends the wait.
    on_signal(&mut saved, &Signal::UserMessage("try again".into()));
    assert_eq!(saved.pending, ["try again"]);
    assert_eq!(saved.answer, None);
    on_signal(
        &mut saved,
        &hook("UserPromptSubmit", r#"{"prompt":"try again"}"#),
    );
    on_signal(&mut saved, &started("c4"));
    let effects = on_signal(&mut saved, &finished("c4", None));
    assert_eq!(
        statuses(&effects)[0],
        (Phase::Working, "thinking".to_string())
    );
    assert_eq!(saved.trouble, None);
    assert_eq!(phase_after(&mut saved, hook("Stop", "{}")), Phase::Idle);
}

#[test]
fn a_rate_limit_and_an_unreachable_api_wait_for_the_user_with_the_reason() {
    for (error, says) in [
        (
            "429 rate_limit_error: Number of requests has exceeded your rate limit",
            "(429)",
        ),
        (
            "plinth's LLM proxy could not reach the model API at http://127.0.0.1:9: connection refused",
            "the model API cannot be reached",
        ),
        ("403 permission_error: not allowed", "refused the key (403)"),
    ] {
        let mut saved = at(Phase::Starting);
        on_signal(&mut saved, &started("c1"));
        let effects = on_signal(&mut saved, &finished("c1", Some(error)));
        let status = statuses(&effects);
        assert_eq!(status.len(), 1, "{error}: {effects:?}");
        assert_eq!(status[0].0, Phase::WaitingForUser);
        assert!(status[0].1.contains(says), "{status:?}");
        assert_eq!(notifications(&effects), 1);
    }
}

#[test]
fn an_overload_is_left_to_claude_codes_own_retries() {
    let mut saved = at(Phase::Working);
    saved.turn_active = true;
    on_signal(&mut saved, &started("c1"));
    let effects = on_signal(
        &mut saved,
        &finished("c1", Some("529 overloaded_error: Overloaded")),
    );
    assert!(statuses(&effects).is_empty(), "{effects:?}");
    assert_eq!(saved.phase, Phase::Working);
    assert_eq!(saved.trouble, None);
    assert_eq!(notifications(&effects), 0);
}

#[test]
fn not_logged_in_on_the_screen_waits_for_the_user_even_while_starting() {
    use crate::decide::on_changed_screen;
    use crate::screens::{NOT_LOGGED_IN_AFTER_PROMPT, NOT_LOGGED_IN_AT_START};
    let mut saved = at(Phase::Starting);
    let effects = on_changed_screen(&mut saved, NOT_LOGGED_IN_AT_START, false);
    let status = statuses(&effects);
    assert_eq!(status.len(), 1, "{effects:?}");
    assert_eq!(status[0].0, Phase::WaitingForUser);
    assert!(
        status[0]
            .1
            .starts_with("Claude Code is not logged in: the task has no model proxy"),
        "{status:?}"
    );
    assert_eq!(notifications(&effects), 1);
    // The same screen after the prompt: still the one wait, no second notification.
    let effects = on_changed_screen(&mut saved, NOT_LOGGED_IN_AFTER_PROMPT, false);
    assert!(effects.is_empty(), "{effects:?}");
    // A hook (the prompt was submitted) does not make it work.
    on_signal(&mut saved, &hook("UserPromptSubmit", r#"{"prompt":"x"}"#));
    assert_eq!(saved.phase, Phase::WaitingForUser);
    // Once logged in (by hand, in the terminal), the first call that goes through ends it.
    on_signal(&mut saved, &started("c1"));
    on_signal(&mut saved, &finished("c1", None));
    assert_eq!(saved.phase, Phase::Working);
}

#[test]
fn resend_your_message_on_the_screen_waits_for_the_user_with_the_error() {
    use crate::decide::on_changed_screen;
    use crate::screens::RESEND_AFTER_401;
    let mut saved = at(Phase::Idle);
    let effects = on_changed_screen(&mut saved, RESEND_AFTER_401, true);
    assert_eq!(saved.phase, Phase::WaitingForUser);
    assert!(
        saved
            .detail
            .starts_with("Claude Code stopped on an error: "),
        "{}",
        saved.detail
    );
    assert_eq!(notifications(&effects), 1);
    // Ordinary screens say nothing.
    let mut saved = at(Phase::Idle);
    assert!(on_changed_screen(&mut saved, READY, true).is_empty());
    assert!(on_changed_screen(&mut saved, BUSY, true).is_empty());
}

#[test]
fn trouble_survives_a_restart_of_the_adapter() {
    let mut saved = at(Phase::Working);
    on_signal(&mut saved, &started("c1"));
    on_signal(
        &mut saved,
        &finished("c1", Some("401 authentication_error: bad key")),
    );
    let back = Saved::decode(&saved.encode()).unwrap();
    assert_eq!(back.trouble, saved.trouble);
    assert!(back.trouble.is_some());
}

#[test]
fn a_permission_dialog_asks_about_the_tool_it_is_for_and_its_answer_is_kept() {
    let mut saved = at(Phase::Working);
    on_signal(
        &mut saved,
        &hook(
            "PreToolUse",
            r#"{"tool_name":"Bash","tool_input":{"command":"rm -rf build"}}"#,
        ),
    );
    let body = r#"{"message":"Claude needs your permission to use Bash","notification_type":"permission_prompt"}"#;
    let effects = on_signal(&mut saved, &hook("Notification", body));
    assert_eq!(
        effects[0],
        Effect::Ask {
            text: "Allow Bash?".into(),
            detail: Some("Bash: rm -rf build".into()),
        }
    );
    assert!(
        matches!(&effects[1], Effect::Notify { body, .. } if body == "Allow Bash? Bash: rm -rf build")
    );
    // The screen showing the same dialog asks nothing more.
    let screen = "● Bash(rm -rf build)\n Do you want to proceed?\n ❯ 1. Yes\n   2. No";
    assert!(on_screen(&mut saved, screen).is_empty());

    let effects = on_signal(&mut saved, &Signal::Answer("always".into()));
    assert_eq!(
        effects,
        [Effect::said(Role::User, "Yes, and don't ask again")]
    );
    assert_eq!(saved.answer.as_deref(), Some("always"));
}

#[test]
fn an_answer_with_no_dialog_waiting_is_only_logged() {
    let mut saved = at(Phase::Working);
    let effects = on_signal(&mut saved, &Signal::Answer("yes".into()));
    assert!(matches!(effects.last(), Some(Effect::Log(..))));
    assert_eq!(saved.answer, None);
}

#[test]
fn a_finished_tool_is_not_what_the_next_dialog_asks_about() {
    let mut saved = at(Phase::Working);
    let pre = r#"{"tool_name":"Bash","tool_input":{"command":"ls"}}"#;
    on_signal(&mut saved, &hook("PreToolUse", pre));
    let post = r#"{"tool_name":"Bash","tool_use_id":"t1","tool_response":{"stdout":""}}"#;
    on_signal(&mut saved, &hook("PostToolUse", post));
    let screen = "● Bash(rm -rf build)\n Do you want to proceed?\n ❯ 1. Yes\n   2. No";
    let effects = on_screen(&mut saved, screen);
    // The dialog is about the call the screen draws above it, not the finished one.
    assert_eq!(
        effects[0],
        Effect::Ask {
            text: "Allow Bash?".into(),
            detail: Some("Bash: rm -rf build".into()),
        }
    );
    let mut bare = at(Phase::Working);
    let effects = on_screen(&mut bare, " Do you want to proceed?\n ❯ 1. Yes\n   2. No");
    assert_eq!(
        effects[0],
        Effect::Ask {
            text: "a dialog is waiting for an answer".into(),
            detail: None,
        }
    );
}

#[test]
fn a_notification_before_its_tools_hook_is_asked_again_about_the_tool_on_the_screen() {
    let mut saved = at(Phase::Working);
    let body = r#"{"message":"Claude needs your permission to use Bash","notification_type":"permission_prompt"}"#;
    on_signal(&mut saved, &hook("Notification", body));
    let effects = on_screen(&mut saved, crate::screens::NUMBERED);
    assert_eq!(
        effects,
        [Effect::Ask {
            text: "Allow Bash?".into(),
            detail: Some("Bash: touch first.txt".into()),
        }],
        "no second notification for the same wait"
    );
    assert!(on_screen(&mut saved, crate::screens::NUMBERED).is_empty());
}
