//! Unsafe local mode: the agent runs on the host, in a working directory of its own, with
//! plinth's private tmux server. Nothing isolates it from the rest of the machine; the UI
//! and the CLI always say so. File access through the `environment` capability is still
//! kept inside the task's two directories: the workdir and the agent's home.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plinth_wasm::wit::{
    CapError, ExecOutput, ExecRequest, ProcessExit, Screen, SessionSpec, Signal,
};
use plinth_wasm::{EnvironmentCap, TmuxCap};

use super::confine::confine;
use super::local_exec::{ExecSpec, exec};
use super::tmux::TmuxServer;
use crate::agent_host::Sandbox;

/// The longest a command may run, whatever the adapter asks.
const MAX_EXEC: Duration = Duration::from_secs(600);

pub struct LocalSandbox {
    task: String,
    workdir: PathBuf,
    /// The agent's home (its config goes there), never the user's own.
    home: PathBuf,
    tmux: TmuxServer,
    /// Per session: the last screen's hash, and whether its exit was reported.
    seen: Mutex<HashMap<String, (u64, bool)>>,
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
            seen: Mutex::default(),
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

    /// The task's sessions, as tmux lists them: after a restart of plinth this sandbox is
    /// new, but the sessions it had are still there and still watched.
    fn sessions(&self) -> Vec<String> {
        let live = self.tmux.task_sessions(&self.task);
        let mut seen = self.seen.lock().expect("seen lock");
        seen.retain(|name, _| live.contains(name));
        for name in &live {
            seen.entry(name.clone()).or_insert((0, false));
        }
        live
    }
}

impl TmuxCap for LocalSandbox {
    fn create(&self, spec: SessionSpec) -> Result<(), CapError> {
        let full = self.full(&spec.name)?;
        let dir = self.dir(spec.workdir.as_deref())?;
        self.tmux.create(&full, &spec, &dir)?;
        self.seen
            .lock()
            .expect("seen lock")
            .insert(full, (0, false));
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
        self.seen.lock().expect("seen lock").remove(&full);
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
        let prefix = format!("{}--", self.task);
        let mut signals = Vec::new();
        for full in self.sessions() {
            let session = full.strip_prefix(&prefix).unwrap_or(&full).to_owned();
            let Ok(state) = self.tmux.pane_state(&full) else {
                continue;
            };
            let screen = self.tmux.capture_screen(&full).map(|s| s.text);
            let mut seen = self.seen.lock().expect("seen lock");
            let Some(entry) = seen.get_mut(&full) else {
                continue;
            };
            if let Ok(text) = screen {
                let hash = hash_of(&text);
                if hash != entry.0 {
                    entry.0 = hash;
                    signals.push(Signal::ScreenChanged(session.clone()));
                }
            }
            if state.dead && !entry.1 {
                entry.1 = true;
                signals.push(Signal::ProcessExited(ProcessExit {
                    session,
                    exit_code: state.exit_status,
                }));
            }
        }
        signals
    }

    fn home(&self) -> String {
        self.home.display().to_string()
    }

    fn workdir(&self) -> String {
        self.workdir.display().to_string()
    }
}

fn hash_of(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
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
