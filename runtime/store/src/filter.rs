//! Which events a reader or subscriber wants. The same rule runs in SQL for stored events and
//! in `matches` for live ones, so both halves of a subscription agree.

use serde::{Deserialize, Serialize};

use crate::event::Event;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    /// An exact kind, or a family ending in `.*`: `task.*` matches `task.started` and
    /// `task.x.y`, not `task` itself.
    pub kind: Option<String>,
    pub task: Option<String>,
}

/// How a filter's `kind` constrains the kind column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum KindMatch<'a> {
    Any,
    Exact(&'a str),
    /// The prefix includes its trailing dot.
    Prefix(&'a str),
}

impl EventFilter {
    pub fn kind(kind: impl Into<String>) -> Self {
        EventFilter {
            kind: Some(kind.into()),
            task: None,
        }
    }

    pub fn task(task: impl Into<String>) -> Self {
        EventFilter {
            kind: None,
            task: Some(task.into()),
        }
    }

    pub fn matches(&self, event: &Event) -> bool {
        let kind_ok = match self.kind_match() {
            KindMatch::Any => true,
            KindMatch::Exact(kind) => event.kind == kind,
            KindMatch::Prefix(prefix) => event.kind.starts_with(prefix),
        };
        kind_ok
            && self
                .task
                .as_deref()
                .is_none_or(|task| event.task.as_deref() == Some(task))
    }

    pub(crate) fn kind_match(&self) -> KindMatch<'_> {
        match self.kind.as_deref() {
            None => KindMatch::Any,
            Some(kind) => match kind.strip_suffix('*') {
                Some(prefix) if prefix.ends_with('.') => KindMatch::Prefix(prefix),
                _ => KindMatch::Exact(kind),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn event(kind: &str, task: Option<&str>) -> Event {
        Event {
            seq: 1,
            kind: kind.into(),
            task: task.map(Into::into),
            at: Utc::now(),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn default_filter_matches_everything() {
        assert!(EventFilter::default().matches(&event("a", None)));
        assert!(EventFilter::default().matches(&event("b", Some("t"))));
    }

    #[test]
    fn exact_kind_matches_only_that_kind() {
        let f = EventFilter::kind("task.started");
        assert!(f.matches(&event("task.started", None)));
        assert!(!f.matches(&event("task.started.more", None)));
        assert!(!f.matches(&event("task", None)));
    }

    #[test]
    fn dot_star_kind_matches_the_family_but_not_its_root() {
        let f = EventFilter::kind("task.*");
        assert!(f.matches(&event("task.started", None)));
        assert!(f.matches(&event("task.x.y", None)));
        assert!(!f.matches(&event("task", None)));
        assert!(!f.matches(&event("tasks.started", None)));
    }

    #[test]
    fn a_star_without_a_dot_is_an_exact_kind() {
        assert_eq!(
            EventFilter::kind("task*").kind_match(),
            KindMatch::Exact("task*")
        );
    }

    #[test]
    fn task_filter_excludes_other_tasks_and_taskless_events() {
        let f = EventFilter::task("t1");
        assert!(f.matches(&event("a", Some("t1"))));
        assert!(!f.matches(&event("a", Some("t2"))));
        assert!(!f.matches(&event("a", None)));
    }

    #[test]
    fn kind_and_task_must_both_match() {
        let f = EventFilter {
            kind: Some("x.*".into()),
            task: Some("t1".into()),
        };
        assert!(f.matches(&event("x.a", Some("t1"))));
        assert!(!f.matches(&event("y.a", Some("t1"))));
        assert!(!f.matches(&event("x.a", Some("t2"))));
    }
}
