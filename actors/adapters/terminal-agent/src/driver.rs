//! Carries out what [`decide`] and [`delivery`] decide, through the capabilities, and
//! keeps the state saved: start (or resume), signals and stop, for any agent's [`Profile`].

use guest_support::describe;
use guest_support::exports::plinth::agent::agent::Signal;
use guest_support::plinth::agent::events::{Role, TranscriptEntry, Urgency};
use guest_support::plinth::agent::log::Level;
use guest_support::plinth::agent::types::CapError;

use crate::caps::Caps;
use crate::decide::{self, Effect, said};
use crate::delivery::{self, Delivery};
use crate::launch::{self, SESSION};
use crate::phase::Phase;
use crate::profile::{Context, Profile, ScreenState, Start};
use crate::question::Question;
use crate::saved::Saved;

/// Ticks a queued message may wait for a ready screen before the screen is logged.
const STUCK_TICKS: u32 = 120;

/// What the driver needs of the task.
pub struct TaskInput {
    pub prompt: String,
    pub workdir: String,
    pub env: Vec<(String, String)>,
}

pub struct Driver {
    profile: Box<dyn Profile>,
    ctx: Context,
    prompt: String,
    saved: Saved,
    last_saved: Vec<u8>,
    stuck_ticks: u32,
}

impl Driver {
    /// Starts the agent, or resumes the session a previous instance started: config is
    /// written and the session created only when it is not running.
    pub fn start(
        profile: Box<dyn Profile>,
        task: TaskInput,
        saved: Option<&[u8]>,
        caps: &mut impl Caps,
    ) -> Result<Driver, String> {
        let state = match saved {
            Some(blob) => Saved::decode(blob)?,
            None => Saved::default(),
        };
        let mut driver = Driver {
            ctx: launch::context(&task.env, &task.workdir),
            prompt: task.prompt,
            profile,
            saved: state,
            last_saved: saved.map(<[u8]>::to_vec).unwrap_or_default(),
            stuck_ticks: 0,
        };
        let name = driver.profile.name();
        if driver.saved.phase.is_final() {
            caps.log(
                Level::Info,
                &format!("{name}: the task already ended; nothing to resume"),
            );
            return Ok(driver);
        }
        driver.forget_calls_in_flight(caps);
        match caps.is_alive(SESSION) {
            Ok(true) => caps.log(
                Level::Info,
                &format!("{name}: resuming; the session is running"),
            ),
            Ok(false) => driver.launch(caps),
            Err(error) => driver.fail(&format!("cannot reach tmux: {}", describe(&error)), caps),
        }
        driver.pump(false, caps);
        driver.persist(caps);
        Ok(driver)
    }

    pub fn on_signal(&mut self, signal: &Signal, caps: &mut impl Caps) {
        let effects = decide::on_signal(&mut self.saved, signal, self.profile.as_ref());
        self.apply(effects, caps);
        if let Signal::ScreenChanged(session) = signal
            && session == SESSION
        {
            self.look_for_trouble(caps);
        }
        self.pump(matches!(signal, Signal::Tick(_)), caps);
        self.persist(caps);
    }

    /// Ends the agent; its exit, signalled after this, is then a finish, not a failure.
    pub fn stop(&mut self, caps: &mut impl Caps) {
        self.saved.stop_requested = true;
        self.persist(caps);
        if let Err(error) = caps.kill_session(SESSION) {
            let name = self.profile.name();
            caps.log(
                Level::Warn,
                &format!("{name}: stopping the session: {}", describe(&error)),
            );
        }
    }

    pub fn saved(&self) -> &Saved {
        &self.saved
    }

    /// Calls in flight before a restart may have died with the old host's proxy; their end
    /// would never come. The screen tells from here on whether the agent is busy.
    fn forget_calls_in_flight(&mut self, caps: &mut impl Caps) {
        if self.saved.llm_in_flight.is_empty() {
            return;
        }
        let message = format!(
            "{}: forgetting {} model call(s) in flight before the restart",
            self.profile.name(),
            self.saved.llm_in_flight.len()
        );
        caps.log(Level::Info, &message);
        self.saved.llm_in_flight.clear();
    }

    fn launch(&mut self, caps: &mut impl Caps) {
        let agent = self.profile.agent();
        let detail = format!("configuring {agent}");
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
            let prompt = self.prompt.clone();
            if !prompt.trim().is_empty() {
                self.saved.pending.push_front(prompt.clone());
                self.persist(caps);
                self.apply(vec![said(Role::User, &prompt)], caps);
            }
        }
        let start = if self.saved.delivered_any {
            Start::Resume {
                session: self.saved.session.as_deref(),
            }
        } else {
            Start::Fresh
        };
        let spec = launch::session_spec(self.profile.as_ref(), &self.ctx, start);
        let name = self.profile.name();
        if let Err(error) = caps.kill_session(SESSION) {
            caps.log(
                Level::Debug,
                &format!("{name}: clearing an old session: {}", describe(&error)),
            );
        }
        match caps.create_session(&spec) {
            Ok(()) => {
                self.saved.launched = true;
                self.saved.session_ended = false;
                self.saved.resumed = start != Start::Fresh;
                self.saved.awaiting_enter = false;
                caps.log(
                    Level::Info,
                    &format!("{name}: started `{}`", spec.command.join(" ")),
                );
            }
            Err(error) => self.fail(&format!("starting {agent}: {}", describe(&error)), caps),
        }
    }

    fn write_config(&mut self, caps: &mut impl Caps) -> Result<(), String> {
        let missing: Vec<&str> = (self.profile.proxy_vars().iter())
            .filter(|key| self.ctx.var(key).is_none())
            .copied()
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "{}: no {} in the task's env: the model proxy is not reachable from the sandbox \
                 (`plinth doctor` says why); the agent's model calls will fail",
                self.profile.name(),
                missing.join(" or ")
            );
            caps.log(Level::Warn, &message);
        }
        if !self.ctx.hooks {
            let message = format!(
                "{}: no PLINTH_HOOK_URL in the task's env; status comes from the proxy and the screen only",
                self.profile.name()
            );
            caps.log(Level::Warn, &message);
        }
        for path in self.profile.config_files(&self.ctx) {
            let existing = match caps.read_file(&path) {
                Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                Err(CapError::NotFound(_)) => None,
                Err(error) => return Err(format!("reading {path}: {}", describe(&error))),
            };
            let text = self.profile.config(&path, existing.as_deref(), &self.ctx);
            caps.write_file(&path, text.as_bytes())
                .map_err(|error| format!("writing {path}: {}", describe(&error)))?;
        }
        Ok(())
    }

    /// The screen changed: does it show something only the user can fix? Not while a model
    /// call is under way (the screen changes with every piece of the reply).
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
        let state = self.profile.screen(&text);
        let effects = decide::on_changed_screen(&mut self.saved, &state, self.profile.as_ref());
        self.apply(effects, caps);
    }

    /// Delivers what can be delivered, and on a tick lets the screen correct a stale status.
    fn pump(&mut self, tick: bool, caps: &mut impl Caps) {
        let name = self.profile.name();
        let watch = tick && decide::watches_screen(&self.saved);
        let wants = delivery::wants_screen(&self.saved);
        let text = if watch || wants {
            match caps.screen_text(SESSION) {
                Ok(text) => Some(text),
                Err(error) => {
                    caps.log(
                        Level::Debug,
                        &format!("{name}: reading the screen: {}", describe(&error)),
                    );
                    None
                }
            }
        } else {
            None
        };
        let state = text.as_deref().map(|t| self.profile.screen(t));
        if watch && let Some(state) = &state {
            let effects = decide::on_screen(&mut self.saved, state);
            self.apply(effects, caps);
        }
        match delivery::next(&mut self.saved, state.as_ref()) {
            Some(Delivery::Enter) => {
                // A turn begins: its end is the agent's end-of-turn hook, not the first model
                // call to finish (the prompt's hook can arrive after it). Without hooks the
                // screen ends it.
                if self.ctx.hooks {
                    self.saved.turn_active = true;
                }
                self.persist(caps);
                if let Err(error) = caps.send_keys(SESSION, &["Enter".to_string()]) {
                    caps.log(
                        Level::Warn,
                        &format!("{name}: sending Enter: {}", describe(&error)),
                    );
                }
            }
            Some(Delivery::Paste(message)) => {
                self.stuck_ticks = 0;
                self.persist(caps);
                if let Err(error) = caps.paste(SESSION, &message) {
                    caps.log(
                        Level::Warn,
                        &format!("{name}: typing a message: {}", describe(&error)),
                    );
                    delivery::paste_failed(&mut self.saved, message);
                }
            }
            Some(Delivery::Answer(keys)) => {
                self.persist(caps);
                caps.log(
                    Level::Info,
                    &format!("{name}: answering with {}", keys.join(" ")),
                );
                if let Err(error) = caps.send_keys(SESSION, &keys) {
                    caps.log(
                        Level::Warn,
                        &format!("{name}: answering: {}", describe(&error)),
                    );
                }
            }
            None if tick && wants => self.note_stuck(text.as_deref(), state.as_ref(), caps),
            None => {}
        }
    }

    fn note_stuck(
        &mut self,
        text: Option<&str>,
        state: Option<&ScreenState>,
        caps: &mut impl Caps,
    ) {
        self.stuck_ticks += 1;
        if self.stuck_ticks != STUCK_TICKS {
            return;
        }
        let lines: Vec<&str> = text
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let bottom = lines[lines.len().saturating_sub(10)..].join("\n");
        let message = format!(
            "{}: a message has waited ~30 s for the input prompt (screen read as {state:?}); the screen ends with:\n{bottom}",
            self.profile.name()
        );
        caps.log(Level::Warn, &message);
    }

    fn apply(&mut self, effects: Vec<Effect>, caps: &mut impl Caps) {
        for effect in effects {
            let result = match effect {
                Effect::Status { phase, detail } => caps.set_status(phase.into(), &detail),
                Effect::Ask { question, notify } => self.ask(&question, notify, caps),
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
                Effect::Log(level, message) => {
                    caps.log(level, &message);
                    Ok(())
                }
            };
            if let Err(error) = result {
                caps.log(
                    Level::Warn,
                    &format!("{}: {}", self.profile.name(), describe(&error)),
                );
            }
        }
    }

    /// The one place a question reaches the host: `ask` (the status waits on it, its
    /// choices offered to the user) and a notification that names it.
    fn ask(&self, question: &Question, notify: bool, caps: &mut impl Caps) -> Result<(), CapError> {
        caps.ask(&question.to_wit())?;
        if !notify {
            return Ok(());
        }
        let title = format!("{} asks: {}", self.profile.agent(), question.text);
        caps.notify(&title, &question.summary(), Urgency::NeedsAttention)
    }

    fn fail(&mut self, detail: &str, caps: &mut impl Caps) {
        caps.log(Level::Error, &format!("{}: {detail}", self.profile.name()));
        let mut effects = Vec::new();
        decide::set_phase(&mut self.saved, Phase::Failed, detail, &mut effects);
        self.persist(caps);
        self.apply(effects, caps);
    }

    /// Saves the state if it changed; a failed save is logged, not fatal.
    fn persist(&mut self, caps: &mut impl Caps) {
        let blob = self.saved.encode();
        if blob == self.last_saved {
            return;
        }
        match caps.save(&blob) {
            Ok(()) => self.last_saved = blob,
            Err(error) => {
                let message = format!(
                    "{}: saving state: {}",
                    self.profile.name(),
                    describe(&error)
                );
                caps.log(Level::Warn, &message);
            }
        }
    }
}
