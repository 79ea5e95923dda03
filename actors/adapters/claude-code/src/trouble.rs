//! What stops Claude Code in a way only its user can fix, and how to say it: a model API
//! that refuses the key, rate-limits it or cannot be reached (from the proxy's report of a
//! failed call), Claude Code not logged in, or its "Once fixed, resend your message"
//! (from its screen).
//!
//! Claude Code itself retries a 401, a 429 and a refused connection for minutes with its
//! spinner up, and shows "Not logged in" without calling anything: without this the task
//! said `starting` or `working` all along.

use crate::screen;

/// The proxy's error for a call the API answered with an HTTP error starts with its status
/// (`"401 authentication_error: invalid x-api-key"`, see docs/architecture.md "LLM proxy");
/// these are the ones that will not pass by themselves soon.
pub fn from_model_error(error: &str) -> Option<String> {
    if let Some((status, rest)) = error.split_once(' ')
        && status.len() == 3
        && let Ok(status) = status.parse::<u16>()
    {
        return match status {
            401 | 403 => Some(format!("the model API refused the key ({status}): {rest}")),
            429 => Some(format!(
                "the model API is rate-limiting the key (429): {rest}; Claude Code retries by itself"
            )),
            _ => None,
        };
    }
    // The proxy's own words when the upstream is down (502) or does not connect (504).
    let unreachable = [
        "could not reach the model API",
        "timed out reaching the model API",
    ];
    unreachable
        .iter()
        .any(|words| error.contains(words))
        .then(|| format!("the model API cannot be reached: {error}"))
}

/// Claude Code's status line while it has no credentials.
const NOT_LOGGED_IN: &str = "Not logged in";
/// The input box's placeholder after an error Claude Code will not retry by itself.
const RESEND: &str = "Once fixed, resend your message";

/// What the bottom of the screen says stops Claude Code, if anything. `has_proxy`: the
/// task's environment gives Claude Code the model proxy's URL and key.
pub fn from_screen(text: &str, has_proxy: bool) -> Option<String> {
    let bottom = screen::bottom(text);
    if bottom.iter().any(|l| l.contains(NOT_LOGGED_IN)) {
        let why = if has_proxy {
            "it did not take the model proxy's key (ANTHROPIC_API_KEY)"
        } else {
            "the task has no model proxy (no ANTHROPIC_BASE_URL or ANTHROPIC_API_KEY): the \
             model proxy is not reachable from its sandbox; `plinth doctor` says why"
        };
        return Some(format!("Claude Code is not logged in: {why}"));
    }
    let resend = bottom
        .iter()
        .position(|l| screen::prompt_rest(l).is_some_and(|rest| rest.starts_with(RESEND)))?;
    Some(match error_above(&bottom[..resend]) {
        Some(line) => {
            format!("Claude Code stopped on an error: {line}; fix it, then send a message")
        }
        None => "Claude Code stopped on an error; fix it, then send a message".to_string(),
    })
}

/// Claude Code prints a failed turn's error just above its input box (`● …` or `⎿ …`).
fn error_above(lines: &[&str]) -> Option<String> {
    lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !l.chars().all(|c| c == '─'))
        .map(|l| l.trim_start_matches(['●', '⎿']).trim().to_string())
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::{NOT_LOGGED_IN_AFTER_PROMPT, NOT_LOGGED_IN_AT_START, RESEND_AFTER_401};

    #[test]
    fn refused_keys_rate_limits_and_an_unreachable_api_need_the_user() {
        assert_eq!(
            from_model_error("401 authentication_error: invalid x-api-key").as_deref(),
            Some("the model API refused the key (401): authentication_error: invalid x-api-key")
        );
        assert!(
            from_model_error("403 permission_error: no access")
                .unwrap()
                .contains("(403)")
        );
        assert!(
            from_model_error("429 rate_limit_error: slow down")
                .unwrap()
                .contains("(429)")
        );
        let down = "plinth's LLM proxy could not reach the model API at http://127.0.0.1:9: \
                    connection refused (check that it is up and reachable from plinth's host)";
        assert_eq!(
            from_model_error(down),
            Some(format!("the model API cannot be reached: {down}"))
        );
    }

    #[test]
    fn passing_errors_are_left_to_claude_codes_retries() {
        assert_eq!(from_model_error("529 overloaded_error: Overloaded"), None);
        assert_eq!(from_model_error("500 api_error: oops"), None);
        assert_eq!(from_model_error("overloaded_error: Overloaded"), None);
        assert_eq!(
            from_model_error("the client hung up before the reply was complete"),
            None
        );
        assert_eq!(
            from_model_error("the upstream ended the stream before message_stop"),
            None
        );
    }

    #[test]
    fn not_logged_in_is_seen_at_start_and_after_a_prompt() {
        let why = from_screen(NOT_LOGGED_IN_AT_START, false).unwrap();
        assert!(why.starts_with("Claude Code is not logged in: "), "{why}");
        assert!(why.contains("model proxy is not reachable"), "{why}");
        let why = from_screen(NOT_LOGGED_IN_AFTER_PROMPT, true).unwrap();
        assert!(why.starts_with("Claude Code is not logged in: "), "{why}");
    }

    #[test]
    fn resend_your_message_names_the_error_above_it() {
        assert_eq!(
            from_screen(RESEND_AFTER_401, true).as_deref(),
            Some(
                "Claude Code stopped on an error: Please run /login · API Error: 401 invalid \
                 x-api-key; fix it, then send a message"
            )
        );
    }

    #[test]
    fn an_ordinary_screen_is_no_trouble() {
        let ready = "────\n❯ \n────\n  ⏵⏵ auto mode on (shift+tab to cycle)";
        assert_eq!(from_screen(ready, true), None);
        // An old prompt that quotes the words, high above the bottom, is not the screen's.
        let mut old = String::from("❯ Once fixed, resend your message\n");
        for n in 0..12 {
            old.push_str(&format!("● line {n}\n"));
        }
        old.push_str(ready);
        assert_eq!(from_screen(&old, true), None);
    }
}
