//! What differs between terminal agents, supplied by each agent's adapter: its config
//! files, its command, how to read its screen and its hooks, and its name for people.

use serde_json::{Map, Value};

use crate::question::Question;

/// What a profile needs to know of the task to configure and start its agent.
#[derive(Debug, Clone)]
pub struct Context {
    /// The task's environment (with HOME first, the task's own after).
    pub env: Vec<(String, String)>,
    pub home: String,
    pub workdir: String,
    /// `PLINTH_SKIP_PERMISSIONS=1`: the agent runs tools without asking.
    pub skip_permissions: bool,
    /// The task's env has `PLINTH_HOOK_URL`: hooks have somewhere to post to.
    pub hooks: bool,
}

/// The value of `key` in `env`, the last one set winning.
pub fn lookup<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl Context {
    pub fn var(&self, key: &str) -> Option<&str> {
        lookup(&self.env, key).filter(|v| !v.is_empty())
    }
}

/// How the session is started: afresh, or continuing the conversation an earlier session
/// of this task had (after the agent's exit or the sandbox's restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start<'a> {
    Fresh,
    /// `session`: the id the agent reported for it (its SessionStart hook), when it did.
    Resume {
        session: Option<&'a str>,
    },
}

/// What the screen shows, as far as the driver cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenState {
    /// At its input prompt, not busy: a message typed now is a prompt.
    Ready,
    /// Thinking or running a tool.
    Busy,
    /// A question (an approval dialog) waits for an answer.
    Asking(Question),
    /// Stuck on something only the user can fix (a login dialog, a refused model).
    Trouble(String),
    /// Starting, scrolling, or something not recognised.
    Unknown,
}

/// What a hook says happened.
#[derive(Debug, Clone, PartialEq)]
pub enum HookMeaning {
    SessionStarted {
        session: Option<String>,
    },
    PromptSubmitted {
        prompt: String,
    },
    ToolStarted {
        tool: String,
        input: Value,
    },
    ToolFinished {
        tool: String,
        /// The call's id, when the agent gives one.
        id: String,
        response: Value,
    },
    /// The agent asks its user (an approval it is about to show).
    Asking(Question),
    /// The turn ended; the agent's reply, when the hook carries it.
    TurnEnded {
        reply: Option<String>,
    },
    SessionEnded {
        reason: String,
    },
    /// Nothing the driver acts on (its name, for the log).
    Nothing(String),
}

/// How a message is typed into the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// A bracketed paste, then Enter on a later signal (the TUI has taken the paste in by
    /// then; an Enter hard on the text's heels can be read as a newline).
    PasteThenEnter,
}

pub trait Profile {
    /// The adapter's name, for logs ("gemini").
    fn name(&self) -> &'static str;
    /// The agent's name for people ("Gemini CLI").
    fn agent(&self) -> &'static str;
    /// The config files to write (absolute paths), each merged by [`Profile::config`].
    fn config_files(&self, ctx: &Context) -> Vec<String>;
    /// File `path`'s new contents, keeping what `existing` holds but the keys set here.
    fn config(&self, path: &str, existing: Option<&str>, ctx: &Context) -> String;
    /// The program and its arguments.
    fn command(&self, ctx: &Context, start: Start) -> Vec<String>;
    /// Variables the session gets besides the task's own (the task's win on a clash).
    fn env(&self, _ctx: &Context) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The task variables that point the agent at plinth's model proxy.
    fn proxy_vars(&self) -> &'static [&'static str];
    fn screen(&self, text: &str) -> ScreenState;
    fn hook(&self, name: &str, body: &str) -> HookMeaning;
    fn typing(&self) -> Typing {
        Typing::PasteThenEnter
    }
}

/// A hook's JSON body, read leniently: a body that is no JSON object reads as empty, and a
/// missing or mistyped field as empty (agents add and change fields between versions).
pub struct HookBody(pub Map<String, Value>);

impl HookBody {
    pub fn parse(body: &str) -> HookBody {
        match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(fields)) => HookBody(fields),
            _ => HookBody(Map::new()),
        }
    }

    /// A string field, or "".
    pub fn text(&self, key: &str) -> String {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    /// A string field that is there and not empty.
    pub fn optional(&self, key: &str) -> Option<String> {
        self.0
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// Any field, or null.
    pub fn value(&self, key: &str) -> Value {
        self.0.get(key).cloned().unwrap_or(Value::Null)
    }
}
