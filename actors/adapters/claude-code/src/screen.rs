//! What Claude Code's screen says about it, for what hooks do not tell: whether its input
//! prompt is there to type into, and whether a dialog (a permission prompt, a question, auto
//! mode's notice) is up.
//!
//! Only the bottom of the screen is read: the conversation above it quotes old prompts
//! (`> fix the bug`) that look just like the input line.

/// How many non-empty lines from the bottom hold the input box, its hints and status line.
const BOTTOM_LINES: usize = 8;

/// Claude Code is at its input prompt and not busy: a message pasted now is taken as a prompt.
pub fn input_ready(screen: &str) -> bool {
    let bottom = bottom(screen);
    !busy(screen)
        && !dialog_open(screen)
        && !bottom.iter().any(|l| is_menu_choice(l))
        && bottom.iter().any(|l| is_input_line(l))
}

/// A model call or a tool is running ("esc to interrupt" in the spinner line).
pub fn busy(screen: &str) -> bool {
    bottom(screen)
        .iter()
        .any(|l| l.to_lowercase().contains("esc to interrupt"))
}

/// A dialog is waiting for the user: a permission prompt ("Do you want to …?" over a
/// menu), or any of Claude Code's dialogs, which all end in an "Esc to cancel" footer (its
/// unnumbered menus, `❯ No` over `Yes`, would otherwise pass for the input line).
pub fn dialog_open(screen: &str) -> bool {
    let bottom = bottom(screen);
    // "Esc to reject" ends the dialogs Claude Code opens before its prompt (a project's
    // new MCP server, say).
    if bottom.iter().any(|l| {
        let l = l.to_lowercase();
        l.contains("esc to cancel") || l.contains("esc to reject")
    }) {
        return true;
    }
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(BOTTOM_LINES * 2)..];
    tail.iter().any(|l| l.contains("Do you want to")) && tail.iter().any(|l| is_menu_choice(l))
}

/// What an open dialog asks about, as the screen shows its tool call above it
/// (`● Bash(touch first.txt)`): the tool and its argument, the last such line on the
/// screen. `None` when no tool call is shown.
pub fn dialog_subject(screen: &str) -> Option<(String, String)> {
    screen.lines().rev().find_map(|line| {
        let call = line
            .trim_start()
            .strip_prefix(['●', '⏺'])?
            .trim_start()
            .strip_suffix(')')?;
        let (tool, argument) = call.split_once('(')?;
        let tool_like = !tool.is_empty()
            && tool
                .chars()
                .all(|c| c.is_alphanumeric() || "_-:.".contains(c));
        tool_like.then(|| (tool.to_string(), argument.to_string()))
    })
}

/// The last few non-empty lines: the input box, its hints and the status line.
pub fn bottom(screen: &str) -> Vec<&str> {
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(BOTTOM_LINES)..].to_vec()
}

/// The line after the input box's border, if it is the prompt character's line.
pub fn prompt_rest(line: &str) -> Option<&str> {
    let inner = line.trim_start_matches(|c: char| c == '│' || c == '|' || c.is_whitespace());
    let rest = inner
        .strip_prefix('❯')
        .or_else(|| inner.strip_prefix('>'))?;
    if rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace()) {
        Some(rest.trim())
    } else {
        None
    }
}

fn is_input_line(line: &str) -> bool {
    prompt_rest(line).is_some_and(|rest| !starts_numbered(rest))
}

/// A selected choice of a numbered menu (`❯ 1. Yes`): a dialog, not the input line.
pub fn is_menu_choice(line: &str) -> bool {
    prompt_rest(line).is_some_and(starts_numbered)
}

pub fn starts_numbered(text: &str) -> bool {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && text[digits..].starts_with('.')
}

#[cfg(test)]
mod subject_tests {
    use super::*;
    use crate::screens::{NUMBERED, UNNUMBERED};

    #[test]
    fn a_dialog_is_about_the_tool_call_drawn_above_it() {
        assert_eq!(
            dialog_subject(NUMBERED),
            Some(("Bash".into(), "touch first.txt".into()))
        );
        assert_eq!(
            dialog_subject(UNNUMBERED),
            Some(("Write".into(), ".git/info/plinth-first".into()))
        );
        assert_eq!(
            dialog_subject("● I'll write the file (now).\n Do you want to"),
            None
        );
        assert_eq!(dialog_subject("❯ 1. Yes"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READY: &str = "\
 ✻ Welcome to Claude Code!

╭──────────────────────────────────────────╮
│ > Try \"write a test for <filepath>\"      │
╰──────────────────────────────────────────╯
  ? for shortcuts
";

    const READY_NEW: &str = "\
 Claude Code v2.1.120
────────────────────────────────────────────
❯\u{a0}
────────────────────────────────────────────
  ⏵⏵ bypass permissions on (shift+tab to cycle)
";

    const BUSY: &str = "\
> fix the bug

✻ Pondering… (3s · ↓ 120 tokens · esc to interrupt)

────────────────────────────────────────────
❯
────────────────────────────────────────────
";

    const PERMISSION: &str = "\
> run ls

● Bash(ls -la)
╭──────────────────────────────────────────╮
│ Bash command                             │
│   ls -la                                 │
│ Do you want to proceed?                  │
│ ❯ 1. Yes                                 │
│   2. No, and tell Claude what to do      │
╰──────────────────────────────────────────╯
";

    const TRUST: &str = "\
 Do you trust the files in this folder?
 ❯ 1. Yes, proceed
   2. No, exit
";

    #[test]
    fn the_input_prompt_is_ready_in_old_and_new_layouts() {
        assert!(input_ready(READY));
        assert!(input_ready(READY_NEW));
        assert!(input_ready("❯"));
    }

    #[test]
    fn busy_dialogs_and_empty_screens_are_not_ready() {
        assert!(!input_ready(BUSY));
        assert!(busy(BUSY));
        assert!(!input_ready(PERMISSION));
        assert!(!input_ready(TRUST));
        assert!(!input_ready(""));
        assert!(!input_ready("$ claude\nLoading…"));
    }

    #[test]
    fn an_old_prompt_high_on_the_screen_is_not_the_input_line() {
        let mut screen = String::from("> an old prompt\n");
        for n in 0..12 {
            screen.push_str(&format!("● output line {n}\n"));
        }
        assert!(!input_ready(&screen));
    }

    use crate::screens::{MCP_SERVER, NOTICE, UNNUMBERED};

    #[test]
    fn dialogs_are_seen() {
        assert!(dialog_open(MCP_SERVER));
        assert!(
            !input_ready(MCP_SERVER),
            "its selected choice is no input line"
        );
        assert!(dialog_open(PERMISSION));
        assert!(dialog_open(UNNUMBERED));
        assert!(dialog_open(NOTICE));
        assert!(!dialog_open(READY));
        assert!(!dialog_open(READY_NEW));
        assert!(!dialog_open(BUSY));
        assert!(!dialog_open("Do you want to build a snowman?"));
    }

    #[test]
    fn an_unnumbered_menu_is_not_the_input_line() {
        assert!(!input_ready(UNNUMBERED));
        assert!(!input_ready(NOTICE));
    }

    #[test]
    fn prompt_characters_need_a_space_or_nothing_after_them() {
        assert!(!input_ready(">>> python"));
        assert!(!input_ready("❯foo"));
    }
}
