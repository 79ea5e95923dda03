//! What the real Claude Code CLI (2.1.332, as installed in plinth's agent image) needs to
//! run against the mock with no network and no questions asked. Measured in
//! `tests/claude_code.rs` and by hand; docs/mock-llm.md tells the story.

use serde_json::{Value, json};

/// Set for an offline run besides the base URL and key:
/// - `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`: no telemetry, update checks, or the
///   session-title request an interactive session otherwise sends to the model;
/// - `CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL=1`: no plugin marketplace
///   download at start.
pub const OFFLINE_ENV: [(&str, &str); 2] = [
    ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
    ("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1"),
];

/// The environment pointing Claude Code at `base_url` (the mock's [`url`], or a proxy in
/// front of it) with `api_key` (any string; the mock accepts every key).
///
/// [`url`]: crate::MockLlm::url
pub fn env(base_url: &str, api_key: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("ANTHROPIC_BASE_URL".to_string(), base_url.to_string()),
        ("ANTHROPIC_API_KEY".to_string(), api_key.to_string()),
    ];
    env.extend(
        OFFLINE_ENV
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    env
}

/// Claude Code remembers an approved `ANTHROPIC_API_KEY` by its last 20 characters.
pub fn key_suffix(api_key: &str) -> String {
    let chars: Vec<char> = api_key.chars().collect();
    chars[chars.len().saturating_sub(20)..].iter().collect()
}

/// `~/.claude.json` for a session in `workspace` that starts without a dialog: onboarding
/// done (else the theme picker), the workspace trusted (else the trust dialog), the key
/// approved (else "Do you want to use this API key?"), bypass mode accepted (else the
/// `--dangerously-skip-permissions` warning). Print mode (`claude -p`) needs none of it;
/// an interactive session needs all four.
pub fn claude_json(workspace: &str, api_key: &str) -> Value {
    json!({
        "hasCompletedOnboarding": true,
        "bypassPermissionsModeAccepted": true,
        "projects": {workspace: {"hasTrustDialogAccepted": true}},
        "customApiKeyResponses": {"approved": [key_suffix(api_key)], "rejected": []},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_approved_by_its_last_twenty_characters() {
        assert_eq!(
            key_suffix("sk-ant-mock-0123456789abcdefghijKLMN"),
            "456789abcdefghijKLMN"
        );
        assert_eq!(key_suffix("short"), "short");
        let config = claude_json("/workspace", "sk-ant-mock-0123456789abcdefghijKLMN");
        assert_eq!(
            config["projects"]["/workspace"]["hasTrustDialogAccepted"],
            true
        );
        assert_eq!(
            config["customApiKeyResponses"]["approved"][0],
            "456789abcdefghijKLMN"
        );
    }
}
