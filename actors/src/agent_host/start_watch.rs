//! The start deadline, the same for every adapter: an agent still `starting` that shows no
//! sign of life (no hook, no model call, no change on its screen) for the deadline is
//! reported as waiting for its user, with the last lines of its screen, instead of saying
//! `starting` for as long as anyone waits.
//!
//! The host sees every sign itself (signals pass through it, and it polls the screens), so
//! no adapter has to keep a clock. It reports once per silence: a later sign of life starts
//! the clock again, and the adapter's next status replaces the report.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::limits::START_SCREEN_LINES;
use plinth_wasm::EventsCap;
use plinth_wasm::wit::{CapError, Question, Signal, Status, TranscriptEntry, Urgency};

#[derive(Debug)]
pub struct StartWatch {
    deadline: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The task's last status is `starting` (or none yet).
    starting: bool,
    last_life: Instant,
    reported: bool,
}

impl StartWatch {
    /// `starting`: the task's status when the host starts (a resumed task that was
    /// working is not starting).
    pub fn new(deadline: Duration, starting: bool) -> Self {
        StartWatch {
            deadline,
            state: Mutex::new(State {
                starting,
                last_life: Instant::now(),
                reported: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The adapter set a status.
    pub fn status_set(&self, status: Status) {
        self.lock().starting = matches!(status, Status::Starting);
    }

    /// A signal on its way to the adapter: hooks, model calls and screen changes are
    /// signs of life; ticks and messages from the user are not.
    pub fn saw(&self, signal: &Signal) {
        if matches!(
            signal,
            Signal::Hook(_)
                | Signal::LlmCallStarted(_)
                | Signal::LlmCallFinished(_)
                | Signal::ScreenChanged(_)
                | Signal::ProcessExited(_)
        ) {
            let mut state = self.lock();
            state.last_life = Instant::now();
            state.reported = false;
        }
    }

    /// Whether the deadline has just passed: true once per silence.
    pub fn overdue(&self) -> bool {
        let mut state = self.lock();
        if state.starting && !state.reported && state.last_life.elapsed() >= self.deadline {
            state.reported = true;
            return true;
        }
        false
    }

    pub fn deadline(&self) -> Duration {
        self.deadline
    }
}

/// What the user is told when the deadline passes.
pub fn report(deadline: Duration, screen_tail: &str) -> String {
    let seconds = deadline.as_secs_f64();
    let shown = if screen_tail.trim().is_empty() {
        "its screen is empty".to_string()
    } else {
        format!("its screen ends with:\n{screen_tail}")
    };
    format!(
        "the agent has shown no sign of life for {seconds} s since it started (no hook, no \
         model call, no change on its screen); look at its terminal; {shown}"
    )
}

/// The last `START_SCREEN_LINES` non-empty lines of `text`.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(START_SCREEN_LINES)..].join("\n")
}

/// The task's events as the adapter writes them, with each status it sets told to the
/// watch.
pub struct Watched<E> {
    pub inner: E,
    pub watch: Arc<StartWatch>,
}

impl<E: EventsCap> EventsCap for Watched<E> {
    fn append_transcript(&self, entry: TranscriptEntry) -> Result<u64, CapError> {
        self.inner.append_transcript(entry)
    }

    fn set_status(&self, status: Status, detail: &str) -> Result<(), CapError> {
        self.watch.status_set(status);
        self.inner.set_status(status, detail)
    }

    fn notify(&self, title: &str, body: &str, urgency: Urgency) -> Result<(), CapError> {
        self.inner.notify(title, body, urgency)
    }

    fn ask(&self, question: Question) -> Result<(), CapError> {
        self.watch.status_set(Status::WaitingForUser);
        self.inner.ask(question)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_wasm::wit::HookEvent;

    fn hook() -> Signal {
        Signal::Hook(HookEvent {
            name: "SessionStart".into(),
            body: "{}".into(),
        })
    }

    #[test]
    fn a_silent_starting_agent_is_overdue_once_and_a_sign_of_life_restarts_the_clock() {
        let watch = StartWatch::new(Duration::from_millis(30), true);
        assert!(!watch.overdue());
        std::thread::sleep(Duration::from_millis(40));
        assert!(watch.overdue());
        assert!(!watch.overdue(), "reported once");
        watch.saw(&Signal::Tick(1));
        watch.saw(&Signal::UserMessage("hello?".into()));
        assert!(!watch.overdue(), "ticks and messages are no life");
        watch.saw(&hook());
        assert!(!watch.overdue());
        std::thread::sleep(Duration::from_millis(40));
        assert!(watch.overdue(), "silent again");
    }

    #[test]
    fn only_a_starting_agent_has_a_deadline() {
        let watch = StartWatch::new(Duration::ZERO, false);
        assert!(!watch.overdue(), "a resumed task that was working");
        watch.status_set(Status::Starting);
        assert!(watch.overdue());
        let watch = StartWatch::new(Duration::ZERO, true);
        watch.status_set(Status::Working);
        assert!(!watch.overdue());
    }

    #[test]
    fn the_report_quotes_the_screens_last_lines() {
        let screen = format!("{}\n\n$ claude\nLoading…\n", "old\n".repeat(20));
        let said = report(Duration::from_secs(60), &tail(&screen));
        assert!(said.contains("no sign of life for 60 s"), "{said}");
        assert!(
            said.ends_with("old\nold\nold\nold\nold\nold\n$ claude\nLoading…"),
            "{said}"
        );
        assert!(report(Duration::from_secs(5), "").ends_with("its screen is empty"));
    }
}
