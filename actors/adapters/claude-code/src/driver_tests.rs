//! The driver against a recording fake: launch, resume, delivery, and the state it saves.

use serde_json::Value;

use crate::driver::{Driver, TaskInput};
use crate::exports::plinth::agent::agent::{HookEvent, Signal};
use crate::fake::Fake;
use crate::phase::Phase;
use crate::plinth::agent::types::CapError;
use crate::saved::Saved;

const READY: &str = "────\n❯ \n────\n  ? for shortcuts";
const KEY: &str = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123";

fn task(extra: &[(&str, &str)]) -> TaskInput {
    let mut env = vec![
        (
            "ANTHROPIC_BASE_URL".to_string(),
            "http://10.0.0.1:1/proxy".to_string(),
        ),
        ("ANTHROPIC_API_KEY".to_string(), KEY.to_string()),
        (
            "PLINTH_HOOK_URL".to_string(),
            "http://host:1/hooks/t1".to_string(),
        ),
        ("PLINTH_HOOK_TOKEN".to_string(), "hook-token".to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    TaskInput {
        prompt: "Fix the flaky test".into(),
        workdir: "/work/repo".into(),
        env,
    }
}

fn json_file(fake: &Fake, path: &str) -> Value {
    serde_json::from_slice(&fake.files[path]).unwrap()
}

fn saved_state(fake: &Fake) -> Saved {
    Saved::decode(fake.saved.as_ref().unwrap()).unwrap()
}

fn hook(name: &str, body: &str) -> Signal {
    Signal::Hook(HookEvent {
        name: name.into(),
        body: body.into(),
    })
}

#[test]
fn a_first_start_configures_and_launches_claude_code() {
    let mut fake = Fake::default();
    let driver = Driver::start(task(&[]), None, &mut fake).unwrap();

    let claude = json_file(&fake, "/home/agent/.claude.json");
    assert_eq!(claude["hasCompletedOnboarding"], true);
    assert_eq!(
        claude["projects"]["/work/repo"]["hasTrustDialogAccepted"],
        true
    );
    assert_eq!(
        claude["customApiKeyResponses"]["approved"][0],
        &KEY[KEY.len() - 20..]
    );
    let settings = json_file(&fake, "/home/agent/.claude/settings.json");
    assert_eq!(settings["hooks"].as_object().unwrap().len(), 7);

    let spec = &fake.sessions[0];
    assert_eq!(spec.name, "agent");
    assert_eq!(spec.command, ["claude"]);
    assert!(
        spec.env
            .contains(&("PLINTH_HOOK_TOKEN".into(), "hook-token".into()))
    );
    assert!(spec.env.contains(&("IS_SANDBOX".into(), "1".into())));

    assert_eq!(fake.calls[0], "alive? agent");
    assert_eq!(fake.calls[1], "status Starting: configuring Claude Code");
    assert!(
        fake.calls
            .contains(&"transcript user: Fix the flaky test".to_string())
    );
    let state = saved_state(&fake);
    assert!(state.launched && state.prompt_queued);
    assert_eq!(state.pending, ["Fix the flaky test"]);
    assert_eq!(driver.saved().phase, Phase::Starting);
    // The screen is empty at first: nothing typed yet.
    assert!(fake.calls_starting("paste").is_empty());
}

#[test]
fn skip_permissions_and_home_come_from_the_task() {
    let mut fake = Fake::default();
    Driver::start(
        task(&[("PLINTH_SKIP_PERMISSIONS", "1"), ("HOME", "/root")]),
        None,
        &mut fake,
    )
    .unwrap();
    assert_eq!(
        fake.sessions[0].command,
        ["claude", "--dangerously-skip-permissions"]
    );
    assert!(fake.files.contains_key("/root/.claude.json"));
    assert_eq!(
        json_file(&fake, "/root/.claude/settings.json")["skipDangerousModePermissionPrompt"],
        true
    );
}

#[test]
fn the_prompt_is_pasted_when_the_tui_is_ready_and_entered_on_the_next_signal() {
    let mut fake = Fake::default();
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    driver.on_signal(&Signal::Tick(1), &mut fake);
    assert!(fake.calls_starting("paste").is_empty());

    fake.screen = READY.into();
    driver.on_signal(&Signal::ScreenChanged("agent".into()), &mut fake);
    assert_eq!(
        fake.calls_starting("paste"),
        ["paste agent Fix the flaky test"]
    );
    // Saved, with the message out of the queue, before it was typed.
    let paste_at = fake
        .calls
        .iter()
        .position(|c| c.starts_with("paste"))
        .unwrap();
    assert_eq!(fake.calls[paste_at - 1], "save");
    assert!(saved_state(&fake).pending.is_empty());
    assert!(fake.calls_starting("keys").is_empty());

    driver.on_signal(&Signal::Tick(2), &mut fake);
    assert_eq!(fake.calls_starting("keys"), ["keys agent Enter"]);
    assert!(!saved_state(&fake).awaiting_enter);
}

#[test]
fn later_messages_wait_for_the_turn_to_end() {
    let mut fake = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    driver.on_signal(&Signal::Tick(1), &mut fake); // Enter for the prompt
    driver.on_signal(
        &hook("UserPromptSubmit", r#"{"prompt":"Fix the flaky test"}"#),
        &mut fake,
    );
    fake.screen = "✻ Thinking… (esc to interrupt)\n❯ ".into();
    driver.on_signal(&Signal::UserMessage("also the docs".into()), &mut fake);
    driver.on_signal(&Signal::Tick(2), &mut fake);
    assert_eq!(fake.calls_starting("paste").len(), 1);

    fake.screen = READY.into();
    driver.on_signal(
        &hook("Stop", r#"{"last_assistant_message":"Fixed."}"#),
        &mut fake,
    );
    assert_eq!(driver.saved().phase, Phase::Idle);
    assert_eq!(
        fake.calls_starting("paste"),
        [
            "paste agent Fix the flaky test",
            "paste agent also the docs"
        ]
    );
    // The delivered prompt came back through the hook without a second transcript entry.
    assert_eq!(fake.calls_starting("transcript user").len(), 2);
    assert!(fake.calls.contains(&"transcript agent: Fixed.".to_string()));
}

#[test]
fn a_restart_with_the_session_alive_only_resumes() {
    let mut first = Fake::default();
    Driver::start(task(&[]), None, &mut first).unwrap();
    let blob = first.saved.clone().unwrap();

    let mut fake = Fake {
        alive: true,
        screen: READY.into(),
        ..Fake::default()
    };
    Driver::start(task(&[]), Some(&blob), &mut fake).unwrap();
    assert!(fake.calls_starting("write").is_empty());
    assert!(fake.calls_starting("create").is_empty());
    assert!(fake.calls_starting("status").is_empty());
    assert!(fake.calls_starting("transcript").is_empty());
    // The queued prompt is still delivered, once.
    assert_eq!(
        fake.calls_starting("paste"),
        ["paste agent Fix the flaky test"]
    );
}

/// The state a kill -9 of plinth leaves: mid-turn, a model call counted in flight whose end
/// the dead proxy will never report.
fn cut_mid_call() -> Vec<u8> {
    Saved {
        phase: Phase::Working,
        detail: "thinking".into(),
        prompt_queued: true,
        launched: true,
        delivered_any: true,
        llm_in_flight: vec!["call-cut-by-the-restart".into()],
        turn_active: true,
        ..Saved::default()
    }
    .encode()
}

#[test]
fn a_restart_forgets_calls_in_flight_so_the_turns_stop_makes_it_idle() {
    let mut fake = Fake {
        alive: true,
        ..Fake::default()
    };
    let mut driver = Driver::start(task(&[]), Some(&cut_mid_call()), &mut fake).unwrap();
    assert!(saved_state(&fake).llm_in_flight.is_empty());
    assert!(
        fake.logs
            .iter()
            .any(|l| l.contains("call-cut-by-the-restart"))
    );
    driver.on_signal(
        &hook("Stop", r#"{"last_assistant_message":"Done."}"#),
        &mut fake,
    );
    assert_eq!(
        fake.calls_starting("status"),
        ["status Idle: turn finished"]
    );
}

#[test]
fn a_restart_that_missed_the_turns_stop_goes_idle_by_the_screen() {
    let mut fake = Fake {
        alive: true,
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = Driver::start(task(&[]), Some(&cut_mid_call()), &mut fake).unwrap();
    for tick in 0..u64::from(crate::decide::IDLE_TICKS) {
        driver.on_signal(&Signal::Tick(tick), &mut fake);
    }
    assert_eq!(
        fake.calls_starting("status"),
        ["status Idle: at its prompt"]
    );
}

#[test]
fn a_restart_with_the_session_dead_relaunches_and_continues_the_conversation() {
    let mut first = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = Driver::start(task(&[]), None, &mut first).unwrap();
    driver.on_signal(&Signal::Tick(1), &mut first);
    let blob = first.saved.clone().unwrap();

    let mut fake = Fake::default();
    let driver = Driver::start(task(&[]), Some(&blob), &mut fake).unwrap();
    assert_eq!(fake.sessions[0].command, ["claude", "--continue"]);
    assert!(
        fake.calls_starting("transcript").is_empty(),
        "the prompt is not recorded twice"
    );
    assert!(driver.saved().pending.is_empty(), "nor queued twice");
}

#[test]
fn a_restart_after_the_end_does_nothing() {
    let blob = Saved {
        phase: Phase::Failed,
        ..Saved::default()
    }
    .encode();
    let mut fake = Fake::default();
    Driver::start(task(&[]), Some(&blob), &mut fake).unwrap();
    assert!(fake.calls.is_empty());
}

#[test]
fn unreadable_state_is_an_error() {
    let mut fake = Fake::default();
    assert!(Driver::start(task(&[]), Some(b"\x00junk"), &mut fake).is_err());
}

#[test]
fn a_denied_tmux_fails_the_task_with_the_typed_error() {
    let mut fake = Fake {
        tmux_error: Some(CapError::AccessDenied("tmux not granted".into())),
        ..Fake::default()
    };
    let driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    assert_eq!(driver.saved().phase, Phase::Failed);
    assert_eq!(
        fake.calls_starting("status"),
        ["status Failed: cannot reach tmux: access-denied: tmux not granted"]
    );
}

#[test]
fn no_hook_url_means_no_hooks_but_a_warning() {
    let mut fake = Fake::default();
    let mut t = task(&[]);
    t.env.retain(|(k, _)| k != "PLINTH_HOOK_URL");
    Driver::start(t, None, &mut fake).unwrap();
    assert!(
        json_file(&fake, "/home/agent/.claude/settings.json")
            .get("hooks")
            .is_none()
    );
    assert!(fake.logs.iter().any(|l| l.contains("PLINTH_HOOK_URL")));
}

#[test]
fn existing_config_is_merged_not_replaced() {
    let mut fake = Fake::default();
    fake.files.insert(
        "/home/agent/.claude/settings.json".into(),
        br#"{"model":"sonnet"}"#.to_vec(),
    );
    Driver::start(task(&[]), None, &mut fake).unwrap();
    let settings = json_file(&fake, "/home/agent/.claude/settings.json");
    assert_eq!(settings["model"], "sonnet");
    assert!(settings["hooks"].is_object());
}

#[test]
fn the_stop_hook_without_the_reply_reads_it_from_the_transcript_file() {
    let mut fake = Fake::default();
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    let line = r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"The test is fixed."}]}}"#;
    fake.files.insert(
        "/home/agent/.claude/projects/x/s.jsonl".into(),
        line.as_bytes().to_vec(),
    );
    driver.on_signal(
        &hook(
            "Stop",
            r#"{"transcript_path":"/home/agent/.claude/projects/x/s.jsonl"}"#,
        ),
        &mut fake,
    );
    assert!(
        fake.calls
            .contains(&"transcript agent: The test is fixed.".to_string())
    );
}

#[test]
fn tool_uses_are_recorded_with_their_name_and_input() {
    let mut fake = Fake::default();
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    driver.on_signal(
        &hook(
            "PreToolUse",
            r#"{"tool_name":"Edit","tool_input":{"file_path":"a.rs"}}"#,
        ),
        &mut fake,
    );
    let entry = fake.entries.last().unwrap();
    assert_eq!(entry.text, "Edit: a.rs");
    assert_eq!(entry.tool.as_deref(), Some("Edit"));
    assert_eq!(entry.data.as_deref(), Some(r#"{"file_path":"a.rs"}"#));
}

#[test]
fn a_stop_makes_the_exit_a_finish() {
    let mut fake = Fake::default();
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    driver.stop(&mut fake);
    assert!(saved_state(&fake).stop_requested);
    assert_eq!(fake.calls.last().unwrap(), "kill agent");
    driver.on_signal(&Signal::ProcessExited(exited(Some(129))), &mut fake);
    assert_eq!(driver.saved().phase, Phase::Finished);
}

#[test]
fn an_unexpected_exit_fails_the_task() {
    let mut fake = Fake::default();
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    driver.on_signal(&Signal::ProcessExited(exited(Some(1))), &mut fake);
    assert_eq!(
        fake.calls_starting("status").last().unwrap(),
        "status Failed: Claude Code exited with 1"
    );
}

#[test]
fn an_unchanged_state_is_not_saved_again() {
    let mut fake = Fake::default();
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    let saves = fake.calls_starting("save").len();
    for now in 0..5 {
        driver.on_signal(&Signal::Tick(now), &mut fake);
    }
    assert_eq!(fake.calls_starting("save").len(), saves);
}

#[test]
fn a_refused_paste_is_tried_again_later() {
    let mut fake = Fake {
        refuse_paste: true,
        ..Fake::default()
    };
    let mut driver = Driver::start(task(&[]), None, &mut fake).unwrap();
    fake.screen = READY.into();
    driver.on_signal(&Signal::ScreenChanged("agent".into()), &mut fake);
    assert!(fake.calls_starting("paste").is_empty());
    assert_eq!(driver.saved().pending, ["Fix the flaky test"]);
    assert!(!driver.saved().awaiting_enter);
    assert!(fake.logs.iter().any(|l| l.contains("pasting a message")));

    fake.refuse_paste = false;
    driver.on_signal(&Signal::Tick(1), &mut fake);
    assert_eq!(
        fake.calls_starting("paste"),
        ["paste agent Fix the flaky test"]
    );
}

fn exited(exit_code: Option<i32>) -> crate::exports::plinth::agent::agent::ProcessExit {
    crate::exports::plinth::agent::agent::ProcessExit {
        session: "agent".into(),
        exit_code,
    }
}

#[test]
fn a_changed_screen_saying_not_logged_in_makes_the_task_wait_while_still_starting() {
    let mut fake = Fake::default();
    // No model proxy in the task's environment.
    let input = TaskInput {
        env: vec![],
        ..task(&[])
    };
    let mut driver = Driver::start(input, None, &mut fake).unwrap();
    fake.calls.clear();
    fake.screen = crate::screens::NOT_LOGGED_IN_AT_START.into();
    driver.on_signal(&Signal::Tick(1), &mut fake);
    assert!(
        fake.calls_starting("status").is_empty(),
        "a tick alone does not look"
    );
    driver.on_signal(&Signal::ScreenChanged("agent".into()), &mut fake);
    let statuses = fake.calls_starting("status");
    assert_eq!(statuses.len(), 1, "{:?}", fake.calls);
    assert!(
        statuses[0].starts_with(
            "status WaitingForUser: Claude Code is not logged in: the task has no model proxy"
        ),
        "{statuses:?}"
    );
    assert_eq!(fake.calls_starting("notify").len(), 1);
    assert!(saved_state(&fake).trouble.is_some());
    // Another session's screen is not Claude Code's.
    fake.calls.clear();
    driver.on_signal(&Signal::ScreenChanged("other".into()), &mut fake);
    assert!(fake.calls_starting("status").is_empty());
}
