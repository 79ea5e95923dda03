//! plinth's configuration: defaults, then `config.toml`, then `PLINTH_*` environment
//! variables, each layer overriding the one before.
//!
//! The file is `$PLINTH_HOME/config.toml` when a home is chosen explicitly (`--home` or
//! `PLINTH_HOME`), so a home is self-contained and tests never read the user's own file;
//! otherwise `$XDG_CONFIG_HOME/plinth/config.toml`. Every key is listed in [`KEYS`] and
//! documented in `docs/configuration.md`; a test keeps the two in step.
//!
//! Mistakes are reported where they were made: a typo or a bad value in the file names the
//! file and line, a bad value in the environment names the variable. Loading also records
//! where each value came from, which `plinth config` shows.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::environments::docker::network::{DEFAULT_NETWORK, check_name as network_name};
use crate::environments::{DEFAULT_BASE_IMAGE, DEFAULT_DOCKER_HOST};

/// The file's name, in the home or the XDG config directory.
pub const CONFIG_FILE: &str = "config.toml";

/// One configuration key and the environment variables that override it, first wins.
#[derive(Clone, Copy, Debug)]
pub struct KeyInfo {
    pub key: &'static str,
    pub variables: &'static [&'static str],
}

/// Every key, in the order `plinth config` prints them.
pub const KEYS: &[KeyInfo] = &[
    key("docker.base_image", &["PLINTH_BASE_IMAGE"]),
    key("docker.cpus", &["PLINTH_DOCKER_CPUS"]),
    key("docker.memory", &["PLINTH_DOCKER_MEMORY"]),
    // DOCKER_HOST is what every Docker client reads; plinth's own variable wins so plinth
    // can be pointed elsewhere without changing the user's docker CLI.
    key("docker.socket", &["PLINTH_DOCKER_SOCKET", "DOCKER_HOST"]),
    key("docker.network", &["PLINTH_DOCKER_NETWORK"]),
    key("sandbox.default", &["PLINTH_SANDBOX"]),
    key("terminal.ttyd", &["PLINTH_TTYD"]),
    key(
        "terminal.scrollback_interval_ms",
        &["PLINTH_TERMINAL_SCROLLBACK_INTERVAL_MS"],
    ),
    key(
        "adapters.memory_limit_mb",
        &["PLINTH_ADAPTERS_MEMORY_LIMIT_MB"],
    ),
    key(
        "adapters.call_deadline_ms",
        &["PLINTH_ADAPTERS_CALL_DEADLINE_MS"],
    ),
    key("tasks.dockerfile", &["PLINTH_TASKS_DOCKERFILE"]),
    key("tasks.notify_command", &["PLINTH_NOTIFY_COMMAND"]),
    key("tasks.skip_permissions", &["PLINTH_SKIP_PERMISSIONS"]),
    key("tasks.permission_mode", &["PLINTH_PERMISSION_MODE"]),
    key(
        "tasks.start_deadline_ms",
        &["PLINTH_TASKS_START_DEADLINE_MS"],
    ),
    key("tasks.max_restarts", &["PLINTH_TASKS_MAX_RESTARTS"]),
    key(
        "tasks.restart_window_ms",
        &["PLINTH_TASKS_RESTART_WINDOW_MS"],
    ),
    key("llm.upstream", &["PLINTH_LLM_UPSTREAM"]),
];

const fn key(key: &'static str, variables: &'static [&'static str]) -> KeyInfo {
    KeyInfo { key, variables }
}

/// The effective configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    pub docker: DockerConfig,
    pub sandbox: SandboxConfig,
    pub terminal: TerminalConfig,
    pub adapters: AdapterConfig,
    pub tasks: TaskConfig,
    pub llm: LlmConfig,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DockerConfig {
    /// What plinth's agent image is built `FROM`.
    pub base_image: String,
    /// CPUs each task's container may use (fractions allowed).
    pub cpus: f64,
    /// Memory each task's container may use.
    pub memory: MemorySize,
    /// Where the daemon listens: `unix:///path`, a bare socket path, or `tcp://host:port`.
    pub socket: String,
    /// The user-defined bridge network plinth makes and attaches every task container to.
    pub network: String,
}

impl DockerConfig {
    /// The CPU limit in the unit the Docker API takes.
    pub fn nano_cpus(&self) -> i64 {
        (self.cpus * 1e9).round() as i64
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SandboxConfig {
    /// Where tasks run unless `--sandbox` says otherwise.
    pub default: SandboxKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxKind {
    Docker,
    /// On the host, unconfined: only for machines without Docker, and said so every time.
    Local,
}

impl FromStr for SandboxKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "docker" => Ok(SandboxKind::Docker),
            "local" => Ok(SandboxKind::Local),
            other => Err(format!(
                "`{other}` is not a sandbox: use `docker` or `local`"
            )),
        }
    }
}

impl fmt::Display for SandboxKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SandboxKind::Docker => "docker",
            SandboxKind::Local => "local",
        })
    }
}

/// Which of its tools an agent runs without asking, for agents that have modes (Claude
/// Code's `--permission-mode`); `skip_permissions` overrides it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionMode {
    /// Whatever the agent starts in on its own (Claude Code: auto mode).
    #[default]
    Agent,
    /// Ask before every edit and command.
    Manual,
    /// The agent's own classifier decides, and asks when it cannot.
    Auto,
    /// Edits run without asking; commands ask.
    AcceptEdits,
    /// Read and plan only.
    Plan,
}

impl PermissionMode {
    pub const ALL: [PermissionMode; 5] = [
        PermissionMode::Agent,
        PermissionMode::Manual,
        PermissionMode::Auto,
        PermissionMode::AcceptEdits,
        PermissionMode::Plan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PermissionMode::Agent => "agent",
            PermissionMode::Manual => "manual",
            PermissionMode::Auto => "auto",
            PermissionMode::AcceptEdits => "accept-edits",
            PermissionMode::Plan => "plan",
        }
    }
}

impl FromStr for PermissionMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        PermissionMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
            .ok_or_else(|| {
                format!("`{text}` is not a permission mode: use agent, manual, auto, accept-edits or plan")
            })
    }
}

impl fmt::Display for PermissionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TerminalConfig {
    /// A ttyd binary (a path, or a name looked up on PATH); without one the server bridges
    /// the terminal itself.
    pub ttyd: Option<PathBuf>,
    /// How often every running task's scrollback is captured into the store.
    pub scrollback_interval_ms: u64,
}

impl TerminalConfig {
    pub fn scrollback_interval(&self) -> Duration {
        Duration::from_millis(self.scrollback_interval_ms)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdapterConfig {
    pub memory_limit_mb: u64,
    pub call_deadline_ms: u64,
}

impl AdapterConfig {
    pub fn memory_limit_bytes(&self) -> usize {
        usize::try_from(self.memory_limit_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    }

    pub fn call_deadline(&self) -> Duration {
        Duration::from_millis(self.call_deadline_ms)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskConfig {
    /// The project's Dockerfile, relative to the repository root (or absolute).
    pub dockerfile: PathBuf,
    /// A shell command run for every notification, with its details in `PLINTH_NOTIFY_*`.
    pub notify_command: Option<String>,
    /// Agents run their tools without asking (Claude Code's
    /// `--dangerously-skip-permissions`): for sandboxes you trust to contain them.
    pub skip_permissions: bool,
    /// What the agent may do without asking when permissions are not skipped.
    pub permission_mode: PermissionMode,
    /// How long a starting agent may show no sign of life before its user is told.
    pub start_deadline_ms: u64,
    /// A task's restart budget: its agent host is restarted at most this many times within
    /// `restart_window_ms`; one failure more and the task fails.
    pub max_restarts: u32,
    pub restart_window_ms: u64,
}

impl TaskConfig {
    pub fn start_deadline(&self) -> Duration {
        Duration::from_millis(self.start_deadline_ms)
    }

    pub fn restart_window(&self) -> Duration {
        Duration::from_millis(self.restart_window_ms)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LlmConfig {
    /// Where the model proxy sends tasks' model calls (Anthropic's API, or a mock).
    pub upstream: String,
}

impl Default for Config {
    fn default() -> Self {
        let wasm = plinth_wasm::HostConfig::default();
        Config {
            docker: DockerConfig {
                base_image: DEFAULT_BASE_IMAGE.to_string(),
                // Docker refuses a limit above the machine's CPUs, so a small machine gets
                // all it has rather than a default that fails every task.
                cpus: std::thread::available_parallelism().map_or(1, |n| n.get().min(2)) as f64,
                memory: MemorySize(4 << 30),
                socket: DEFAULT_DOCKER_HOST.to_string(),
                network: DEFAULT_NETWORK.to_string(),
            },
            sandbox: SandboxConfig {
                default: SandboxKind::Docker,
            },
            terminal: TerminalConfig {
                ttyd: None,
                scrollback_interval_ms: 10_000,
            },
            adapters: AdapterConfig {
                memory_limit_mb: (wasm.memory_limit >> 20) as u64,
                call_deadline_ms: wasm.call_deadline.as_millis() as u64,
            },
            tasks: TaskConfig {
                dockerfile: PathBuf::from("Dockerfile"),
                notify_command: None,
                skip_permissions: false,
                permission_mode: PermissionMode::Agent,
                start_deadline_ms: 60_000,
                max_restarts: 5,
                restart_window_ms: 60_000,
            },
            llm: LlmConfig {
                upstream: "https://api.anthropic.com".to_string(),
            },
        }
    }
}

/// A memory size written as Docker's `--memory` takes it: `512m`, `4g`, or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MemorySize(u64);

impl MemorySize {
    /// Docker refuses container memory limits below this.
    pub const MIN: MemorySize = MemorySize(6 << 20);

    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for MemorySize {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let digits_end = lower
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(lower.len());
        let (digits, unit) = lower.split_at(digits_end);
        let shift = match unit.trim_end_matches('b') {
            "" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            _ => return Err(format!("`{text}` is not a size: write e.g. `512m` or `4g`")),
        };
        let number: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is not a size: write e.g. `512m` or `4g`"))?;
        number
            .checked_mul(1 << shift)
            .map(MemorySize)
            .ok_or_else(|| format!("`{text}` is too large"))
    }
}

impl fmt::Display for MemorySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shift, unit) in [(30, "g"), (20, "m"), (10, "k")] {
            if self.0 >= 1 << shift && self.0.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", self.0 >> shift);
            }
        }
        write!(f, "{}", self.0)
    }
}

impl Serialize for MemorySize {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MemorySize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    File { path: PathBuf, line: usize },
    Env { variable: &'static str },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Env { variable } => write!(f, "${variable}"),
        }
    }
}

/// One key's effective value and its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: &'static str,
    pub variables: &'static [&'static str],
    pub value: serde_json::Value,
    pub source: Source,
}

impl Serialize for Setting {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (kind, from) = match &self.source {
            Source::Default => ("default", None),
            Source::File { .. } => ("file", Some(self.source.to_string())),
            Source::Env { variable } => ("env", Some((*variable).to_string())),
        };
        let mut s = serializer.serialize_struct("Setting", 5)?;
        s.serialize_field("key", self.key)?;
        s.serialize_field("value", &self.value)?;
        s.serialize_field("source", kind)?;
        s.serialize_field("from", &from)?;
        s.serialize_field("env", self.variables)?;
        s.end()
    }
}

/// Where the configuration was looked for and where each value came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sources {
    pub file: PathBuf,
    pub file_found: bool,
    pub settings: Vec<Setting>,
}

impl Sources {
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.key == key)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    File {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{variable}={value:?}: {message}")]
    Env {
        variable: &'static str,
        value: String,
        message: String,
    },
}

/// The config file for a home chosen with `--home`/`PLINTH_HOME`, or for the default one.
pub fn config_path(explicit_home: Option<&Path>) -> PathBuf {
    if let Some(home) = explicit_home {
        return home.join(CONFIG_FILE);
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("plinth").join(CONFIG_FILE)
}

impl Config {
    /// Loads the configuration for a home chosen with `--home`/`PLINTH_HOME` (or the
    /// default home when `None`), with the process's environment on top.
    pub fn load(explicit_home: Option<&Path>) -> Result<(Config, Sources), ConfigError> {
        Self::load_from(&config_path(explicit_home), |name| std::env::var(name).ok())
    }

    /// Loads `path` (a missing file means defaults) with `env` as the environment; tests
    /// pass their own so they need not change the process's.
    pub fn load_from(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(Config, Sources), ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let file: FileConfig = match &text {
            Some(text) => toml::from_str(text).map_err(|err| {
                let at = err.span().map_or(0, |span| span.start);
                file_error(path, text, at, &with_section(err.message(), text, at))
            })?,
            None => FileConfig::default(),
        };
        let mut layers = Layers {
            path,
            text: text.as_deref().unwrap_or(""),
            env: &env,
            settings: Vec::new(),
        };
        let defaults = Config::default();
        let FileConfig {
            docker,
            sandbox,
            terminal,
            adapters,
            tasks,
            llm,
        } = file;
        let config = Config {
            docker: DockerConfig {
                base_image: layers.required(
                    "docker.base_image",
                    docker.base_image,
                    defaults.docker.base_image,
                    |v| image_name(v),
                )?,
                cpus: layers.required("docker.cpus", docker.cpus, defaults.docker.cpus, |v| {
                    if v.is_finite() && *v > 0.0 {
                        Ok(())
                    } else {
                        Err(format!("{v} CPUs: the limit must be more than 0"))
                    }
                })?,
                memory: layers.required(
                    "docker.memory",
                    docker.memory,
                    defaults.docker.memory,
                    |v| {
                        if *v >= MemorySize::MIN {
                            Ok(())
                        } else {
                            Err(format!("{v} is below Docker's minimum of 6m"))
                        }
                    },
                )?,
                socket: layers.required(
                    "docker.socket",
                    docker.socket,
                    defaults.docker.socket,
                    |v| docker_address(v),
                )?,
                network: layers.required(
                    "docker.network",
                    docker.network,
                    defaults.docker.network,
                    |v| network_name(v),
                )?,
            },
            sandbox: SandboxConfig {
                default: layers.required(
                    "sandbox.default",
                    sandbox.default,
                    defaults.sandbox.default,
                    |_| Ok(()),
                )?,
            },
            terminal: TerminalConfig {
                ttyd: layers.optional("terminal.ttyd", terminal.ttyd, |v: &PathBuf| {
                    non_empty_path(v)
                })?,
                scrollback_interval_ms: layers.required(
                    "terminal.scrollback_interval_ms",
                    terminal.scrollback_interval_ms,
                    defaults.terminal.scrollback_interval_ms,
                    |v| positive(*v, "ms"),
                )?,
            },
            adapters: AdapterConfig {
                memory_limit_mb: layers.required(
                    "adapters.memory_limit_mb",
                    adapters.memory_limit_mb,
                    defaults.adapters.memory_limit_mb,
                    |v| positive(*v, "MiB"),
                )?,
                call_deadline_ms: layers.required(
                    "adapters.call_deadline_ms",
                    adapters.call_deadline_ms,
                    defaults.adapters.call_deadline_ms,
                    |v| positive(*v, "ms"),
                )?,
            },
            tasks: TaskConfig {
                dockerfile: layers.required(
                    "tasks.dockerfile",
                    tasks.dockerfile,
                    defaults.tasks.dockerfile,
                    |v| non_empty_path(v),
                )?,
                notify_command: layers.optional(
                    "tasks.notify_command",
                    tasks.notify_command,
                    |v: &String| {
                        if v.trim().is_empty() {
                            Err("the command is empty".to_string())
                        } else {
                            Ok(())
                        }
                    },
                )?,
                skip_permissions: layers.required(
                    "tasks.skip_permissions",
                    tasks.skip_permissions,
                    defaults.tasks.skip_permissions,
                    |_| Ok(()),
                )?,
                permission_mode: layers.required(
                    "tasks.permission_mode",
                    tasks.permission_mode,
                    defaults.tasks.permission_mode,
                    |_| Ok(()),
                )?,
                start_deadline_ms: layers.required(
                    "tasks.start_deadline_ms",
                    tasks.start_deadline_ms,
                    defaults.tasks.start_deadline_ms,
                    |v| positive(*v, "ms"),
                )?,
                max_restarts: layers.required(
                    "tasks.max_restarts",
                    tasks.max_restarts,
                    defaults.tasks.max_restarts,
                    |_| Ok(()),
                )?,
                restart_window_ms: layers.required(
                    "tasks.restart_window_ms",
                    tasks.restart_window_ms,
                    defaults.tasks.restart_window_ms,
                    |v| positive(*v, "ms"),
                )?,
            },
            llm: LlmConfig {
                upstream: layers.required(
                    "llm.upstream",
                    llm.upstream,
                    defaults.llm.upstream,
                    |v| http_url(v),
                )?,
            },
        };
        let sources = Sources {
            file: path.to_path_buf(),
            file_found: text.is_some(),
            settings: layers.settings,
        };
        Ok((config, sources))
    }
}

// The file as written: every key optional, with its position kept for errors and for
// `plinth config`. Unknown keys are refused so a typo never silently means "default".
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    docker: FileDocker,
    #[serde(default)]
    sandbox: FileSandbox,
    #[serde(default)]
    terminal: FileTerminal,
    #[serde(default)]
    adapters: FileAdapters,
    #[serde(default)]
    tasks: FileTasks,
    #[serde(default)]
    llm: FileLlm,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDocker {
    base_image: Option<Spanned<String>>,
    cpus: Option<Spanned<f64>>,
    memory: Option<Spanned<MemorySize>>,
    socket: Option<Spanned<String>>,
    network: Option<Spanned<String>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSandbox {
    default: Option<Spanned<SandboxKind>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTerminal {
    ttyd: Option<Spanned<PathBuf>>,
    scrollback_interval_ms: Option<Spanned<u64>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAdapters {
    memory_limit_mb: Option<Spanned<u64>>,
    call_deadline_ms: Option<Spanned<u64>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTasks {
    dockerfile: Option<Spanned<PathBuf>>,
    notify_command: Option<Spanned<String>>,
    skip_permissions: Option<Spanned<bool>>,
    permission_mode: Option<Spanned<PermissionMode>>,
    start_deadline_ms: Option<Spanned<u64>>,
    max_restarts: Option<Spanned<u32>>,
    restart_window_ms: Option<Spanned<u64>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLlm {
    upstream: Option<Spanned<String>>,
}

/// An `http://` or `https://` URL with a host.
fn http_url(v: &str) -> Result<(), String> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(|| format!("{v:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{v:?} has no host"));
    }
    Ok(())
}

/// Resolves keys one at a time, recording where each value came from.
struct Layers<'a, E> {
    path: &'a Path,
    text: &'a str,
    env: &'a E,
    settings: Vec<Setting>,
}

impl<E: Fn(&str) -> Option<String>> Layers<'_, E> {
    fn required<T>(
        &mut self,
        key: &'static str,
        file: Option<Spanned<T>>,
        default: T,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + Serialize,
        T::Err: fmt::Display,
    {
        let (value, source) = self
            .layer(key, file, check)?
            .unwrap_or((default, Source::Default));
        self.record(key, &value, source);
        Ok(value)
    }

    fn optional<T>(
        &mut self,
        key: &'static str,
        file: Option<Spanned<T>>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<Option<T>, ConfigError>
    where
        T: FromStr + Serialize,
        T::Err: fmt::Display,
    {
        let (value, source) = match self.layer(key, file, check)? {
            Some((value, source)) => (Some(value), source),
            None => (None, Source::Default),
        };
        self.record(key, &value, source);
        Ok(value)
    }

    /// The value of the highest layer that sets `key`, checked.
    fn layer<T>(
        &self,
        key: &'static str,
        file: Option<Spanned<T>>,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> Result<Option<(T, Source)>, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        for &variable in info(key).variables {
            let Some(value) = (self.env)(variable).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let env_error = |message: String| ConfigError::Env {
                variable,
                value: value.clone(),
                message: format!("{key}: {message}"),
            };
            let parsed: T = value
                .trim()
                .parse()
                .map_err(|err: T::Err| env_error(err.to_string()))?;
            check(&parsed).map_err(env_error)?;
            return Ok(Some((parsed, Source::Env { variable })));
        }
        let Some(spanned) = file else {
            return Ok(None);
        };
        let at = spanned.span().start;
        let value = spanned.into_inner();
        check(&value).map_err(|message| {
            file_error(self.path, self.text, at, &format!("{key}: {message}"))
        })?;
        let source = Source::File {
            path: self.path.to_path_buf(),
            line: position(self.text, at).0,
        };
        Ok(Some((value, source)))
    }

    fn record(&mut self, key: &'static str, value: &impl Serialize, source: Source) {
        self.settings.push(Setting {
            key,
            variables: info(key).variables,
            value: serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
            source,
        });
    }
}

fn info(key: &str) -> &'static KeyInfo {
    KEYS.iter()
        .find(|k| k.key == key)
        .expect("every key is listed in KEYS")
}

/// 1-based line and column of byte offset `at`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn file_error(path: &Path, text: &str, at: usize, message: &str) -> ConfigError {
    let (line, column) = position(text, at);
    ConfigError::File {
        path: path.to_path_buf(),
        line,
        column,
        message: message.to_string(),
    }
}

/// serde names an unknown field but not the table it is in; the nearest `[table]` header
/// above the error gives the full key.
fn with_section(message: &str, text: &str, at: usize) -> String {
    let section = text[..at.min(text.len())]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('[') && !line.starts_with("[["))
        .and_then(|line| line.strip_prefix('[')?.split(']').next())
        .map(str::trim);
    match section {
        Some(section) => format!("{} (in [{section}])", message.trim_end()),
        None => message.trim_end().to_string(),
    }
}

fn image_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        Err(format!(
            "{name:?} is not an image name: write e.g. `{DEFAULT_BASE_IMAGE}`"
        ))
    } else {
        Ok(())
    }
}

/// The forms the Docker connection accepts, so a bad address fails at load, not at the
/// first task.
fn docker_address(address: &str) -> Result<(), String> {
    let ok = address.starts_with("unix://")
        || address.starts_with('/')
        || address.starts_with("tcp://")
        || address.starts_with("http://");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{address:?} is not a Docker address: use unix:///path/to/docker.sock or tcp://host:port"
        ))
    }
}

fn non_empty_path(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        Err("the path is empty".to_string())
    } else {
        Ok(())
    }
}

fn positive(value: u64, unit: &str) -> Result<(), String> {
    if value > 0 {
        Ok(())
    } else {
        Err(format!("0 {unit}: it must be more than 0"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<(Config, Sources), ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
        }
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_from(&path, |name| env.get(name).cloned())
    }

    #[test]
    fn a_missing_file_means_defaults() {
        let (config, sources) = load(None, &[]).unwrap();
        assert_eq!(config, Config::default());
        assert!(!sources.file_found);
        assert_eq!(sources.settings.len(), KEYS.len());
        assert!(sources.settings.iter().all(|s| s.source == Source::Default));
        assert_eq!(config.docker.base_image, DEFAULT_BASE_IMAGE);
        assert_eq!(config.docker.memory.to_string(), "4g");
        assert_eq!(config.sandbox.default, SandboxKind::Docker);
        assert_eq!(config.terminal.ttyd, None);
        assert_eq!(config.tasks.dockerfile, PathBuf::from("Dockerfile"));
    }

    #[test]
    fn the_environment_overrides_the_file_which_overrides_defaults() {
        let file = "[docker]\ncpus = 1.5\nmemory = \"512m\"\n\n[sandbox]\ndefault = \"local\"\n";
        let (config, sources) = load(Some(file), &[("PLINTH_DOCKER_CPUS", "0.5")]).unwrap();
        assert_eq!(config.docker.cpus, 0.5);
        assert_eq!(config.docker.nano_cpus(), 500_000_000);
        assert_eq!(config.docker.memory.bytes(), 512 << 20);
        assert_eq!(config.sandbox.default, SandboxKind::Local);
        assert_eq!(config.adapters, Config::default().adapters);

        assert_eq!(
            sources.get("docker.cpus").unwrap().source,
            Source::Env {
                variable: "PLINTH_DOCKER_CPUS"
            }
        );
        let memory = sources.get("docker.memory").unwrap();
        assert!(
            matches!(&memory.source, Source::File { line: 3, .. }),
            "{memory:?}"
        );
        assert_eq!(memory.value, serde_json::json!("512m"));
        assert_eq!(
            sources.get("sandbox.default").unwrap().source.to_string(),
            format!("{}:6", sources.file.display())
        );
        assert_eq!(
            sources.get("docker.base_image").unwrap().source,
            Source::Default
        );
    }

    #[test]
    fn the_scrollback_interval_is_read_from_the_file_and_its_variable_and_must_be_positive() {
        let (config, _) = load(None, &[]).unwrap();
        assert_eq!(
            config.terminal.scrollback_interval(),
            Duration::from_secs(10)
        );
        let file = "[terminal]\nscrollback_interval_ms = 2500\n";
        let (config, _) = load(Some(file), &[]).unwrap();
        assert_eq!(config.terminal.scrollback_interval_ms, 2500);
        let variable = "PLINTH_TERMINAL_SCROLLBACK_INTERVAL_MS";
        let (config, sources) = load(Some(file), &[(variable, "750")]).unwrap();
        assert_eq!(config.terminal.scrollback_interval_ms, 750);
        assert_eq!(
            sources
                .get("terminal.scrollback_interval_ms")
                .unwrap()
                .source,
            Source::Env { variable }
        );
        let err = load(None, &[(variable, "0")]).unwrap_err();
        assert!(err.to_string().contains("more than 0"), "{err}");
    }

    #[test]
    fn the_task_restart_budget_is_read_from_the_file_and_its_variables() {
        let (config, _) = load(None, &[]).unwrap();
        assert_eq!(config.tasks.max_restarts, 5);
        assert_eq!(config.tasks.restart_window(), Duration::from_secs(60));
        let file = "[tasks]\nmax_restarts = 2\nrestart_window_ms = 10000\n";
        let (config, _) = load(Some(file), &[]).unwrap();
        assert_eq!(
            (config.tasks.max_restarts, config.tasks.restart_window_ms),
            (2, 10_000)
        );
        let (config, _) = load(Some(file), &[("PLINTH_TASKS_MAX_RESTARTS", "0")]).unwrap();
        assert_eq!(
            config.tasks.max_restarts, 0,
            "no restart at all is a choice"
        );
        let err = load(None, &[("PLINTH_TASKS_RESTART_WINDOW_MS", "0")]).unwrap_err();
        assert!(err.to_string().contains("more than 0"), "{err}");
        let err = load(None, &[("PLINTH_TASKS_MAX_RESTARTS", "-1")]).unwrap_err();
        assert!(
            err.to_string().contains("PLINTH_TASKS_MAX_RESTARTS"),
            "{err}"
        );
    }

    #[test]
    fn plinth_docker_socket_wins_over_docker_host() {
        let (config, sources) = load(
            Some("[docker]\nsocket = \"/from/file.sock\"\n"),
            &[("DOCKER_HOST", "tcp://127.0.0.1:2375")],
        )
        .unwrap();
        assert_eq!(config.docker.socket, "tcp://127.0.0.1:2375");
        assert_eq!(
            sources.get("docker.socket").unwrap().source,
            Source::Env {
                variable: "DOCKER_HOST"
            }
        );
        let (config, _) = load(
            None,
            &[
                ("DOCKER_HOST", "tcp://127.0.0.1:2375"),
                ("PLINTH_DOCKER_SOCKET", "unix:///run/other.sock"),
            ],
        )
        .unwrap();
        assert_eq!(config.docker.socket, "unix:///run/other.sock");
    }

    #[test]
    fn the_docker_network_is_plinths_own_unless_named_and_never_one_of_dockers() {
        let (config, _) = load(None, &[]).unwrap();
        assert_eq!(config.docker.network, "plinth");
        let (config, _) = load(Some("[docker]\nnetwork = \"tasks-net\"\n"), &[]).unwrap();
        assert_eq!(config.docker.network, "tasks-net");
        let err = load(None, &[("PLINTH_DOCKER_NETWORK", "bridge")]).unwrap_err();
        assert!(err.to_string().contains("Docker's own networks"), "{err}");
        let err = load(Some("[docker]\nnetwork = \"no spaces\"\n"), &[]).unwrap_err();
        assert!(matches!(err, ConfigError::File { line: 2, .. }), "{err:?}");
        assert!(
            err.to_string().contains("not a Docker network name"),
            "{err}"
        );
    }

    #[test]
    fn empty_variables_are_ignored() {
        let (config, _) = load(
            Some("[terminal]\nttyd = \"/opt/ttyd\"\n"),
            &[("PLINTH_TTYD", ""), ("PLINTH_BASE_IMAGE", "  ")],
        )
        .unwrap();
        assert_eq!(config.terminal.ttyd, Some(PathBuf::from("/opt/ttyd")));
        assert_eq!(config.docker.base_image, DEFAULT_BASE_IMAGE);
    }

    #[test]
    fn an_unknown_key_names_the_key_the_table_the_file_and_the_line() {
        let err = load(Some("[docker]\nbase_image = \"x:1\"\ncpu = 2\n"), &[]).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ConfigError::File { line: 3, .. }), "{err:?}");
        assert!(text.contains("config.toml:3:"), "{text}");
        assert!(text.contains("unknown field `cpu`"), "{text}");
        assert!(text.contains("`cpus`"), "{text}");
        assert!(text.contains("[docker]"), "{text}");

        let err = load(Some("[dokcer]\ncpus = 2\n"), &[]).unwrap_err();
        assert!(err.to_string().contains("unknown field `dokcer`"), "{err}");
    }

    #[test]
    fn a_bad_value_in_the_file_names_the_key_and_the_line() {
        let err = load(Some("[docker]\n\nmemory = \"lots\"\n"), &[]).unwrap_err();
        assert!(matches!(err, ConfigError::File { line: 3, .. }), "{err:?}");
        assert!(err.to_string().contains("`lots` is not a size"), "{err}");

        let err = load(Some("[docker]\ncpus = -1\n"), &[]).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ConfigError::File { line: 2, .. }), "{err:?}");
        assert!(text.contains("docker.cpus: -1 CPUs"), "{text}");

        let err = load(Some("[sandbox]\ndefault = \"vm\"\n"), &[]).unwrap_err();
        assert!(matches!(err, ConfigError::File { line: 2, .. }), "{err:?}");
        assert!(err.to_string().contains("`vm`"), "{err}");

        let err = load(Some("[adapters]\ncall_deadline_ms = \"soon\"\n"), &[]).unwrap_err();
        assert!(matches!(err, ConfigError::File { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn a_bad_value_in_the_environment_names_the_variable() {
        for (variable, value, expected) in [
            ("PLINTH_DOCKER_CPUS", "many", "docker.cpus"),
            ("PLINTH_DOCKER_MEMORY", "1x", "is not a size"),
            ("PLINTH_DOCKER_MEMORY", "1m", "below Docker's minimum"),
            ("PLINTH_SANDBOX", "vm", "use `docker` or `local`"),
            ("DOCKER_HOST", "ssh://box", "not a Docker address"),
            ("PLINTH_ADAPTERS_MEMORY_LIMIT_MB", "0", "more than 0"),
        ] {
            let err = load(None, &[(variable, value)]).unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(&err, ConfigError::Env { variable: v, .. } if *v == variable),
                "{err:?}"
            );
            assert!(text.starts_with(&format!("{variable}=")), "{text}");
            assert!(text.contains(expected), "{text}");
        }
    }

    #[test]
    fn memory_sizes_read_like_dockers() {
        let parse = |s: &str| s.parse::<MemorySize>().map(MemorySize::bytes);
        assert_eq!(parse("4g"), Ok(4 << 30));
        assert_eq!(parse("4G"), Ok(4 << 30));
        assert_eq!(parse("512mb"), Ok(512 << 20));
        assert_eq!(parse("1024"), Ok(1024));
        assert!(parse("").is_err());
        assert!(parse("g").is_err());
        assert!(parse("1.5g").is_err());
        assert_eq!(MemorySize(1536 << 20).to_string(), "1536m");
    }

    #[test]
    fn the_file_lives_in_an_explicit_home() {
        assert_eq!(
            config_path(Some(Path::new("/h"))),
            PathBuf::from("/h/config.toml")
        );
        assert!(config_path(None).ends_with("plinth/config.toml"));
    }

    /// docs/configuration.md is the user's reference: every key and variable must be in it.
    #[test]
    fn every_key_is_documented() {
        let docs = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md"),
        )
        .unwrap();
        for info in KEYS {
            assert!(docs.contains(&format!("`{}`", info.key)), "{}", info.key);
            for variable in info.variables {
                assert!(docs.contains(&format!("`{variable}`")), "{variable}");
            }
        }
    }
}
