//! Asking the user before a command changes something they cannot easily undo.

use std::io::{BufRead, IsTerminal, Write};

use crate::failure::{Failure, code};

/// Asks `question [y/N]` on the terminal. With no terminal to ask on, fails with a usage
/// error that points at `--yes`, rather than guessing.
pub fn confirm(question: &str) -> Result<bool, Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::new(
            code::USAGE,
            "confirm with --yes: standard input is not a terminal, so plinth cannot ask",
        ));
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|err| Failure::other(format!("cannot read the answer: {err}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
