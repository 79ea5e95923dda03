//! The driver against the recording fake, with a toy profile.

use guest_support::exports::plinth::agent::agent::{
    HookEvent, LlmCall, LlmResult, ProcessExit, Signal,
};
use serde_json::{Value, json};

use crate::driver::{Driver, TaskInput};
use crate::fake::Fake;
use crate::phase::Phase;
use crate::profile::{Context, HookMeaning, Profile, ScreenState, Start};
use crate::question::{Choice, ChoiceKind, Question};

struct Toy;

const READY: &str = "> type here";
const BUSY: &str = "working… (esc to cancel)";
const ASKING: &str = "Allow run?\n1. Yes\n2. No";

fn question() -> Question {
    Question {
        text: "Allow run?".into(),
        detail: String::new(),
        choices: vec![
            Choice::new("allow", "Yes", ChoiceKind::Allow, &["1"]),
            Choice::new("deny", "No", ChoiceKind::Deny, &["Escape"]),
        ],
    }
}

impl Profile for Toy {
    fn name(&self) -> &'static str {
        "toy"
    }
    fn agent(&self) -> &'static str {
        "Toy CLI"
    }
    fn config_files(&self, ctx: &Context) -> Vec<String> {
        vec![format!("{}/.toy.json", ctx.home)]
    }
    fn config(&self, _path: &str, existing: Option<&str>, _ctx: &Context) -> String {
        crate::config::merged_json(existing, json!({"ok": true}))
    }
    fn command(&self, _ctx: &Context, start: Start) -> Vec<String> {
        match start {
            Start::Fresh => vec!["toy".into()],
            Start::Resume { session } => vec![
                "toy".into(),
                "--resume".into(),
                session.unwrap_or("last").into(),
            ],
        }
    }
    fn proxy_vars(&self) -> &'static [&'static str] {
        &["TOY_URL"]
    }
    fn screen(&self, text: &str) -> ScreenState {
        match text {
            READY => ScreenState::Ready,
            BUSY => ScreenState::Busy,
            ASKING => ScreenState::Asking(question()),
            _ => ScreenState::Unknown,
        }
    }
    fn hook(&self, name: &str, body: &str) -> HookMeaning {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        match name {
            "Start" => HookMeaning::SessionStarted {
                session: v["id"].as_str().map(str::to_string),
            },
            "Ask" => HookMeaning::Asking(Question {
                detail: "rm x".into(),
                ..question()
            }),
            "Tool" => HookMeaning::ToolStarted {
                tool: "run".into(),
                input: json!({"command": "ls"}),
            },
            "End" => HookMeaning::SessionEnded {
                reason: "exit".into(),
            },
            "Done" => HookMeaning::TurnEnded {
                reply: v["reply"].as_str().map(str::to_string),
            },
            other => HookMeaning::Nothing(other.into()),
        }
    }
}

fn task() -> TaskInput {
    TaskInput {
        prompt: "do it".into(),
        workdir: "/workspace".into(),
        env: vec![
            ("HOME".into(), "/home/agent".into()),
            ("PLINTH_HOOK_URL".into(), "http://h".into()),
        ],
    }
}

fn hook(name: &str, body: &str) -> Signal {
    Signal::Hook(HookEvent {
        name: name.into(),
        body: body.into(),
    })
}

fn call_finished(id: &str, error: Option<&str>) -> Signal {
    Signal::LlmCallFinished(LlmResult {
        id: id.into(),
        model: "m".into(),
        stop_reason: error.is_none().then(|| "stop".into()),
        input_tokens: 1,
        output_tokens: 1,
        error: error.map(str::to_string),
    })
}

fn started(fake: &mut Fake) -> Driver {
    Driver::start(Box::new(Toy), task(), None, fake).unwrap()
}

fn run(driver: &mut Driver, fake: &mut Fake, signal: Signal) -> Vec<String> {
    let before = fake.calls.len();
    driver.on_signal(&signal, fake);
    fake.calls[before..]
        .iter()
        .filter(|c| !c.starts_with("save") && !c.starts_with("screen"))
        .cloned()
        .collect()
}

#[test]
fn starts_with_config_and_types_the_prompt_when_ready_then_enter() {
    let mut fake = Fake {
        files: [(
            "/home/agent/.toy.json".to_string(),
            br#"{"mine":1}"#.to_vec(),
        )]
        .into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    assert_eq!(
        fake.calls_starting("status"),
        ["status Starting: configuring Toy CLI"]
    );
    assert_eq!(fake.calls_starting("create"), ["create agent toy"]);
    assert_eq!(
        fake.calls_starting("transcript"),
        ["transcript user: do it"]
    );
    let config: Value = serde_json::from_slice(&fake.files["/home/agent/.toy.json"]).unwrap();
    assert_eq!(config, json!({"mine": 1, "ok": true}));
    fake.screen = BUSY.into();
    assert!(run(&mut driver, &mut fake, Signal::Tick(1)).is_empty());
    fake.screen = READY.into();
    assert_eq!(
        run(&mut driver, &mut fake, Signal::Tick(2)),
        ["paste agent do it"]
    );
    assert_eq!(
        run(&mut driver, &mut fake, Signal::Tick(3)),
        ["keys agent Enter"]
    );
    let started = Signal::LlmCallStarted(LlmCall {
        id: "c1".into(),
        model: "m".into(),
    });
    assert_eq!(
        run(&mut driver, &mut fake, started),
        ["status Working: thinking"]
    );
    let done = hook("Done", r#"{"reply":"all done"}"#);
    let finished = call_finished("c1", None);
    // The turn's end can come before its last call's: idle once both are in.
    assert_eq!(
        run(&mut driver, &mut fake, done),
        ["transcript agent: all done"]
    );
    assert_eq!(
        run(&mut driver, &mut fake, finished),
        ["status Idle: turn finished"]
    );
}

#[test]
fn a_question_waits_for_the_user_once_and_a_yes_picks_allow() {
    let mut fake = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    run(&mut driver, &mut fake, Signal::Tick(1));
    run(&mut driver, &mut fake, Signal::Tick(2));
    run(&mut driver, &mut fake, hook("Tool", "{}"));
    assert_eq!(
        run(&mut driver, &mut fake, hook("Ask", "{}")),
        [
            "ask Allow run? (rm x) [allow=Yes, deny=No]",
            "notify Urgency::NeedsAttention Toy CLI asks: Allow run?: Allow run? — rm x"
        ]
    );
    fake.screen = ASKING.into();
    // The screen shows the same question: nothing new is said.
    assert!(run(&mut driver, &mut fake, Signal::Tick(3)).is_empty());
    assert_eq!(
        run(&mut driver, &mut fake, Signal::UserMessage("yes".into())),
        ["transcript user: yes", "keys agent 1"]
    );
    fake.screen = BUSY.into();
    for t in 0..2 {
        assert!(run(&mut driver, &mut fake, Signal::Tick(10 + t)).is_empty());
    }
    assert_eq!(
        run(&mut driver, &mut fake, Signal::Tick(13)),
        ["status Working: thinking"]
    );
    assert_eq!(driver.saved().question, None);
}

#[test]
fn an_instruction_denies_and_becomes_the_next_prompt() {
    let mut fake = Fake {
        screen: ASKING.into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    let calls = run(&mut driver, &mut fake, Signal::Tick(1));
    assert_eq!(calls[0], "ask Allow run? () [allow=Yes, deny=No]");
    assert_eq!(
        run(
            &mut driver,
            &mut fake,
            Signal::UserMessage("use ls instead".into())
        ),
        ["transcript user: use ls instead", "keys agent Escape"]
    );
    fake.screen = READY.into();
    let mut typed = Vec::new();
    for t in 0..5 {
        typed.extend(run(&mut driver, &mut fake, Signal::Tick(2 + t)));
    }
    assert!(
        typed.contains(&"status Idle: at its prompt".to_string()),
        "{typed:?}"
    );
    assert!(
        typed
            .iter()
            .any(|c| c.starts_with("paste agent use ls instead") || c == "paste agent do it"),
        "{typed:?}"
    );
}

#[test]
fn an_exit_fails_the_task_unless_it_was_asked_to_stop() {
    let mut fake = Fake::default();
    let mut driver = started(&mut fake);
    let exit = |code| {
        Signal::ProcessExited(ProcessExit {
            session: "agent".into(),
            exit_code: Some(code),
        })
    };
    assert_eq!(
        run(&mut driver, &mut fake, exit(137)),
        ["status Failed: Toy CLI exited with 137"]
    );
    let mut fake = Fake::default();
    let mut driver = started(&mut fake);
    driver.stop(&mut fake);
    assert_eq!(
        run(&mut driver, &mut fake, exit(1)),
        ["status Finished: Toy CLI exited"]
    );
}

#[test]
fn a_restart_keeps_a_running_session_and_relaunches_a_dead_one_resuming() {
    let mut fake = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    run(&mut driver, &mut fake, Signal::Tick(1));
    run(&mut driver, &mut fake, Signal::Tick(2));
    run(&mut driver, &mut fake, hook("Start", r#"{"id":"s-1"}"#));
    let blob = fake.saved.clone().unwrap();

    let mut alive = Fake {
        alive: true,
        ..Fake::default()
    };
    let driver = Driver::start(Box::new(Toy), task(), Some(&blob), &mut alive).unwrap();
    assert!(alive.calls_starting("create").is_empty());
    assert_eq!(driver.saved().session.as_deref(), Some("s-1"));

    let mut dead = Fake::default();
    Driver::start(Box::new(Toy), task(), Some(&blob), &mut dead).unwrap();
    assert_eq!(
        dead.calls_starting("create"),
        ["create agent toy --resume s-1"]
    );
    assert!(
        dead.calls_starting("transcript").is_empty(),
        "the prompt is not queued again"
    );
}

#[test]
fn a_refused_key_waits_for_the_user_until_a_call_goes_through() {
    let mut fake = Fake::default();
    let mut driver = started(&mut fake);
    let failed = call_finished("c1", Some("401 UNAUTHENTICATED: bad key"));
    let calls = run(&mut driver, &mut fake, failed);
    assert!(
        calls.contains(
            &"status WaitingForUser: the model API refused the key (401): UNAUTHENTICATED: bad key"
                .to_string()
        ),
        "{calls:?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("notify Urgency::NeedsAttention Toy CLI needs you")),
        "{calls:?}"
    );
    assert_eq!(driver.saved().phase, Phase::WaitingForUser);
}

fn ticks(driver: &mut Driver, fake: &mut Fake, n: u64) -> Vec<String> {
    (0..n)
        .flat_map(|t| run(driver, fake, Signal::Tick(100 + t)))
        .collect()
}

#[test]
fn a_question_answered_in_the_terminal_ends_the_wait_from_the_screen() {
    let mut fake = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    ticks(&mut driver, &mut fake, 2);
    run(&mut driver, &mut fake, hook("Tool", "{}"));
    fake.screen = ASKING.into();
    run(&mut driver, &mut fake, Signal::Tick(1));
    assert_eq!(driver.saved().phase, Phase::WaitingForUser);
    fake.screen = READY.into();
    assert_eq!(
        ticks(&mut driver, &mut fake, 2),
        Vec::<String>::new(),
        "a redraw is no answer"
    );
    let calls = ticks(&mut driver, &mut fake, 1);
    assert_eq!(calls, ["status Idle: at its prompt"]);
    assert_eq!(driver.saved().question, None);
}

#[test]
fn a_ready_screen_mid_turn_is_idle_only_after_a_long_while() {
    let mut fake = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    ticks(&mut driver, &mut fake, 2);
    run(&mut driver, &mut fake, hook("Tool", "{}"));
    assert_eq!(driver.saved().phase, Phase::Working);
    let quiet = ticks(
        &mut driver,
        &mut fake,
        u64::from(crate::decide::TURN_SETTLE_TICKS) - 1,
    );
    assert!(quiet.is_empty(), "{quiet:?}");
    assert_eq!(
        ticks(&mut driver, &mut fake, 1),
        ["status Idle: at its prompt"]
    );
}

#[test]
fn a_screen_that_only_the_user_can_fix_waits_for_the_user_once() {
    struct Stuck;
    impl Profile for Stuck {
        fn name(&self) -> &'static str {
            "stuck"
        }
        fn agent(&self) -> &'static str {
            "Stuck CLI"
        }
        fn config_files(&self, _: &Context) -> Vec<String> {
            Vec::new()
        }
        fn config(&self, _: &str, _: Option<&str>, _: &Context) -> String {
            String::new()
        }
        fn command(&self, _: &Context, _: Start) -> Vec<String> {
            vec!["stuck".into()]
        }
        fn proxy_vars(&self) -> &'static [&'static str] {
            &["STUCK_URL"]
        }
        fn screen(&self, _: &str) -> ScreenState {
            ScreenState::Trouble("log in first".into())
        }
        fn hook(&self, name: &str, _: &str) -> HookMeaning {
            HookMeaning::Nothing(name.into())
        }
    }
    let mut fake = Fake::default();
    let mut driver = Driver::start(Box::new(Stuck), task(), None, &mut fake).unwrap();
    assert!(
        fake.logs
            .iter()
            .any(|l| l.contains("no STUCK_URL in the task's env")),
        "{:?}",
        fake.logs
    );
    let calls = run(
        &mut driver,
        &mut fake,
        Signal::ScreenChanged("agent".into()),
    );
    assert_eq!(
        calls,
        [
            "status WaitingForUser: log in first",
            "notify Urgency::NeedsAttention Stuck CLI needs you: log in first"
        ]
    );
    assert!(
        run(
            &mut driver,
            &mut fake,
            Signal::ScreenChanged("agent".into())
        )
        .is_empty()
    );
}

#[test]
fn calls_that_keep_failing_wait_for_the_user_until_one_goes_through() {
    let mut fake = Fake::default();
    let mut driver = started(&mut fake);
    let finished = |n: u32, error: Option<&str>| call_finished(&format!("c{n}"), error);
    for n in 0..2 {
        let calls = run(
            &mut driver,
            &mut fake,
            finished(n, Some("500 INTERNAL: oops")),
        );
        assert!(!calls.iter().any(|c| c.starts_with("status")), "{calls:?}");
    }
    let calls = run(
        &mut driver,
        &mut fake,
        finished(2, Some("500 INTERNAL: oops")),
    );
    assert_eq!(
        calls[0],
        "status WaitingForUser: the model API keeps failing (the last call: 500 INTERNAL: oops); Toy CLI retries by itself"
    );
    assert!(
        calls[1].starts_with("notify Urgency::NeedsAttention"),
        "{calls:?}"
    );
    let calls = run(&mut driver, &mut fake, finished(3, None));
    assert_eq!(
        calls,
        ["status Working: thinking", "status Idle: turn finished"]
    );
    assert_eq!(driver.saved().failed_calls, 0);
}

#[test]
fn a_session_started_again_with_nothing_to_type_is_idle_at_its_prompt() {
    let mut fake = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    ticks(&mut driver, &mut fake, 2);
    let blob = fake.saved.clone().unwrap();
    let mut dead = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = Driver::start(Box::new(Toy), task(), Some(&blob), &mut dead).unwrap();
    assert_eq!(
        dead.calls_starting("create"),
        ["create agent toy --resume last"]
    );
    let calls = ticks(
        &mut driver,
        &mut dead,
        u64::from(crate::decide::SETTLE_TICKS),
    );
    assert_eq!(calls, ["status Idle: resumed; at its prompt"]);
}

#[test]
fn a_session_end_makes_the_exit_a_finish_until_a_new_session_starts() {
    let mut fake = Fake::default();
    let mut driver = started(&mut fake);
    let exit = |code| {
        Signal::ProcessExited(ProcessExit {
            session: "agent".into(),
            exit_code: Some(code),
        })
    };
    assert!(run(&mut driver, &mut fake, hook("End", "{}")).is_empty());
    run(&mut driver, &mut fake, hook("Start", r#"{"id":"s-2"}"#));
    assert!(!driver.saved().session_ended, "a new session began");
    run(&mut driver, &mut fake, hook("End", "{}"));
    assert_eq!(
        run(&mut driver, &mut fake, exit(130)),
        ["status Finished: Toy CLI exited"]
    );
}

#[test]
fn an_answer_by_choice_id_is_typed_when_the_question_is_on_the_screen() {
    let mut fake = Fake {
        screen: READY.into(),
        ..Fake::default()
    };
    let mut driver = started(&mut fake);
    ticks(&mut driver, &mut fake, 2);
    run(&mut driver, &mut fake, hook("Ask", "{}"));
    fake.screen = ASKING.into();
    assert_eq!(
        run(&mut driver, &mut fake, Signal::Answer("deny".into())),
        ["transcript user: No", "keys agent Escape"]
    );
    // An answer with no question waiting is only logged.
    let mut fake = Fake::default();
    let mut driver = started(&mut fake);
    assert_eq!(
        run(&mut driver, &mut fake, Signal::Answer("allow".into())),
        ["transcript user: allow"]
    );
}
