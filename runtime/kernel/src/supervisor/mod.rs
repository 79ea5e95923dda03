//! The supervisor: starts its children in order, watches their exits, and applies its
//! policy. It runs as a task on a worker; its children's exits, its own stop, commands and
//! due restarts are one `select!`, so a supervisor is never blocked by a backoff.
//!
//! Here are its state and run loop; the handle callers hold is `supervisor_ref`, a child's
//! record `slot`, what an exit leads to `restart`, stopping children `stop`, and running a
//! supervisor as a child `starter`.

mod restart;
mod slot;
mod starter;
mod stop;
mod supervisor_ref;

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::exit::Exit;
use crate::monitor::Down;
use crate::policy::{Backoff, Intensity, Restart, RestartLog, Strategy};
use crate::registry::{ActorState, Entry, Registry, RestartLimit};
use crate::spec::{ChildSpec, SupervisorSpec};
use crate::workers::Workers;

use slot::{Slot, next_exit};
pub(crate) use starter::SupervisorStarter;
use supervisor_ref::Command;
pub use supervisor_ref::{SupervisorError, SupervisorRef};

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

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
