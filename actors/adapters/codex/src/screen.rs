//! What Codex's screen says: its composer (`› Ask Codex to do anything` over the
//! `? for shortcuts` footer), a turn under way (`esc to interrupt`), or its approval
//! dialog (`Would you like to run the following command?` over a numbered menu whose
//! choices name their keys, `(y)`, `(esc)`). Screens as captured with Codex 0.171.0.

use terminal_agent::profile::ScreenState;
use terminal_agent::question::{Choice, ChoiceKind, Question, numbered_line};

const BOTTOM_LINES: usize = 24;

pub fn read(text: &str) -> ScreenState {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let bottom = &lines[lines.len().saturating_sub(BOTTOM_LINES)..];
    if let Some(question) = approval(bottom) {
        return ScreenState::Asking(question);
    }
    if bottom.iter().any(|l| l.contains("Sign in with ChatGPT")) {
        return ScreenState::Trouble(
            "Codex shows its login screen: its config.toml does not name plinth's provider".into(),
        );
    }
    let tail = &bottom[bottom.len().saturating_sub(8)..];
    if tail.iter().any(|l| l.contains("esc to interrupt")) {
        return ScreenState::Busy;
    }
    if tail.iter().any(|l| l.contains("for shortcuts")) {
        return ScreenState::Ready;
    }
    ScreenState::Unknown
}

/// The approval dialog: the last "Would you like to …?" with a numbered menu under it.
fn approval(bottom: &[&str]) -> Option<Question> {
    let at = bottom
        .iter()
        .rposition(|l| l.contains("Would you like to"))?;
    let after = &bottom[at + 1..];
    let menu: Vec<(usize, String)> = after.iter().filter_map(|l| numbered_line(l)).collect();
    if menu.is_empty() {
        return None;
    }
    let detail = after
        .iter()
        .map(|l| l.trim())
        .find_map(|l| l.strip_prefix("$ "))
        .or_else(|| {
            after
                .iter()
                .map(|l| l.trim())
                .find_map(|l| l.strip_prefix("Reason: "))
        })
        .unwrap_or("")
        .to_string();
    Some(Question {
        text: bottom[at].trim().to_string(),
        detail,
        choices: menu.iter().map(|(n, label)| choice(*n, label)).collect(),
    })
}

/// A choice and its keys: the key the label names in parentheses (`(y)`, `(esc)`), else
/// its number.
pub fn choice(number: usize, label: &str) -> Choice {
    let key = label
        .rsplit_once('(')
        .and_then(|(_, k)| k.strip_suffix(')'))
        .filter(|k| !k.contains(' '))
        .map(|k| {
            if k == "esc" {
                "Escape".to_string()
            } else {
                k.to_string()
            }
        })
        .unwrap_or_else(|| number.to_string());
    let lower = label.to_lowercase();
    let (id, kind) = if lower.starts_with("no") {
        ("deny".to_string(), ChoiceKind::Deny)
    } else if lower.starts_with("yes")
        && (lower.contains("don't ask") || lower.contains("always") || lower.contains("session"))
    {
        ("allow-always".to_string(), ChoiceKind::AllowAlways)
    } else if lower.starts_with("yes") {
        ("allow".to_string(), ChoiceKind::Allow)
    } else {
        let id = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        (id, ChoiceKind::Other)
    };
    Choice::new(&id, label, kind, &[&key])
}

#[cfg(test)]
pub mod screens {
    //! Codex 0.171.0's screens, as captured in tmux (trimmed).

    pub const READY: &str = "\
╭──────────────────────────────────────────────╮
│ >_ OpenAI Codex (v0.171.0)                   │
╰──────────────────────────────────────────────╯

› Ask Codex to do anything

  mock-model default · /workspace
  ← for agents · ? for shortcuts
";

    pub const WORKING: &str = "\
› SHELL please

• Working (3s • esc to interrupt)

› Ask Codex to do anything

  ← for agents · ? for shortcuts
";

    pub const APPROVAL: &str = "\
• Running touch asked.txt

  Would you like to run the following command?

  Environment: local

  Reason: `/bin/bash -lc 'touch asked.txt'` requires approval: plinth test: touch needs approval

  $ touch asked.txt

› 1. Yes, proceed (y)
  2. No, and tell Codex what to do differently (esc)

  Press enter to confirm or esc to cancel
";
}

#[cfg(test)]
mod tests {
    use super::screens::*;
    use super::*;

    #[test]
    fn ready_and_busy() {
        assert_eq!(read(READY), ScreenState::Ready);
        assert_eq!(read(WORKING), ScreenState::Busy);
        assert_eq!(read(""), ScreenState::Unknown);
    }

    #[test]
    fn the_approval_is_a_question_whose_choices_name_their_keys() {
        let ScreenState::Asking(q) = read(APPROVAL) else {
            panic!("{:?}", read(APPROVAL))
        };
        assert_eq!(q.text, "Would you like to run the following command?");
        assert_eq!(q.detail, "touch asked.txt");
        assert_eq!(q.choices.len(), 2);
        assert_eq!(
            (q.choices[0].id.as_str(), q.choices[0].kind),
            ("allow", ChoiceKind::Allow)
        );
        assert_eq!(q.choices[0].keys, ["y"]);
        assert_eq!(
            (q.choices[1].id.as_str(), q.choices[1].kind),
            ("deny", ChoiceKind::Deny)
        );
        assert_eq!(q.choices[1].keys, ["Escape"]);
    }

    #[test]
    fn other_choices_keep_their_own_keys() {
        let c = choice(2, "Yes, and don't ask again for this command (a)");
        assert_eq!(
            (c.id.as_str(), c.kind, c.keys.clone()),
            (
                "allow-always",
                ChoiceKind::AllowAlways,
                vec!["a".to_string()]
            )
        );
        assert_eq!(choice(3, "Something else").keys, ["3"]);
    }
}
