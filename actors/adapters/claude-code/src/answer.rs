//! A message sent while a dialog waits for the user is the user's answer to it: "yes"
//! picks the dialog's plain yes, "always" its yes-and-don't-ask-again, "no" cancels it, and
//! anything else cancels it and goes to Claude Code as the next prompt ("No, and tell
//! Claude what to do differently"). The dialog is also asked as a question ([`CHOICES`]),
//! whose `answer` is read the same way.

use crate::plinth::agent::types::{Choice, ChoiceKind, Question};
use crate::screen;

/// The choices a dialog is offered with, by id: each id is also a message [`read`] takes.
pub const CHOICES: [(&str, &str, ChoiceKind); 3] = [
    ("yes", "Yes", ChoiceKind::Allow),
    (
        "always",
        "Yes, and don't ask again",
        ChoiceKind::AllowAlways,
    ),
    ("no", "No", ChoiceKind::Deny),
];

/// A dialog as a question: `text` in a line, `detail` what it is about.
pub fn question(text: &str, detail: Option<&str>) -> Question {
    Question {
        text: text.to_string(),
        detail: detail.map(str::to_string),
        choices: CHOICES
            .iter()
            .map(|(id, label, kind)| Choice {
                id: id.to_string(),
                label: label.to_string(),
                kind: *kind,
            })
            .collect(),
    }
}

/// What a message says to a dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Yes,
    /// Yes, and don't ask again for the like.
    Always,
    No,
    /// Cancel, then tell Claude this instead.
    Instead(String),
}

const YES: [&str; 8] = [
    "y", "yes", "1", "ok", "allow", "approve", "go on", "continue",
];
const NO: [&str; 5] = ["n", "no", "deny", "reject", "cancel"];
const ALWAYS: [&str; 4] = ["always", "yes, always", "yes always", "don't ask again"];

pub fn read(message: &str) -> Answer {
    let word = message.trim().trim_end_matches(['.', '!']).to_lowercase();
    if YES.contains(&word.as_str()) {
        Answer::Yes
    } else if NO.contains(&word.as_str()) {
        Answer::No
    } else if ALWAYS.contains(&word.as_str()) {
        Answer::Always
    } else {
        Answer::Instead(message.to_string())
    }
}

/// The keys that give `answer` to the dialog on `screen`. A menu's "Yes" is picked by its
/// number when it has one, else by moving the selection to it; a dialog with no yes in a
/// menu (a notice) is confirmed with Enter. Escape cancels every dialog.
pub fn keys(answer: &Answer, screen_text: &str) -> Vec<String> {
    match answer {
        Answer::No | Answer::Instead(_) => vec!["Escape".into()],
        Answer::Yes => match Menu::read(screen_text) {
            Some(menu) => menu.pick_yes(),
            None => vec!["Enter".into()],
        },
        Answer::Always => match Menu::read(screen_text) {
            Some(menu) => menu.pick_always(),
            None => vec!["Enter".into()],
        },
    }
}

/// The choices of the dialog's menu: the lines between its question and its footer.
#[derive(Debug, PartialEq, Eq)]
struct Menu {
    /// Each choice's text, without the selection mark or number.
    choices: Vec<String>,
    selected: usize,
    numbered: bool,
}

impl Menu {
    fn read(screen_text: &str) -> Option<Menu> {
        let lines: Vec<&str> = screen_text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let question = lines.iter().rposition(|l| l.contains("Do you want to"))?;
        let after = &lines[question + 1..];
        let footer = after
            .iter()
            .position(|l| l.to_lowercase().contains("esc to cancel"))
            .unwrap_or(after.len());
        let mut menu = Menu {
            choices: Vec::new(),
            selected: 0,
            numbered: false,
        };
        for line in &after[..footer] {
            let text = line.trim_matches(|c: char| c == '│' || c.is_whitespace());
            let (text, selected) = match screen::prompt_rest(line) {
                Some(rest) => (rest, true),
                None => (text, false),
            };
            if selected {
                menu.selected = menu.choices.len();
            }
            let digits = text.chars().take_while(char::is_ascii_digit).count();
            let text = if screen::starts_numbered(text) {
                menu.numbered = true;
                text[digits + 1..].trim()
            } else {
                text
            };
            menu.choices.push(text.to_string());
        }
        (!menu.choices.is_empty()).then_some(menu)
    }

    fn pick_yes(&self) -> Vec<String> {
        let Some(yes) = self.choices.iter().position(|c| {
            let lower = c.to_lowercase();
            lower == "yes" || lower.starts_with("yes,") || lower.starts_with("yes ")
        }) else {
            return vec!["Enter".into()];
        };
        self.pick(yes)
    }

    /// The yes that stops Claude Code asking again ("Yes, and don't ask again for ...",
    /// "Yes, and always allow ..."); the plain yes when the menu has none.
    fn pick_always(&self) -> Vec<String> {
        let always = self.choices.iter().position(|c| {
            let lower = c.to_lowercase();
            lower.starts_with("yes, and")
                && (lower.contains("always") || lower.contains("ask again"))
        });
        match always {
            Some(always) => self.pick(always),
            None => self.pick_yes(),
        }
    }

    fn pick(&self, yes: usize) -> Vec<String> {
        if self.numbered {
            return vec![(yes + 1).to_string()];
        }
        let step = if yes > self.selected { "Down" } else { "Up" };
        let mut keys = vec![step.to_string(); yes.abs_diff(self.selected)];
        keys.push("Enter".into());
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::screens::{NOTICE, NUMBERED, UNNUMBERED};

    fn keys_for(answer: &str, screen: &str) -> Vec<String> {
        keys(&read(answer), screen)
    }

    #[test]
    fn a_message_reads_as_yes_no_or_an_instruction() {
        assert_eq!(read("yes"), Answer::Yes);
        assert_eq!(read(" Y \n"), Answer::Yes);
        assert_eq!(read("OK!"), Answer::Yes);
        assert_eq!(read("no."), Answer::No);
        assert_eq!(
            read("no, use /tmp instead"),
            Answer::Instead("no, use /tmp instead".into())
        );
    }

    #[test]
    fn yes_picks_the_plain_yes_by_number_when_the_menu_is_numbered() {
        assert_eq!(keys_for("yes", NUMBERED), ["1"]);
    }

    #[test]
    fn yes_moves_the_selection_to_yes_in_an_unnumbered_menu() {
        assert_eq!(keys_for("yes", UNNUMBERED), ["Down", "Enter"]);
        let yes_first = UNNUMBERED.replace(" ❯ No\n   Yes", "   Yes\n ❯ No");
        assert_eq!(keys_for("yes", &yes_first), ["Up", "Enter"]);
    }

    #[test]
    fn yes_confirms_a_dialog_without_a_menu() {
        assert_eq!(keys_for("yes", NOTICE), ["Enter"]);
    }

    #[test]
    fn always_picks_the_yes_that_stops_the_asking() {
        assert_eq!(read("always"), Answer::Always);
        assert_eq!(keys_for("always", NUMBERED), ["2"]);
        assert_eq!(keys_for("always", UNNUMBERED), ["Down", "Enter"]);
    }

    #[test]
    fn every_choice_id_reads_as_its_answer() {
        let answers: Vec<Answer> = CHOICES.iter().map(|(id, _, _)| read(id)).collect();
        assert_eq!(answers, [Answer::Yes, Answer::Always, Answer::No]);
        let q = question("Allow Bash?", Some("Bash: ls"));
        assert_eq!(q.choices.len(), 3);
        assert_eq!(q.detail.as_deref(), Some("Bash: ls"));
    }

    #[test]
    fn no_and_instructions_cancel_the_dialog() {
        assert_eq!(keys_for("no", NUMBERED), ["Escape"]);
        assert_eq!(keys_for("use printf instead", UNNUMBERED), ["Escape"]);
    }

    #[test]
    fn the_menu_is_read_between_the_question_and_the_footer() {
        let menu = Menu::read(UNNUMBERED).unwrap();
        assert_eq!(menu.choices, ["No", "Yes"]);
        assert_eq!(menu.selected, 0);
        assert!(!menu.numbered);
        let menu = Menu::read(NUMBERED).unwrap();
        assert_eq!(menu.choices.len(), 4);
        assert_eq!(menu.choices[3], "No");
        assert!(menu.numbered);
    }
}
