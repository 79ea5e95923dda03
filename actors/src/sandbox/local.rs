//! Unsafe local mode: the agent runs on the host, in a working directory of its own, with
//! plinth's private tmux server. Nothing isolates it from the rest of the machine; the UI
//! and the CLI always say so. File access through the `environment` capability is still
//! kept inside the task's two directories: the workdir and the agent's home.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plinth_wasm::wit::{CapError, ExecOutput, ExecRequest, Screen, SessionSpec, Signal};
use plinth_wasm::{EnvironmentCap, TmuxCap};

use super::confine::confine;
use super::local_exec::{ExecSpec, exec};
use super::tmux::TmuxServer;
use super::watch::SessionWatch;
use crate::agent_host::Sandbox;

/// The longest a command may run, whatever the adapter asks.
const MAX_EXEC: Duration = Duration::from_secs(600);

pub struct LocalSandbox {
    task: String,
    workdir: PathBuf,
    /// The agent's home (its config goes there), never the user's own.
    home: PathBuf,
    tmux: TmuxServer,
    watch: SessionWatch,
}

impl LocalSandbox {
    pub fn new(
        task: impl Into<String>,
        workdir: impl Into<PathBuf>,
        home: impl Into<PathBuf>,
        tmux: TmuxServer,
    ) -> Arc<Self> {
        Arc::new(LocalSandbox {
            task: task.into(),
            workdir: workdir.into(),
            home: home.into(),
            tmux,
            watch: SessionWatch::default(),
        })
    }

    fn full(&self, session: &str) -> Result<String, CapError> {
        TmuxServer::session_name(&self.task, session)
    }

    /// A path the adapter named, inside the workdir (relative paths start there) or the
    /// home.
    fn file(&self, path: &str) -> Result<PathBuf, CapError> {
        match confine(&self.workdir, path) {
            Err(CapError::AccessDenied(_)) if std::path::Path::new(path).is_absolute() => {
                std::fs::create_dir_all(&self.home).map_err(|e| {
                    CapError::Failed(format!("cannot create {}: {e}", self.home.display()))
                })?;
                confine(&self.home, path).map_err(|_| {
                    CapError::AccessDenied(format!("{path} is outside the task's workdir and home"))
                })
            }
            other => other,
        }
    }

    fn dir(&self, workdir: Option<&str>) -> Result<PathBuf, CapError> {
        match workdir {
            None => Ok(self.workdir.clone()),
            Some(dir) => self.file(dir),
        }
    }
}

impl TmuxCap for LocalSandbox {
    fn create(&self, spec: SessionSpec) -> Result<(), CapError> {
        let full = self.full(&spec.name)?;
        let dir = self.dir(spec.workdir.as_deref())?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| CapError::Failed(format!("cannot create {}: {e}", dir.display())))?;
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

impl EnvironmentCap for LocalSandbox {
    fn exec(&self, request: ExecRequest) -> Result<ExecOutput, CapError> {
        let dir = self.dir(request.workdir.as_deref())?;
        exec(ExecSpec {
            command: &request.command,
            workdir: &dir,
            env: &request.env,
            stdin: request.stdin.as_deref(),
            timeout: Duration::from_millis(u64::from(request.timeout_ms.max(1))).min(MAX_EXEC),
        })
    }

    fn read_file(&self, path: &str) -> Result<Vec<u8>, CapError> {
        let real = self.file(path)?;
        std::fs::read(&real).map_err(|e| io_error(path, e))
    }

    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), CapError> {
        let real = self.file(path)?;
        if let Some(parent) = real.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error(path, e))?;
        }
        std::fs::write(&real, contents).map_err(|e| io_error(path, e))
    }
}

impl Sandbox for LocalSandbox {
    fn tmux(self: Arc<Self>) -> Arc<dyn TmuxCap> {
        self
    }

    fn environment(self: Arc<Self>) -> Arc<dyn EnvironmentCap> {
        self
    }

    fn poll(&self) -> Vec<Signal> {
        // A host tmux that cannot be run has no sessions to report on.
        self.watch.poll(&self.tmux, &self.task).unwrap_or_default()
    }

    fn home(&self) -> String {
        self.home.display().to_string()
    }

    fn workdir(&self) -> String {
        self.workdir.display().to_string()
    }
}

fn io_error(path: &str, err: std::io::Error) -> CapError {
    match err.kind() {
        std::io::ErrorKind::NotFound => CapError::NotFound(format!("{path}: no such file")),
        std::io::ErrorKind::PermissionDenied => {
            CapError::AccessDenied(format!("{path}: permission denied"))
        }
        _ => CapError::Failed(format!("{path}: {err}")),
    }
}
