//! Task ids people can read: a few words of the prompt and a random suffix, e.g.
//! `add-json-flag-7f3a`. The id names the container, the tmux sessions and the branch
//! `plinth/<id>`, so it keeps to what all three accept.

use crate::limits::SLUG_MAX;

/// A new id for a task asked `prompt`; `random` supplies the suffix (4 hex digits).
pub fn task_id(prompt: &str, random: u16) -> String {
    let mut slug = String::new();
    for word in prompt
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        let extra = usize::from(!slug.is_empty()) + word.len();
        if slug.len() + extra > SLUG_MAX {
            if slug.is_empty() {
                slug.push_str(&word[..SLUG_MAX]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    if slug.is_empty() {
        slug.push_str("task");
    }
    format!("{slug}-{random:04x}")
}

/// A fresh random suffix.
pub fn random_suffix() -> u16 {
    rand::random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_take_the_prompts_first_words_lowercased() {
        assert_eq!(
            task_id("Add a --json flag to `shop list`", 0x7f3a),
            "add-a-json-flag-to-shop-7f3a"
        );
    }

    #[test]
    fn ids_keep_only_characters_a_container_name_and_a_branch_accept() {
        let id = task_id("Fix: the ünicode/path..bug ~now^", 1);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{id}"
        );
        assert!(!id.contains("--"), "{id}");
    }

    #[test]
    fn an_empty_or_symbolic_prompt_still_gets_an_id_and_long_words_are_cut() {
        assert_eq!(task_id("!!!", 0xbeef), "task-beef");
        let long = "a".repeat(100);
        assert_eq!(task_id(&long, 2).len(), SLUG_MAX + 5);
    }
}
