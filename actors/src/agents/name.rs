//! Agent names appear in commands, URLs and store keys, so they are kept plain.

use super::error::AgentError;

pub fn check_name(name: &str) -> Result<(), AgentError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AgentError::BadName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lowercase_names_pass() {
        for name in ["claude-code", "a", "agent2", "0x"] {
            assert!(check_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn names_that_would_confuse_a_shell_a_url_or_a_key_are_refused() {
        let long = "a".repeat(64);
        for name in ["", "-x", "Claude", "a/b", "a b", "ä", "a.b", long.as_str()] {
            assert!(check_name(name).is_err(), "{name:?}");
        }
    }
}
