//! Every configuration key, declared once: its doc line, type, default, environment
//! variables and check. Adding a key is one entry here plus its row in
//! `docs/configuration.md`, which a test holds against this list.

use std::path::PathBuf;
use std::time::Duration;

use super::checks::{docker_address, http_url, image_name, non_empty_path, positive};
use super::layers::Layers;
use super::values::{MemorySize, PermissionMode};
use super::{ConfigError, KeyInfo};
use crate::environments::docker::network::{DEFAULT_NETWORK, check_name as network_name};
use crate::environments::{DEFAULT_BASE_IMAGE, DEFAULT_DOCKER_HOST};
use crate::task_inputs::Sandbox;

declare_config! {
    [docker] DockerConfig, FileDocker {
        /// the image plinth's agent image is built `FROM`
        base_image: required String = DEFAULT_BASE_IMAGE.to_string(),
            env ["PLINTH_BASE_IMAGE"],
            check |v| image_name(v);
        /// CPUs each task's container may use
        // Docker refuses a limit above the machine's CPUs, so a small machine gets all it
        // has rather than a default that fails every task.
        cpus: required f64 =
            std::thread::available_parallelism().map_or(1, |n| n.get().min(2)) as f64,
            env ["PLINTH_DOCKER_CPUS"],
            check |v| {
                if v.is_finite() && *v > 0.0 {
                    Ok(())
                } else {
                    Err(format!("{v} CPUs: the limit must be more than 0"))
                }
            };
        /// memory each task's container may use
        memory: required MemorySize = MemorySize::from_bytes(4 << 30),
            env ["PLINTH_DOCKER_MEMORY"],
            check |v| {
                if *v >= MemorySize::MIN {
                    Ok(())
                } else {
                    Err(format!("{v} is below Docker's minimum of 6m"))
                }
            };
        /// where the Docker daemon listens
        // DOCKER_HOST is what every Docker client reads; plinth's own variable wins so
        // plinth can be pointed elsewhere without changing the user's docker CLI.
        socket: required String = DEFAULT_DOCKER_HOST.to_string(),
            env ["PLINTH_DOCKER_SOCKET", "DOCKER_HOST"],
            check |v| docker_address(v);
        /// the user-defined bridge network every task container is attached to
        network: required String = DEFAULT_NETWORK.to_string(),
            env ["PLINTH_DOCKER_NETWORK"],
            check |v| network_name(v);
    }

    [sandbox] SandboxConfig, FileSandbox {
        /// where tasks run unless `--sandbox` says otherwise
        default: required Sandbox = Sandbox::Docker,
            env ["PLINTH_SANDBOX"],
            check |_| Ok(());
    }

    [terminal] TerminalConfig, FileTerminal {
        /// a `ttyd` binary (a path, or a name looked up on `PATH`)
        ttyd: optional PathBuf = None,
            env ["PLINTH_TTYD"],
            check |v: &PathBuf| non_empty_path(v);
        /// how often every running task's terminal scrollback is captured into the store
        scrollback_interval_ms: required u64 = 10_000,
            env ["PLINTH_TERMINAL_SCROLLBACK_INTERVAL_MS"],
            check |v| positive(*v, "ms");
    }

    [adapters] AdapterConfig, FileAdapters {
        /// the most memory an agent adapter (a WebAssembly instance) may grow to
        memory_limit_mb: required u64 =
            (plinth_wasm::HostConfig::default().memory_limit >> 20) as u64,
            env ["PLINTH_ADAPTERS_MEMORY_LIMIT_MB"],
            check |v| positive(*v, "MiB");
        /// how long one call into an adapter may compute before it is interrupted
        call_deadline_ms: required u64 =
            plinth_wasm::HostConfig::default().call_deadline.as_millis() as u64,
            env ["PLINTH_ADAPTERS_CALL_DEADLINE_MS"],
            check |v| positive(*v, "ms");
    }

    [tasks] TaskConfig, FileTasks {
        /// the project's Dockerfile, relative to the repository root (or absolute)
        dockerfile: required PathBuf = PathBuf::from("Dockerfile"),
            env ["PLINTH_TASKS_DOCKERFILE"],
            check |v| non_empty_path(v);
        /// a shell command (`sh -c`) run for every notification
        notify_command: optional String = None,
            env ["PLINTH_NOTIFY_COMMAND"],
            check |v: &String| {
                if v.trim().is_empty() {
                    Err("the command is empty".to_string())
                } else {
                    Ok(())
                }
            };
        /// agents run their tools without asking you
        skip_permissions: required bool = false,
            env ["PLINTH_SKIP_PERMISSIONS"],
            check |_| Ok(());
        /// what an agent may do without asking when permissions are not skipped
        permission_mode: required PermissionMode = PermissionMode::Agent,
            env ["PLINTH_PERMISSION_MODE"],
            check |_| Ok(());
        /// how long a starting agent may show no sign of life before its user is told
        start_deadline_ms: required u64 = 60_000,
            env ["PLINTH_TASKS_START_DEADLINE_MS"],
            check |v| positive(*v, "ms");
        /// a task's restart budget: how many times its agent's adapter is restarted after a
        /// failure within `tasks.restart_window_ms`
        max_restarts: required u32 = 5,
            env ["PLINTH_TASKS_MAX_RESTARTS"],
            check |_| Ok(());
        /// the window `tasks.max_restarts` counts in
        restart_window_ms: required u64 = 60_000,
            env ["PLINTH_TASKS_RESTART_WINDOW_MS"],
            check |v| positive(*v, "ms");
        /// the budget of a task made without one, in the price table's currency
        budget: optional f64 = None,
            env ["PLINTH_TASKS_BUDGET"],
            check |v: &f64| {
                if v.is_finite() && *v > 0.0 {
                    Ok(())
                } else {
                    Err(format!("{v} is not a budget: give an amount above 0, e.g. 2.50"))
                }
            };
    }

    [llm] LlmConfig, FileLlm {
        /// where the model proxy sends tasks' Anthropic (Messages API) calls
        upstream: required String = "https://api.anthropic.com".to_string(),
            env ["PLINTH_LLM_UPSTREAM"],
            check |v| http_url(v);
        /// where the model proxy sends tasks' OpenAI (Responses and Chat Completions) calls
        openai_upstream: required String = "https://api.openai.com/v1".to_string(),
            env ["PLINTH_LLM_OPENAI_UPSTREAM", "OPENAI_BASE_URL"],
            check |v| http_url(v);
        /// where the model proxy sends tasks' Gemini API calls
        gemini_upstream: required String = "https://generativelanguage.googleapis.com".to_string(),
            env ["PLINTH_LLM_GEMINI_UPSTREAM", "GOOGLE_GEMINI_BASE_URL"],
            check |v| http_url(v);
        /// a price table whose entries replace or add to plinth's own
        prices_file: optional PathBuf = None,
            env ["PLINTH_LLM_PRICES_FILE"],
            check |v: &PathBuf| non_empty_path(v);
    }
}

impl DockerConfig {
    /// The CPU limit in the unit the Docker API takes.
    pub fn nano_cpus(&self) -> i64 {
        (self.cpus * 1e9).round() as i64
    }
}

impl TerminalConfig {
    pub fn scrollback_interval(&self) -> Duration {
        Duration::from_millis(self.scrollback_interval_ms)
    }
}

impl AdapterConfig {
    pub fn memory_limit_bytes(&self) -> usize {
        usize::try_from(self.memory_limit_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    }

    pub fn call_deadline(&self) -> Duration {
        Duration::from_millis(self.call_deadline_ms)
    }
}

impl TaskConfig {
    pub fn start_deadline(&self) -> Duration {
        Duration::from_millis(self.start_deadline_ms)
    }

    pub fn restart_window(&self) -> Duration {
        Duration::from_millis(self.restart_window_ms)
    }
}
