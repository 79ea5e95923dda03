//! plinth's configuration: defaults, then `config.toml`, then `PLINTH_*` environment
//! variables, each layer overriding the one before.
//!
//! The file is `$PLINTH_HOME/config.toml` when a home is chosen explicitly (`--home` or
//! `PLINTH_HOME`), so a home is self-contained and tests never read the user's own file;
//! otherwise `$XDG_CONFIG_HOME/plinth/config.toml`. Every key is declared once, in
//! `keys.rs`, and documented in `docs/configuration.md`; a test keeps the two in step.
//!
//! Mistakes are reported where they were made: a typo or a bad value in the file names the
//! file and line, a bad value in the environment names the variable. Loading also records
//! where each value came from, which `plinth config` shows.

#[macro_use]
mod declare;
mod checks;
mod keys;
mod layers;
mod sources;
mod values;

use std::path::{Path, PathBuf};

pub use keys::{
    AdapterConfig, Config, DockerConfig, KEYS, LlmConfig, SandboxConfig, TaskConfig, TerminalConfig,
};
use keys::{FileConfig, resolve};
use layers::{Layers, file_error, with_section};
pub use sources::{Setting, Source, Sources};
pub use values::{MemorySize, PermissionMode};

/// The file's name, in the home or the XDG config directory.
pub const CONFIG_FILE: &str = "config.toml";

/// One configuration key: its name, the environment variables that override it (first
/// wins), and the doc line that begins its row in `docs/configuration.md`.
#[derive(Clone, Copy, Debug)]
pub struct KeyInfo {
    pub key: &'static str,
    pub variables: &'static [&'static str],
    pub doc: &'static str,
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
        let config = resolve(file, &mut layers)?;
        let sources = Sources {
            file: path.to_path_buf(),
            file_found: text.is_some(),
            settings: layers.settings,
        };
        Ok((config, sources))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::environments::DEFAULT_BASE_IMAGE;
    use crate::task_inputs::Sandbox;

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
        assert_eq!(config.sandbox.default, Sandbox::Docker);
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
        assert_eq!(config.sandbox.default, Sandbox::Local);
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
    fn the_file_lives_in_an_explicit_home() {
        assert_eq!(
            config_path(Some(Path::new("/h"))),
            PathBuf::from("/h/config.toml")
        );
        assert!(config_path(None).ends_with("plinth/config.toml"));
    }

    /// docs/configuration.md is the user's reference: its table of keys has one row per
    /// declared key, in the declared order, with the key's variables, its default, and a
    /// meaning that begins with the key's doc line.
    #[test]
    fn the_documented_keys_are_the_declared_keys() {
        let docs = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md"),
        )
        .unwrap();
        let rows: Vec<Vec<&str>> = docs
            .lines()
            .filter(|line| line.starts_with("| `"))
            .map(|line| line.trim_matches('|').split(" | ").map(str::trim).collect())
            .collect();
        let documented: Vec<&str> = rows.iter().map(|row| row[0].trim_matches('`')).collect();
        let declared: Vec<&str> = KEYS.iter().map(|info| info.key).collect();
        assert_eq!(documented, declared, "the rows of the table of keys");

        let (_, defaults) = load(None, &[]).unwrap();
        for (row, info) in rows.iter().zip(KEYS) {
            let variables = info
                .variables
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", then ");
            assert_eq!(row[1], variables, "{}'s variables", info.key);
            let default = match &defaults.get(info.key).unwrap().value {
                serde_json::Value::Null => "none".to_string(),
                // A whole number of CPUs is written `2`, as a user would write it.
                serde_json::Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                    format!("`{}`", n.as_f64().unwrap_or_default() as i64)
                }
                value => format!("`{value}`"),
            };
            assert!(
                row[2].contains(&default),
                "{}'s default is {default}, documented as {}",
                info.key,
                row[2]
            );
            assert!(
                row[3].starts_with(info.doc.trim()),
                "{}'s meaning begins with its doc line {:?}: {}",
                info.key,
                info.doc.trim(),
                row[3]
            );
        }
    }
}
