//! What the manager is started with: where local environments live, and what it adds to
//! what it makes.

use std::path::PathBuf;

use crate::config::Config;
use crate::sandbox::TmuxServer;

/// Local mode's tmux socket, under `$PLINTH_HOME` (all local tasks share one tmux server).
pub const LOCAL_TMUX_SOCKET: &str = "tmux.sock";

/// Where the manager keeps local environments, and what it adds to what it makes.
#[derive(Clone, Debug)]
pub struct ManagerSettings {
    /// `$PLINTH_HOME`: worktrees, homes and the tmux socket of local mode live under it.
    pub home: PathBuf,
    pub config: Config,
    /// Extra labels on containers and images (tests mark theirs with `plinth.test=1`).
    pub labels: Vec<(String, String)>,
}

impl ManagerSettings {
    pub fn worktrees(&self) -> PathBuf {
        self.home.join("worktrees")
    }

    pub(super) fn tmux(&self) -> TmuxServer {
        TmuxServer::new(self.home.join(LOCAL_TMUX_SOCKET))
    }
}
