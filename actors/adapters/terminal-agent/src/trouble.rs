//! What stops an agent in a way only its user can fix, from the proxy's report of a
//! failed model call: a refused key, a rate limit, an API that cannot be reached. Each
//! agent retries these by itself, for minutes, with its spinner up.

/// The proxy's error for a call the API answered with an HTTP error starts with its status
/// (`"401 …"`, see docs/architecture.md "LLM proxy").
pub fn from_model_error(error: &str) -> Option<String> {
    if let Some((status, rest)) = error.split_once(' ')
        && status.len() == 3
        && let Ok(status) = status.parse::<u16>()
    {
        return match status {
            401 | 403 => Some(format!("the model API refused the key ({status}): {rest}")),
            429 => Some(format!(
                "the model API is rate-limiting the key (429): {rest}"
            )),
            _ => None,
        };
    }
    let unreachable = [
        "could not reach the model API",
        "timed out reaching the model API",
    ];
    unreachable
        .iter()
        .any(|words| error.contains(words))
        .then(|| format!("the model API cannot be reached: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_rate_limits_need_the_user_and_passing_errors_do_not() {
        assert_eq!(
            from_model_error("401 UNAUTHENTICATED: bad key").as_deref(),
            Some("the model API refused the key (401): UNAUTHENTICATED: bad key")
        );
        assert!(from_model_error("429 slow down").unwrap().contains("429"));
        assert!(
            from_model_error("plinth's LLM proxy could not reach the model API at x").is_some()
        );
        assert_eq!(from_model_error("500 oops"), None);
        assert_eq!(from_model_error("the client hung up"), None);
    }
}
