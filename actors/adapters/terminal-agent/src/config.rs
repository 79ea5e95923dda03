//! Config files merged into what is already there (a user's own settings in an image, or
//! the agent's own additions since the last write), and the hook command every agent's
//! hooks run to post to plinth.

use serde_json::{Map, Value};

/// Seconds a hook's curl keeps trying to reach plinth: a restart of plinth (kill -9 and
/// start, a few seconds) loses no hook.
pub const HOOK_RETRY_S: u64 = 10;
/// Seconds one attempt may take.
pub const HOOK_ATTEMPT_S: u64 = 5;
/// Seconds an agent should wait for a hook: curl's retries, its last attempt and a margin.
pub const HOOK_TIMEOUT_S: u64 = HOOK_RETRY_S + HOOK_ATTEMPT_S + 5;

/// The shell command of hook `name`: post its stdin to `$PLINTH_HOOK_URL/<name>`. The URL
/// and token are expanded from the session's environment when the hook runs, so the file
/// holds no secret; the token goes to curl as a header file on descriptor 3 (a
/// here-document), never as an argument, which every user of the machine can read. A
/// refused connection is tried again for [`HOOK_RETRY_S`]. curl's output goes nowhere
/// (agents read a hook's stdout); `then` runs after a post that went through, for an agent
/// that wants an answer on stdout.
pub fn hook_command(name: &str, then: Option<&str>) -> String {
    let mut command = format!(
        "curl -fsS -m {HOOK_ATTEMPT_S} --retry {HOOK_RETRY_S} --retry-delay 1 \
         --retry-max-time {HOOK_RETRY_S} --retry-connrefused -X POST -H @/dev/fd/3 \
         -H 'Content-Type: application/json' --data-binary @- \"$PLINTH_HOOK_URL/{name}\" \
         >/dev/null 3<<PLINTH_HOOK_AUTH || exit 1\n\
         Authorization: Bearer $PLINTH_HOOK_TOKEN\n\
         PLINTH_HOOK_AUTH"
    );
    if let Some(then) = then {
        command.push('\n');
        command.push_str(then);
    }
    command
}

/// The JSON object in `text`; anything else (absent, broken, not an object) starts afresh.
pub fn object_of(text: Option<&str>) -> Map<String, Value> {
    match text.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    }
}

/// `patch` merged into `base`: objects key by key, anything else replaced.
pub fn merge(base: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(inner)), Value::Object(patch)) => merge(inner, patch),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// `existing`'s JSON with `patch` merged in, pretty-printed.
pub fn merged_json(existing: Option<&str>, patch: Value) -> String {
    let mut root = object_of(existing);
    if let Value::Object(patch) = patch {
        merge(&mut root, patch);
    }
    serde_json::to_string_pretty(&Value::Object(root)).expect("JSON values always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merging_keeps_other_keys_and_replaces_what_it_sets() {
        let text = merged_json(
            Some(r#"{"a":1,"ui":{"theme":"dark","hideTips":false},"hooks":{"Old":[]}}"#),
            json!({"ui": {"hideTips": true}, "hooks": {"New": [1]}}),
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["a"], 1);
        assert_eq!(v["ui"], json!({"theme": "dark", "hideTips": true}));
        assert_eq!(v["hooks"], json!({"Old": [], "New": [1]}));
        let v: Value = serde_json::from_str(&merged_json(Some("[1]"), json!({"x": 1}))).unwrap();
        assert_eq!(v, json!({"x": 1}));
    }

    #[test]
    fn a_hook_posts_with_the_token_from_fd_3_and_may_answer_after() {
        let command = hook_command("AfterAgent", Some("echo '{}'"));
        assert!(
            command.contains("\"$PLINTH_HOOK_URL/AfterAgent\""),
            "{command}"
        );
        assert!(command.contains(" -H @/dev/fd/3 "), "{command}");
        assert!(command.contains("--retry-connrefused"), "{command}");
        assert!(
            command.ends_with(
                "3<<PLINTH_HOOK_AUTH || exit 1\nAuthorization: Bearer $PLINTH_HOOK_TOKEN\nPLINTH_HOOK_AUTH\necho '{}'"
            ),
            "{command}"
        );
        assert!(
            !command.contains("$PLINTH_HOOK_TOKEN\""),
            "the token is no argument"
        );
        assert!(hook_command("Stop", None).ends_with("PLINTH_HOOK_AUTH"));
    }
}
