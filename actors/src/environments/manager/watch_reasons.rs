//! The reasons a user reads when the watcher fails an environment whose container died
//! or vanished without plinth asking.

/// 128 + SIGKILL / SIGTERM: how `docker kill` and `docker stop` end a container.
const KILLED: i64 = 137;
const TERMINATED: i64 = 143;

/// Why an environment failed whose container stopped without plinth asking.
pub(super) fn died(exit_code: Option<i64>, out_of_memory: bool) -> String {
    let code = exit_code
        .map(|c| format!(" (exit code {c})"))
        .unwrap_or_default();
    if out_of_memory {
        format!("its container ran out of memory and was killed{code}")
    } else if exit_code == Some(KILLED) {
        format!("its container was killed from outside{code}")
    } else if exit_code == Some(TERMINATED) {
        format!("its container was stopped from outside{code}")
    } else {
        format!("its container stopped without plinth asking{code}")
    }
}

pub(super) fn removed() -> String {
    "its container was removed from outside plinth".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_say_what_happened_to_the_container() {
        assert_eq!(
            died(Some(137), false),
            "its container was killed from outside (exit code 137)"
        );
        assert_eq!(
            died(Some(137), true),
            "its container ran out of memory and was killed (exit code 137)"
        );
        assert_eq!(
            died(Some(143), false),
            "its container was stopped from outside (exit code 143)"
        );
        assert_eq!(
            died(Some(0), false),
            "its container stopped without plinth asking (exit code 0)"
        );
        assert_eq!(
            died(None, false),
            "its container stopped without plinth asking"
        );
    }
}
