//! Codex's files: `~/.codex/config.toml` (plinth's proxy as a custom model provider, so no
//! login screen; the workdir trusted; no update check, analytics, feedback, plugin sync or
//! background daemon, which would need `ps`; Codex's own bwrap sandbox off, since plinth's
//! container is the sandbox and bwrap cannot work in it), `~/.codex/hooks.json` (every hook
//! runs `~/.codex/plinth-hook.sh NAME`, which posts to plinth), and, when the task's env
//! has `PLINTH_CODEX_RULES`, `~/.codex/rules/default.rules` with its text (exec-policy
//! rules: how a test makes Codex ask before a command). Each merged into what is there.

use serde_json::{Map, Value, json};
use terminal_agent::config::{HOOK_TIMEOUT_S, hook_command, merge, object_of};
use terminal_agent::profile::Context;
use toml::{Table, Value as Toml};

/// The hooks posted to plinth; Codex names them, the URL's path repeats the name.
pub const HOOKS: [&str; 6] = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "Stop",
];

/// Retries of a failed model call: few (Codex's defaults retry a 500 for 20 s), but enough
/// to ride over plinth's own restart.
const RETRIES: i64 = 4;

pub fn files(ctx: &Context) -> Vec<String> {
    let dir = format!("{}/.codex", ctx.home);
    let mut files = vec![format!("{dir}/config.toml")];
    if ctx.hooks {
        files.push(format!("{dir}/plinth-hook.sh"));
        files.push(format!("{dir}/hooks.json"));
    }
    if ctx.var("PLINTH_CODEX_RULES").is_some() {
        files.push(format!("{dir}/rules/default.rules"));
    }
    files
}

pub fn contents(path: &str, existing: Option<&str>, ctx: &Context) -> String {
    if path.ends_with("config.toml") {
        config_toml(existing, ctx)
    } else if path.ends_with("plinth-hook.sh") {
        hook_script()
    } else if path.ends_with("hooks.json") {
        hooks_json(existing, &format!("{}/.codex/plinth-hook.sh", ctx.home))
    } else {
        ctx.var("PLINTH_CODEX_RULES")
            .unwrap_or_default()
            .to_string()
    }
}

pub fn config_toml(existing: Option<&str>, ctx: &Context) -> String {
    let mut root: Table = existing.and_then(|t| t.parse().ok()).unwrap_or_default();
    let model = ctx.var("CODEX_MODEL").unwrap_or(crate::DEFAULT_MODEL);
    let base_url = ctx
        .var("OPENAI_BASE_URL")
        .unwrap_or("http://127.0.0.1:9/openai/v1");
    let set = |table: &mut Table, key: &str, value: Toml| {
        table.insert(key.to_string(), value);
    };
    set(&mut root, "model", model.into());
    set(&mut root, "model_provider", "plinth".into());
    set(&mut root, "approval_policy", "on-request".into());
    set(&mut root, "sandbox_mode", "danger-full-access".into());
    set(&mut root, "check_for_update_on_startup", false.into());
    let provider = child(child(&mut root, "model_providers"), "plinth");
    set(provider, "name", "plinth".into());
    set(provider, "base_url", base_url.into());
    set(provider, "env_key", "OPENAI_API_KEY".into());
    set(provider, "wire_api", "responses".into());
    set(provider, "request_max_retries", RETRIES.into());
    set(provider, "stream_max_retries", RETRIES.into());
    set(child(&mut root, "analytics"), "enabled", false.into());
    set(child(&mut root, "feedback"), "enabled", false.into());
    let features = child(&mut root, "features");
    for feature in ["daemon_auto_start", "plugins", "remote_plugin", "apps"] {
        set(features, feature, false.into());
    }
    set(child(&mut root, "tui"), "show_tooltips", false.into());
    let project = child(child(&mut root, "projects"), &ctx.workdir);
    set(project, "trust_level", "trusted".into());
    toml::to_string(&root).expect("a TOML table always serializes")
}

fn child<'a>(parent: &'a mut Table, key: &str) -> &'a mut Table {
    let slot = parent
        .entry(key.to_string())
        .or_insert_with(|| Toml::Table(Table::new()));
    if !slot.is_table() {
        *slot = Toml::Table(Table::new());
    }
    slot.as_table_mut().expect("made a table above")
}

/// The script every hook runs, with the hook's name as its argument: however Codex starts
/// a hook's command (a shell or not), the here-document that carries the token is a shell's.
pub fn hook_script() -> String {
    format!(
        "#!/bin/sh\n# Written by plinth: posts a Codex hook to plinth.\n{}\n",
        hook_command("$1", None)
    )
}

pub fn hooks_json(existing: Option<&str>, script: &str) -> String {
    let hooks: Map<String, Value> = HOOKS
        .iter()
        .map(|name| {
            let hook = json!({"type": "command", "command": format!("sh {script} {name}"), "timeout": HOOK_TIMEOUT_S});
            (name.to_string(), json!([{"hooks": [hook]}]))
        })
        .collect();
    let mut root = object_of(existing);
    root.remove("hooks");
    merge(
        &mut root,
        json!({"hooks": hooks})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    serde_json::to_string_pretty(&Value::Object(root)).expect("JSON values always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use terminal_agent::fake::context as ctx;

    #[test]
    fn config_points_codex_at_the_proxy_and_skips_every_dialog() {
        let existing = "[tui]\nscreen_reader_detection_done = true\n[projects.\"/other\"]\ntrust_level = \"trusted\"\n";
        let env = ctx(&[
            ("OPENAI_BASE_URL", "http://10.0.0.1:7/t/x/openai/v1"),
            ("OPENAI_API_KEY", "task-token"),
            ("PLINTH_HOOK_URL", "http://h"),
        ]);
        let text = config_toml(Some(existing), &env);
        assert!(
            !text.contains("task-token"),
            "the key stays in the environment: {text}"
        );
        let v: Table = text.parse().unwrap();
        assert_eq!(v["model"].as_str(), Some("gpt-5-codex"));
        assert_eq!(v["model_provider"].as_str(), Some("plinth"));
        assert_eq!(v["approval_policy"].as_str(), Some("on-request"));
        assert_eq!(v["sandbox_mode"].as_str(), Some("danger-full-access"));
        assert_eq!(v["check_for_update_on_startup"].as_bool(), Some(false));
        let provider = &v["model_providers"]["plinth"];
        assert_eq!(
            provider["base_url"].as_str(),
            Some("http://10.0.0.1:7/t/x/openai/v1")
        );
        assert_eq!(provider["env_key"].as_str(), Some("OPENAI_API_KEY"));
        assert_eq!(provider["wire_api"].as_str(), Some("responses"));
        assert_eq!(provider["request_max_retries"].as_integer(), Some(4));
        assert_eq!(v["features"]["daemon_auto_start"].as_bool(), Some(false));
        assert_eq!(v["features"]["plugins"].as_bool(), Some(false));
        assert_eq!(v["analytics"]["enabled"].as_bool(), Some(false));
        assert_eq!(v["feedback"]["enabled"].as_bool(), Some(false));
        assert_eq!(
            v["projects"]["/workspace"]["trust_level"].as_str(),
            Some("trusted")
        );
        // Codex's own additions stay.
        assert_eq!(
            v["tui"]["screen_reader_detection_done"].as_bool(),
            Some(true)
        );
        assert_eq!(v["tui"]["show_tooltips"].as_bool(), Some(false));
        assert_eq!(
            v["projects"]["/other"]["trust_level"].as_str(),
            Some("trusted")
        );
        // Written again (a restart), it is the same.
        assert_eq!(config_toml(Some(&text), &env), text);
        assert_eq!(files(&env).len(), 3);
    }

    #[test]
    fn hooks_run_the_script_which_posts_with_the_token_from_fd_3() {
        let v: Value = serde_json::from_str(&hooks_json(
            Some(r#"{"x":1,"hooks":{"Old":[]}}"#),
            "/h/.codex/plinth-hook.sh",
        ))
        .unwrap();
        assert_eq!(v["x"], 1);
        let hooks = v["hooks"].as_object().unwrap();
        assert_eq!(hooks.len(), HOOKS.len());
        assert_eq!(
            hooks["Stop"][0]["hooks"][0]["command"],
            "sh /h/.codex/plinth-hook.sh Stop"
        );
        assert_eq!(hooks["Stop"][0]["hooks"][0]["timeout"], 20);
        let script = hook_script();
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains("\"$PLINTH_HOOK_URL/$1\""), "{script}");
        assert!(script.contains("-H @/dev/fd/3"), "{script}");
    }

    #[test]
    fn rules_are_written_only_when_the_task_asks() {
        assert_eq!(files(&ctx(&[])), ["/home/agent/.codex/config.toml"]);
        let rules = "prefix_rule(pattern = [\"touch\"], decision = \"prompt\")";
        let env = ctx(&[("PLINTH_CODEX_RULES", rules)]);
        assert_eq!(
            files(&env).last().unwrap(),
            "/home/agent/.codex/rules/default.rules"
        );
        assert_eq!(
            contents("/home/agent/.codex/rules/default.rules", None, &env),
            rules
        );
    }
}
