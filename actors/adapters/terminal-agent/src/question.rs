//! A question the agent puts to its user (an approval dialog, say), with the choices it
//! offers and the keys that pick each; and how a user's message answers one.
//!
//! A question is reported with the `ask` capability and a notification (see
//! `driver::Driver::ask`); its answer arrives as the `answer` signal with a choice's id, or
//! as a message, read here into a choice id.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// What is asked, in a line: "Allow Shell: touch a.txt?".
    pub text: String,
    /// More of it: the command in full, the file, the agent's reason.
    pub detail: String,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Stable within the question: "allow", "allow-always", "deny", or the label's words.
    pub id: String,
    /// As the agent shows it.
    pub label: String,
    pub kind: ChoiceKind,
    /// The tmux keys that pick it in the agent's dialog.
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChoiceKind {
    Allow,
    AllowAlways,
    Deny,
    Other,
}

impl Question {
    /// The status detail (and notification body) that names the question.
    pub fn summary(&self) -> String {
        if self.detail.is_empty() || self.text.contains(&self.detail) {
            self.text.clone()
        } else {
            format!("{} — {}", self.text, self.detail)
        }
    }

    pub fn choice(&self, id: &str) -> Option<&Choice> {
        self.choices.iter().find(|c| c.id == id)
    }

    fn first(&self, kind: ChoiceKind) -> Option<&Choice> {
        self.choices.iter().find(|c| c.kind == kind)
    }
}

impl Question {
    /// The question in the WIT's words (the keys are this adapter's own business).
    pub fn to_wit(&self) -> guest_support::plinth::agent::types::Question {
        use guest_support::plinth::agent::types as wit;
        wit::Question {
            text: self.text.clone(),
            detail: (!self.detail.is_empty()).then(|| self.detail.clone()),
            choices: self
                .choices
                .iter()
                .map(|c| wit::Choice {
                    id: c.id.clone(),
                    label: c.label.clone(),
                    kind: match c.kind {
                        ChoiceKind::Allow => wit::ChoiceKind::Allow,
                        ChoiceKind::AllowAlways => wit::ChoiceKind::AllowAlways,
                        ChoiceKind::Deny => wit::ChoiceKind::Deny,
                        ChoiceKind::Other => wit::ChoiceKind::Other,
                    },
                })
                .collect(),
        }
    }
}

impl Choice {
    pub fn new(id: &str, label: &str, kind: ChoiceKind, keys: &[&str]) -> Choice {
        Choice {
            id: id.to_string(),
            label: label.to_string(),
            kind,
            keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }
}

/// What a user's message says to a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Pick this choice (by id).
    Choose(String),
    /// Pick this (deny) choice, then give the agent the message as its next prompt
    /// ("No, and tell it what to do differently").
    Instead { choice: String, text: String },
}

const YES: [&str; 8] = [
    "y", "yes", "ok", "allow", "approve", "go on", "continue", "proceed",
];
const NO: [&str; 5] = ["n", "no", "deny", "reject", "cancel"];
const ALWAYS: [&str; 3] = ["always", "allow always", "yes always"];

/// Reads `message` as an answer to `question`: a yes word picks its allow choice, a no word
/// its deny choice, a choice's number, id or label picks that one, and anything else denies
/// and is the next prompt. `None` when the question has no choice to fit (no deny to
/// refuse with).
pub fn read(message: &str, question: &Question) -> Option<Reply> {
    let word = message.trim().trim_end_matches(['.', '!']).to_lowercase();
    let pick = |choice: Option<&Choice>| choice.map(|c| Reply::Choose(c.id.clone()));
    if YES.contains(&word.as_str()) {
        return pick(question.first(ChoiceKind::Allow));
    }
    if ALWAYS.contains(&word.as_str()) {
        return pick(question.first(ChoiceKind::AllowAlways));
    }
    if NO.contains(&word.as_str()) {
        return pick(question.first(ChoiceKind::Deny));
    }
    if let Ok(n) = word.parse::<usize>()
        && n >= 1
        && n <= question.choices.len()
    {
        return pick(question.choices.get(n - 1));
    }
    if let Some(choice) = question
        .choices
        .iter()
        .find(|c| c.id == word || c.label.to_lowercase() == word)
    {
        return pick(Some(choice));
    }
    let deny = question.first(ChoiceKind::Deny)?;
    Some(Reply::Instead {
        choice: deny.id.clone(),
        text: message.to_string(),
    })
}

/// A numbered menu line's number and label: `● 1. Allow once`, `› 2. No (esc)`, `│ 3. x │`.
pub fn numbered_line(line: &str) -> Option<(usize, String)> {
    let inner = line.trim_matches(|c: char| c == '│' || c == '|' || c.is_whitespace());
    let inner = inner
        .trim_start_matches(['●', '›', '❯', '>', '○'])
        .trim_start();
    let digits = inner.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || !inner[digits..].starts_with(". ") {
        return None;
    }
    let number = inner[..digits].parse().ok()?;
    let label = inner[digits + 2..]
        .trim_end_matches(|c: char| c == '│' || c.is_whitespace())
        .to_string();
    Some((number, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question() -> Question {
        Question {
            text: "Allow Shell?".into(),
            detail: "touch a".into(),
            choices: vec![
                Choice::new("allow", "Allow once", ChoiceKind::Allow, &["1"]),
                Choice::new(
                    "allow-always",
                    "Allow for this session",
                    ChoiceKind::AllowAlways,
                    &["2"],
                ),
                Choice::new(
                    "deny",
                    "No, suggest changes (esc)",
                    ChoiceKind::Deny,
                    &["Escape"],
                ),
            ],
        }
    }

    #[test]
    fn yes_no_numbers_and_labels_pick_choices() {
        let q = question();
        let choose = |id: &str| Some(Reply::Choose(id.into()));
        assert_eq!(read("yes", &q), choose("allow"));
        assert_eq!(read(" OK!\n", &q), choose("allow"));
        assert_eq!(read("allow", &q), choose("allow"));
        assert_eq!(read("always", &q), choose("allow-always"));
        assert_eq!(read("no.", &q), choose("deny"));
        assert_eq!(read("2", &q), choose("allow-always"));
        assert_eq!(read("allow once", &q), choose("allow"));
        assert_eq!(read("deny", &q), choose("deny"));
    }

    #[test]
    fn anything_else_denies_and_is_the_next_prompt() {
        assert_eq!(
            read("use /tmp instead", &question()),
            Some(Reply::Instead {
                choice: "deny".into(),
                text: "use /tmp instead".into()
            })
        );
        let no_deny = Question {
            choices: vec![Choice::new("ok", "OK", ChoiceKind::Allow, &["Enter"])],
            ..question()
        };
        assert_eq!(read("what?", &no_deny), None);
    }

    #[test]
    fn the_summary_names_the_question_and_its_detail() {
        assert_eq!(question().summary(), "Allow Shell? — touch a");
        let q = Question {
            detail: String::new(),
            ..question()
        };
        assert_eq!(q.summary(), "Allow Shell?");
    }

    #[test]
    fn numbered_lines_are_read_with_their_marks_and_borders() {
        assert_eq!(
            numbered_line("│ ● 1. Allow once                │"),
            Some((1, "Allow once".into()))
        );
        assert_eq!(
            numbered_line("  › 2. No, and tell Codex what to do differently (esc)"),
            Some((2, "No, and tell Codex what to do differently (esc)".into()))
        );
        assert_eq!(
            numbered_line("│   3. No, suggest changes (esc) │"),
            Some((3, "No, suggest changes (esc)".into()))
        );
        assert_eq!(numbered_line("1.5 seconds"), None);
        assert_eq!(numbered_line("> hello"), None);
    }
}
