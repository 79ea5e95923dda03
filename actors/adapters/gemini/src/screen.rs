//! What Gemini CLI's screen says: its input prompt (`Type your message or @path/to/file`),
//! its spinner (`⠧ Thinking... (esc to cancel, 2s)`), an approval dialog (a tool's line,
//! the question, a numbered menu), or a dialog that blocks it which only the user can
//! clear (the auth dialogs, the "no access to the model" dialog). Screens as captured with
//! Gemini CLI 0.61.0 (docs/adapters.md, "Gemini CLI").

use terminal_agent::profile::ScreenState;
use terminal_agent::question::{Choice, ChoiceKind, Question, numbered_line};

/// Non-empty lines from the bottom that hold the dialog, the input box and the footer.
const BOTTOM_LINES: usize = 24;

const PLACEHOLDER: &str = "Type your message or @path/to/file";

pub fn read(text: &str) -> ScreenState {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let bottom = &lines[lines.len().saturating_sub(BOTTOM_LINES)..];
    if let Some(question) = approval(bottom) {
        return ScreenState::Asking(question);
    }
    if let Some(trouble) = trouble(bottom) {
        return ScreenState::Trouble(trouble);
    }
    if bottom.iter().any(|l| l.contains("esc to cancel")) {
        return ScreenState::Busy;
    }
    if bottom.iter().any(|l| l.contains(PLACEHOLDER)) {
        return ScreenState::Ready;
    }
    ScreenState::Unknown
}

/// An approval dialog: a numbered menu with an "Allow once" choice, under the tool's line
/// (`? Shell  echo hi`) and its question (`Allow execution of [Shell]?`, `Apply this change?`).
fn approval(bottom: &[&str]) -> Option<Question> {
    let menu: Vec<(usize, String)> = bottom.iter().filter_map(|l| numbered_line(l)).collect();
    if !menu
        .iter()
        .any(|(_, label)| label.starts_with("Allow once"))
    {
        return None;
    }
    let inner = |l: &&str| {
        l.trim_matches(|c: char| c == '│' || c.is_whitespace())
            .to_string()
    };
    let tool_line = bottom
        .iter()
        .map(inner)
        .rfind(|l| l.starts_with("? "))
        .map(|l| tool_and_what(&l[2..]))
        .unwrap_or_default();
    let asked = bottom
        .iter()
        .map(inner)
        .rfind(|l| l.ends_with('?') && !l.starts_with("? "))
        .unwrap_or_else(|| "Allow this tool call?".to_string());
    let choices = menu.iter().map(|(n, label)| choice(*n, label)).collect();
    Some(Question {
        text: asked,
        detail: tool_line,
        choices,
    })
}

/// `Shell  echo hi` → `Shell: echo hi` (the tool's name, then what it does).
fn tool_and_what(rest: &str) -> String {
    match rest.trim().split_once("  ") {
        Some((tool, what)) => format!("{}: {}", tool.trim(), what.trim()),
        None => rest.trim().to_string(),
    }
}

pub fn choice(number: usize, label: &str) -> Choice {
    let digit = number.to_string();
    if label.starts_with("Allow once") {
        Choice::new("allow", label, ChoiceKind::Allow, &[&digit])
    } else if label.starts_with("Allow for this session") || label.starts_with("Allow always") {
        Choice::new("allow-always", label, ChoiceKind::AllowAlways, &[&digit])
    } else if label.starts_with("No") {
        // Esc denies (and ends Gemini CLI's turn).
        Choice::new("deny", label, ChoiceKind::Deny, &["Escape"])
    } else {
        let id: String = label
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        Choice::new(&id, label, ChoiceKind::Other, &[&digit])
    }
}

/// Dialogs that stop Gemini CLI before it calls the model, which only its user can clear.
fn trouble(bottom: &[&str]) -> Option<String> {
    let has = |words: &str| bottom.iter().any(|l| l.contains(words));
    if has("How would you like to authenticate") || has("Enter Gemini API Key") {
        return Some(
            "Gemini CLI asks how to log in: the task's env lacks GEMINI_API_KEY, or its settings \
             were not written"
                .into(),
        );
    }
    if has("It seems like you don't have access to") {
        return Some(
            "Gemini CLI says it has no access to its model (the API answered 404); choose \
             another model or fix the proxy's upstream, then answer its dialog in the terminal"
                .into(),
        );
    }
    None
}

#[cfg(test)]
pub mod screens {
    //! Gemini CLI 0.61.0's screens, as captured in tmux (200 columns, trimmed).

    pub const READY: &str = "\
 > hello
✦ Hello from mock.

╭────────────────────────────────────────────────────────────────────────────╮
│ >   Type your message or @path/to/file                                     │
╰────────────────────────────────────────────────────────────────────────────╯
 workspace (main*)          no sandbox (see /docs)            gemini-2.5-pro  ? for shortcuts
";

    pub const BUSY: &str = "\
 > write the file
 ⠧ Thinking... (esc to cancel, 2s)

╭────────────────────────────────────────────────────────────────────────────╮
│ >   Type your message or @path/to/file                                     │
╰────────────────────────────────────────────────────────────────────────────╯
 workspace (main*)          no sandbox (see /docs)            gemini-2.5-pro
";

    pub const SHELL: &str = "\
 > SHELL please
╭─────────────────────────────────────────────────────────────────────────────╮
│ ? Shell  echo from-shell > shell.txt && ls                                  │
│ │ echo from-shell > shell.txt && ls                                       │ │
│ Allow execution of [Shell]?                                                 │
│ Redirection detected. To auto-accept, press Shift+Tab                       │
│ ● 1. Allow once                                                             │
│   2. Allow for this session                                                 │
│   3. No, suggest changes (esc)                                              │
╰─────────────────────────────────────────────────────────────────────────────╯
";

    pub const WRITE: &str = "\
╭─────────────────────────────────────────────────────────────────────────────╮
│ ? WriteFile  Writing to hello.txt                                           │
│ │ 1 hello from mock                                                       │ │
│ Apply this change?                                                          │
│ ● 1. Allow once                                                             │
│   2. Allow for this session                                                 │
│   3. Modify with external editor                                            │
│   4. No, suggest changes (esc)                                              │
╰─────────────────────────────────────────────────────────────────────────────╯
";

    pub const NO_ACCESS: &str = "\
│ It seems like you don't have access to gemini-2.5-pro.                                  │
│ Your admin might have disabled the access. Contact them to enable the Preview Release Channel. │
│ ● 1. Keep trying                                                                         │
│   2. Stop                                                                                │
";

    pub const AFTER_401: &str = "\
 > hello
✕ [API Error: {\"error\":{\"code\":401,\"message\":\"mock forced error\",\"status\":\"UNAUTHENTICATED\"}}]
ℹ This request failed. Press F12 for diagnostics, or run /settings and change \"Error Verbosity\" to full for full details.
╭────────────────────────────────────────────────────────────────────────────╮
│ >   Type your message or @path/to/file                                     │
╰────────────────────────────────────────────────────────────────────────────╯
";
}

#[cfg(test)]
mod tests {
    use super::screens::*;
    use super::*;

    #[test]
    fn ready_and_busy() {
        assert_eq!(read(READY), ScreenState::Ready);
        assert_eq!(read(BUSY), ScreenState::Busy);
        assert_eq!(
            read(AFTER_401),
            ScreenState::Ready,
            "a 401 ends the turn at the prompt"
        );
        assert_eq!(read(""), ScreenState::Unknown);
    }

    #[test]
    fn the_shell_approval_is_a_question_with_its_keys() {
        let ScreenState::Asking(q) = read(SHELL) else {
            panic!("{:?}", read(SHELL))
        };
        assert_eq!(q.text, "Allow execution of [Shell]?");
        assert_eq!(q.detail, "Shell: echo from-shell > shell.txt && ls");
        let ids: Vec<(&str, ChoiceKind, Vec<String>)> = q
            .choices
            .iter()
            .map(|c| (c.id.as_str(), c.kind, c.keys.clone()))
            .collect();
        assert_eq!(
            ids,
            [
                ("allow", ChoiceKind::Allow, vec!["1".to_string()]),
                (
                    "allow-always",
                    ChoiceKind::AllowAlways,
                    vec!["2".to_string()]
                ),
                ("deny", ChoiceKind::Deny, vec!["Escape".to_string()]),
            ]
        );
        assert_eq!(q.choices[2].label, "No, suggest changes (esc)");
    }

    #[test]
    fn the_write_approval_has_its_editor_choice_too() {
        let ScreenState::Asking(q) = read(WRITE) else {
            panic!()
        };
        assert_eq!(q.text, "Apply this change?");
        assert_eq!(q.detail, "WriteFile: Writing to hello.txt");
        assert_eq!(q.choices.len(), 4);
        assert_eq!(q.choices[2].id, "modify-with-external-editor");
        assert_eq!(q.choices[2].keys, ["3"]);
        assert_eq!(q.choices[3].kind, ChoiceKind::Deny);
    }

    #[test]
    fn a_model_without_access_is_trouble() {
        let ScreenState::Trouble(why) = read(NO_ACCESS) else {
            panic!()
        };
        assert!(why.contains("404"), "{why}");
    }
}
