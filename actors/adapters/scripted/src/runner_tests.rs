//! The runner against a recording fake: what each step does, in what order it saves, and
//! that a restart from any saved point neither loses nor repeats a step.

use crate::exports::plinth::agent::agent::Signal;
use crate::fake::Fake;
use crate::plinth::agent::types::CapError;
use crate::progress::{Progress, Wait};
use crate::runner::{Halt, Runner};

fn env() -> Vec<(String, String)> {
    vec![("TOKEN".to_string(), "t0k".to_string())]
}

fn start(prompt: &str, fake: &mut Fake) -> (Runner, Option<Halt>) {
    Runner::start(prompt, env(), None, fake).expect("start")
}

fn resume(prompt: &str, blob: &[u8], fake: &mut Fake) -> (Runner, Option<Halt>) {
    Runner::start(prompt, env(), Some(blob), fake).expect("resume")
}

#[test]
fn a_prompt_that_is_not_a_script_fails_the_task() {
    let mut fake = Fake::default();
    let (runner, halt) = start("please fix the bug", &mut fake);
    assert_eq!(halt, None);
    assert!(runner.progress().done);
    assert_eq!(
        fake.statuses(),
        ["status failed: the scripted agent needs a prompt whose first line is #!scripted"]
    );
}

#[test]
fn a_bad_line_fails_before_any_step_runs() {
    let mut fake = Fake::default();
    start("#!scripted\nrun touch x\nbogus step", &mut fake);
    assert_eq!(
        fake.effects(),
        ["status failed: line 3: unknown step `bogus`"]
    );
}

#[test]
fn steps_run_in_order_saving_before_each() {
    let mut fake = Fake::default();
    let prompt =
        "#!scripted\nsay hello\nwrite notes/a.txt one\\ntwo\nrun make test\ncommit add a\nfinish";
    let (runner, halt) = start(prompt, &mut fake);
    assert_eq!(halt, None);
    assert!(runner.progress().done);
    assert_eq!(
        fake.calls,
        [
            "status starting: reading the script",
            "status working: running the script",
            "save scripted/1 next=1 wait=none done=0 unread=0",
            "transcript agent: hello",
            "save scripted/1 next=2 wait=none done=0 unread=0",
            "write notes/a.txt \"one\\ntwo\"",
            "save scripted/1 next=3 wait=none done=0 unread=0",
            "exec sh -c make test",
            "save scripted/1 next=4 wait=none done=0 unread=0",
            "exec git add -A",
            "exec git commit -m add a",
            "save scripted/1 next=5 wait=none done=0 unread=0",
            "save scripted/1 next=5 wait=none done=1 unread=0",
            "status finished: finish (line 6)",
        ]
    );
    // One log line a step, naming its line.
    for line in 2..=6 {
        assert!(
            fake.logs
                .iter()
                .any(|l| l.contains(&format!("line {line}: "))),
            "no log for line {line}: {:?}",
            fake.logs
        );
    }
}

#[test]
fn run_passes_the_task_env_and_commit_adds_a_git_identity() {
    let mut fake = Fake::default();
    start("#!scripted\nrun true\ncommit msg", &mut fake);
    assert_eq!(fake.requests[0].env, env());
    assert_eq!(fake.requests[0].workdir, None);
    let commit_env = &fake.requests[2].env;
    assert!(commit_env.contains(&("TOKEN".into(), "t0k".into())));
    assert!(commit_env.contains(&("GIT_AUTHOR_NAME".into(), "plinth scripted".into())));
    assert!(commit_env.contains(&(
        "GIT_COMMITTER_EMAIL".into(),
        "scripted@plinth.invalid".into()
    )));
}

#[test]
fn commit_keeps_an_identity_the_task_gives() {
    let mut fake = Fake::default();
    let task_env = vec![("GIT_AUTHOR_NAME".to_string(), "Ada".to_string())];
    Runner::start("#!scripted\ncommit msg", task_env, None, &mut fake).unwrap();
    let names: Vec<&str> = fake.requests[1]
        .env
        .iter()
        .filter(|(k, _)| k == "GIT_AUTHOR_NAME")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(names, ["Ada"]);
}

#[test]
fn a_script_without_finish_finishes_at_its_end() {
    let mut fake = Fake::default();
    start("#!scripted\nsay hi", &mut fake);
    assert_eq!(
        fake.statuses().last().unwrap(),
        "status finished: the script ran to its end"
    );
}

#[test]
fn a_failing_command_fails_the_task_with_its_exit_code_and_stderr() {
    let mut fake = Fake::default();
    fake.exits(2, "compiling\nerror: no such file\n");
    let (runner, _) = start("#!scripted\nrun make build\nsay never", &mut fake);
    assert!(runner.progress().done);
    assert_eq!(
        fake.statuses().last().unwrap(),
        "status failed: line 2: `make build` exited with 2: compiling\nerror: no such file"
    );
    assert!(!fake.calls.iter().any(|c| c.contains("never")));
}

#[test]
fn a_failing_commit_names_the_git_command() {
    let mut fake = Fake::default();
    fake.exits(0, "");
    fake.exits(1, "nothing to commit, working tree clean");
    start("#!scripted\ncommit nothing", &mut fake);
    assert_eq!(
        fake.statuses().last().unwrap(),
        "status failed: line 2: `git commit` exited with 1: nothing to commit, working tree clean"
    );
}

#[test]
fn a_denied_capability_fails_the_step_with_the_typed_error() {
    let mut fake = Fake::default();
    fake.exec_answers.push_back(Err(CapError::AccessDenied(
        "environment not granted".into(),
    )));
    start("#!scripted\nrun ls", &mut fake);
    assert_eq!(
        fake.statuses().last().unwrap(),
        "status failed: line 2: `ls`: access-denied: environment not granted"
    );
}

#[test]
fn fail_sets_failed_with_its_message() {
    let mut fake = Fake::default();
    start("#!scripted\nfail the tests are red\nsay never", &mut fake);
    assert_eq!(
        fake.statuses().last().unwrap(),
        "status failed: the tests are red"
    );
    assert!(!fake.calls.iter().any(|c| c.contains("never")));
}

#[test]
fn wait_message_waits_for_the_user_then_goes_on() {
    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nsay ask\nwait-message\nsay thanks", &mut fake);
    assert_eq!(
        fake.statuses().last().unwrap(),
        "status waiting-for-user: waiting for a message (line 3)"
    );
    assert_eq!(runner.progress().wait, Some(Wait::Message));
    runner.on_signal(&Signal::Tick(5), &mut fake);
    runner.on_signal(&Signal::ScreenChanged("agent".into()), &mut fake);
    assert!(!fake.calls.iter().any(|c| c.contains("thanks")));

    runner.on_signal(&Signal::UserMessage("here you go".into()), &mut fake);
    let effects = fake.effects();
    let tail = &effects[effects.len() - 4..];
    assert_eq!(
        tail,
        [
            "transcript user: here you go",
            "status working: running the script",
            "transcript agent: thanks",
            "status finished: the script ran to its end",
        ]
    );
}

#[test]
fn a_message_sent_early_is_kept_for_the_next_wait() {
    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nsleep 100\nwait-message\nsay got it", &mut fake);
    runner.on_signal(&Signal::UserMessage("early".into()), &mut fake);
    assert_eq!(runner.progress().unread, 1);
    runner.on_signal(&Signal::Tick(1_000), &mut fake);
    runner.on_signal(&Signal::Tick(1_100), &mut fake);
    assert!(fake.calls.contains(&"transcript agent: got it".to_string()));
    assert!(
        !fake
            .statuses()
            .iter()
            .any(|s| s.contains("waiting-for-user"))
    );
    assert_eq!(runner.progress().unread, 0);
}

#[test]
fn sleep_continues_on_the_first_tick_at_or_past_its_deadline() {
    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nsleep 500\nsay awake", &mut fake);
    assert_eq!(runner.progress().wait, Some(Wait::Sleep { deadline: None }));
    // Without a clock the deadline waits for a tick; other signals do not move it.
    runner.on_signal(&Signal::ScreenChanged("agent".into()), &mut fake);
    runner.on_signal(&Signal::Tick(10_000), &mut fake);
    assert_eq!(
        runner.progress().wait,
        Some(Wait::Sleep {
            deadline: Some(10_500)
        })
    );
    runner.on_signal(&Signal::Tick(10_499), &mut fake);
    assert!(!fake.calls.contains(&"transcript agent: awake".to_string()));
    runner.on_signal(&Signal::Tick(10_500), &mut fake);
    assert!(fake.calls.contains(&"transcript agent: awake".to_string()));
    // Sleeping is working, never waiting for the user.
    assert!(
        !fake
            .statuses()
            .iter()
            .any(|s| s.contains("waiting-for-user"))
    );
}

#[test]
fn a_sleep_reached_during_a_tick_counts_from_that_tick() {
    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nwait-message\nsleep 300\nsay done", &mut fake);
    runner.on_signal(&Signal::UserMessage("go".into()), &mut fake);
    runner.on_signal(&Signal::Tick(2_000), &mut fake);
    assert_eq!(
        runner.progress().wait,
        Some(Wait::Sleep {
            deadline: Some(2_300)
        })
    );
}

#[test]
fn the_deadline_is_saved_once_fixed() {
    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nsleep 50", &mut fake);
    runner.on_signal(&Signal::Tick(7), &mut fake);
    let saved = Progress::decode(fake.saved.as_ref().unwrap()).unwrap();
    assert_eq!(saved.wait, Some(Wait::Sleep { deadline: Some(57) }));
}

#[test]
fn term_starts_the_agent_session_and_expect_waits_for_its_screen() {
    let mut fake = Fake {
        screen: Some("$ ".into()),
        ..Fake::default()
    };
    let (mut runner, _) = start(
        "#!scripted\nterm python3 -i\nexpect >>>\nsay ready",
        &mut fake,
    );
    let spec = &fake.sessions[0];
    assert_eq!(spec.name, "agent");
    assert_eq!(spec.command, ["sh", "-c", "python3 -i"]);
    assert_eq!(spec.env, env());
    assert_eq!((spec.width, spec.height), (200, 50));
    assert_eq!(runner.progress().wait, Some(Wait::Screen));

    runner.on_signal(&Signal::Tick(1), &mut fake);
    assert!(!fake.calls.contains(&"transcript agent: ready".to_string()));
    fake.screen = Some("Python 3\n>>> ".into());
    runner.on_signal(&Signal::ScreenChanged("agent".into()), &mut fake);
    assert!(fake.calls.contains(&"transcript agent: ready".to_string()));
}

#[test]
fn expect_fails_when_the_session_is_gone() {
    // No screen: the fake answers not-found, as for a session that is gone.
    let mut fake = Fake::default();
    let (runner, _) = start("#!scripted\nexpect hello", &mut fake);
    assert!(runner.progress().done);
    let last = fake.statuses().last().unwrap().clone();
    assert!(
        last.starts_with("status failed: line 2: expect \"hello\": the terminal session is gone"),
        "{last}"
    );
}

#[test]
fn trap_spin_and_grow_are_saved_past_before_they_happen() {
    for (word, halt) in [
        ("trap", Halt::Trap),
        ("spin", Halt::Spin),
        ("grow", Halt::Grow),
    ] {
        let mut fake = Fake::default();
        let prompt = format!("#!scripted\nsay before\n{word}\nsay after");
        let (_, got) = start(&prompt, &mut fake);
        assert_eq!(got, Some(halt));
        assert_eq!(
            fake.calls.last().unwrap(),
            "save scripted/1 next=2 wait=none done=0 unread=0"
        );

        // The restarted instance goes on after the misbehaving step, without redoing the
        // first, and without saying `starting` again: the task was under way all along.
        let blob = fake.saved.clone().unwrap();
        let mut again = Fake::default();
        let (_, got) = resume(&prompt, &blob, &mut again);
        assert_eq!(got, None);
        assert_eq!(
            again.effects(),
            [
                "status working: running the script",
                "transcript agent: after",
                "status finished: the script ran to its end",
            ]
        );
    }
}

#[test]
fn a_restart_while_waiting_keeps_waiting() {
    let prompt = "#!scripted\nsay one\nwait-message\nsay two";
    let mut fake = Fake::default();
    start(prompt, &mut fake);
    let blob = fake.saved.clone().unwrap();

    let mut again = Fake::default();
    let (mut runner, _) = resume(prompt, &blob, &mut again);
    assert!(!again.calls.contains(&"transcript agent: one".to_string()));
    assert_eq!(runner.progress().wait, Some(Wait::Message));
    runner.on_signal(&Signal::UserMessage("ok".into()), &mut again);
    assert!(again.calls.contains(&"transcript agent: two".to_string()));
}

#[test]
fn a_restart_mid_sleep_keeps_the_deadline() {
    let prompt = "#!scripted\nsleep 1000\nsay woke";
    let mut fake = Fake::default();
    let (mut runner, _) = start(prompt, &mut fake);
    runner.on_signal(&Signal::Tick(5_000), &mut fake);
    let blob = fake.saved.clone().unwrap();

    let mut again = Fake::default();
    let (mut runner, _) = resume(prompt, &blob, &mut again);
    runner.on_signal(&Signal::Tick(5_900), &mut again);
    assert!(!again.calls.contains(&"transcript agent: woke".to_string()));
    runner.on_signal(&Signal::Tick(6_000), &mut again);
    assert!(again.calls.contains(&"transcript agent: woke".to_string()));
}

/// Crash the instance right after each save of a full run, restart from that save, and
/// check that the two halves together do every step at most once and in order.
#[test]
fn a_restart_from_any_save_never_repeats_a_step() {
    let prompt = "#!scripted\nsay a\nrun step-b\nwrite c.txt c\nwait-message\nsay d\ncommit e\nsay f\nfinish";
    let full = {
        let mut fake = Fake::default();
        let (mut runner, _) = start(prompt, &mut fake);
        runner.on_signal(&Signal::UserMessage("m".into()), &mut fake);
        fake
    };
    // One effect a step: `commit`'s `git add` goes with its `git commit`.
    let done_steps = |fake: &Fake| -> Vec<String> {
        fake.effects()
            .into_iter()
            .filter(|c| !c.starts_with("status ") && c != "exec git add -A")
            .collect()
    };
    let all = done_steps(&full);
    for (index, blob) in full.every_save.iter().enumerate() {
        // What the first instance did up to and including this save.
        let saves_seen = |calls: &[String]| calls.iter().filter(|c| c.starts_with("save ")).count();
        let cut = (1..=full.calls.len())
            .find(|&n| saves_seen(&full.calls[..n]) == index + 1)
            .unwrap();
        let before = Fake {
            calls: full.calls[..cut].to_vec(),
            ..Fake::default()
        };
        let mut after = Fake::default();
        let (mut runner, _) = resume(prompt, blob, &mut after);
        if runner.progress().wait == Some(Wait::Message) {
            runner.on_signal(&Signal::UserMessage("m".into()), &mut after);
        }
        let mut both = done_steps(&before);
        both.extend(done_steps(&after));
        let mut unique = both.clone();
        unique.dedup();
        assert_eq!(
            unique, both,
            "a step repeated after a restart from save {index}"
        );
        // At most the step the save was made for is lost (at-most-once), nothing else.
        assert!(
            all.len() - both.len() <= 1,
            "restart from save {index}: {both:?} vs {all:?}"
        );
        assert!(both.iter().all(|c| all.contains(c)));
    }
}

#[test]
fn a_finished_script_does_nothing_after_a_restart() {
    let prompt = "#!scripted\nsay once\nfinish";
    let mut fake = Fake::default();
    start(prompt, &mut fake);
    let blob = fake.saved.clone().unwrap();
    let mut again = Fake::default();
    let (mut runner, _) = resume(prompt, &blob, &mut again);
    runner.on_signal(&Signal::Tick(1), &mut again);
    assert_eq!(again.effects(), Vec::<String>::new());
}

#[test]
fn a_message_after_the_end_is_recorded_but_not_queued() {
    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nfinish", &mut fake);
    runner.on_signal(&Signal::UserMessage("late".into()), &mut fake);
    assert_eq!(fake.calls.last().unwrap(), "transcript user: late");
    assert_eq!(runner.progress().unread, 0);
}

#[test]
fn unreadable_saved_state_is_an_error_of_start() {
    let mut fake = Fake::default();
    assert!(Runner::start("#!scripted\nfinish", env(), Some(b"junk"), &mut fake).is_err());
}

#[test]
fn stop_kills_the_session_only_if_the_script_has_one() {
    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nwait-message", &mut fake);
    runner.stop(&mut fake);
    assert!(!fake.calls.iter().any(|c| c.starts_with("kill")));

    let mut fake = Fake::default();
    let (mut runner, _) = start("#!scripted\nterm sleep 100\nwait-message", &mut fake);
    runner.stop(&mut fake);
    assert_eq!(fake.calls.last().unwrap(), "kill agent");
}

#[test]
fn ask_asks_then_says_the_answer_and_goes_on() {
    let mut fake = Fake::default();
    let script = "#!scripted\nask Allow rm? | Yes | Yes, always | No\nsay done";
    let (mut runner, _) = start(script, &mut fake);
    assert_eq!(
        fake.effects().last().unwrap(),
        "ask Allow rm? [1=Yes, 2=Yes, always, 3=No]"
    );
    assert_eq!(runner.progress().wait, Some(Wait::Answer));
    runner.on_signal(&Signal::Tick(5), &mut fake);
    assert_eq!(
        fake.calls.iter().filter(|c| c.starts_with("ask ")).count(),
        1
    );

    runner.on_signal(&Signal::Answer("3".into()), &mut fake);
    let effects = fake.effects();
    assert_eq!(
        &effects[effects.len() - 4..],
        [
            "transcript agent: answered: No",
            "status working: running the script",
            "transcript agent: done",
            "status finished: the script ran to its end",
        ]
    );
}

#[test]
fn a_message_answers_an_ask_and_a_stray_answer_is_ignored() {
    let mut fake = Fake::default();
    let (mut runner, _) = start(
        "#!scripted\nask Go? | Yes | No\nwait-message\nsay end",
        &mut fake,
    );
    runner.on_signal(&Signal::UserMessage("maybe later".into()), &mut fake);
    assert!(
        fake.effects()
            .contains(&"transcript agent: answered: maybe later".to_string())
    );
    assert_eq!(runner.progress().wait, Some(Wait::Message));
    runner.on_signal(&Signal::Answer("1".into()), &mut fake);
    assert_eq!(runner.progress().wait, Some(Wait::Message));
    assert!(!fake.calls.iter().any(|c| c.contains("end")));
}

#[test]
fn a_restart_while_asking_asks_again() {
    let mut fake = Fake::default();
    let script = "#!scripted\nask Go? | Yes | No\nsay end";
    let (_runner, _) = start(script, &mut fake);
    let blob = fake.saved.clone().unwrap();
    let mut again = Fake::default();
    let (mut runner, _) = resume(script, &blob, &mut again);
    assert_eq!(again.effects().last().unwrap(), "ask Go? [1=Yes, 2=No]");
    runner.on_signal(&Signal::Answer("1".into()), &mut again);
    assert!(
        again
            .effects()
            .contains(&"transcript agent: answered: Yes".to_string())
    );
}
