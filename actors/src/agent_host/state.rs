//! The agent host actor's state: its spec and the channel to its guest thread.

use super::guest_thread::GuestThread;
use super::spec::AgentSpec;

pub struct AgentHost {
    pub(super) spec: AgentSpec,
    /// `None` before the start and once the guest thread is gone.
    pub(super) guest: Option<GuestThread>,
}

impl AgentHost {
    pub fn new(spec: AgentSpec) -> Self {
        AgentHost { spec, guest: None }
    }
}

impl AgentSpec {
    /// A factory for [`plinth_kernel::ChildSpec::actor`]: every (re)start builds a fresh host.
    pub fn factory(self) -> impl Fn() -> Result<AgentHost, String> + Send + Sync + 'static {
        move || Ok(AgentHost::new(self.clone()))
    }
}
