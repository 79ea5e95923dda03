//! How a session's variables reach its program without a command line: they hold the
//! task's token, and every process's arguments are readable by any user (`ps`), the tmux
//! server's included, which keeps the arguments of the client that started it for life.
//!
//! The variables go to tmux on its standard input, into a paste buffer of the session's
//! own (`load-buffer -`), in the same invocation that creates the session; the session's
//! shell reads the buffer through its own `$TMUX` connection, deletes it and exports what
//! it held before running the program. Nothing is written to a file, and the buffer lives
//! only in the memory of a tmux server that only the sandbox's user can reach.

use plinth_wasm::wit::CapError;

/// The shell prelude that takes the variables out of buffer `$1` and shifts it off, so the
/// program's arguments follow in `"$@"` as they would without it. A missing buffer is an
/// error the pane shows, never a program started without its variables.
pub const LOADER: &str = r#"e=$(tmux show-buffer -b "$1") && tmux delete-buffer -b "$1" || { echo "plinth: this session's environment is missing" >&2; exit 70; }; shift; eval "$e"; unset e; "#;

/// The buffer that carries session `full`'s variables.
pub fn buffer_name(full: &str) -> String {
    format!("plinth-env-{full}")
}

/// The variables as the script [`LOADER`] evaluates: one `export NAME='value'` a line.
/// Names must be shell identifiers (anything else would be code to `eval`).
pub fn script(env: &[(String, String)]) -> Result<String, CapError> {
    let mut out = String::new();
    for (key, value) in env {
        if !is_identifier(key) {
            return Err(CapError::Invalid(format!(
                "bad environment name {key:?}: use letters, digits and '_', not starting with a digit"
            )));
        }
        if value.contains('\0') {
            return Err(CapError::Invalid(format!(
                "the value of {key} holds a NUL byte, which no environment can carry"
            )));
        }
        out.push_str("export ");
        out.push_str(key);
        out.push('=');
        out.push_str(&single_quoted(value));
        out.push('\n');
    }
    Ok(out)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `value` as one shell word that stands for itself: inside single quotes nothing is
/// special but the quote, which closes, is escaped and reopens.
fn single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_script_gives_the_shell_each_value_exactly() {
        let env = pairs(&[
            ("PLAIN", "abc"),
            ("QUOTES", r#"it's "quoted" \ $HOME `id` $(id)"#),
            ("LINES", "one\ntwo\n"),
            ("EMPTY", ""),
        ]);
        let script = script(&env).unwrap();
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{script}printf '%s\\0' \"$PLAIN\" \"$QUOTES\" \"$LINES\" \"$EMPTY\""
            ))
            .output()
            .unwrap();
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect();
        let want: Vec<String> = env.into_iter().map(|(_, v)| v).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn names_that_are_not_identifiers_are_refused() {
        for bad in ["", "A=B", "1A", "A B", "A;id", "A-B"] {
            let err = script(&pairs(&[(bad, "x")])).unwrap_err();
            assert!(matches!(err, CapError::Invalid(_)), "{bad:?}: {err:?}");
        }
        assert!(script(&pairs(&[("_a1", "x")])).is_ok());
        assert!(matches!(
            script(&pairs(&[("A", "x\0y")])),
            Err(CapError::Invalid(_))
        ));
    }
}
