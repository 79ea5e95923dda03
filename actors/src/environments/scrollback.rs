//! Persisted scrollback: each task's tmux sessions are captured into the store (one row per
//! task and stream, the stream being the session's short name), so what an agent printed
//! can still be read after its container is gone. The manager captures on a timer, at
//! every `task.status` event, and right before it stops or removes an environment.
//!
//! A capture is the whole text again, so most captures of an idle task repeat the last
//! one: a hash of what was last written per stream keeps those from reaching the store's
//! writer at all (and the store itself leaves an identical row untouched, which covers the
//! first capture after a restart, when the hashes are gone).

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use plinth_store::{EventFilter, Store, StoreError};
use plinth_wasm::TmuxCap;
use plinth_wasm::wit::CapError;

use crate::agent_host::{TaskSandbox, kind};
use crate::limits::SCROLLBACK_MAX_BYTES;
use crate::limits::SCROLLBACK_MAX_LINES;

#[derive(Debug, thiserror::Error)]
pub enum ScrollbackError {
    #[error("cannot read the scrollback of task {task}: {detail}")]
    Tmux { task: String, detail: String },
    #[error("cannot store the scrollback of task {task}: {source}")]
    Store { task: String, source: StoreError },
}

/// Stream name to the hash of its text last written.
type Written = HashMap<String, u64>;

/// Captures tasks' scrollback into the store. Cheap to clone; clones share what was last
/// written, so the timer, the status events and the stop hooks never write the same text
/// twice.
#[derive(Clone)]
pub struct ScrollbackCapture {
    store: Store,
    /// Per task, the hash of the text last written per stream. A task's entry is locked
    /// for its whole capture, so two captures of one task (a timer round and a stop) cannot
    /// interleave and leave the older text last, while other tasks are not held up.
    written: Arc<Mutex<HashMap<String, Arc<Mutex<Written>>>>>,
    /// A timer round is running: a slow round (many containers) is not joined by the next.
    round: Arc<AtomicBool>,
}

impl ScrollbackCapture {
    pub fn new(store: Store) -> Self {
        ScrollbackCapture {
            store,
            written: Arc::default(),
            round: Arc::default(),
        }
    }

    /// Captures every stream of `task` and stores those that changed; returns how many
    /// rows were written. Blocks on tmux (an exec per call for a container) and on the
    /// store's writer: run it off any async thread.
    pub fn capture(&self, task: &str, sandbox: &dyn TaskSandbox) -> Result<usize, ScrollbackError> {
        let sessions = sandbox.task_sessions();
        let tmux_error = |err: CapError| ScrollbackError::Tmux {
            task: task.to_owned(),
            detail: describe(&err),
        };
        let task_entry = self
            .written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(task.to_owned())
            .or_default()
            .clone();
        let mut written = task_entry.lock().unwrap_or_else(|e| e.into_inner());
        let mut rows = 0;
        for stream in sessions.names().map_err(tmux_error)? {
            let text = match sessions.capture_history(&stream, SCROLLBACK_MAX_LINES) {
                Ok(text) => bound(text),
                // It ended between the listing and the capture: nothing left to read.
                Err(CapError::NotFound(_)) => continue,
                Err(err) => return Err(tmux_error(err)),
            };
            let hash = hash(&text);
            if written.get(&stream) == Some(&hash) {
                continue;
            }
            let put = self.store.put_scrollback(task, &stream, text);
            let changed =
                futures::executor::block_on(put).map_err(|source| ScrollbackError::Store {
                    task: task.to_owned(),
                    source,
                })?;
            rows += usize::from(changed);
            written.insert(stream, hash);
        }
        Ok(rows)
    }

    /// The capture before an environment's processes end: a failure is logged, never a
    /// reason not to stop.
    pub fn last_capture(&self, task: &str, sandbox: Option<&dyn TaskSandbox>) {
        let Some(sandbox) = sandbox else { return };
        if let Err(err) = self.capture(task, sandbox) {
            tracing::warn!(%err, "the last scrollback before stopping is lost");
        }
    }

    /// Forgets what was written for `task` (its environment is gone), so the hashes do not
    /// grow with every task ever run.
    pub fn forget(&self, task: &str) {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(task);
    }

    /// A timer round: captures every environment on a blocking thread, unless the previous
    /// round is still running. Returns at once.
    pub fn round(&self, environments: Vec<(String, Arc<dyn TaskSandbox>)>) {
        if environments.is_empty() || self.round.swap(true, Ordering::AcqRel) {
            return;
        }
        let capture = self.clone();
        tokio::task::spawn_blocking(move || {
            let _done = RoundDone(capture.round.clone());
            for (task, sandbox) in environments {
                if let Err(err) = capture.capture(&task, sandbox.as_ref()) {
                    tracing::debug!(%err, "scrollback capture failed; the next round tries again");
                }
            }
        });
    }
}

/// Ends the round however the round ends (a panic included).
struct RoundDone(Arc<AtomicBool>);

impl Drop for RoundDone {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The task of every `task.status` event appended from now on, until the store closes.
pub fn status_changes(store: &Store) -> impl Stream<Item = String> + use<> {
    let filter = EventFilter {
        kind: Some(kind::STATUS.to_owned()),
        task: None,
    };
    store
        .subscribe(filter, store.last_seq())
        .filter_map(|event| futures::future::ready(event.ok().and_then(|e| e.task)))
}

/// Keeps the newest whole lines of `text` that fit in [`SCROLLBACK_MAX_BYTES`].
pub fn bound(text: String) -> String {
    if text.len() <= SCROLLBACK_MAX_BYTES {
        return text;
    }
    let mut start = text.len() - SCROLLBACK_MAX_BYTES;
    // Start at the next whole line when there is one, else at a character boundary.
    match text[start..].find('\n') {
        Some(newline) if start + newline + 1 < text.len() => start += newline + 1,
        _ => {
            while !text.is_char_boundary(start) {
                start += 1;
            }
        }
    }
    text[start..].to_owned()
}

fn hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

fn describe(err: &CapError) -> String {
    match err {
        CapError::NotFound(m)
        | CapError::AccessDenied(m)
        | CapError::Timeout(m)
        | CapError::Invalid(m)
        | CapError::Failed(m) => m.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_within_the_byte_cap_is_kept_whole() {
        let text = "a\nb\nc".to_string();
        assert_eq!(bound(text.clone()), text);
        let exact = "x".repeat(SCROLLBACK_MAX_BYTES);
        assert_eq!(bound(exact.clone()), exact);
    }

    #[test]
    fn over_the_byte_cap_the_newest_whole_lines_are_kept() {
        let line = format!("{}\n", "y".repeat(99));
        let text = format!("{}last", line.repeat(SCROLLBACK_MAX_BYTES / 100 + 10));
        let kept = bound(text.clone());
        assert!(kept.len() <= SCROLLBACK_MAX_BYTES, "{} bytes", kept.len());
        assert!(
            kept.len() > SCROLLBACK_MAX_BYTES - 100,
            "only {} bytes",
            kept.len()
        );
        assert!(kept.ends_with("last"));
        assert!(kept.starts_with('y'), "starts on a whole line");
        assert!(text.ends_with(&kept));
    }

    #[test]
    fn one_line_longer_than_the_cap_keeps_its_end_on_a_character_boundary() {
        let text = "é".repeat(SCROLLBACK_MAX_BYTES);
        let kept = bound(text);
        assert!(kept.len() <= SCROLLBACK_MAX_BYTES);
        assert!(kept.chars().all(|c| c == 'é'));
    }

    #[test]
    fn a_cut_just_before_the_final_newline_keeps_the_tail_rather_than_nothing() {
        let text = format!("{}\n", "z".repeat(SCROLLBACK_MAX_BYTES + 5));
        let kept = bound(text);
        assert!(!kept.is_empty());
        assert!(kept.len() <= SCROLLBACK_MAX_BYTES);
    }
}
