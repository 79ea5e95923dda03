//! `~/.gemini/settings.json`: API-key auth (no auth dialog), no folder-trust dialog, no
//! update checks, usage statistics or telemetry (the only connection left is the model
//! proxy), a quiet UI, and hooks that post every event to plinth. Merged into what is
//! there; its hooks replaced.

use serde_json::{Map, Value, json};
use terminal_agent::config::{HOOK_TIMEOUT_S, hook_command, merge, object_of};

/// The hooks posted to plinth; Gemini CLI names them, the URL's path repeats the name.
pub const HOOKS: [&str; 7] = [
    "SessionStart",
    "BeforeAgent",
    "AfterAgent",
    "Notification",
    "BeforeTool",
    "AfterTool",
    "SessionEnd",
];

pub fn path(home: &str) -> String {
    format!("{home}/.gemini/settings.json")
}

pub fn settings_json(existing: Option<&str>, hooks: bool) -> String {
    let mut patch = json!({
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": false}},
        "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false},
        "privacy": {"usageStatisticsEnabled": false},
        "telemetry": {"enabled": false},
        "ui": {"hideTips": true, "hideBanner": true, "showCompatibilityWarnings": false},
        "ide": {"enabled": false, "hasSeenNudge": true},
        // Its spinner would name each hook as it runs.
        "hooksConfig": {"notifications": false},
    });
    if hooks {
        let hooks: Map<String, Value> = HOOKS
            .iter()
            .map(|name| {
                // Gemini CLI reads a hook's stdout as JSON: `{}` says nothing.
                let command = hook_command(name, Some("echo '{}'"));
                let hook = json!({
                    "name": format!("plinth-{name}"),
                    "type": "command",
                    "command": command,
                    "timeout": HOOK_TIMEOUT_S * 1000,
                });
                (name.to_string(), json!([{"matcher": "*", "hooks": [hook]}]))
            })
            .collect();
        patch["hooks"] = Value::Object(hooks);
    }
    // Hooks are replaced whole, not merged: an old plinth hook must not stay behind.
    let mut root = object_of(existing);
    root.remove("hooks");
    merge(&mut root, patch.as_object().cloned().unwrap_or_default());
    serde_json::to_string_pretty(&Value::Object(root)).expect("JSON values always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_skip_every_dialog_and_post_every_hook() {
        let text = settings_json(
            Some(r#"{"ui":{"theme":"x"},"hooks":{"Old":[]},"mine":1}"#),
            true,
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["mine"], 1);
        assert_eq!(v["ui"]["theme"], "x");
        assert_eq!(v["ui"]["hideTips"], true);
        assert_eq!(v["security"]["auth"]["selectedType"], "gemini-api-key");
        assert_eq!(v["security"]["folderTrust"]["enabled"], false);
        assert_eq!(v["general"]["enableAutoUpdate"], false);
        assert_eq!(v["privacy"]["usageStatisticsEnabled"], false);
        assert_eq!(v["telemetry"]["enabled"], false);
        let hooks = v["hooks"].as_object().unwrap();
        assert_eq!(hooks.len(), HOOKS.len(), "the old hook is gone");
        for name in HOOKS {
            let hook = &hooks[name][0]["hooks"][0];
            assert_eq!(hook["type"], "command");
            assert_eq!(hook["timeout"], 20_000);
            let command = hook["command"].as_str().unwrap();
            assert!(
                command.contains(&format!("\"$PLINTH_HOOK_URL/{name}\"")),
                "{command}"
            );
            assert!(
                command.ends_with("PLINTH_HOOK_AUTH\necho '{}'"),
                "{command}"
            );
        }
        assert!(
            !v.to_string().contains("maxAttempts"),
            "a 5xx would loop hot"
        );
    }

    #[test]
    fn without_a_hook_url_there_are_no_hooks() {
        let v: Value = serde_json::from_str(&settings_json(None, false)).unwrap();
        assert!(v.get("hooks").is_none());
        assert_eq!(v["security"]["auth"]["selectedType"], "gemini-api-key");
    }
}
