//! A question a task's agent waits on, with the answers it offers (`events.ask` in the
//! WIT), as the task keeps it; and which of its choices a person's words pick.

use plinth_wasm::wit;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Stored in the task's record (as part of `TaskV3`): frozen with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Question {
    /// The question, in a line ("Allow Bash?").
    pub text: String,
    /// What it is about: the tool and its command, a path.
    pub detail: Option<String>,
    /// The answers offered, in the agent's order.
    pub choices: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Choice {
    /// The adapter's id for it, handed back in the `answer` signal.
    pub id: String,
    pub label: String,
    pub kind: ChoiceKind,
}

/// What a choice means, so that a UI can offer Approve and Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChoiceKind {
    Allow,
    AllowAlways,
    Deny,
    Other,
}

/// Words that name a choice by what it means rather than by its label.
const KIND_WORDS: [(&str, ChoiceKind); 6] = [
    ("yes", ChoiceKind::Allow),
    ("approve", ChoiceKind::Allow),
    ("allow", ChoiceKind::Allow),
    ("always", ChoiceKind::AllowAlways),
    ("no", ChoiceKind::Deny),
    ("deny", ChoiceKind::Deny),
];

impl Question {
    /// The choice `given` names: its id, its label (in any case), or a word for its kind
    /// (`yes`, `approve`, `allow`: the first allow choice; `always`: allow-always; `no`,
    /// `deny`: deny). `None` when it names none.
    pub fn pick(&self, given: &str) -> Option<&Choice> {
        let given = given.trim();
        self.choices
            .iter()
            .find(|c| c.id == given)
            .or_else(|| {
                self.choices
                    .iter()
                    .find(|c| c.label.eq_ignore_ascii_case(given))
            })
            .or_else(|| {
                let (_, kind) = KIND_WORDS
                    .iter()
                    .find(|(word, _)| word.eq_ignore_ascii_case(given))?;
                self.choices.iter().find(|c| c.kind == *kind)
            })
    }

    /// The choices as a person reads them: `"Yes" (1), "No" (3)`.
    pub fn choices_text(&self) -> String {
        self.choices
            .iter()
            .map(|c| format!("{:?} ({})", c.label, c.id))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl From<wit::Question> for Question {
    fn from(q: wit::Question) -> Self {
        Question {
            text: q.text,
            detail: q.detail,
            choices: q
                .choices
                .into_iter()
                .map(|c| Choice {
                    id: c.id,
                    label: c.label,
                    kind: c.kind.into(),
                })
                .collect(),
        }
    }
}

impl From<wit::ChoiceKind> for ChoiceKind {
    fn from(kind: wit::ChoiceKind) -> Self {
        match kind {
            wit::ChoiceKind::Allow => ChoiceKind::Allow,
            wit::ChoiceKind::AllowAlways => ChoiceKind::AllowAlways,
            wit::ChoiceKind::Deny => ChoiceKind::Deny,
            wit::ChoiceKind::Other => ChoiceKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permission() -> Question {
        let choice = |id: &str, label: &str, kind| Choice {
            id: id.into(),
            label: label.into(),
            kind,
        };
        Question {
            text: "Allow Bash?".into(),
            detail: Some("Bash: rm -rf target".into()),
            choices: vec![
                choice("1", "Yes", ChoiceKind::Allow),
                choice("2", "Yes, and don't ask again", ChoiceKind::AllowAlways),
                choice("3", "No", ChoiceKind::Deny),
            ],
        }
    }

    fn picked(given: &str) -> Option<String> {
        permission().pick(given).map(|c| c.id.clone())
    }

    #[test]
    fn a_choice_is_named_by_its_id_its_label_or_what_it_means() {
        assert_eq!(picked("2").as_deref(), Some("2"));
        assert_eq!(picked("yes, AND don't ask again").as_deref(), Some("2"));
        assert_eq!(picked("YES").as_deref(), Some("1"));
        assert_eq!(picked("approve").as_deref(), Some("1"));
        assert_eq!(picked("allow").as_deref(), Some("1"));
        assert_eq!(picked("always").as_deref(), Some("2"));
        assert_eq!(picked(" no ").as_deref(), Some("3"));
        assert_eq!(picked("deny").as_deref(), Some("3"));
        assert_eq!(picked("maybe"), None);
    }

    #[test]
    fn an_id_or_a_label_wins_over_a_kind_word() {
        let mut q = permission();
        q.choices[2].id = "yes".into();
        assert_eq!(q.pick("yes").map(|c| c.label.as_str()), Some("No"));
    }

    #[test]
    fn the_choices_read_as_labels_with_their_ids() {
        let text = permission().choices_text();
        assert!(
            text.starts_with(r#""Yes" (1), "Yes, and don't ask again" (2)"#),
            "{text}"
        );
    }
}
