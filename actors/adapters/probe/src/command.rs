//! What a user message asks the probe to do. One command a message: a word, then its
//! arguments. `call` names a capability function as `interface.function`, as in the WIT.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Calls `log` this many times (the host-call benchmark).
    LogLoop(u32),
    /// Appends the text to the transcript.
    Echo(String),
    /// Saves the text (or "probe"), loads it back, and reports whether they match.
    StateRoundtrip(String),
    Trap,
    Spin,
    Grow,
    Call(Call),
}

/// One capability call, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    TmuxCreate { name: String, command: Vec<String> },
    TmuxPaste { session: String, text: String },
    TmuxSendKeys { session: String, keys: Vec<String> },
    TmuxCaptureScreen { session: String },
    TmuxCaptureHistory { session: String, max_lines: u32 },
    TmuxForegroundCommand { session: String },
    TmuxIsAlive { session: String },
    TmuxKill { session: String },
    Exec { command: Vec<String> },
    ReadFile { path: String },
    WriteFile { path: String, text: String },
    AppendTranscript { text: String },
    SetStatus { status: String, detail: String },
    Notify { title: String, body: String },
    Log { level: String, message: String },
    StateSave { text: String },
    StateLoad,
}

pub fn parse(message: &str) -> Result<Command, String> {
    let (word, rest) = split_word(message.trim());
    match word {
        "log-loop" => rest
            .parse()
            .map(Command::LogLoop)
            .map_err(|_| "log-loop needs a count".into()),
        "echo" => Ok(Command::Echo(rest.to_string())),
        "state-roundtrip" => {
            let text = if rest.is_empty() { "probe" } else { rest };
            Ok(Command::StateRoundtrip(text.to_string()))
        }
        "trap" => Ok(Command::Trap),
        "spin" => Ok(Command::Spin),
        "grow" => Ok(Command::Grow),
        "call" => {
            let (function, args) = split_word(rest);
            parse_call(function, args).map(Command::Call)
        }
        "" => Err("an empty message".into()),
        other => Err(format!("unknown probe command `{other}`")),
    }
}

fn parse_call(function: &str, args: &str) -> Result<Call, String> {
    let (first, rest) = split_word(args);
    let words = || {
        args.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let after_first = || {
        rest.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let one = || first.to_string();
    let call = match function {
        "tmux.create" => Call::TmuxCreate {
            name: one(),
            command: after_first(),
        },
        "tmux.paste" => Call::TmuxPaste {
            session: one(),
            text: rest.to_string(),
        },
        "tmux.send-keys" => Call::TmuxSendKeys {
            session: one(),
            keys: after_first(),
        },
        "tmux.capture-screen" => Call::TmuxCaptureScreen { session: one() },
        "tmux.capture-history" => Call::TmuxCaptureHistory {
            session: one(),
            max_lines: if rest.is_empty() {
                100
            } else {
                rest.parse().map_err(|_| "max-lines must be a number")?
            },
        },
        "tmux.foreground-command" => Call::TmuxForegroundCommand { session: one() },
        "tmux.is-alive" => Call::TmuxIsAlive { session: one() },
        "tmux.kill" => Call::TmuxKill { session: one() },
        "environment.exec" => Call::Exec { command: words() },
        "environment.read-file" => Call::ReadFile { path: one() },
        "environment.write-file" => Call::WriteFile {
            path: one(),
            text: rest.to_string(),
        },
        "events.append-transcript" => Call::AppendTranscript {
            text: args.to_string(),
        },
        "events.set-status" => Call::SetStatus {
            status: one(),
            detail: rest.to_string(),
        },
        "events.notify" => Call::Notify {
            title: one(),
            body: rest.to_string(),
        },
        "log.log" => Call::Log {
            level: one(),
            message: rest.to_string(),
        },
        "state.save" => Call::StateSave {
            text: args.to_string(),
        },
        "state.load" => Call::StateLoad,
        other => return Err(format!("unknown capability function `{other}`")),
    };
    Ok(call)
}

/// The first word and the rest, its leading whitespace dropped.
fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_commands() {
        assert_eq!(parse("log-loop 1000"), Ok(Command::LogLoop(1000)));
        assert!(parse("log-loop many").is_err());
        assert_eq!(
            parse("echo hello  world"),
            Ok(Command::Echo("hello  world".into()))
        );
        assert_eq!(
            parse("state-roundtrip"),
            Ok(Command::StateRoundtrip("probe".into()))
        );
        assert_eq!(
            parse("state-roundtrip v2"),
            Ok(Command::StateRoundtrip("v2".into()))
        );
        assert_eq!(parse(" trap "), Ok(Command::Trap));
        assert_eq!(parse("spin"), Ok(Command::Spin));
        assert_eq!(parse("grow"), Ok(Command::Grow));
        assert_eq!(parse("dance"), Err("unknown probe command `dance`".into()));
        assert!(parse("").is_err());
    }

    #[test]
    fn calls_take_their_arguments() {
        let call = |m: &str| match parse(m) {
            Ok(Command::Call(call)) => call,
            other => panic!("{m}: {other:?}"),
        };
        assert_eq!(
            call("call tmux.capture-screen nosuch"),
            Call::TmuxCaptureScreen {
                session: "nosuch".into()
            }
        );
        assert_eq!(
            call("call tmux.create s1 sleep 100"),
            Call::TmuxCreate {
                name: "s1".into(),
                command: vec!["sleep".into(), "100".into()]
            }
        );
        assert_eq!(
            call("call tmux.paste s1 hello there"),
            Call::TmuxPaste {
                session: "s1".into(),
                text: "hello there".into()
            }
        );
        assert_eq!(
            call("call tmux.send-keys s1 C-c Enter"),
            Call::TmuxSendKeys {
                session: "s1".into(),
                keys: vec!["C-c".into(), "Enter".into()]
            }
        );
        assert_eq!(
            call("call tmux.capture-history s1"),
            Call::TmuxCaptureHistory {
                session: "s1".into(),
                max_lines: 100
            }
        );
        assert_eq!(
            call("call tmux.capture-history s1 5"),
            Call::TmuxCaptureHistory {
                session: "s1".into(),
                max_lines: 5
            }
        );
        assert_eq!(
            call("call environment.exec ls -la /"),
            Call::Exec {
                command: vec!["ls".into(), "-la".into(), "/".into()]
            }
        );
        assert_eq!(
            call("call environment.exec"),
            Call::Exec { command: vec![] }
        );
        assert_eq!(
            call("call environment.write-file a.txt x y"),
            Call::WriteFile {
                path: "a.txt".into(),
                text: "x y".into()
            }
        );
        assert_eq!(
            call("call events.set-status idle all done"),
            Call::SetStatus {
                status: "idle".into(),
                detail: "all done".into()
            }
        );
        assert_eq!(
            call("call log.log warn careful"),
            Call::Log {
                level: "warn".into(),
                message: "careful".into()
            }
        );
        assert_eq!(
            call("call state.save abc def"),
            Call::StateSave {
                text: "abc def".into()
            }
        );
        assert_eq!(call("call state.load"), Call::StateLoad);
        assert!(parse("call tmux.explode x").is_err());
        assert!(parse("call tmux.capture-history s1 lots").is_err());
    }
}
