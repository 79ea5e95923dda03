//! Carries out what [`decide`] and [`delivery`] decide, through the capabilities, and
//! keeps the state saved: start (or resume), signals, stop.

use guest_support::describe;

use crate::caps::Caps;
use crate::config;
use crate::decide::{self, Effect};
use crate::delivery::{self, Delivery};
use crate::exports::plinth::agent::agent::Signal;
use crate::launch::{self, SESSION};
use crate::phase::Phase;
use crate::plinth::agent::events::{Role, TranscriptEntry};
use crate::plinth::agent::log::Level;
use crate::plinth::agent::types::CapError;
use crate::reply;
use crate::saved::Saved;

/// Ticks a queued message may wait for a ready screen before the screen is logged, so an
/// unexpected dialog that blocks delivery can be seen in the task's log.
const STUCK_TICKS: u32 = 120;

/// What the adapter needs of the task.
pub struct TaskInput {
    pub prompt: String,
    pub workdir: String,
    pub env: Vec<(String, String)>,
}

pub struct Driver {
    task: TaskInput,
    saved: Saved,
    /// The blob last saved, so an unchanged state is not saved again.
    last_saved: Vec<u8>,
    /// Ticks in a row a message waited on a screen that was not ready.
    stuck_ticks: u32,
}

impl Driver {
    /// Starts Claude Code, or resumes the session a previous instance started: config is
    /// written and the session created only when it is not running.
    pub fn start(
        task: TaskInput,
        saved: Option<&[u8]>,
        caps: &mut impl Caps,
    ) -> Result<Driver, String> {
        let state = match saved {
            Some(blob) => Saved::decode(blob)?,
            None => Saved::default(),
        };
        let last_saved = saved.map(<[u8]>::to_vec).unwrap_or_default();
        let mut driver = Driver {
            task,
            saved: state,
            last_saved,
            stuck_ticks: 0,
        };
        if driver.saved.phase.is_final() {
            caps.log(
                Level::Info,
                "claude-code: the task already ended; nothing to resume",
            );
            return Ok(driver);
        }
        driver.forget_calls_in_flight(caps);
        match caps.is_alive(SESSION) {
            Ok(true) => caps.log(Level::Info, "claude-code: resuming; the session is running"),
            Ok(false) => driver.launch(caps),
            Err(error) => driver.fail(&format!("cannot reach tmux: {}", describe(&error)), caps),
        }
        driver.pump(false, caps);
        driver.persist(caps);
        Ok(driver)
    }

    pub fn on_signal(&mut self, signal: &Signal, caps: &mut impl Caps) {
        let effects = decide::on_signal(&mut self.saved, signal);
        self.apply(effects, caps);
        if let Signal::ScreenChanged(session) = signal
            && session == SESSION
        {
            self.look_for_trouble(caps);
        }
        self.pump(matches!(signal, Signal::Tick(_)), caps);
        self.persist(caps);
    }

    /// Ends Claude Code; its exit, signalled after this, is then a finish, not a failure.
    pub fn stop(&mut self, caps: &mut impl Caps) {
        self.saved.stop_requested = true;
        self.persist(caps);
        if let Err(error) = caps.kill_session(SESSION) {
            caps.log(
                Level::Warn,
                &format!("claude-code: stopping the session: {}", describe(&error)),
            );
        }
    }

    pub fn saved(&self) -> &Saved {
        &self.saved
    }

    /// The model calls the saved state counts as in flight were seen by an earlier host,
    /// whose proxy may have died with them (a restart of plinth cuts every call; Claude
    /// Code retries it as a new one) or whose end was signalled while no host ran. Their
    /// end would never come, and would keep the status `working` for good; the screen
    /// tells from here on whether Claude Code is busy.
    fn forget_calls_in_flight(&mut self, caps: &mut impl Caps) {
        if self.saved.llm_in_flight.is_empty() {
            return;
        }
        let message = format!(
            "claude-code: forgetting {} model call(s) in flight before the restart: {}",
            self.saved.llm_in_flight.len(),
            self.saved.llm_in_flight.join(", ")
        );
        caps.log(Level::Info, &message);
        self.saved.llm_in_flight.clear();
    }

    fn launch(&mut self, caps: &mut impl Caps) {
        // Said even when the saved phase is already `starting` (as on a first start): the
        // host learns the adapter is at work.
        let detail = "configuring Claude Code".to_string();
        self.saved.phase = Phase::Starting;
        self.saved.detail.clone_from(&detail);
        self.apply(
            vec![Effect::Status {
                phase: Phase::Starting,
                detail,
            }],
            caps,
        );
        if let Err(detail) = self.write_config(caps) {
            self.fail(&detail, caps);
            return;
        }
        if !self.saved.prompt_queued {
            self.saved.prompt_queued = true;
            let prompt = self.task.prompt.clone();
            if !prompt.trim().is_empty() {
                self.saved.pending.push_front(prompt.clone());
                self.persist(caps);
                self.record(Role::User, &prompt, caps);
            }
        }
        // A relaunch after a crash continues the conversation the prompt started.
        let spec = launch::session_spec(&self.task.env, self.saved.delivered_any);
        // A dead program can leave its session behind, and `create` refuses a taken name.
        if let Err(error) = caps.kill_session(SESSION) {
            caps.log(
                Level::Debug,
                &format!("claude-code: clearing an old session: {}", describe(&error)),
            );
        }
        match caps.create_session(&spec) {
            Ok(()) => {
                self.saved.launched = true;
                self.saved.awaiting_enter = false;
                let message = format!("claude-code: started `{}`", spec.command.join(" "));
                caps.log(Level::Info, &message);
            }
            Err(error) => self.fail(&format!("starting Claude Code: {}", describe(&error)), caps),
        }
    }

    fn write_config(&mut self, caps: &mut impl Caps) -> Result<(), String> {
        let env = &self.task.env;
        let home = launch::home(env);
        let skip = launch::skip_permissions(env);
        let claude_json_path = format!("{home}/.claude.json");
        let existing = read_text(&claude_json_path, caps)?;
        let api_key = launch::lookup(env, "ANTHROPIC_API_KEY");
        let text = config::claude_json(existing.as_deref(), &self.task.workdir, api_key, skip);
        write(&claude_json_path, &text, caps)?;

        let settings_path = format!("{home}/.claude/settings.json");
        let existing = read_text(&settings_path, caps)?;
        let hook_url_known = launch::lookup(env, "PLINTH_HOOK_URL").is_some_and(|u| !u.is_empty());
        if !hook_url_known {
            let message = "claude-code: no PLINTH_HOOK_URL in the task's env; status comes from the proxy and the screen only";
            caps.log(Level::Warn, message);
        }
        let text = config::settings_json(existing.as_deref(), hook_url_known, skip);
        write(&settings_path, &text, caps)
    }

    /// Claude Code's screen changed: does it show something only the user can fix? Not
    /// while a model call is under way (the screen changes with every piece of the reply,
    /// and neither screen looked for comes with a call in flight).
    fn look_for_trouble(&mut self, caps: &mut impl Caps) {
        if self.saved.phase.is_final()
            || self.saved.trouble.is_some()
            || !self.saved.llm_in_flight.is_empty()
        {
            return;
        }
        let Ok(text) = caps.screen_text(SESSION) else {
            return;
        };
        let has_proxy = ["ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"]
            .iter()
            .all(|key| launch::lookup(&self.task.env, key).is_some_and(|v| !v.is_empty()));
        let effects = decide::on_changed_screen(&mut self.saved, &text, has_proxy);
        self.apply(effects, caps);
    }

    /// Delivers what can be delivered, and on a tick lets the screen correct a stale status.
    fn pump(&mut self, tick: bool, caps: &mut impl Caps) {
        let watch = tick && decide::watches_screen(&self.saved);
        let wants = delivery::wants_screen(&self.saved);
        let screen = if watch || wants {
            match caps.screen_text(SESSION) {
                Ok(text) => Some(text),
                Err(error) => {
                    caps.log(
                        Level::Debug,
                        &format!("claude-code: reading the screen: {}", describe(&error)),
                    );
                    None
                }
            }
        } else {
            None
        };
        if watch && let Some(text) = &screen {
            let effects = decide::on_screen(&mut self.saved, text);
            self.apply(effects, caps);
        }
        match delivery::next(&mut self.saved, screen.as_deref()) {
            Some(Delivery::Enter) => {
                self.persist(caps);
                if let Err(error) = caps.send_keys(SESSION, &["Enter".to_string()]) {
                    caps.log(
                        Level::Warn,
                        &format!("claude-code: sending Enter: {}", describe(&error)),
                    );
                }
            }
            Some(Delivery::Paste(message)) => {
                self.stuck_ticks = 0;
                self.persist(caps);
                if let Err(error) = caps.paste(SESSION, &message) {
                    caps.log(
                        Level::Warn,
                        &format!("claude-code: pasting a message: {}", describe(&error)),
                    );
                    delivery::paste_failed(&mut self.saved, message);
                }
            }
            Some(Delivery::Answer(keys)) => {
                self.persist(caps);
                caps.log(
                    Level::Info,
                    &format!("claude-code: answering the dialog with {}", keys.join(" ")),
                );
                if let Err(error) = caps.send_keys(SESSION, &keys) {
                    caps.log(
                        Level::Warn,
                        &format!("claude-code: answering the dialog: {}", describe(&error)),
                    );
                }
            }
            None if tick && wants => self.note_stuck(screen.as_deref(), caps),
            None => {}
        }
    }

    fn note_stuck(&mut self, screen: Option<&str>, caps: &mut impl Caps) {
        self.stuck_ticks += 1;
        if self.stuck_ticks != STUCK_TICKS {
            return;
        }
        let bottom: Vec<&str> = screen
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let bottom = bottom[bottom.len().saturating_sub(10)..].join("\n");
        let message = format!(
            "claude-code: a message has waited ~30 s for the input prompt; the screen ends with:\n{bottom}"
        );
        caps.log(Level::Warn, &message);
    }

    fn apply(&mut self, effects: Vec<Effect>, caps: &mut impl Caps) {
        for effect in effects {
            let result = match effect {
                Effect::Status { phase, detail } => caps.set_status(phase.into(), &detail),
                Effect::Ask { text, detail } => {
                    caps.ask(&crate::answer::question(&text, detail.as_deref()))
                }
                Effect::Notify {
                    title,
                    body,
                    urgency,
                } => caps.notify(&title, &body, urgency),
                Effect::Transcript {
                    role,
                    text,
                    tool,
                    data,
                } => caps.transcript(&TranscriptEntry {
                    role,
                    text,
                    tool,
                    data,
                }),
                Effect::ReadLastReply { path } => {
                    self.record_last_reply(&path, caps);
                    Ok(())
                }
                Effect::Log(level, message) => {
                    caps.log(level, &message);
                    Ok(())
                }
            };
            if let Err(error) = result {
                caps.log(Level::Warn, &format!("claude-code: {}", describe(&error)));
            }
        }
    }

    fn record_last_reply(&mut self, path: &str, caps: &mut impl Caps) {
        match caps.read_file(path) {
            Ok(bytes) => match reply::last_reply(&String::from_utf8_lossy(&bytes)) {
                Some(text) => self.record(Role::Agent, &text, caps),
                None => caps.log(
                    Level::Debug,
                    "claude-code: the turn ended without a reply text",
                ),
            },
            Err(error) => {
                let message = format!(
                    "claude-code: reading the transcript {path}: {}",
                    describe(&error)
                );
                caps.log(Level::Warn, &message);
            }
        }
    }

    fn record(&mut self, role: Role, text: &str, caps: &mut impl Caps) {
        self.apply(
            vec![Effect::Transcript {
                role,
                text: text.to_string(),
                tool: None,
                data: None,
            }],
            caps,
        );
    }

    fn fail(&mut self, detail: &str, caps: &mut impl Caps) {
        caps.log(Level::Error, &format!("claude-code: {detail}"));
        let mut effects = Vec::new();
        decide::set_phase(&mut self.saved, Phase::Failed, detail, &mut effects);
        self.persist(caps);
        self.apply(effects, caps);
    }

    /// Saves the state if it changed. A failed save is logged, not fatal: the adapter works
    /// on, it just cannot resume as well after a restart.
    fn persist(&mut self, caps: &mut impl Caps) {
        let blob = self.saved.encode();
        if blob == self.last_saved {
            return;
        }
        match caps.save(&blob) {
            Ok(()) => self.last_saved = blob,
            Err(error) => caps.log(
                Level::Warn,
                &format!("claude-code: saving state: {}", describe(&error)),
            ),
        }
    }
}

/// A file's text, or `None` when it does not exist yet.
fn read_text(path: &str, caps: &mut impl Caps) -> Result<Option<String>, String> {
    match caps.read_file(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(CapError::NotFound(_)) => Ok(None),
        Err(error) => Err(format!("reading {path}: {}", describe(&error))),
    }
}

fn write(path: &str, text: &str, caps: &mut impl Caps) -> Result<(), String> {
    caps.write_file(path, text.as_bytes())
        .map_err(|error| format!("writing {path}: {}", describe(&error)))
}
