//! plinth's Codex CLI adapter: runs `codex` in a tmux session of the task's sandbox on the
//! shared terminal-agent driver, with Codex's own [`Codex`] profile.
//!
//! - [`config`]: `~/.codex/config.toml` (plinth's proxy as its model provider, no dialogs,
//!   no update checks or analytics), `~/.codex/hooks.json` and the hook script, and
//!   `~/.codex/rules/default.rules` when the task's env has `PLINTH_CODEX_RULES`.
//! - [`screen`]: its composer, its "esc to interrupt" line and its approval dialog.
//! - [`hooks`]: what its hooks mean.

pub mod config;
pub mod hooks;
pub mod screen;

use terminal_agent::profile::{Context, HookMeaning, Profile, ScreenState, Start};

pub const DEFAULT_MODEL: &str = "gpt-5-codex";

pub struct Codex;

impl Profile for Codex {
    fn name(&self) -> &'static str {
        "codex"
    }

    fn agent(&self) -> &'static str {
        "Codex"
    }

    fn config_files(&self, ctx: &Context) -> Vec<String> {
        config::files(ctx)
    }

    fn config(&self, path: &str, existing: Option<&str>, ctx: &Context) -> String {
        config::contents(path, existing, ctx)
    }

    fn command(&self, ctx: &Context, start: Start) -> Vec<String> {
        let mut command = vec!["codex".to_string()];
        if ctx.skip_permissions {
            command.push("--dangerously-bypass-approvals-and-sandbox".into());
        }
        // Its hooks are plinth's own, written just now: no "Hooks need review" dialog.
        command.push("--dangerously-bypass-hook-trust".into());
        if let Start::Resume { .. } = start {
            command.extend(["resume".to_string(), "--last".to_string()]);
        }
        command
    }

    fn proxy_vars(&self) -> &'static [&'static str] {
        &["OPENAI_BASE_URL", "OPENAI_API_KEY"]
    }

    fn screen(&self, text: &str) -> ScreenState {
        screen::read(text)
    }

    fn hook(&self, name: &str, body: &str) -> HookMeaning {
        hooks::read(name, body)
    }
}

terminal_agent::export_agent!(
    "codex",
    "Runs Codex CLI in tmux; status from its hooks, the model proxy and its screen",
    super::Codex
);

#[cfg(test)]
mod tests {
    use super::*;
    use terminal_agent::fake::context as ctx;

    #[test]
    fn the_command_bypasses_hook_trust_and_resumes_the_last_session() {
        assert_eq!(
            Codex.command(&ctx(&[]), Start::Fresh),
            ["codex", "--dangerously-bypass-hook-trust"]
        );
        assert_eq!(
            Codex.command(
                &ctx(&[("PLINTH_SKIP_PERMISSIONS", "1")]),
                Start::Resume { session: Some("t") }
            ),
            [
                "codex",
                "--dangerously-bypass-approvals-and-sandbox",
                "--dangerously-bypass-hook-trust",
                "resume",
                "--last"
            ]
        );
    }
}
