//! A tmux server of plinth's own (its own socket, so the user's tmux is never touched),
//! driven through the `tmux` command. Sessions are named `<task>--<name>`: an adapter only
//! ever names its own, and cannot reach another task's.
//!
//! The command lines are the same whether tmux runs on the host (unsafe local mode) or
//! inside a container; only how one `tmux` invocation is carried out differs, which is what
//! a [`TmuxRunner`] does.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use plinth_wasm::wit::{CapError, Screen, SessionSpec};

use super::session_env;
use crate::limits::TMUX_HISTORY_LIMIT;

/// Runs "$@" and stores its exit status in the pane's `@plinth-exit` option (through the
/// `TMUX` variable tmux gives every pane), then exits with it.
const EXIT_RECORDER: &str =
    r#""$@"; s=$?; tmux set-option -p -t "$TMUX_PANE" @plinth-exit "$s" 2>/dev/null; exit $s"#;

/// What one `tmux` invocation gave back.
#[derive(Clone, Debug, Default)]
pub struct TmuxOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Carries out `tmux -S <socket> <args>`, wherever that tmux lives. An `Err` means tmux
/// could not be run at all; tmux's own failures come back as `success: false`.
pub trait TmuxRunner: Send + Sync {
    fn run(
        &self,
        socket: &Path,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<TmuxOutput, CapError>;
}

/// Runs tmux as a process on the host.
#[derive(Clone, Copy, Debug, Default)]
pub struct HostTmux;

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

/// What tmux reports about a pane, read in one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaneState {
    pub dead: bool,
    /// The exit status once `dead`.
    pub exit_status: Option<i32>,
    pub current_command: String,
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
        let (cmd, env) = Self::create_command(full, spec, workdir)?;
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

    /// The tmux command line that creates session `full`, and the variables it reads on
    /// its standard input (see [`session_env`]), if it has any.
    fn create_command(
        full: &str,
        spec: &SessionSpec,
        workdir: &Path,
    ) -> Result<(Vec<String>, Option<String>), CapError> {
        let mut cmd: Vec<String> = vec!["start-server".into(), ";".into()];
        let env = if spec.env.is_empty() {
            None
        } else {
            Some(session_env::script(&spec.env)?)
        };
        let buffer = session_env::buffer_name(full);
        if env.is_some() {
            cmd.extend(["load-buffer", "-b", &buffer, "-", ";"].map(String::from));
        }
        // Panes are kept after their program ends (so its exit status can be read), set
        // for the whole server before the session exists: a program that exits at once
        // must not take its pane with it.
        let history = TMUX_HISTORY_LIMIT.to_string();
        for option in [
            ["remain-on-exit", "on"],
            ["history-limit", history.as_str()],
        ] {
            cmd.extend(["set-option", "-g", option[0], option[1], ";"].map(String::from));
        }
        cmd.extend(["new-session", "-d", "-s", full].map(String::from));
        let (width, height) = (
            spec.width.max(20).to_string(),
            spec.height.max(5).to_string(),
        );
        cmd.extend(["-x".into(), width.clone(), "-y".into(), height.clone()]);
        cmd.extend(["-c".into(), workdir.display().to_string()]);
        // The program gets its arguments exactly as given ("$@"), under a shell that only
        // records its exit status in a pane option: tmux 3.3's own `pane_dead_status` is
        // lost when clients query the pane as it dies. Job control (-m) makes the program
        // the pane's foreground process, so `foreground-command` names it, not the shell.
        // With variables, the shell first takes them from the buffer named by its `$1`.
        match env {
            Some(_) => cmd.extend([
                "--".into(),
                "sh".into(),
                "-mc".into(),
                format!("{}{EXIT_RECORDER}", session_env::LOADER),
                "plinth-run".into(),
                literal(&buffer),
            ]),
            None => cmd.extend(["--", "sh", "-mc", EXIT_RECORDER, "plinth-run"].map(String::from)),
        }
        cmd.extend(spec.command.iter().map(|a| literal(a)));
        // Resizing sets the window's size to manual, so the agent's screen stays as
        // created however small a viewer that attaches later is. (Setting `window-size`
        // globally instead resizes every window to `default-size`, and tmux 3.3 drops a
        // server without sessions when it is set before the first one.)
        cmd.extend(
            [
                ";",
                "resize-window",
                "-t",
                full,
                "-x",
                &width,
                "-y",
                &height,
            ]
            .map(String::from),
        );
        Ok((cmd, env))
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
        let format =
            format!("#{{cursor_x}} #{{cursor_y}} #{{pane_width}} #{{pane_height}}\t{PANE_FORMAT}");
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
        let (text, first) = out
            .trim_end_matches('\n')
            .rsplit_once('\n')
            .unwrap_or(("", out.trim_end_matches('\n')));
        let (geometry, state) = first.split_once('\t').unwrap_or((first, ""));
        let nums: Vec<u16> = geometry
            .split_whitespace()
            .map(|n| n.parse().unwrap_or(0))
            .collect();
        let at = |i: usize| nums.get(i).copied().unwrap_or(0);
        let screen = Screen {
            text: text.trim_end_matches('\n').to_owned(),
            cursor_x: at(0),
            cursor_y: at(1),
            width: at(2),
            height: at(3),
        };
        Ok((screen, parse_pane_state(state)))
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

impl TmuxRunner for HostTmux {
    fn run(
        &self,
        socket: &Path,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<TmuxOutput, CapError> {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S")
            .arg(socket)
            .args(args)
            .stdin(if stdin.is_some() {
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
        Ok(TmuxOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// What [`PaneState`] is read from.
const PANE_FORMAT: &str =
    "#{pane_dead}\t#{@plinth-exit}\t#{pane_dead_status}\t#{pane_current_command}";

fn parse_pane_state(line: &str) -> PaneState {
    let mut parts = line.splitn(4, '\t');
    let dead = parts.next() == Some("1");
    let recorded = parts.next().and_then(|s| s.parse().ok());
    let tmux_status = parts.next().and_then(|s| s.parse().ok());
    PaneState {
        dead,
        exit_status: if dead { recorded.or(tmux_status) } else { None },
        current_command: parts.next().unwrap_or_default().to_owned(),
    }
}

/// A target that names exactly session `full` (and its current pane): a bare name also
/// matches other sessions by prefix, so "t1--a" could reach "t1--ab".
fn exact(full: &str) -> String {
    format!("={full}:")
}

/// `arg` as tmux passes it on. tmux reads any argument that ends in ';' as the end of a
/// command; `\;` at the end stands for a literal ';'.
fn literal(arg: &str) -> String {
    match arg.strip_suffix(';') {
        Some(head) => format!("{head}\\;"),
        None => arg.to_owned(),
    }
}

fn spawn_error(err: std::io::Error) -> CapError {
    if err.kind() == std::io::ErrorKind::NotFound {
        CapError::Failed("tmux is not installed: apt-get install tmux".into())
    } else {
        CapError::Failed(format!("cannot run tmux: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trailing_semicolon_is_escaped() {
        assert_eq!(literal("a;"), "a\\;");
        assert_eq!(literal(";"), "\\;");
        assert_eq!(literal("a;b"), "a;b");
        assert_eq!(literal(""), "");
    }

    #[test]
    fn a_dead_pane_prefers_the_recorded_exit_status() {
        let dead = parse_pane_state("1\t3\t0\tsh");
        assert_eq!(
            dead,
            PaneState {
                dead: true,
                exit_status: Some(3),
                current_command: "sh".into()
            }
        );
        assert_eq!(parse_pane_state("1\t\t5\tsh").exit_status, Some(5));
        let alive = parse_pane_state("0\t\t\tclaude");
        assert!(!alive.dead);
        assert_eq!(alive.exit_status, None);
        assert_eq!(alive.current_command, "claude");
    }
}
