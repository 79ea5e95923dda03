//! Unsafe local mode: the agent runs on the host, in a working directory of its own, with
//! plinth's private tmux server. Nothing isolates it from the rest of the machine; the UI
//! and the CLI always say so. File access through the `environment` capability is still
//! kept inside the task's two directories: the workdir and the agent's home.

use std::path::PathBuf;
use std::sync::Arc;

use plinth_wasm::wit::{CapError, ExecOutput, ExecRequest, Signal};
use plinth_wasm::{EnvironmentCap, TmuxCap};

use super::confine::confine;
use super::local_exec::{ExecSpec, exec};
use super::task_sessions::{DirResolver, TaskSessions};
use super::tmux::TmuxServer;
use crate::agent_host::TaskSandbox;

pub struct LocalSandbox {
    dirs: Arc<Dirs>,
    sessions: Arc<TaskSessions>,
}

impl LocalSandbox {
    pub fn new(
        task: impl Into<String>,
        workdir: impl Into<PathBuf>,
        home: impl Into<PathBuf>,
        tmux: TmuxServer,
    ) -> Arc<Self> {
        let dirs = Arc::new(Dirs {
            workdir: workdir.into(),
            home: home.into(),
        });
        let session_dirs = dirs.clone();
        let dir: DirResolver = Box::new(move |requested| {
            let dir = session_dirs.dir(requested)?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| CapError::Failed(format!("cannot create {}: {e}", dir.display())))?;
            Ok(dir)
        });
        Arc::new(LocalSandbox {
            dirs,
            sessions: Arc::new(TaskSessions::new(task, tmux, dir)),
        })
    }

    /// The task's tmux sessions (the `tmux` capability).
    pub fn sessions(&self) -> &TaskSessions {
        &self.sessions
    }
}

/// The task's two directories, where the adapter's paths are resolved.
struct Dirs {
    workdir: PathBuf,
    /// The agent's home (its config goes there), never the user's own.
    home: PathBuf,
}

impl Dirs {
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

impl EnvironmentCap for LocalSandbox {
    fn exec(&self, request: ExecRequest) -> Result<ExecOutput, CapError> {
        let dir = self.dirs.dir(request.workdir.as_deref())?;
        exec(ExecSpec {
            command: &request.command,
            workdir: &dir,
            env: &request.env,
            stdin: request.stdin.as_deref(),
            timeout: request.timeout(),
        })
    }

    fn read_file(&self, path: &str) -> Result<Vec<u8>, CapError> {
        let real = self.dirs.file(path)?;
        std::fs::read(&real).map_err(|e| io_error(path, e))
    }

    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), CapError> {
        let real = self.dirs.file(path)?;
        if let Some(parent) = real.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error(path, e))?;
        }
        std::fs::write(&real, contents).map_err(|e| io_error(path, e))
    }
}

impl TaskSandbox for LocalSandbox {
    fn tmux(self: Arc<Self>) -> Arc<dyn TmuxCap> {
        self.sessions.clone()
    }

    fn environment(self: Arc<Self>) -> Arc<dyn EnvironmentCap> {
        self
    }

    fn poll(&self) -> Vec<Signal> {
        // A host tmux that cannot be run has no sessions to report on.
        self.sessions.poll().unwrap_or_default()
    }

    fn home(&self) -> String {
        self.dirs.home.display().to_string()
    }

    fn workdir(&self) -> String {
        self.dirs.workdir.display().to_string()
    }

    fn task_sessions(&self) -> &TaskSessions {
        &self.sessions
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
