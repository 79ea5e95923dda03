//! The actor side of an agent host: owns the guest thread's channel, turns a dead guest into
//! a failure its supervisor acts on, and relays signals and the final stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use actix::{AsyncContext, Message, ResponseFuture};
use plinth_kernel::{Child, Ctx, Handle};
use plinth_store::Store;
use plinth_wasm::LoadedAdapter;
use plinth_wasm::wit::Signal;

use super::guest_thread::{self, Command, GuestThread};
use super::sandbox::Sandbox;

/// What the adapter is told about its task.
#[derive(Clone, Debug)]
pub struct TaskSpec {
    pub id: String,
    pub prompt: String,
    pub branch: String,
    pub env: Vec<(String, String)>,
}

/// Everything an agent host needs; cloned into each incarnation.
#[derive(Clone)]
pub struct AgentSpec {
    pub task: TaskSpec,
    pub adapter: LoadedAdapter,
    pub sandbox: Arc<dyn Sandbox>,
    pub store: Store,
    /// How often the adapter gets a tick (and the sandbox is polled).
    pub tick: Duration,
    /// Incarnations so far; the first start sees 0.
    pub starts: Arc<AtomicU32>,
    /// For a task still starting: how long its agent may show no sign of life before the
    /// user is told (`tasks.start_deadline_ms`, see `start_watch`); `None` for none.
    pub start_deadline: Option<Duration>,
}

impl AgentSpec {
    /// A factory for [`plinth_kernel::ChildSpec::actor`]: every (re)start builds a fresh host.
    pub fn factory(self) -> impl Fn() -> Result<AgentHost, String> + Send + Sync + 'static {
        move || Ok(AgentHost::new(self.clone()))
    }
}

pub struct AgentHost {
    spec: AgentSpec,
    guest: Option<GuestThread>,
}

impl AgentHost {
    pub fn new(spec: AgentSpec) -> Self {
        AgentHost { spec, guest: None }
    }
}

/// The guest thread ended abnormally; the actor fails with this reason.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct GuestDown(pub String);

/// A signal for the adapter (a hook, a user message, ...). Delivered in order.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deliver(pub Signal);

/// Stops the task for good: the adapter's `stop` runs (it ends what it started). A host
/// stopped any other way (plinth shutting down, a restart) leaves the agent running.
#[derive(Message)]
#[rtype(result = "Result<(), String>")]
pub struct StopAgent;

impl Child for AgentHost {
    fn started(&mut self, ctx: &mut Ctx<'_, Self>) {
        let restarts = self.spec.starts.fetch_add(1, Ordering::SeqCst);
        let addr = ctx.actix().address();
        let on_down = move |reason: String| addr.do_send(GuestDown(reason));
        match guest_thread::spawn(self.spec.clone(), restarts, on_down) {
            Ok(guest) => self.guest = Some(guest),
            Err(err) => ctx.fail(format!("cannot start the guest thread: {err}")),
        }
    }

    fn stopping(&mut self, _ctx: &mut Ctx<'_, Self>) {
        // Dropping the channel ends the guest thread after its current call; the instance
        // is dropped with it, and the sandbox keeps running for the next incarnation.
        self.guest = None;
    }
}

impl Handle<GuestDown> for AgentHost {
    type Result = ();

    fn handle(&mut self, msg: GuestDown, ctx: &mut Ctx<'_, Self>) {
        self.guest = None;
        ctx.fail(msg.0);
    }
}

impl Handle<Deliver> for AgentHost {
    type Result = ();

    fn handle(&mut self, msg: Deliver, _ctx: &mut Ctx<'_, Self>) {
        if let Some(guest) = &self.guest {
            guest.send(Command::Signal(msg.0));
        }
    }
}

impl Handle<StopAgent> for AgentHost {
    type Result = ResponseFuture<Result<(), String>>;

    fn handle(&mut self, _msg: StopAgent, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let (tx, rx) = mpsc::channel();
        let sent = self
            .guest
            .as_ref()
            .map(|g| g.send(Command::Stop(tx)))
            .unwrap_or(false);
        Box::pin(async move {
            if !sent {
                return Err("the adapter is not running".to_owned());
            }
            tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|_| "the adapter did not answer stop within 30 s".to_owned())?
        })
    }
}
