//! What a supervisor is asked to run: its policy and its children. A child that is itself a
//! supervisor is made by `ChildSpec::supervisor`, beside the supervisor it builds.

use std::sync::Arc;

use tokio::sync::oneshot;

use crate::child::Child;
use crate::child_ref::ChildRef;
use crate::incarnation::{ActorStarter, Starter};
use crate::monitor::{Down, Monitor};
use crate::policy::{Backoff, Intensity, Restart, RestartBudget, Strategy};

pub struct SupervisorSpec {
    pub strategy: Strategy,
    pub intensity: Intensity,
    pub backoff: Backoff,
    /// Started in this order, stopped in the reverse order.
    pub children: Vec<ChildSpec>,
}

pub struct ChildSpec {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) restart: Restart,
    pub(crate) starter: Box<dyn Starter>,
    pub(crate) budget: Option<RestartBudget>,
    pub(crate) monitors: Vec<oneshot::Sender<Down>>,
}

impl ChildSpec {
    /// An actor built by `factory` on every start. The factory should read whatever state
    /// the actor persisted, so a restart continues where the last incarnation left off.
    pub fn actor<A, F>(
        name: impl Into<String>,
        kind: impl Into<String>,
        restart: Restart,
        factory: F,
    ) -> (ChildSpec, ChildRef<A>)
    where
        A: Child,
        F: Fn() -> Result<A, String> + Send + Sync + 'static,
    {
        let name = name.into();
        let (child_ref, shared) = ChildRef::new(name.clone());
        let spec = ChildSpec {
            name,
            kind: kind.into(),
            restart,
            starter: Box::new(ActorStarter {
                factory: Arc::new(factory),
                shared,
            }),
            budget: None,
            monitors: Vec::new(),
        };
        (spec, child_ref)
    }

    /// Gives the child a restart budget of its own: its failures no longer count against
    /// its supervisor's intensity, nor restart its siblings; past the budget it ends failed
    /// and the supervisor goes on. For children whose failures are nobody else's business.
    pub fn with_budget(mut self, budget: RestartBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// A monitor of this child: it resolves once the child has ended for good (not when it
    /// is restarted), with how.
    pub fn monitor(&mut self) -> Monitor {
        let (tx, monitor) = Monitor::new();
        self.monitors.push(tx);
        monitor
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}
