//! Runs the script: steps run inside `start` and `on-signal` until one blocks, then the
//! call returns; a later signal picks up where it stopped.
//!
//! Restarts: the progress is saved *before* each step runs, already pointing past it, so a
//! restarted instance never does a finished step twice (a step cut off half-way is not
//! redone either: at most once is the promise). Blocking steps are saved as a wait on
//! themselves, and resolved only by the signal they wait for.

use guest_support::describe;

use crate::caps::Caps;
use crate::exports::plinth::agent::agent::Signal;
use crate::output::tail;
use crate::plinth::agent::environment::ExecRequest;
use crate::plinth::agent::events::Role;
use crate::plinth::agent::log::Level;
use crate::plinth::agent::tmux::SessionSpec;
use crate::plinth::agent::types::{CapError, Choice, ChoiceKind, Question, Status};
use crate::progress::{Progress, Wait};
use crate::script::{Action, Step, parse};

/// The tmux session `term` starts and `expect` reads.
pub const SESSION: &str = "agent";
const SESSION_WIDTH: u16 = 200;
const SESSION_HEIGHT: u16 = 50;
/// The host caps an exec at 10 minutes; a script's `run` may take that long.
const RUN_TIMEOUT_MS: u32 = 600_000;
const GIT_TIMEOUT_MS: u32 = 120_000;
/// The identity `commit` uses when the task's environment gives none.
const GIT_IDENTITY: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "plinth scripted"),
    ("GIT_AUTHOR_EMAIL", "scripted@plinth.invalid"),
    ("GIT_COMMITTER_NAME", "plinth scripted"),
    ("GIT_COMMITTER_EMAIL", "scripted@plinth.invalid"),
];

/// A step that ends the call in a way no `return` can: the component carries it out after
/// the progress past it is saved. Returned rather than done here so tests can see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    Trap,
    Spin,
    Grow,
}

/// How a wait stands after a signal.
enum WaitOutcome {
    Pending,
    Over,
    Failed(String),
}

pub struct Runner {
    steps: Vec<Step>,
    env: Vec<(String, String)>,
    progress: Progress,
    /// The status this instance last set, so a run of steps sets `working` once.
    status: Option<Status>,
}

impl Runner {
    /// Parses the script and runs it from where `saved` says, up to the first blocking step.
    /// An unusable prompt is not an error of the call: it fails the task, as the user sees it.
    pub fn start(
        prompt: &str,
        env: Vec<(String, String)>,
        saved: Option<&[u8]>,
        caps: &mut impl Caps,
    ) -> Result<(Runner, Option<Halt>), String> {
        let progress = match saved {
            Some(blob) => Progress::decode(blob)?,
            None => Progress::default(),
        };
        let mut runner = Runner {
            steps: Vec::new(),
            env,
            progress,
            status: None,
        };
        if runner.progress.done {
            caps.log(
                Level::Info,
                "scripted: the script already ended; nothing to resume",
            );
            return Ok((runner, None));
        }
        match parse(prompt) {
            Ok(steps) => runner.steps = steps,
            Err(error) => {
                runner.end(Status::Failed, &error.to_string(), caps);
                return Ok((runner, None));
            }
        }
        if saved.is_some() {
            // No `starting` on a resume: the task was under way all along, and its status
            // (and the time the user sees it has been in it) goes on from where it was.
            let at = runner.steps.get(runner.progress.next).map_or(0, |s| s.line);
            caps.log(Level::Info, &format!("scripted: resuming at line {at}"));
        } else {
            runner.set_status(Status::Starting, "reading the script", caps);
        }
        let halt = runner.advance(None, caps);
        Ok((runner, halt))
    }

    pub fn on_signal(&mut self, signal: &Signal, caps: &mut impl Caps) -> Option<Halt> {
        match signal {
            Signal::Tick(now) => self.advance(Some(*now), caps),
            Signal::Answer(id) => {
                let said = self.choice_label(id).unwrap_or_else(|| id.clone());
                self.answered(&said, caps)
            }
            Signal::UserMessage(text) if self.progress.wait == Some(Wait::Answer) => {
                if let Err(error) = caps.transcript(Role::User, text) {
                    let message =
                        format!("scripted: recording a user message: {}", describe(&error));
                    caps.log(Level::Warn, &message);
                }
                self.answered(text, caps)
            }
            Signal::UserMessage(text) => {
                if !self.progress.done {
                    self.progress.unread += 1;
                    self.save(caps);
                }
                if let Err(error) = caps.transcript(Role::User, text) {
                    let message =
                        format!("scripted: recording a user message: {}", describe(&error));
                    caps.log(Level::Warn, &message);
                }
                self.advance(None, caps)
            }
            Signal::ProcessExited(exit) => {
                caps.log(
                    Level::Info,
                    &format!(
                        "scripted: the program of session {:?} exited ({:?})",
                        exit.session, exit.exit_code
                    ),
                );
                self.advance(None, caps)
            }
            Signal::ScreenChanged(_) => self.advance(None, caps),
            Signal::Hook(_) | Signal::LlmCallStarted(_) | Signal::LlmCallFinished(_) => None,
        }
    }

    /// Ends what `term` started; a script without one never touched tmux.
    pub fn stop(&mut self, caps: &mut impl Caps) {
        let used_terminal = self
            .steps
            .iter()
            .any(|s| matches!(s.action, Action::Term(_)));
        if !used_terminal {
            return;
        }
        if let Err(error) = caps.kill_session(SESSION) {
            caps.log(
                Level::Warn,
                &format!("scripted: stopping the terminal: {}", describe(&error)),
            );
        }
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The label of choice `id` of the `ask` being waited on.
    fn choice_label(&self, id: &str) -> Option<String> {
        let step = self.steps.get(self.progress.next)?;
        match &step.action {
            Action::Ask { choices, .. } => {
                let index = id.parse::<usize>().ok()?.checked_sub(1)?;
                choices.get(index).cloned()
            }
            _ => None,
        }
    }

    /// An answer (or a message) for the `ask` being waited on: said, and the script goes
    /// on. One that comes when no `ask` waits is only logged.
    fn answered(&mut self, said: &str, caps: &mut impl Caps) -> Option<Halt> {
        if self.progress.done || self.progress.wait != Some(Wait::Answer) {
            caps.log(
                Level::Info,
                &format!("scripted: an answer ({said}) while no question waits"),
            );
            return None;
        }
        self.progress.wait = None;
        self.progress.next += 1;
        self.save(caps);
        if let Err(error) = caps.transcript(Role::Agent, &format!("answered: {said}")) {
            caps.log(
                Level::Warn,
                &format!("scripted: saying the answer: {}", describe(&error)),
            );
        }
        self.advance(None, caps)
    }

    fn advance(&mut self, now: Option<u64>, caps: &mut impl Caps) -> Option<Halt> {
        loop {
            if self.progress.done {
                return None;
            }
            if let Some(wait) = self.progress.wait {
                match self.check_wait(wait, now, caps) {
                    WaitOutcome::Pending => return None,
                    WaitOutcome::Failed(detail) => {
                        self.end(Status::Failed, &detail, caps);
                        return None;
                    }
                    WaitOutcome::Over => {
                        self.progress.wait = None;
                        self.progress.next += 1;
                        self.save(caps);
                        continue;
                    }
                }
            }
            let Some(step) = self.steps.get(self.progress.next).cloned() else {
                self.end(Status::Finished, "the script ran to its end", caps);
                return None;
            };
            self.set_status(Status::Working, "running the script", caps);
            caps.log(
                Level::Info,
                &format!("scripted: line {}: {}", step.line, summary(&step.action)),
            );
            if step.action.blocks() {
                self.progress.wait = Some(match step.action {
                    Action::WaitMessage => Wait::Message,
                    Action::Ask { .. } => Wait::Answer,
                    Action::Sleep(_) => Wait::Sleep { deadline: None },
                    _ => Wait::Screen,
                });
                self.save(caps);
                continue;
            }
            self.progress.next += 1;
            self.save(caps);
            match self.perform(&step, caps) {
                Ok(None) => {}
                Ok(Some(halt)) => return Some(halt),
                Err(detail) => {
                    self.end(
                        Status::Failed,
                        &format!("line {}: {detail}", step.line),
                        caps,
                    );
                    return None;
                }
            }
        }
    }

    fn check_wait(&mut self, wait: Wait, now: Option<u64>, caps: &mut impl Caps) -> WaitOutcome {
        let Some(step) = self.steps.get(self.progress.next).cloned() else {
            return WaitOutcome::Failed(format!(
                "the saved progress waits at step {} of a {}-step script; was the prompt changed?",
                self.progress.next + 1,
                self.steps.len()
            ));
        };
        let line = step.line;
        match (wait, &step.action) {
            (Wait::Message, _) => {
                if self.progress.unread > 0 {
                    self.progress.unread -= 1;
                    return WaitOutcome::Over;
                }
                let detail = format!("waiting for a message (line {line})");
                self.set_status(Status::WaitingForUser, &detail, caps);
                WaitOutcome::Pending
            }
            (Wait::Answer, Action::Ask { text, choices }) => {
                // Asked once per instance (again after a restart, as the host forgets it).
                if self.status != Some(Status::WaitingForUser) {
                    self.status = Some(Status::WaitingForUser);
                    if let Err(error) = caps.ask(&question(text, choices)) {
                        caps.log(
                            Level::Warn,
                            &format!("scripted: asking: {}", describe(&error)),
                        );
                    }
                }
                WaitOutcome::Pending
            }
            (Wait::Sleep { deadline }, Action::Sleep(ms)) => {
                let deadline = match (deadline, now) {
                    (Some(deadline), _) => deadline,
                    (None, Some(now)) => {
                        let deadline = now.saturating_add(*ms);
                        self.progress.wait = Some(Wait::Sleep {
                            deadline: Some(deadline),
                        });
                        self.save(caps);
                        deadline
                    }
                    // No clock until a tick says what time it is.
                    (None, None) => return WaitOutcome::Pending,
                };
                match now {
                    Some(now) if now >= deadline => WaitOutcome::Over,
                    _ => WaitOutcome::Pending,
                }
            }
            (Wait::Screen, Action::Expect(text)) => match caps.screen_text(SESSION) {
                Ok(screen) if screen.contains(text.as_str()) => WaitOutcome::Over,
                Ok(_) => WaitOutcome::Pending,
                Err(CapError::NotFound(message)) => WaitOutcome::Failed(format!(
                    "line {line}: expect {text:?}: the terminal session is gone ({message})"
                )),
                Err(error) => {
                    let message = format!(
                        "scripted: line {line}: reading the screen: {}",
                        describe(&error)
                    );
                    caps.log(Level::Warn, &message);
                    WaitOutcome::Pending
                }
            },
            (wait, action) => WaitOutcome::Failed(format!(
                "line {line}: the saved wait {wait:?} does not match the step `{}`; was the prompt changed?",
                summary(action)
            )),
        }
    }

    /// Runs one non-blocking step; `Err` is the reason it failed, for the status detail.
    fn perform(&mut self, step: &Step, caps: &mut impl Caps) -> Result<Option<Halt>, String> {
        match &step.action {
            Action::Run(command) => {
                self.exec(
                    shell(command),
                    self.env.clone(),
                    RUN_TIMEOUT_MS,
                    command,
                    caps,
                )?;
            }
            Action::Write { path, text } => caps
                .write_file(path, text.as_bytes())
                .map_err(|e| format!("write {path}: {}", describe(&e)))?,
            Action::Commit(message) => {
                let env = self.git_env();
                let add = vec!["git".to_string(), "add".into(), "-A".into()];
                self.exec(add, env.clone(), GIT_TIMEOUT_MS, "git add -A", caps)?;
                let commit = vec![
                    "git".to_string(),
                    "commit".into(),
                    "-m".into(),
                    message.clone(),
                ];
                self.exec(commit, env, GIT_TIMEOUT_MS, "git commit", caps)?;
            }
            Action::Say(text) => caps
                .transcript(Role::Agent, text)
                .map_err(|e| format!("say: {}", describe(&e)))?,
            Action::Term(command) => {
                let spec = SessionSpec {
                    name: SESSION.to_string(),
                    command: shell(command),
                    env: self.env.clone(),
                    workdir: None,
                    width: SESSION_WIDTH,
                    height: SESSION_HEIGHT,
                };
                caps.create_session(&spec)
                    .map_err(|e| format!("term {command:?}: {}", describe(&e)))?;
            }
            Action::Finish => self.end(
                Status::Finished,
                &format!("finish (line {})", step.line),
                caps,
            ),
            Action::Fail(message) => {
                let detail = if message.is_empty() {
                    format!("the script failed at line {}", step.line)
                } else {
                    message.clone()
                };
                self.end(Status::Failed, &detail, caps);
            }
            Action::Trap => return Ok(Some(Halt::Trap)),
            Action::Spin => return Ok(Some(Halt::Spin)),
            Action::Grow => return Ok(Some(Halt::Grow)),
            Action::WaitMessage | Action::Sleep(_) | Action::Expect(_) | Action::Ask { .. } => {
                unreachable!("blocking steps are waits, not performed")
            }
        }
        Ok(None)
    }

    /// Runs a command to completion; a non-zero exit fails the step with the output's tail.
    fn exec(
        &self,
        command: Vec<String>,
        env: Vec<(String, String)>,
        timeout_ms: u32,
        shown: &str,
        caps: &mut impl Caps,
    ) -> Result<(), String> {
        let request = ExecRequest {
            command,
            workdir: None,
            env,
            stdin: None,
            timeout_ms,
        };
        let output = caps
            .exec(&request)
            .map_err(|e| format!("`{shown}`: {}", describe(&e)))?;
        if output.exit_code == 0 {
            return Ok(());
        }
        let stderr = tail(&output.stderr);
        let said = if stderr.is_empty() {
            tail(&output.stdout)
        } else {
            stderr
        };
        let mut detail = format!("`{shown}` exited with {}", output.exit_code);
        if !said.is_empty() {
            detail.push_str(": ");
            detail.push_str(&said);
        }
        Err(detail)
    }

    /// The task's environment, with a git identity where it has none.
    fn git_env(&self) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        for (key, value) in GIT_IDENTITY {
            if !env.iter().any(|(k, _)| k == key) {
                env.push((key.to_string(), value.to_string()));
            }
        }
        env
    }

    /// Marks the script over (saved first, so a restart does not end it twice) and says so.
    fn end(&mut self, status: Status, detail: &str, caps: &mut impl Caps) {
        self.progress.done = true;
        self.progress.wait = None;
        self.save(caps);
        let level = if status == Status::Failed {
            Level::Warn
        } else {
            Level::Info
        };
        caps.log(
            level,
            &format!("scripted: {} ({detail})", status_name(status)),
        );
        self.status = None;
        self.set_status(status, detail, caps);
    }

    fn set_status(&mut self, status: Status, detail: &str, caps: &mut impl Caps) {
        if self.status == Some(status) {
            return;
        }
        self.status = Some(status);
        if let Err(error) = caps.set_status(status, detail) {
            caps.log(
                Level::Warn,
                &format!("scripted: setting the status: {}", describe(&error)),
            );
        }
    }

    /// A failed save is logged, not fatal: the script still runs, it just cannot resume.
    fn save(&self, caps: &mut impl Caps) {
        if let Err(error) = caps.save(&self.progress.encode()) {
            caps.log(
                Level::Warn,
                &format!("scripted: saving progress: {}", describe(&error)),
            );
        }
    }
}

/// An `ask` step's question: choice `n` (from 1) has id `n`, and a kind read from its
/// label, so that plinth can offer Approve and Deny.
fn question(text: &str, choices: &[String]) -> Question {
    let kind = |label: &str| {
        let label = label.to_ascii_lowercase();
        if label.contains("always") || label.contains("don't ask") {
            ChoiceKind::AllowAlways
        } else if ["yes", "allow", "approve"]
            .iter()
            .any(|w| label.starts_with(w))
        {
            ChoiceKind::Allow
        } else if ["no", "deny"].iter().any(|w| label.starts_with(w)) {
            ChoiceKind::Deny
        } else {
            ChoiceKind::Other
        }
    };
    Question {
        text: text.to_string(),
        detail: None,
        choices: choices
            .iter()
            .enumerate()
            .map(|(n, label)| Choice {
                id: (n + 1).to_string(),
                label: label.clone(),
                kind: kind(label),
            })
            .collect(),
    }
}

fn shell(command: &str) -> Vec<String> {
    vec!["sh".to_string(), "-c".to_string(), command.to_string()]
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Starting => "starting",
        Status::Working => "working",
        Status::WaitingForUser => "waiting-for-user",
        Status::Idle => "idle",
        Status::Finished => "finished",
        Status::Failed => "failed",
    }
}

/// A step as the log shows it.
fn summary(action: &Action) -> String {
    match action {
        Action::Run(command) => format!("run {command}"),
        Action::Write { path, text } => format!("write {path} ({} bytes)", text.len()),
        Action::Commit(message) => format!("commit {message}"),
        Action::Say(text) => format!("say {text}"),
        Action::WaitMessage => "wait-message".to_string(),
        Action::Ask { text, choices } => format!("ask {text} | {}", choices.join(" | ")),
        Action::Sleep(ms) => format!("sleep {ms}"),
        Action::Term(command) => format!("term {command}"),
        Action::Expect(text) => format!("expect {text}"),
        Action::Finish => "finish".to_string(),
        Action::Fail(message) => format!("fail {message}"),
        Action::Trap => "trap".to_string(),
        Action::Spin => "spin".to_string(),
        Action::Grow => "grow".to_string(),
    }
}
