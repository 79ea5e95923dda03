//! A tmux server of plinth's own (its own socket, so the user's tmux is never touched),
//! driven through the `tmux` command. Sessions are named `<task>--<name>`: an adapter only
//! ever names its own, and cannot reach another task's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plinth_wasm::wit::{CapError, Screen, SessionSpec};

/// Runs "$@" and stores its exit status in the pane's `@plinth-exit` option (through the
/// `TMUX` variable tmux gives every pane), then exits with it.
const EXIT_RECORDER: &str =
    r#""$@"; s=$?; tmux set-option -p -t "$TMUX_PANE" @plinth-exit "$s" 2>/dev/null; exit $s"#;

#[derive(Clone, Debug)]
pub struct TmuxServer {
    socket: PathBuf,
}

/// What tmux reports about a pane, read in one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaneState {
    pub dead: bool,
    /// The exit status once `dead`.
    pub exit_status: Option<i32>,
    pub current_command: String,
}

impl TmuxServer {
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        TmuxServer {
            socket: socket.into(),
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
        if self.has_session(full)? {
            let state = self.pane_state(full)?;
            if !state.dead {
                return Err(CapError::Invalid(format!(
                    "a session named {:?} is already running",
                    spec.name
                )));
            }
            // A dead pane kept for its exit status: make room for the new one.
            self.kill(full)?;
        }
        std::fs::create_dir_all(workdir)
            .map_err(|e| CapError::Failed(format!("cannot create {}: {e}", workdir.display())))?;
        let mut cmd = self.command();
        // Panes are kept after their program ends (so its exit status can be read), set
        // for the whole server before the session exists: a program that exits at once
        // must not take its pane with it.
        cmd.args([
            "start-server",
            ";",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
        ]);
        cmd.args(["new-session", "-d", "-s", full])
            .args(["-x", &spec.width.max(20).to_string()])
            .args(["-y", &spec.height.max(5).to_string()])
            .arg("-c")
            .arg(workdir);
        for (key, value) in &spec.env {
            if key.is_empty() || key.contains('=') {
                return Err(CapError::Invalid(format!("bad environment name {key:?}")));
            }
            cmd.arg("-e").arg(format!("{key}={value}"));
        }
        // The program gets its arguments exactly as given ("$@"), under a shell that only
        // records its exit status in a pane option: tmux 3.3's own `pane_dead_status` is
        // lost when clients query the pane as it dies. Job control (-m) makes the program
        // the pane's foreground process, so `foreground-command` names it, not the shell.
        cmd.arg("--")
            .args(["sh", "-mc", EXIT_RECORDER, "plinth-run"]);
        cmd.args(&spec.command);
        self.run(cmd, None)?;
        Ok(())
    }

    /// Pastes `text` as one bracketed paste (when the program asked for bracketed pastes,
    /// as every modern TUI does), so embedded newlines do not submit.
    pub fn paste(&self, full: &str, text: &str) -> Result<(), CapError> {
        self.require(full)?;
        let buffer = format!("plinth-{full}");
        let mut load = self.command();
        load.args(["load-buffer", "-b", &buffer, "-"]);
        self.run(load, Some(text.as_bytes()))?;
        self.tmux(&["paste-buffer", "-p", "-d", "-b", &buffer, "-t", full])?;
        Ok(())
    }

    pub fn send_keys(&self, full: &str, keys: &[String]) -> Result<(), CapError> {
        self.require(full)?;
        if keys.is_empty() {
            return Ok(());
        }
        let mut cmd = self.command();
        cmd.args(["send-keys", "-t", full]);
        for key in keys {
            // A key that looks like a flag would be read as one.
            if key.is_empty() || key.starts_with('-') {
                return Err(CapError::Invalid(format!(
                    "key {key:?}: send '-' characters with paste"
                )));
            }
            cmd.arg(key);
        }
        self.run(cmd, None).map(|_| ())
    }

    pub fn capture_screen(&self, full: &str) -> Result<Screen, CapError> {
        self.require(full)?;
        let text = self.tmux(&["capture-pane", "-p", "-t", full])?;
        let geometry = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            full,
            "#{cursor_x} #{cursor_y} #{pane_width} #{pane_height}",
        ])?;
        let nums: Vec<u16> = geometry
            .split_whitespace()
            .map(|n| n.parse().unwrap_or(0))
            .collect();
        let at = |i: usize| nums.get(i).copied().unwrap_or(0);
        Ok(Screen {
            text: text.trim_end_matches('\n').to_owned(),
            cursor_x: at(0),
            cursor_y: at(1),
            width: at(2),
            height: at(3),
        })
    }

    pub fn capture_history(&self, full: &str, max_lines: u32) -> Result<String, CapError> {
        self.require(full)?;
        let start = format!("-{}", max_lines.max(1));
        let text = self.tmux(&["capture-pane", "-p", "-J", "-S", &start, "-t", full])?;
        // tmux counts from the top of the screen; keep exactly the last `max_lines`.
        let lines: Vec<&str> = text.trim_end_matches('\n').lines().collect();
        let skip = lines.len().saturating_sub(max_lines as usize);
        Ok(lines[skip..].join("\n"))
    }

    pub fn foreground_command(&self, full: &str) -> Result<String, CapError> {
        self.require(full)?;
        Ok(self.pane_state(full)?.current_command)
    }

    pub fn is_alive(&self, full: &str) -> Result<bool, CapError> {
        Ok(self.has_session(full)? && !self.pane_state(full)?.dead)
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

    pub fn pane_state(&self, full: &str) -> Result<PaneState, CapError> {
        let out = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            full,
            "#{pane_dead}\t#{@plinth-exit}\t#{pane_dead_status}\t#{pane_current_command}",
        ])?;
        let mut parts = out.trim_end_matches('\n').splitn(4, '\t');
        let dead = parts.next() == Some("1");
        let recorded = parts.next().and_then(|s| s.parse().ok());
        let tmux_status = parts.next().and_then(|s| s.parse().ok());
        Ok(PaneState {
            dead,
            exit_status: if dead { recorded.or(tmux_status) } else { None },
            current_command: parts.next().unwrap_or_default().to_owned(),
        })
    }

    /// Whether the session exists (alive or kept dead for its status).
    pub fn has_session(&self, full: &str) -> Result<bool, CapError> {
        let mut cmd = self.command();
        // `=` makes tmux match the name exactly instead of by prefix.
        cmd.args(["has-session", "-t", &format!("={full}")]);
        let out = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(spawn_error)?;
        Ok(out.success())
    }

    /// The full names of `task`'s sessions.
    pub fn task_sessions(&self, task: &str) -> Vec<String> {
        let prefix = format!("{task}--");
        match self.tmux(&["list-sessions", "-F", "#{session_name}"]) {
            Ok(list) => list
                .lines()
                .filter(|n| n.starts_with(&prefix))
                .map(str::to_owned)
                .collect(),
            // No tmux server running means no sessions.
            Err(_) => Vec::new(),
        }
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

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket);
        cmd
    }

    fn tmux(&self, args: &[&str]) -> Result<String, CapError> {
        let mut cmd = self.command();
        cmd.args(args);
        self.run(cmd, None)
    }

    fn run(&self, mut cmd: Command, stdin: Option<&[u8]>) -> Result<String, CapError> {
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(spawn_error)?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input)
                .map_err(|e| CapError::Failed(format!("cannot write to tmux: {e}")))?;
        }
        let out = child.wait_with_output().map_err(spawn_error)?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(CapError::Failed(format!(
                "tmux: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

fn spawn_error(err: std::io::Error) -> CapError {
    if err.kind() == std::io::ErrorKind::NotFound {
        CapError::Failed("tmux is not installed: apt-get install tmux".into())
    } else {
        CapError::Failed(format!("cannot run tmux: {err}"))
    }
}
