//! How Claude Code is started: its home, its command line and its environment, all from
//! the task.

use crate::plinth::agent::tmux::SessionSpec;

pub const SESSION: &str = "agent";
pub const DEFAULT_HOME: &str = "/home/agent";
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

/// Environment that keeps Claude Code quiet and offline but for the model proxy: no
/// telemetry or update checks, no marketplace install, no alternate screen (so its output
/// stays in tmux's scrollback), and root allowed to skip permissions in the sandbox.
const FIXED_ENV: [(&str, &str); 4] = [
    ("IS_SANDBOX", "1"),
    ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
    ("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1"),
    ("CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN", "1"),
];

pub fn lookup<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn home(env: &[(String, String)]) -> String {
    lookup(env, "HOME")
        .filter(|h| !h.is_empty())
        .unwrap_or(DEFAULT_HOME)
        .to_string()
}

pub fn skip_permissions(env: &[(String, String)]) -> bool {
    lookup(env, "PLINTH_SKIP_PERMISSIONS") == Some("1")
}

/// Claude Code's `--permission-mode` for plinth's `PLINTH_PERMISSION_MODE` (`tasks.permission_mode`);
/// none leaves Claude Code's own starting mode. Unknown values are left out rather than
/// passed on, which would stop Claude Code at its start.
pub fn permission_mode(env: &[(String, String)]) -> Option<&'static str> {
    match lookup(env, "PLINTH_PERMISSION_MODE")? {
        // Claude Code's name for manual mode in settings and flags of every version.
        "manual" => Some("default"),
        "auto" => Some("auto"),
        "accept-edits" => Some("acceptEdits"),
        "plan" => Some("plan"),
        _ => None,
    }
}

/// The session running Claude Code. `resume` continues the last conversation in the
/// workdir, for a relaunch after the first one had already been given a prompt.
pub fn session_spec(env: &[(String, String)], resume: bool) -> SessionSpec {
    let mut command = vec!["claude".to_string()];
    if skip_permissions(env) {
        command.push("--dangerously-skip-permissions".into());
    } else if let Some(mode) = permission_mode(env) {
        command.extend(["--permission-mode".to_string(), mode.to_string()]);
    }
    if resume {
        command.push("--continue".into());
    }
    SessionSpec {
        name: SESSION.to_string(),
        command,
        env: session_env(env),
        workdir: None,
        width: WIDTH,
        height: HEIGHT,
    }
}

/// The fixed variables and HOME, then the task's own, which win on a clash.
fn session_env(task_env: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = FIXED_ENV
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.push(("HOME".into(), home(task_env)));
    for (key, value) in task_env {
        env.retain(|(k, _)| k != key);
        env.push((key.clone(), value.clone()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_claude_unless_the_task_allows_skipping_permissions() {
        assert_eq!(session_spec(&[], false).command, ["claude"]);
        let skip = env(&[("PLINTH_SKIP_PERMISSIONS", "1")]);
        assert_eq!(
            session_spec(&skip, false).command,
            ["claude", "--dangerously-skip-permissions"]
        );
        assert_eq!(
            session_spec(&skip, true).command,
            ["claude", "--dangerously-skip-permissions", "--continue"]
        );
        let no = env(&[("PLINTH_SKIP_PERMISSIONS", "0")]);
        assert_eq!(session_spec(&no, false).command, ["claude"]);
    }

    #[test]
    fn the_permission_mode_is_passed_on_in_claude_codes_own_words() {
        let mode = |m: &str| session_spec(&env(&[("PLINTH_PERMISSION_MODE", m)]), false).command;
        assert_eq!(mode("manual"), ["claude", "--permission-mode", "default"]);
        assert_eq!(
            mode("accept-edits"),
            ["claude", "--permission-mode", "acceptEdits"]
        );
        assert_eq!(mode("auto"), ["claude", "--permission-mode", "auto"]);
        assert_eq!(mode("agent"), ["claude"]);
        assert_eq!(mode("bogus"), ["claude"]);
        let both = env(&[
            ("PLINTH_PERMISSION_MODE", "manual"),
            ("PLINTH_SKIP_PERMISSIONS", "1"),
        ]);
        assert_eq!(
            session_spec(&both, false).command,
            ["claude", "--dangerously-skip-permissions"]
        );
    }

    #[test]
    fn the_session_gets_the_fixed_env_home_and_the_task_env() {
        let task = env(&[
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/t"),
            ("ANTHROPIC_API_KEY", "tok"),
            ("IS_SANDBOX", "0"),
        ]);
        let spec = session_spec(&task, false);
        assert_eq!(spec.name, "agent");
        assert_eq!((spec.width, spec.height), (200, 50));
        assert_eq!(spec.workdir, None);
        let got = |key: &str| lookup(&spec.env, key).map(str::to_string);
        assert_eq!(
            got("ANTHROPIC_BASE_URL").as_deref(),
            Some("http://127.0.0.1:9/t")
        );
        assert_eq!(got("ANTHROPIC_API_KEY").as_deref(), Some("tok"));
        assert_eq!(
            got("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC").as_deref(),
            Some("1")
        );
        assert_eq!(
            got("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL").as_deref(),
            Some("1")
        );
        assert_eq!(
            got("CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN").as_deref(),
            Some("1")
        );
        assert_eq!(got("HOME").as_deref(), Some("/home/agent"));
        // The task's value wins, and appears once.
        assert_eq!(got("IS_SANDBOX").as_deref(), Some("0"));
        assert_eq!(
            spec.env.iter().filter(|(k, _)| k == "IS_SANDBOX").count(),
            1
        );
    }

    #[test]
    fn home_comes_from_the_task() {
        assert_eq!(home(&env(&[("HOME", "/root")])), "/root");
        assert_eq!(home(&env(&[("HOME", "")])), "/home/agent");
        assert_eq!(home(&[]), "/home/agent");
    }
}
