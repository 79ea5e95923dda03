//! The tmux command lines a [`super::TmuxServer`] sends, and how their arguments are
//! spelled so tmux reads them as given.

use std::path::Path;

use plinth_wasm::wit::{CapError, SessionSpec};

use super::session_env;
use crate::limits::TMUX_HISTORY_LIMIT;

/// Runs "$@" and stores its exit status in the pane's `@plinth-exit` option (through the
/// `TMUX` variable tmux gives every pane), then exits with it.
const EXIT_RECORDER: &str =
    r#""$@"; s=$?; tmux set-option -p -t "$TMUX_PANE" @plinth-exit "$s" 2>/dev/null; exit $s"#;

/// The tmux command line that creates session `full`, and the variables it reads on
/// its standard input (see [`session_env`]), if it has any.
pub(super) fn create_command(
    full: &str,
    spec: &SessionSpec,
    workdir: &Path,
) -> Result<(Vec<String>, Option<String>), CapError> {
    let mut cmd: Vec<String> = vec!["start-server".into(), ";".into()];
    let env = if spec.env.is_empty() {
        None
    } else {
        Some(session_env::script(&spec.env)?)
    };
    let buffer = session_env::buffer_name(full);
    if env.is_some() {
        cmd.extend(["load-buffer", "-b", &buffer, "-", ";"].map(String::from));
    }
    // Panes are kept after their program ends (so its exit status can be read), set
    // for the whole server before the session exists: a program that exits at once
    // must not take its pane with it.
    let history = TMUX_HISTORY_LIMIT.to_string();
    for option in [
        ["remain-on-exit", "on"],
        ["history-limit", history.as_str()],
    ] {
        cmd.extend(["set-option", "-g", option[0], option[1], ";"].map(String::from));
    }
    cmd.extend(["new-session", "-d", "-s", full].map(String::from));
    let (width, height) = (
        spec.width.max(20).to_string(),
        spec.height.max(5).to_string(),
    );
    cmd.extend(["-x".into(), width.clone(), "-y".into(), height.clone()]);
    cmd.extend(["-c".into(), workdir.display().to_string()]);
    // The program gets its arguments exactly as given ("$@"), under a shell that only
    // records its exit status in a pane option: tmux 3.3's own `pane_dead_status` is
    // lost when clients query the pane as it dies. Job control (-m) makes the program
    // the pane's foreground process, so `foreground-command` names it, not the shell.
    // With variables, the shell first takes them from the buffer named by its `$1`.
    match env {
        Some(_) => cmd.extend([
            "--".into(),
            "sh".into(),
            "-mc".into(),
            format!("{}{EXIT_RECORDER}", session_env::LOADER),
            "plinth-run".into(),
            literal(&buffer),
        ]),
        None => cmd.extend(["--", "sh", "-mc", EXIT_RECORDER, "plinth-run"].map(String::from)),
    }
    cmd.extend(spec.command.iter().map(|a| literal(a)));
    // Resizing sets the window's size to manual, so the agent's screen stays as
    // created however small a viewer that attaches later is. (Setting `window-size`
    // globally instead resizes every window to `default-size`, and tmux 3.3 drops a
    // server without sessions when it is set before the first one.)
    cmd.extend(
        [
            ";",
            "resize-window",
            "-t",
            full,
            "-x",
            &width,
            "-y",
            &height,
        ]
        .map(String::from),
    );
    Ok((cmd, env))
}

/// A target that names exactly session `full` (and its current pane): a bare name also
/// matches other sessions by prefix, so "t1--a" could reach "t1--ab".
pub(super) fn exact(full: &str) -> String {
    format!("={full}:")
}

/// `arg` as tmux passes it on. tmux reads any argument that ends in ';' as the end of a
/// command; `\;` at the end stands for a literal ';'.
pub(super) fn literal(arg: &str) -> String {
    match arg.strip_suffix(';') {
        Some(head) => format!("{head}\\;"),
        None => arg.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trailing_semicolon_is_escaped() {
        assert_eq!(literal("a;"), "a\\;");
        assert_eq!(literal(";"), "\\;");
        assert_eq!(literal("a;b"), "a;b");
        assert_eq!(literal(""), "");
    }
}
