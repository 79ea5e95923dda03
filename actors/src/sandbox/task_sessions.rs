//! One task's tmux sessions, as the `tmux` capability: names scoped to the task, every
//! session watched for screen changes and exits. The local and the Docker sandbox differ
//! only in the tmux they drive and where a session's working directory is.

use std::path::PathBuf;

use plinth_wasm::TmuxCap;
use plinth_wasm::wit::{CapError, Screen, SessionSpec, Signal};

use super::tmux::TmuxServer;
use super::watch::SessionWatch;

/// Turns a session's requested working directory (`None`: the task's workdir) into the one
/// to start it in, creating it where the sandbox needs that.
pub type DirResolver = Box<dyn Fn(Option<&str>) -> Result<PathBuf, CapError> + Send + Sync>;

pub struct TaskSessions {
    task: String,
    tmux: TmuxServer,
    watch: SessionWatch,
    dir: DirResolver,
}

impl TaskSessions {
    pub fn new(task: impl Into<String>, tmux: TmuxServer, dir: DirResolver) -> Self {
        TaskSessions {
            task: task.into(),
            tmux,
            watch: SessionWatch::default(),
            dir,
        }
    }

    /// Signals since the last poll; an error when tmux could not be asked.
    pub fn poll(&self) -> Result<Vec<Signal>, CapError> {
        self.watch.poll(&self.tmux, &self.task)
    }

    /// An exit for every session not yet reported (the sandbox itself is gone).
    pub fn all_gone(&self) -> Vec<Signal> {
        self.watch.all_gone(&self.task)
    }

    /// The short names of the task's sessions, alive or kept dead for their exit status.
    pub fn names(&self) -> Result<Vec<String>, CapError> {
        let prefix = format!("{}--", self.task);
        let full = self.tmux.list_task_sessions(&self.task)?;
        Ok(full
            .iter()
            .filter_map(|name| name.strip_prefix(&prefix))
            .map(str::to_owned)
            .collect())
    }

    /// The tmux server the sessions live on.
    pub fn tmux(&self) -> &TmuxServer {
        &self.tmux
    }

    fn full(&self, session: &str) -> Result<String, CapError> {
        TmuxServer::session_name(&self.task, session)
    }
}

impl TmuxCap for TaskSessions {
    fn create(&self, spec: SessionSpec) -> Result<(), CapError> {
        let full = self.full(&spec.name)?;
        let dir = (self.dir)(spec.workdir.as_deref())?;
        self.tmux.create(&full, &spec, &dir)?;
        self.watch.started(&full);
        Ok(())
    }

    fn paste(&self, session: &str, text: &str) -> Result<(), CapError> {
        self.tmux.paste(&self.full(session)?, text)
    }

    fn send_keys(&self, session: &str, keys: &[String]) -> Result<(), CapError> {
        self.tmux.send_keys(&self.full(session)?, keys)
    }

    fn capture_screen(&self, session: &str) -> Result<Screen, CapError> {
        self.tmux.capture_screen(&self.full(session)?)
    }

    fn capture_history(&self, session: &str, max_lines: u32) -> Result<String, CapError> {
        self.tmux.capture_history(&self.full(session)?, max_lines)
    }

    fn foreground_command(&self, session: &str) -> Result<String, CapError> {
        self.tmux.foreground_command(&self.full(session)?)
    }

    fn is_alive(&self, session: &str) -> Result<bool, CapError> {
        self.tmux.is_alive(&self.full(session)?)
    }

    fn kill(&self, session: &str) -> Result<(), CapError> {
        let full = self.full(session)?;
        self.tmux.kill(&full)?;
        self.watch.forget(&full);
        Ok(())
    }
}
