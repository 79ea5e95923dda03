//! plinth's Gemini CLI adapter: runs `gemini` in a tmux session of the task's sandbox on
//! the shared terminal-agent driver, with Gemini CLI's own [`Gemini`] profile.
//!
//! - [`settings`]: `~/.gemini/settings.json` (no dialogs, no telemetry, hooks to plinth).
//! - [`screen`]: its input prompt, spinner and approval dialogs.
//! - [`hooks`]: what its hooks mean.

pub mod hooks;
pub mod screen;
pub mod settings;

use terminal_agent::profile::{Context, HookMeaning, Profile, ScreenState, Start};

pub const DEFAULT_MODEL: &str = "gemini-2.5-pro";

pub struct Gemini;

impl Profile for Gemini {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn agent(&self) -> &'static str {
        "Gemini CLI"
    }

    fn config_files(&self, ctx: &Context) -> Vec<String> {
        vec![settings::path(&ctx.home)]
    }

    fn config(&self, _path: &str, existing: Option<&str>, ctx: &Context) -> String {
        settings::settings_json(existing, ctx.hooks)
    }

    fn command(&self, ctx: &Context, start: Start) -> Vec<String> {
        let model = ctx.var("GEMINI_MODEL").unwrap_or(DEFAULT_MODEL);
        let mut command = vec!["gemini".to_string(), "-m".into(), model.into()];
        if let Some(mode) = approval_mode(ctx) {
            command.extend(["--approval-mode".to_string(), mode.to_string()]);
        }
        if let Start::Resume { session } = start {
            command.extend([
                "--resume".to_string(),
                session.unwrap_or("latest").to_string(),
            ]);
        }
        command
    }

    fn env(&self, _ctx: &Context) -> Vec<(String, String)> {
        // Belt and braces with the settings' folderTrust: no trust dialog either way.
        vec![("GEMINI_CLI_TRUST_WORKSPACE".into(), "true".into())]
    }

    fn proxy_vars(&self) -> &'static [&'static str] {
        &["GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY"]
    }

    fn screen(&self, text: &str) -> ScreenState {
        screen::read(text)
    }

    fn hook(&self, name: &str, body: &str) -> HookMeaning {
        hooks::read(name, body)
    }
}

/// `--approval-mode`: yolo when the task skips permissions, else plinth's permission mode
/// in Gemini CLI's words; none (its default, which asks) otherwise.
fn approval_mode(ctx: &Context) -> Option<&'static str> {
    if ctx.skip_permissions {
        return Some("yolo");
    }
    match ctx.var("PLINTH_PERMISSION_MODE")? {
        "accept-edits" => Some("auto_edit"),
        "plan" => Some("plan"),
        _ => None,
    }
}

terminal_agent::export_agent!(
    "gemini",
    "Runs Gemini CLI in tmux; status from its hooks, the model proxy and its screen",
    super::Gemini
);

#[cfg(test)]
mod tests {
    use super::*;
    use terminal_agent::fake::context as ctx;

    #[test]
    fn the_command_names_the_model_the_approval_mode_and_the_session_to_resume() {
        assert_eq!(
            Gemini.command(&ctx(&[]), Start::Fresh),
            ["gemini", "-m", "gemini-2.5-pro"]
        );
        assert_eq!(
            Gemini.command(
                &ctx(&[
                    ("PLINTH_SKIP_PERMISSIONS", "1"),
                    ("GEMINI_MODEL", "gemini-2.5-flash")
                ]),
                Start::Fresh
            ),
            [
                "gemini",
                "-m",
                "gemini-2.5-flash",
                "--approval-mode",
                "yolo"
            ]
        );
        assert_eq!(
            Gemini.command(
                &ctx(&[]),
                Start::Resume {
                    session: Some("6c08")
                }
            ),
            ["gemini", "-m", "gemini-2.5-pro", "--resume", "6c08"]
        );
        assert_eq!(
            Gemini.command(
                &ctx(&[("PLINTH_PERMISSION_MODE", "accept-edits")]),
                Start::Resume { session: None }
            ),
            [
                "gemini",
                "-m",
                "gemini-2.5-pro",
                "--approval-mode",
                "auto_edit",
                "--resume",
                "latest"
            ]
        );
    }
}
