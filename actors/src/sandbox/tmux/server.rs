//! [`TmuxServer`]: the session operations on one tmux server, each a command line (see
//! `command`) sent through its [`TmuxRunner`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use plinth_wasm::wit::{CapError, Screen, SessionSpec};

use super::command::{create_command, exact, literal};
use super::pane::{PANE_FORMAT, PaneState, parse_pane_state, parse_snapshot, snapshot_format};
use super::runner::{HostTmux, TmuxRunner};
use super::session_env;

#[derive(Clone)]
pub struct TmuxServer {
    socket: PathBuf,
    runner: Arc<dyn TmuxRunner>,
}

impl fmt::Debug for TmuxServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TmuxServer")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl TmuxServer {
    /// plinth's tmux server on the host, listening on `socket`.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self::with_runner(socket, Arc::new(HostTmux))
    }

    /// A tmux server listening on `socket` wherever `runner` runs tmux.
    pub fn with_runner(socket: impl Into<PathBuf>, runner: Arc<dyn TmuxRunner>) -> Self {
        TmuxServer {
            socket: socket.into(),
            runner,
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The full session name of an adapter's `name` for `task`.
    pub fn session_name(task: &str, name: &str) -> Result<String, CapError> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(CapError::Invalid(format!(
                "session name {name:?}: use letters, digits, '-' and '_' (at most 64)"
            )));
        }
        Ok(format!("{task}--{name}"))
    }

    pub fn create(&self, full: &str, spec: &SessionSpec, workdir: &Path) -> Result<(), CapError> {
        if spec.command.is_empty() {
            return Err(CapError::Invalid("the session's command is empty".into()));
        }
        let (cmd, env) = create_command(full, spec, workdir)?;
        let stdin = env.as_deref().map(str::as_bytes);
        // Asking tmux first would cost a round trip every time (an exec, in a container);
        // a name that is taken is rare, and tmux says so.
        let created = match self.run(&cmd, stdin) {
            Err(CapError::Failed(message)) if message.contains("duplicate session") => {
                if !self.pane_state(full)?.dead {
                    Err(CapError::Invalid(format!(
                        "a session named {:?} is already running",
                        spec.name
                    )))
                } else {
                    // A dead pane kept for its exit status: make room for the new one.
                    self.kill(full)?;
                    self.run(&cmd, stdin).map(|_| ())
                }
            }
            other => other.map(|_| ()),
        };
        if created.is_err() && env.is_some() {
            // The variables must not outlive a session that never started to read them.
            let _ = self.tmux(&["delete-buffer", "-b", &session_env::buffer_name(full)]);
        }
        created
    }

    /// Pastes `text` as one bracketed paste (when the program asked for bracketed pastes,
    /// as every modern TUI does), so embedded newlines do not submit.
    pub fn paste(&self, full: &str, text: &str) -> Result<(), CapError> {
        self.require(full)?;
        let buffer = format!("plinth-{full}");
        self.run(
            &["load-buffer", "-b", &buffer, "-"].map(String::from),
            Some(text.as_bytes()),
        )?;
        self.tmux(&["paste-buffer", "-p", "-d", "-b", &buffer, "-t", full])?;
        Ok(())
    }

    pub fn send_keys(&self, full: &str, keys: &[String]) -> Result<(), CapError> {
        self.require(full)?;
        if keys.is_empty() {
            return Ok(());
        }
        let mut cmd: Vec<String> = ["send-keys", "-t", full].map(String::from).to_vec();
        for key in keys {
            // A key that looks like a flag would be read as one.
            if key.is_empty() || key.starts_with('-') {
                return Err(CapError::Invalid(format!(
                    "key {key:?}: send '-' characters with paste"
                )));
            }
            cmd.push(literal(key));
        }
        self.run(&cmd, None).map(|_| ())
    }

    pub fn capture_screen(&self, full: &str) -> Result<Screen, CapError> {
        Ok(self.snapshot(full)?.0)
    }

    /// The screen and the pane's state, in one tmux call: a poll asks for both on every
    /// tick, and each call is an exec when tmux runs in a container.
    pub fn snapshot(&self, full: &str) -> Result<(Screen, PaneState), CapError> {
        let target = exact(full);
        let format = snapshot_format();
        // capture-pane first: display-message does not fail on a missing target.
        let out = self.ask(
            full,
            &[
                "capture-pane",
                "-p",
                "-t",
                &target,
                ";",
                "display-message",
                "-p",
                "-t",
                &target,
                &format,
            ],
        )?;
        Ok(parse_snapshot(&out))
    }

    pub fn capture_history(&self, full: &str, max_lines: u32) -> Result<String, CapError> {
        let start = format!("-{}", max_lines.max(1));
        let target = exact(full);
        let text = self.ask(
            full,
            &["capture-pane", "-p", "-J", "-S", &start, "-t", &target],
        )?;
        // tmux counts from the top of the screen; keep exactly the last `max_lines`.
        let lines: Vec<&str> = text.trim_end_matches('\n').lines().collect();
        let skip = lines.len().saturating_sub(max_lines as usize);
        Ok(lines[skip..].join("\n"))
    }

    pub fn foreground_command(&self, full: &str) -> Result<String, CapError> {
        Ok(self.pane_state(full)?.current_command)
    }

    pub fn is_alive(&self, full: &str) -> Result<bool, CapError> {
        match self.pane_state(full) {
            Ok(state) => Ok(!state.dead),
            Err(CapError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub fn kill(&self, full: &str) -> Result<(), CapError> {
        if !self.has_session(full)? {
            return Ok(());
        }
        match self.tmux(&["kill-session", "-t", full]) {
            Ok(_) => Ok(()),
            // It ended between the check and the kill: that is what was asked.
            Err(_) if !self.has_session(full)? => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The pane's state; `NotFound` when the session is not there.
    pub fn pane_state(&self, full: &str) -> Result<PaneState, CapError> {
        let target = exact(full);
        // list-panes, not display-message, which does not fail on a missing target.
        let out = self.ask(full, &["list-panes", "-t", &target, "-F", PANE_FORMAT])?;
        Ok(parse_pane_state(out.lines().next().unwrap_or_default()))
    }

    /// Whether the session exists (alive or kept dead for its status).
    pub fn has_session(&self, full: &str) -> Result<bool, CapError> {
        // `=` makes tmux match the name exactly instead of by prefix.
        let args = ["has-session".to_string(), "-t".into(), format!("={full}")];
        Ok(self.runner.run(&self.socket, &args, None)?.success)
    }

    /// The full names of `task`'s sessions.
    pub fn task_sessions(&self, task: &str) -> Vec<String> {
        self.list_task_sessions(task).unwrap_or_default()
    }

    /// The full names of `task`'s sessions, or why tmux could not be asked.
    pub fn list_task_sessions(&self, task: &str) -> Result<Vec<String>, CapError> {
        let prefix = format!("{task}--");
        let args = ["list-sessions", "-F", "#{session_name}"].map(String::from);
        let out = self.runner.run(&self.socket, &args, None)?;
        if !out.success {
            // No tmux server running (yet, or any more) means no sessions.
            return Ok(Vec::new());
        }
        Ok(out
            .stdout
            .lines()
            .filter(|n| n.starts_with(&prefix))
            .map(str::to_owned)
            .collect())
    }

    /// Kills every session of `task` (when the task is stopped for good).
    pub fn kill_task(&self, task: &str) -> Result<(), CapError> {
        for name in self.task_sessions(task) {
            self.kill(&name)?;
        }
        Ok(())
    }

    fn require(&self, full: &str) -> Result<(), CapError> {
        if self.has_session(full)? {
            Ok(())
        } else {
            Err(CapError::NotFound(format!(
                "no session {:?}",
                full.split_once("--").map_or(full, |(_, n)| n)
            )))
        }
    }

    /// Runs a command about session `full`, which says `NotFound` when tmux cannot find it
    /// (or has no server, so no sessions at all).
    fn ask(&self, full: &str, args: &[&str]) -> Result<String, CapError> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = self.runner.run(&self.socket, &args, None)?;
        if out.success {
            return Ok(out.stdout);
        }
        let missing = ["can't find", "no server running", "error connecting"];
        if missing.iter().any(|m| out.stderr.contains(m)) {
            Err(CapError::NotFound(format!(
                "no session {:?}",
                full.split_once("--").map_or(full, |(_, n)| n)
            )))
        } else {
            Err(CapError::Failed(format!("tmux: {}", out.stderr.trim())))
        }
    }

    fn tmux(&self, args: &[&str]) -> Result<String, CapError> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        self.run(&args, None)
    }

    fn run(&self, args: &[String], stdin: Option<&[u8]>) -> Result<String, CapError> {
        let out = self.runner.run(&self.socket, args, stdin)?;
        if out.success {
            Ok(out.stdout)
        } else {
            Err(CapError::Failed(format!("tmux: {}", out.stderr.trim())))
        }
    }
}
