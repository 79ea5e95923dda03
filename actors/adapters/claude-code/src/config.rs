//! The two files that let Claude Code start unattended and report to plinth:
//! `~/.claude.json` (onboarding done, the workdir trusted, the key approved) and
//! `~/.claude/settings.json` (hooks that post every event to the host).
//!
//! Both are merged into what is already there, so a user's own settings in an image or a
//! restart's second write keep everything but the keys set here.

use serde_json::{Map, Value, json};

/// The hooks posted to the host. Claude Code names them; the host's URL path repeats it.
pub const HOOKS: [&str; 7] = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "Notification",
    "Stop",
    "SessionEnd",
];

/// Claude Code remembers an approved key by its last 20 characters.
const KEY_SUFFIX_CHARS: usize = 20;
/// Seconds a hook's curl keeps trying to reach plinth: a restart of plinth (kill -9 and
/// start, a few seconds) loses no hook, while one down for long delays the agent by at
/// most this much per hook (its model calls, through plinth's proxy, wait anyway).
const HOOK_RETRY_S: u64 = 10;
/// Seconds one attempt may take.
const HOOK_ATTEMPT_S: u64 = 5;
/// Seconds Claude Code waits for a hook: curl's retries and their last attempt, and a
/// margin; the backstop for a curl that does not give up.
const HOOK_TIMEOUT_S: u64 = HOOK_RETRY_S + HOOK_ATTEMPT_S + 5;

/// `~/.claude.json` with `existing`'s contents kept.
pub fn claude_json(
    existing: Option<&str>,
    workdir: &str,
    api_key: Option<&str>,
    skip_permissions: bool,
) -> String {
    let mut root = object_of(existing);
    root.insert("hasCompletedOnboarding".into(), Value::Bool(true));
    let projects = child_object(&mut root, "projects");
    let project = child_object(projects, workdir);
    project.insert("hasTrustDialogAccepted".into(), Value::Bool(true));
    if let Some(key) = api_key.filter(|k| !k.is_empty()) {
        let responses = child_object(&mut root, "customApiKeyResponses");
        let suffix = key_suffix(key);
        let approved = child_array(responses, "approved");
        if !approved.iter().any(|v| v.as_str() == Some(suffix.as_str())) {
            approved.push(Value::String(suffix));
        }
        child_array(responses, "rejected");
    }
    if skip_permissions {
        // Older versions ask to accept bypass mode once unless this is set.
        root.insert("bypassPermissionsModeAccepted".into(), Value::Bool(true));
    }
    pretty(root)
}

/// `~/.claude/settings.json` with `existing`'s contents kept but its hooks replaced.
/// Without a hook URL there is nowhere to post to, so no hooks are written.
pub fn settings_json(
    existing: Option<&str>,
    hook_url_known: bool,
    skip_permissions: bool,
) -> String {
    let mut root = object_of(existing);
    if hook_url_known {
        let hooks: Map<String, Value> = HOOKS
            .iter()
            .map(|name| {
                let command = json!({
                    "type": "command",
                    "command": hook_command(name),
                    "timeout": HOOK_TIMEOUT_S,
                });
                (name.to_string(), json!([{ "hooks": [command] }]))
            })
            .collect();
        root.insert("hooks".into(), Value::Object(hooks));
    }
    if skip_permissions {
        // Newer versions ask to accept bypass mode once unless this is set.
        root.insert(
            "skipDangerousModePermissionPrompt".into(),
            Value::Bool(true),
        );
    }
    pretty(root)
}

/// The shell command of hook `name`: post its stdin to the host. The URL and token are
/// expanded from the session's environment when the hook runs, so the file holds no secret;
/// the token goes to curl as a header file on descriptor 3 (a here-document), never as an
/// argument, since any user on the machine reads every process's arguments.
/// A refused connection (plinth restarting) or a transient error is tried again each
/// second for [`HOOK_RETRY_S`]; an answer that is not one is not, so a hook plinth may have
/// recorded is not sent twice. Its output goes nowhere: Claude Code would add a hook's
/// stdout to the model's context. Any failure exits 1, since exit 2 would make Claude Code
/// block the tool call.
pub fn hook_command(name: &str) -> String {
    format!(
        "curl -fsS -m {HOOK_ATTEMPT_S} --retry {HOOK_RETRY_S} --retry-delay 1 \
         --retry-max-time {HOOK_RETRY_S} --retry-connrefused -X POST -H @/dev/fd/3 \
         -H 'Content-Type: application/json' --data-binary @- \"$PLINTH_HOOK_URL/{name}\" \
         >/dev/null 3<<PLINTH_HOOK_AUTH || exit 1\n\
         Authorization: Bearer $PLINTH_HOOK_TOKEN\n\
         PLINTH_HOOK_AUTH"
    )
}

fn key_suffix(key: &str) -> String {
    let count = key.chars().count();
    key.chars()
        .skip(count.saturating_sub(KEY_SUFFIX_CHARS))
        .collect()
}

/// The JSON object in `text`; anything else (absent, broken, not an object) starts afresh,
/// since a file Claude Code cannot read either is no loss.
fn object_of(text: Option<&str>) -> Map<String, Value> {
    match text.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    }
}

fn child_object<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = parent
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("made an object above")
}

fn child_array<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let slot = parent
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    slot.as_array_mut().expect("made an array above")
}

fn pretty(root: Map<String, Value>) -> String {
    serde_json::to_string_pretty(&Value::Object(root)).expect("JSON values always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn claude_json_from_nothing() {
        let text = claude_json(
            None,
            "/work/repo",
            Some("sk-ant-0123456789abcdefghijKLMNOPQRST"),
            false,
        );
        let v = parse(&text);
        assert_eq!(v["hasCompletedOnboarding"], true);
        assert_eq!(v["projects"]["/work/repo"]["hasTrustDialogAccepted"], true);
        assert_eq!(
            v["customApiKeyResponses"]["approved"],
            json!(["abcdefghijKLMNOPQRST"])
        );
        assert_eq!(v["customApiKeyResponses"]["rejected"], json!([]));
        assert!(v.get("bypassPermissionsModeAccepted").is_none());
    }

    #[test]
    fn claude_json_keeps_what_is_there_and_does_not_repeat_the_key() {
        let existing = r#"{"theme":"dark","projects":{"/other":{"x":1},"/work/repo":{"allowedTools":["Bash"]}},
            "customApiKeyResponses":{"approved":["short"]}}"#;
        let once = claude_json(Some(existing), "/work/repo", Some("short"), true);
        let twice = claude_json(Some(&once), "/work/repo", Some("short"), true);
        let v = parse(&twice);
        assert_eq!(v["theme"], "dark");
        assert_eq!(v["projects"]["/other"]["x"], 1);
        assert_eq!(v["projects"]["/work/repo"]["allowedTools"], json!(["Bash"]));
        assert_eq!(v["projects"]["/work/repo"]["hasTrustDialogAccepted"], true);
        assert_eq!(v["customApiKeyResponses"]["approved"], json!(["short"]));
        assert_eq!(v["bypassPermissionsModeAccepted"], true);
    }

    #[test]
    fn claude_json_without_a_key_approves_nothing() {
        let v = parse(&claude_json(Some("[1,2]"), "/w", None, false));
        assert!(v.get("customApiKeyResponses").is_none());
        assert_eq!(v["hasCompletedOnboarding"], true);
    }

    #[test]
    fn settings_post_every_hook_with_the_token_from_the_environment() {
        let v = parse(&settings_json(
            Some(r#"{"model":"opus","hooks":{"Old":[]}}"#),
            true,
            false,
        ));
        assert_eq!(v["model"], "opus");
        let hooks = v["hooks"].as_object().unwrap();
        assert_eq!(hooks.len(), HOOKS.len());
        for name in HOOKS {
            let command = hooks[name][0]["hooks"][0]["command"].as_str().unwrap();
            assert_eq!(hooks[name][0]["hooks"][0]["type"], "command");
            assert!(command.starts_with("curl -fsS -m 5 "), "{command}");
            assert!(command.contains(" -X POST "), "{command}");
            // A hook posted while plinth restarts arrives when it is back.
            assert!(
                command.contains(
                    "--retry 10 --retry-delay 1 --retry-max-time 10 --retry-connrefused "
                ),
                "{command}"
            );
            assert_eq!(hooks[name][0]["hooks"][0]["timeout"], 20);
            assert!(command.contains(" -H @/dev/fd/3 "), "{command}");
            assert!(
                command.ends_with(
                    "3<<PLINTH_HOOK_AUTH || exit 1\nAuthorization: Bearer $PLINTH_HOOK_TOKEN\nPLINTH_HOOK_AUTH"
                ),
                "{command}"
            );
            assert!(command.contains("--data-binary @-"), "{command}");
            assert!(
                command.contains(&format!("\"$PLINTH_HOOK_URL/{name}\"")),
                "{command}"
            );
        }
        assert!(v.get("skipDangerousModePermissionPrompt").is_none());
    }

    #[test]
    fn settings_without_a_hook_url_have_no_hooks() {
        let v = parse(&settings_json(None, false, true));
        assert!(v.get("hooks").is_none());
        assert_eq!(v["skipDangerousModePermissionPrompt"], true);
    }

    #[test]
    fn the_key_suffix_is_the_last_twenty_characters() {
        assert_eq!(key_suffix("abc"), "abc");
        assert_eq!(key_suffix(&"x".repeat(30)).len(), 20);
        assert_eq!(
            key_suffix("0123456789012345678901234"),
            "5678901234567890123".to_string() + "4"
        );
    }
}

/// The hook command run for real, as Claude Code runs it (`sh -c`, the session's variables),
/// against a one-request HTTP listener, with `curl` wrapped to record its arguments.
#[cfg(test)]
mod hook_command_runs {
    use super::hook_command;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::process::{Command, Stdio};

    #[test]
    fn a_hook_posts_its_token_as_a_header_and_never_as_an_argument() {
        let token = "plinth-task-0123456789abcdef";
        let dir = std::env::temp_dir().join(format!("plinth-hook-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let args_file = dir.join("curl-args");
        let shim = dir.join("curl");
        std::fs::write(
            &shim,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nexec /usr/bin/curl \"$@\"\n",
                args_file.display()
            ),
        )
        .unwrap();
        Command::new("chmod").arg("+x").arg(&shim).status().unwrap();

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers and the small body arrive together; read until the body is in.
            while !String::from_utf8_lossy(&request).contains("\"hook\"") {
                let n = conn.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });

        let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(hook_command("Stop"))
            .env("PATH", path)
            .env(
                "PLINTH_HOOK_URL",
                format!("http://127.0.0.1:{port}/tasks/t/hooks"),
            )
            .env("PLINTH_HOOK_TOKEN", token)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(br#"{"hook":"Stop"}"#)
            .unwrap();
        assert!(child.wait().unwrap().success());
        let request = server.join().unwrap();
        assert!(
            request.starts_with("POST /tasks/t/hooks/Stop "),
            "{request}"
        );
        assert!(
            request.contains(&format!("Authorization: Bearer {token}\r\n")),
            "{request}"
        );
        let args = std::fs::read_to_string(&args_file).unwrap();
        assert!(
            args.contains("-X\nPOST\n"),
            "curl ran through the shim: {args}"
        );
        assert!(
            !args.contains(token),
            "the token on curl's command line: {args}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
