//! What every handler can reach.

use std::sync::Arc;
use std::time::Instant;

use plinth_actors::agents::AgentCatalog;
use plinth_actors::config::Config;
use plinth_actors::environments::EnvironmentManager;
use plinth_actors::projects::ProjectService;
use plinth_actors::spend::SpendBook;
use plinth_actors::tasks::TaskService;
use plinth_kernel::{ChildRef, Registry};
use plinth_store::Store;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub registry: Arc<Registry>,
    pub projects: ChildRef<ProjectService>,
    pub environments: ChildRef<EnvironmentManager>,
    pub tasks: ChildRef<TaskService>,
    /// What tasks' model calls cost, and their budgets.
    pub spend: SpendBook,
    /// The agent adapters a task can name: built in, and those added with `plinth agents`.
    pub agents: AgentCatalog,
    pub config: Arc<Config>,
    pub guard: Arc<crate::guard::Guard>,
    pub started: Instant,
    /// Cancelled when the server stops: long-lived responses (event streams) end with it,
    /// so a graceful shutdown never waits on a browser tab.
    pub shutdown: CancellationToken,
    /// Web terminals that may still open (each is a tmux client and a pseudo-terminal).
    pub terminals: Arc<tokio::sync::Semaphore>,
    /// The ttyd processes, when `terminal.ttyd` is configured.
    pub ttyd: Option<Arc<crate::ttyd_pool::TtydPool>>,
}
