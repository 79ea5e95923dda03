//! The thread an adapter instance lives on. WASM calls are synchronous and may wait in a
//! capability (a command that runs for minutes), so they get a thread of their own rather
//! than block an actor's.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use plinth_wasm::wit::{Level, Signal, Status, Task, Urgency};
use plinth_wasm::{AdapterInstance, EventsCap, GuestError, LogCap, StateCap};

use super::capabilities::{self, TaskEvents, TaskState};
use super::spec::AgentSpec;
use super::start_watch::{self, StartWatch};
use super::starts;

pub(super) enum Command {
    Signal(Signal),
    Stop(mpsc::Sender<Result<(), String>>),
}

pub(super) struct GuestThread {
    tx: mpsc::Sender<Command>,
}

impl GuestThread {
    /// `false` when the thread is gone.
    pub fn send(&self, command: Command) -> bool {
        self.tx.send(command).is_ok()
    }
}

pub(super) fn spawn(
    spec: AgentSpec,
    on_down: impl FnOnce(String) + Send + 'static,
) -> std::io::Result<GuestThread> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("guest-{}", spec.task.id))
        .spawn(move || {
            if let Err(reason) = run(spec, rx) {
                on_down(reason);
            }
        })?;
    Ok(GuestThread { tx })
}

/// Runs until the channel closes (`Ok`) or the instance dies (`Err` with why).
fn run(spec: AgentSpec, rx: mpsc::Receiver<Command>) -> Result<(), String> {
    let restarts = starts::count_start(&spec.store, &spec.task.id)?;
    let events = TaskEvents::new(spec.store.clone(), &spec.task.id);
    let state = TaskState::new(spec.store.clone(), &spec.task.id);
    let watch = spec
        .start_deadline
        .map(|deadline| Arc::new(StartWatch::new(deadline, true)));
    let caps = capabilities::gather(&spec, &events, &state, watch.as_ref());
    let mut instance = spec
        .adapter
        .instantiate(caps)
        .map_err(|e| format!("cannot instantiate the adapter: {e}"))?;
    let task = Task {
        id: spec.task.id.clone(),
        prompt: spec.task.prompt.clone(),
        workdir: spec.sandbox.workdir(),
        home: spec.sandbox.home(),
        branch: spec.task.branch.clone(),
        env: spec.task.env.clone(),
        restarts,
        now_ms: now_ms(),
    };
    if restarts > 0 {
        events.log(
            Level::Info,
            &format!("adapter restarted ({restarts}); resuming from its saved state"),
        );
    }
    let saved = state.load();
    check(&events, "start", instance.start(&task, saved))?;
    let mut next_tick = Instant::now() + spec.tick;
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Command::Signal(signal)) => {
                if let Some(watch) = &watch {
                    watch.saw(&signal);
                }
                check(&events, "on-signal", instance.on_signal(&signal))?;
            }
            Ok(Command::Stop(reply)) => {
                let result = instance.stop().map_err(|e| e.to_string());
                let _ = reply.send(result);
                return Ok(());
            }
            Err(RecvTimeoutError::Timeout) => {
                next_tick = Instant::now() + spec.tick;
                tick(&spec, &events, &mut instance, watch.as_deref())?;
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

fn tick(
    spec: &AgentSpec,
    events: &TaskEvents,
    instance: &mut AdapterInstance,
    watch: Option<&StartWatch>,
) -> Result<(), String> {
    for signal in spec.sandbox.poll() {
        if let Some(watch) = watch {
            watch.saw(&signal);
        }
        check(events, "on-signal", instance.on_signal(&signal))?;
    }
    check(
        events,
        "on-signal",
        instance.on_signal(&Signal::Tick(now_ms())),
    )?;
    if let Some(watch) = watch.filter(|w| w.overdue()) {
        report_silence(spec, events, watch);
    }
    Ok(())
}

/// The start deadline passed: the task waits for its user, who is told what the agent's
/// screen shows.
fn report_silence(spec: &AgentSpec, events: &TaskEvents, watch: &StartWatch) {
    let sessions = spec.sandbox.task_sessions();
    let screen = sessions
        .names()
        .ok()
        .and_then(|names| names.into_iter().next())
        .and_then(|name| spec.sandbox.clone().tmux().capture_screen(&name).ok())
        .map(|screen| start_watch::tail(&screen.text))
        .unwrap_or_default();
    let detail = start_watch::report(watch.deadline(), &screen);
    events.log(Level::Warn, &detail);
    let _ = events.set_status(Status::WaitingForUser, &detail);
    let _ = events.notify("The agent does not start", &detail, Urgency::NeedsAttention);
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// An error the adapter returned is its own business (logged, and the task goes on); a
/// trap, a deadline or the memory cap kills the instance.
fn check(events: &TaskEvents, call: &str, result: Result<(), GuestError>) -> Result<(), String> {
    match result {
        Ok(()) => Ok(()),
        Err(GuestError::Returned(message)) => {
            events.log(
                Level::Warn,
                &format!("adapter's {call} returned an error: {message}"),
            );
            Ok(())
        }
        Err(err) => {
            let reason = format!("adapter's {call}: {err}");
            events.log(Level::Error, &reason);
            Err(reason)
        }
    }
}
