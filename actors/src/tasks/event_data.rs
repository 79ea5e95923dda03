//! What a task's lifecycle events (`task.created`, `task.running`, `task.finished`, ...)
//! carry: the task as stored, but with a preview of its prompt in place of the prompt.
//!
//! A task is saved a dozen times in its life, and the event log is append-only: with the
//! whole prompt in each event, a 2 MiB prompt grew the store by 18 MiB. The prompt is kept
//! once, in the task's record, and `GET /api/tasks/{id}` gives it whole; an event says that
//! the task changed, and how, which a preview is enough for.

use serde_json::Value;

use super::record::Task;
use crate::limits::PROMPT_PREVIEW_CHARS;

/// `task` as an event's data: `inputs.prompt` is replaced by `inputs.prompt_preview` (its
/// first [`PROMPT_PREVIEW_CHARS`] characters) and `inputs.prompt_bytes` (its whole length).
pub fn of(task: &Task) -> Value {
    let mut data = serde_json::to_value(task).unwrap_or_default();
    if let Some(inputs) = data.get_mut("inputs").and_then(Value::as_object_mut) {
        inputs.remove("prompt");
        inputs.insert("prompt_preview".into(), preview(&task.inputs.prompt).into());
        inputs.insert("prompt_bytes".into(), task.inputs.prompt.len().into());
    }
    data
}

/// The first [`PROMPT_PREVIEW_CHARS`] characters of `prompt`, with `…` when it goes on.
pub fn preview(prompt: &str) -> String {
    match prompt.char_indices().nth(PROMPT_PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &prompt[..cut]),
        None => prompt.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_prompt_is_cut_at_a_character_boundary_and_says_it_goes_on() {
        let prompt = "é".repeat(PROMPT_PREVIEW_CHARS + 5);
        let shown = preview(&prompt);
        assert_eq!(shown.chars().count(), PROMPT_PREVIEW_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(preview("fix the bug"), "fix the bug");
    }
}
