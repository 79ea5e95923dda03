//! A test actor whose every incarnation leaves traces the tests can read.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix::Message;
use parking_lot::Mutex;
use plinth_kernel::{
    ActorInfo, ActorState, Backoff, Child, ChildRef, ChildSpec, Ctx, Handle, Intensity, Registry,
    Restart, RestartBudget, Strategy, SupervisorSpec,
};

/// What survives an incarnation: the "persisted state" a factory reads back, and a log of
/// lifecycle events.
#[derive(Clone, Default)]
pub struct Traces {
    pub persisted: Arc<AtomicU64>,
    pub starts: Arc<Mutex<Vec<Instant>>>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Traces {
    pub fn starts(&self) -> usize {
        self.starts.lock().len()
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().clone()
    }
}

pub struct Probe {
    name: &'static str,
    traces: Traces,
    count: u64,
    /// Memory that a panic may leave inconsistent: a fresh incarnation starts clean.
    dirty: bool,
}

impl Child for Probe {
    fn started(&mut self, _ctx: &mut Ctx<'_, Self>) {
        self.traces
            .log
            .lock()
            .push(format!("{} started", self.name));
    }

    fn stopping(&mut self, _ctx: &mut Ctx<'_, Self>) {
        self.traces
            .log
            .lock()
            .push(format!("{} stopping", self.name));
    }
}

pub fn probe(
    name: &'static str,
    restart: Restart,
    traces: &Traces,
) -> (ChildSpec, ChildRef<Probe>) {
    let traces = traces.clone();
    ChildSpec::actor(name, "probe", restart, move || {
        traces.starts.lock().push(Instant::now());
        Ok(Probe {
            name,
            count: traces.persisted.load(Ordering::SeqCst),
            traces: traces.clone(),
            dirty: false,
        })
    })
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Boom;

impl Handle<Boom> for Probe {
    type Result = ();
    fn handle(&mut self, _: Boom, _: &mut Ctx<'_, Self>) {
        self.dirty = true;
        panic!("boom from {}", self.name);
    }
}

/// Adds one to the count and persists it; replies with (count, dirty).
#[derive(Message)]
#[rtype(result = "(u64, bool)")]
pub struct Incr;

impl Handle<Incr> for Probe {
    type Result = actix::MessageResult<Incr>;
    fn handle(&mut self, _: Incr, _: &mut Ctx<'_, Self>) -> Self::Result {
        self.count += 1;
        self.traces.persisted.store(self.count, Ordering::SeqCst);
        actix::MessageResult((self.count, self.dirty))
    }
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Finish;

impl Handle<Finish> for Probe {
    type Result = ();
    fn handle(&mut self, _: Finish, ctx: &mut Ctx<'_, Self>) {
        ctx.stop();
    }
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Fail(pub String);

impl Handle<Fail> for Probe {
    type Result = ();
    fn handle(&mut self, msg: Fail, ctx: &mut Ctx<'_, Self>) {
        ctx.fail(msg.0);
    }
}

/// Holds the actor's thread until the sender side is dropped or sends.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Block(pub std::sync::mpsc::Receiver<()>);

impl Handle<Block> for Probe {
    type Result = ();
    fn handle(&mut self, msg: Block, _: &mut Ctx<'_, Self>) {
        let _ = msg.0.recv_timeout(Duration::from_secs(10));
    }
}

/// `max_restarts` within 30 s, after a backoff from `initial_ms` doubling up to 2 s.
pub fn budget(max_restarts: u32, initial_ms: u64) -> RestartBudget {
    RestartBudget {
        intensity: Intensity {
            max_restarts,
            within: Duration::from_secs(30),
        },
        backoff: Backoff {
            initial: Duration::from_millis(initial_ms),
            max: Duration::from_secs(2),
            factor: 2,
        },
    }
}

pub fn spec(
    strategy: Strategy,
    max_restarts: u32,
    initial_ms: u64,
    children: Vec<ChildSpec>,
) -> SupervisorSpec {
    let RestartBudget { intensity, backoff } = budget(max_restarts, initial_ms);
    SupervisorSpec {
        strategy,
        intensity,
        backoff,
        children,
    }
}

/// Waits (bounded) until the registry entry `name` satisfies `pred`.
pub async fn until(
    registry: &Registry,
    name: &str,
    pred: impl Fn(&ActorInfo) -> bool,
) -> ActorInfo {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(info) = registry.get(name)
            && pred(&info)
        {
            return info;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting on {name}: {:?}",
            registry.get(name)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub fn state_is(state: ActorState) -> impl Fn(&ActorInfo) -> bool {
    move |info| info.state == state
}
