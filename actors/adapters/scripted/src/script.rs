//! The script language: the task's prompt, parsed once into steps.
//!
//! The whole script is checked before any step runs, so a typo on the last line fails the
//! task before the first command has changed anything in the sandbox.

/// The first line every script starts with.
pub const SHEBANG: &str = "#!scripted";

/// One step, with the prompt line it came from (1-based, the `#!scripted` line is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub line: usize,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Run(String),
    Write {
        path: String,
        text: String,
    },
    Commit(String),
    Say(String),
    WaitMessage,
    /// `ask TEXT | CHOICE | CHOICE ...`: asks the user (`events.ask`) and waits for the
    /// answer (or a message), then says which came.
    Ask {
        text: String,
        choices: Vec<String>,
    },
    Sleep(u64),
    Term(String),
    Expect(String),
    Finish,
    Fail(String),
    Trap,
    Spin,
    Grow,
}

impl Action {
    /// Steps that return control to the host until a signal says they are over.
    pub fn blocks(&self) -> bool {
        matches!(
            self,
            Action::WaitMessage | Action::Sleep(_) | Action::Expect(_) | Action::Ask { .. }
        )
    }
}

/// Why a prompt is not a script that can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    NotScripted,
    BadLine { line: usize, reason: String },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::NotScripted => write!(
                f,
                "the scripted agent needs a prompt whose first line is {SHEBANG}"
            ),
            ParseError::BadLine { line, reason } => write!(f, "line {line}: {reason}"),
        }
    }
}

pub fn parse(prompt: &str) -> Result<Vec<Step>, ParseError> {
    let mut lines = prompt.lines();
    match lines.next() {
        Some(first) if first.trim() == SHEBANG => {}
        _ => return Err(ParseError::NotScripted),
    }
    let mut steps = Vec::new();
    for (index, raw) in lines.enumerate() {
        let line = index + 2;
        let text = raw.trim();
        // `#` lines are comments: scripts in tests read better with a word of why.
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let action = parse_action(text).map_err(|reason| ParseError::BadLine { line, reason })?;
        steps.push(Step { line, action });
    }
    Ok(steps)
}

fn parse_action(text: &str) -> Result<Action, String> {
    let (word, rest) = match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    };
    let needs = |what: &str| -> Result<String, String> {
        if rest.is_empty() {
            Err(format!("`{word}` needs {what}"))
        } else {
            Ok(rest.to_string())
        }
    };
    let bare = |action: Action| -> Result<Action, String> {
        if rest.is_empty() {
            Ok(action)
        } else {
            Err(format!("`{word}` takes no arguments"))
        }
    };
    match word {
        "run" => needs("a command").map(Action::Run),
        "write" => {
            let rest = needs("a path and a text")?;
            let (path, text) = match rest.split_once(char::is_whitespace) {
                Some((path, text)) => (path, text.trim_start()),
                None => (rest.as_str(), ""),
            };
            Ok(Action::Write {
                path: path.to_string(),
                text: unescape(text),
            })
        }
        "commit" => needs("a message").map(Action::Commit),
        "say" => needs("a text").map(Action::Say),
        "wait-message" => bare(Action::WaitMessage),
        "ask" => {
            let rest = needs("a question and its choices: ask TEXT | CHOICE | CHOICE")?;
            let mut parts = rest.split('|').map(str::trim);
            let text = parts.next().unwrap_or_default().to_string();
            let choices: Vec<String> = parts.map(str::to_string).collect();
            if text.is_empty() || choices.is_empty() || choices.iter().any(String::is_empty) {
                return Err(
                    "`ask` needs a question and its choices: ask TEXT | CHOICE | CHOICE".into(),
                );
            }
            Ok(Action::Ask { text, choices })
        }
        "sleep" => rest
            .parse::<u64>()
            .map(Action::Sleep)
            .map_err(|_| "`sleep` needs a number of milliseconds".to_string()),
        "term" => needs("a command").map(Action::Term),
        "expect" => needs("a text to wait for").map(Action::Expect),
        "finish" => bare(Action::Finish),
        "fail" => Ok(Action::Fail(rest.to_string())),
        "trap" => bare(Action::Trap),
        "spin" => bare(Action::Spin),
        "grow" => bare(Action::Grow),
        _ => Err(format!("unknown step `{word}`")),
    }
}

/// A prompt is one line per step, so a file's newlines are written `\n` (and a backslash
/// `\\`); any other backslash stays as it is.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Result<Action, ParseError> {
        parse(&format!("{SHEBANG}\n{line}")).map(|steps| steps[0].action.clone())
    }

    #[test]
    fn a_prompt_without_the_shebang_is_refused() {
        assert_eq!(parse("fix the bug"), Err(ParseError::NotScripted));
        assert_eq!(parse(""), Err(ParseError::NotScripted));
        assert_eq!(parse("\n#!scripted"), Err(ParseError::NotScripted));
        let message = ParseError::NotScripted.to_string();
        assert!(message.contains("#!scripted"), "{message}");
    }

    #[test]
    fn every_step_kind_parses_with_its_line_number() {
        let prompt = "#!scripted\r\n\
                      run make test\n\
                      \n\
                      # a comment\n\
                      write src/a.txt one\\ntwo\n\
                      commit add a\n\
                      say   hello there\n\
                      wait-message\n\
                      sleep 250\n\
                      term sh -c 'echo hi'\n\
                      expect hi\n\
                      finish\n\
                      fail it broke\n\
                      trap\n\
                      spin\n\
                      grow";
        let steps = parse(prompt).unwrap();
        let got: Vec<(usize, Action)> = steps.into_iter().map(|s| (s.line, s.action)).collect();
        assert_eq!(
            got,
            vec![
                (2, Action::Run("make test".into())),
                (
                    5,
                    Action::Write {
                        path: "src/a.txt".into(),
                        text: "one\ntwo".into()
                    }
                ),
                (6, Action::Commit("add a".into())),
                (7, Action::Say("hello there".into())),
                (8, Action::WaitMessage),
                (9, Action::Sleep(250)),
                (10, Action::Term("sh -c 'echo hi'".into())),
                (11, Action::Expect("hi".into())),
                (12, Action::Finish),
                (13, Action::Fail("it broke".into())),
                (14, Action::Trap),
                (15, Action::Spin),
                (16, Action::Grow),
            ]
        );
    }

    #[test]
    fn an_unknown_step_names_its_line() {
        let err = parse("#!scripted\nsay hi\n\nfrobnicate now").unwrap_err();
        assert_eq!(
            err,
            ParseError::BadLine {
                line: 4,
                reason: "unknown step `frobnicate`".into()
            }
        );
        assert_eq!(err.to_string(), "line 4: unknown step `frobnicate`");
    }

    #[test]
    fn missing_or_extra_arguments_are_errors() {
        assert!(one("run").is_err());
        assert!(one("say").is_err());
        assert!(one("write").is_err());
        assert!(one("sleep soon").is_err());
        assert!(one("sleep").is_err());
        assert!(one("finish now").is_err());
        assert!(one("wait-message please").is_err());
        assert_eq!(one("fail"), Ok(Action::Fail(String::new())));
    }

    #[test]
    fn ask_takes_a_question_and_its_choices() {
        assert_eq!(
            one("ask Allow rm? | Yes | Yes, always |No"),
            Ok(Action::Ask {
                text: "Allow rm?".into(),
                choices: vec!["Yes".into(), "Yes, always".into(), "No".into()],
            })
        );
        assert!(one("ask Allow rm?").is_err());
        assert!(one("ask | Yes").is_err());
        assert!(one("ask Allow? | Yes | ").is_err());
        assert!(
            Action::Ask {
                text: "q".into(),
                choices: vec!["y".into()]
            }
            .blocks()
        );
    }

    #[test]
    fn write_without_text_writes_an_empty_file() {
        assert_eq!(
            one("write empty.txt"),
            Ok(Action::Write {
                path: "empty.txt".into(),
                text: String::new()
            })
        );
    }

    #[test]
    fn unescape_handles_newlines_tabs_and_backslashes() {
        assert_eq!(unescape(r"a\nb\tc\\n\q\"), "a\nb\tc\\n\\q\\");
    }

    #[test]
    fn blocking_steps_are_the_waits() {
        assert!(Action::WaitMessage.blocks());
        assert!(Action::Sleep(1).blocks());
        assert!(Action::Expect("x".into()).blocks());
        assert!(!Action::Run("x".into()).blocks());
        assert!(!Action::Trap.blocks());
    }
}
