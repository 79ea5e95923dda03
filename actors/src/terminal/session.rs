//! Which of a task's sessions a viewer attaches to, and how.

use std::path::Path;

use super::error::TerminalError;
use crate::sandbox::TmuxServer;

/// The session a viewer gets: the one it names (`requested`, the adapter's short name),
/// else the task's first (tmux lists sessions by name). `sessions` are the task's full
/// session names, `<task>--<name>`.
pub fn choose(
    task: &str,
    sessions: &[String],
    requested: Option<&str>,
) -> Result<String, TerminalError> {
    match requested {
        Some(name) => {
            let full = TmuxServer::session_name(task, name)
                .map_err(|e| TerminalError::BadRequest(e.to_string()))?;
            if sessions.contains(&full) {
                Ok(full)
            } else if sessions.is_empty() {
                Err(TerminalError::NoSession {
                    task: task.to_string(),
                })
            } else {
                Err(TerminalError::UnknownSession {
                    task: task.to_string(),
                    name: name.to_string(),
                    known: sessions.iter().map(|s| short_name(task, s)).collect(),
                })
            }
        }
        None => sessions
            .first()
            .cloned()
            .ok_or_else(|| TerminalError::NoSession {
                task: task.to_string(),
            }),
    }
}

/// The adapter's name of a session, without the task prefix.
pub fn short_name(task: &str, full: &str) -> String {
    full.strip_prefix(task)
        .and_then(|rest| rest.strip_prefix("--"))
        .unwrap_or(full)
        .to_string()
}

/// `tmux -S <socket> attach-session …` for session `full`, as one argv.
///
/// `ignore-size` keeps the viewer's size out of the window's: the agent's screen stays the
/// size it was created with (its windows are sized manually as well), however small or
/// large the browser is. The `=` makes tmux match the name exactly, not by prefix.
pub fn attach_command(socket: &Path, full: &str) -> Vec<String> {
    vec![
        "tmux".into(),
        "-S".into(),
        socket.display().to_string(),
        "attach-session".into(),
        "-f".into(),
        "ignore-size".into(),
        "-t".into(),
        format!("={full}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(task: &str, short: &[&str]) -> Vec<String> {
        short.iter().map(|s| format!("{task}--{s}")).collect()
    }

    #[test]
    fn the_default_is_the_first_session_and_none_is_an_error() {
        assert_eq!(
            choose("t1", &names("t1", &["agent", "shell"]), None).unwrap(),
            "t1--agent"
        );
        let err = choose("t1", &[], None).unwrap_err();
        assert!(matches!(err, TerminalError::NoSession { .. }), "{err}");
        assert!(err.to_string().contains("no tmux session yet"), "{err}");
    }

    #[test]
    fn a_named_session_must_exist_and_the_error_lists_the_real_ones() {
        let sessions = names("t1", &["agent", "shell"]);
        assert_eq!(choose("t1", &sessions, Some("shell")).unwrap(), "t1--shell");
        let err = choose("t1", &sessions, Some("other")).unwrap_err();
        assert!(err.to_string().contains("agent, shell"), "{err}");
        let err = choose("t1", &sessions, Some("../x")).unwrap_err();
        assert!(matches!(err, TerminalError::BadRequest(_)), "{err}");
    }

    #[test]
    fn the_attach_command_matches_the_name_exactly_and_ignores_the_viewers_size() {
        let cmd = attach_command(Path::new("/tmp/s.sock"), "t1--agent");
        assert_eq!(
            cmd.join(" "),
            "tmux -S /tmp/s.sock attach-session -f ignore-size -t =t1--agent"
        );
    }
}
