//! The supervisor: starts its children in order, watches their exits, and applies its
//! policy. It runs as a task on a worker; its children's exits, its own stop, commands and
//! due restarts are one `select!`, so a supervisor is never blocked by a backoff.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::exit::{Exit, panic_message};
use crate::incarnation::{Running, RunningEnds, Starter};
use crate::limits::CHILD_STOP_GRACE;
use crate::limits::SUPERVISOR_COMMAND_WAIT;
use crate::monitor::Down;
use crate::policy::{Backoff, Intensity, Restart, RestartBudget, RestartLog, Strategy};
use crate::registry::{ActorState, Entry, Registry, RestartLimit};
use crate::spec::{ChildSpec, SupervisorSpec};
use crate::workers::Workers;

impl ChildSpec {
    /// A nested supervisor. When it gives up, its own supervisor treats that as its failure.
    pub fn supervisor(
        name: impl Into<String>,
        restart: Restart,
        spec: SupervisorSpec,
    ) -> (ChildSpec, SupervisorRef) {
        let name = name.into();
        let supervisor = Supervisor::new(name.clone(), spec);
        let handle = supervisor.handle();
        let spec = ChildSpec {
            name,
            kind: "supervisor".into(),
            restart,
            starter: Box::new(SupervisorStarter::new(supervisor)),
            budget: None,
            monitors: Vec::new(),
        };
        (spec, handle)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    #[error("supervisor `{supervisor}` is not running")]
    NotRunning { supervisor: String },
    #[error("supervisor `{supervisor}` already has a child named `{child}`")]
    Duplicate { supervisor: String, child: String },
    #[error("supervisor `{supervisor}` has no child named `{child}`")]
    NoSuchChild { supervisor: String, child: String },
}

pub(crate) enum Command {
    Start(ChildSpec, oneshot::Sender<Result<u64, SupervisorError>>),
    Terminate(String, oneshot::Sender<Result<(), SupervisorError>>),
}

/// Adds and removes children of a running supervisor (tasks come and go this way).
#[derive(Clone)]
pub struct SupervisorRef {
    name: String,
    commands: mpsc::UnboundedSender<Command>,
}

impl SupervisorRef {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Starts `spec` as a new child; returns its registry id.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<u64, SupervisorError> {
        self.ask(|reply| Command::Start(spec, reply)).await?
    }

    /// Stops the child named `name` and forgets it (it leaves the registry).
    pub async fn terminate_child(&self, name: &str) -> Result<(), SupervisorError> {
        self.ask(|reply| Command::Terminate(name.to_string(), reply))
            .await?
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, SupervisorError> {
        let not_running = || SupervisorError::NotRunning {
            supervisor: self.name.clone(),
        };
        let (tx, rx) = oneshot::channel();
        self.commands.send(command(tx)).map_err(|_| not_running())?;
        match tokio::time::timeout(SUPERVISOR_COMMAND_WAIT, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            _ => Err(not_running()),
        }
    }
}

struct Slot {
    name: String,
    restart: Restart,
    starter: Box<dyn Starter>,
    entry: Arc<Entry>,
    running: Option<Running>,
    restart_at: Option<Instant>,
    log: RestartLog,
    budget: Option<RestartBudget>,
    monitors: Vec<oneshot::Sender<Down>>,
    /// What its monitors hear should its supervisor end it for good without a new exit.
    last_exit: Exit,
}

impl Slot {
    /// The child will not run again: its incarnations' callers and its monitors learn so.
    fn finish(&mut self, down: Down) {
        self.starter.finished();
        for monitor in self.monitors.drain(..) {
            let _ = monitor.send(down.clone());
        }
    }
}

struct Attached {
    registry: Arc<Registry>,
    workers: Arc<Workers>,
    entry: Arc<Entry>,
}

pub(crate) struct Supervisor {
    strategy: Strategy,
    intensity: Intensity,
    backoff: Backoff,
    unattached: Vec<ChildSpec>,
    slots: Vec<Slot>,
    attached: Option<Attached>,
    commands: mpsc::UnboundedReceiver<Command>,
    handle: SupervisorRef,
    log: RestartLog,
}

impl Supervisor {
    pub(crate) fn new(name: String, spec: SupervisorSpec) -> Supervisor {
        let (tx, commands) = mpsc::unbounded_channel();
        Supervisor {
            handle: SupervisorRef { name, commands: tx },
            strategy: spec.strategy,
            intensity: spec.intensity,
            backoff: spec.backoff,
            unattached: spec.children,
            slots: Vec::new(),
            attached: None,
            commands,
            log: RestartLog::default(),
        }
    }

    pub(crate) fn handle(&self) -> SupervisorRef {
        self.handle.clone()
    }

    pub(crate) fn attach(
        &mut self,
        entry: &Arc<Entry>,
        registry: &Arc<Registry>,
        workers: &Arc<Workers>,
    ) {
        self.handle.name = entry.name().to_string();
        self.attached = Some(Attached {
            registry: registry.clone(),
            workers: workers.clone(),
            entry: entry.clone(),
        });
        for spec in std::mem::take(&mut self.unattached) {
            self.adopt(spec);
        }
    }

    fn adopt(&mut self, mut spec: ChildSpec) -> &mut Slot {
        let attached = self.attached.as_ref().expect("adopt after attach");
        let intensity = spec.budget.map_or(self.intensity, |b| b.intensity);
        let limit = (spec.restart != Restart::Temporary).then(|| RestartLimit::from(intensity));
        let entry = attached.registry.register_actor(
            format!("{}/{}", attached.entry.name(), spec.name),
            &spec.kind,
            Some(attached.entry.id()),
            limit,
        );
        spec.starter
            .attach(&entry, &attached.registry, &attached.workers);
        self.slots.push(Slot {
            name: spec.name,
            restart: spec.restart,
            starter: spec.starter,
            entry,
            running: None,
            restart_at: None,
            log: RestartLog::default(),
            budget: spec.budget,
            monitors: spec.monitors,
            last_exit: Exit::Shutdown,
        });
        self.slots.last_mut().expect("just pushed")
    }

    fn attached(&self) -> &Attached {
        self.attached
            .as_ref()
            .expect("a supervisor runs only once attached")
    }

    pub(crate) async fn run(
        mut self: Box<Self>,
        mut stop: oneshot::Receiver<()>,
        ready: Option<oneshot::Sender<()>>,
    ) -> (Box<Self>, Exit) {
        self.log = RestartLog::default();
        for i in 0..self.slots.len() {
            self.slots[i].restart_at = None;
            self.slots[i].log = RestartLog::default();
            self.start(i);
        }
        self.attached().entry.incarnated();
        if let Some(ready) = ready {
            let _ = ready.send(());
        }
        loop {
            let due = self.slots.iter().filter_map(|s| s.restart_at).min();
            tokio::select! {
                biased;
                _ = &mut stop => {
                    self.stop_all().await;
                    self.attached().entry.set_state(ActorState::Stopped);
                    return (self, Exit::Shutdown);
                }
                (i, exit) = next_exit(&mut self.slots) => {
                    if let Some(gave_up) = self.on_exit(i, exit).await {
                        return (self, gave_up);
                    }
                }
                Some(command) = self.commands.recv() => self.command(command).await,
                _ = sleep_until(due), if due.is_some() => self.start_due(),
            }
        }
    }

    fn start(&mut self, i: usize) {
        let workers = self.attached().workers.clone();
        let slot = &mut self.slots[i];
        slot.entry.set_state(ActorState::Starting);
        slot.running = Some(slot.starter.start(&workers, &slot.entry));
    }

    fn start_due(&mut self) {
        let now = Instant::now();
        for i in 0..self.slots.len() {
            if self.slots[i].restart_at.is_some_and(|at| at <= now) {
                self.slots[i].restart_at = None;
                self.start(i);
            }
        }
    }

    /// Applies the policy to child `i`'s exit; `Some` when this supervisor gives up.
    async fn on_exit(&mut self, i: usize, exit: Exit) -> Option<Exit> {
        let slot = &mut self.slots[i];
        slot.running = None;
        slot.last_exit = exit.clone();
        if let Exit::Failed(reason) = &exit {
            tracing::warn!(actor = %slot.entry.name(), %reason, "actor failed");
            slot.entry.set_error(reason.clone());
        }
        if !slot.restart.restarts_after(&exit) {
            slot.entry.set_state(if exit.is_failure() {
                ActorState::Failed
            } else {
                ActorState::Stopped
            });
            slot.finish(Down::Exited(exit));
            return None;
        }
        let now = Instant::now();
        if let Some(budget) = slot.budget {
            restart_alone(slot, budget, &exit, now);
            return None;
        }
        if !self.log.allow(self.intensity, now) {
            return Some(self.give_up(i, &exit).await);
        }
        let affected = self.strategy.affected(i, self.slots.len());
        // Siblings that were running (or about to) come back; finished ones stay finished.
        let live: Vec<usize> = affected
            .clone()
            .filter(|&j| {
                j == i || self.slots[j].running.is_some() || self.slots[j].restart_at.is_some()
            })
            .collect();
        for &j in live.iter().rev() {
            if j != i {
                self.stop_slot(j).await;
            }
        }
        let nth = self.slots[i].log.record(now, self.intensity.within);
        let at = now + self.backoff.delay(nth);
        for j in live {
            let slot = &mut self.slots[j];
            if j != i && slot.restart == Restart::Temporary {
                slot.finish(Down::Exited(Exit::Shutdown));
                continue;
            }
            slot.entry.count_restart();
            slot.entry.set_state(ActorState::Restarting);
            slot.restart_at = Some(at);
        }
        None
    }

    async fn give_up(&mut self, i: usize, exit: &Exit) -> Exit {
        let within = self.intensity.within;
        let last = match exit {
            Exit::Failed(reason) => reason.clone(),
            other => format!("{other:?}"),
        };
        let slot = &mut self.slots[i];
        let reason = format!(
            "`{}` needed more than {} restarts within {}; last failure: {last}",
            slot.name,
            self.intensity.max_restarts,
            human(within)
        );
        slot.entry.set_error(format!(
            "not restarted: restart limit reached ({} within {}); last failure: {last}",
            self.intensity.max_restarts,
            human(within)
        ));
        slot.entry.set_state(ActorState::Failed);
        self.stop_all().await;
        // `stop_all` marks every child stopped; the one that caused this stays failed.
        self.slots[i].entry.set_state(ActorState::Failed);
        let entry = &self.attached().entry;
        tracing::error!(supervisor = %entry.name(), %reason, "supervisor gives up");
        entry.set_error(reason.clone());
        entry.set_state(ActorState::Failed);
        Exit::Failed(reason)
    }

    async fn stop_slot(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        slot.restart_at = None;
        if let Some(mut running) = slot.running.take() {
            slot.last_exit = Exit::Shutdown;
            running.request_stop();
            if tokio::time::timeout(CHILD_STOP_GRACE, &mut running.exit)
                .await
                .is_err()
            {
                tracing::warn!(actor = %slot.entry.name(), "did not stop in time; dropped");
                running.kill();
            }
        }
        if slot.entry.state() != ActorState::Failed {
            slot.entry.set_state(ActorState::Stopped);
        }
    }

    /// Stops every child. Whether they run again is the parent's call: it restarts this
    /// supervisor, or declares it (and so its children) finished.
    async fn stop_all(&mut self) {
        for i in (0..self.slots.len()).rev() {
            self.stop_slot(i).await;
        }
    }

    /// None of its children will run again (this supervisor will not): each is finished
    /// with its last exit.
    fn finish_all(&mut self) {
        for slot in &mut self.slots {
            let last = slot.last_exit.clone();
            slot.finish(Down::Exited(last));
        }
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Start(spec, reply) => {
                if self.slots.iter().any(|s| s.name == spec.name) {
                    let _ = reply.send(Err(SupervisorError::Duplicate {
                        supervisor: self.handle.name.clone(),
                        child: spec.name,
                    }));
                    return;
                }
                let id = self.adopt(spec).entry.id();
                self.start(self.slots.len() - 1);
                let _ = reply.send(Ok(id));
            }
            Command::Terminate(name, reply) => {
                let Some(i) = self.slots.iter().position(|s| s.name == name) else {
                    let _ = reply.send(Err(SupervisorError::NoSuchChild {
                        supervisor: self.handle.name.clone(),
                        child: name,
                    }));
                    return;
                };
                self.stop_slot(i).await;
                let mut slot = self.slots.remove(i);
                slot.finish(Down::Exited(Exit::Shutdown));
                self.attached().registry.unregister_subtree(slot.entry.id());
                let _ = reply.send(Ok(()));
            }
        }
    }
}

/// The policy for a child with a budget of its own: it alone is restarted, after its own
/// backoff, until it needs more restarts than its budget allows; then it is finished as
/// failed. Its supervisor's intensity and its siblings are not touched either way.
fn restart_alone(slot: &mut Slot, budget: RestartBudget, exit: &Exit, now: Instant) {
    let exits = slot.log.record(now, budget.intensity.within);
    if exits > budget.intensity.max_restarts {
        let within = budget.intensity.within;
        let last = match exit {
            Exit::Failed(reason) => reason.clone(),
            other => format!("{other:?}"),
        };
        tracing::warn!(actor = %slot.entry.name(), exits, %last, "restart budget spent; not restarted");
        slot.entry.set_error(format!(
            "not restarted: its restart budget is spent ({exits} exits within {}, {} restarts allowed); last failure: {last}",
            human(within),
            budget.intensity.max_restarts
        ));
        slot.entry.set_state(ActorState::Failed);
        slot.finish(Down::BudgetSpent {
            exits,
            within,
            last,
        });
        return;
    }
    slot.entry.count_restart();
    slot.entry.set_state(ActorState::Restarting);
    slot.restart_at = Some(now + budget.backoff.delay(exits));
}

async fn next_exit(slots: &mut [Slot]) -> (usize, Exit) {
    poll_fn(|cx| {
        for (i, slot) in slots.iter_mut().enumerate() {
            if let Some(running) = &mut slot.running
                && let Poll::Ready(result) = Pin::new(&mut running.exit).poll(cx)
            {
                let exit = result
                    .unwrap_or_else(|_| Exit::Failed("its task vanished without an exit".into()));
                return Poll::Ready((i, exit));
            }
        }
        Poll::Pending
    })
    .await
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

fn human(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Starts incarnations of a nested supervisor. The supervisor's state (its children and
/// their registry entries) comes back when a run ends, so a restart reuses it.
pub(crate) struct SupervisorStarter {
    state: Arc<Mutex<Option<Box<Supervisor>>>>,
    ready: Mutex<Option<oneshot::Sender<()>>>,
}

impl SupervisorStarter {
    pub(crate) fn new(supervisor: Supervisor) -> Self {
        SupervisorStarter {
            state: Arc::new(Mutex::new(Some(Box::new(supervisor)))),
            ready: Mutex::new(None),
        }
    }

    /// The next run signals `ready` once it has started its children.
    pub(crate) fn notify_ready(&self, ready: oneshot::Sender<()>) {
        *self.ready.lock() = Some(ready);
    }
}

impl Starter for SupervisorStarter {
    fn attach(&mut self, entry: &Arc<Entry>, registry: &Arc<Registry>, workers: &Arc<Workers>) {
        if let Some(supervisor) = self.state.lock().as_mut() {
            supervisor.attach(entry, registry, workers);
        }
    }

    fn start(&self, workers: &Arc<Workers>, _entry: &Arc<Entry>) -> Running {
        let (running, RunningEnds { exit, stop, abort }) = Running::new();
        let Some(supervisor) = self.state.lock().take() else {
            let _ = exit.send(Exit::Failed(
                "its state was lost when it panicked; it cannot be restarted".into(),
            ));
            return running;
        };
        let state = self.state.clone();
        let ready = self.ready.lock().take();
        let exit = Arc::new(Mutex::new(Some(exit)));
        let exit_if_not_spawned = exit.clone();
        let spawned = workers.pick().spawn_fn(move || {
            let task = tokio::task::spawn_local(supervisor.run(stop, ready));
            *abort.lock() = Some(task.abort_handle());
            tokio::task::spawn_local(async move {
                let result = match task.await {
                    Ok((supervisor, exit)) => {
                        *state.lock() = Some(supervisor);
                        exit
                    }
                    Err(err) if err.is_panic() => Exit::Failed(format!(
                        "supervisor panicked: {}",
                        panic_message(err.into_panic().as_ref())
                    )),
                    Err(_) => Exit::Shutdown,
                };
                if let Some(tx) = exit.lock().take() {
                    let _ = tx.send(result);
                }
            });
        });
        if !spawned && let Some(tx) = exit_if_not_spawned.lock().take() {
            let _ = tx.send(Exit::Failed(
                "the kernel's worker threads have stopped".into(),
            ));
        }
        running
    }

    fn finished(&self) {
        if let Some(supervisor) = self.state.lock().as_mut() {
            supervisor.finish_all();
        }
    }
}
