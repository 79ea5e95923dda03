//! Notifications: a task needs its user, or it ended. Each is an event of kind
//! `notification` (adapters raise theirs through the `events` capability; plinth raises one
//! when a task finishes or fails), and the configured `tasks.notify_command` runs for each.

use std::future::Future;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::limits::NOTIFY_COMMAND_LIMIT;
use crate::limits::POLL;
use futures::StreamExt;
use plinth_store::{Event, EventFilter, NewEvent, Store, StoreError};
use serde_json::json;

pub use crate::agent_host::kind::NOTIFICATION;

/// The store cursor of the notify command: the last notification it ran for.
const NOTIFY_CURSOR: &str = "task-service/notify";

/// Appends a notification for `task`.
pub async fn notify(
    store: &Store,
    task: &str,
    title: &str,
    body: &str,
    urgency: &str,
) -> Result<(), StoreError> {
    store
        .append(
            NewEvent::new(
                NOTIFICATION,
                json!({"title": title, "body": body, "urgency": urgency}),
            )
            .for_task(task),
        )
        .await
        .map(|_| ())
}

/// Runs `command` (`sh -c`) for the notification `event`, its details in `PLINTH_NOTIFY_*`.
/// Blocks for up to `NOTIFY_COMMAND_LIMIT`: call it from a blocking thread.
pub fn run_command(command: &str, event: &Event) -> Result<(), String> {
    let text = |key: &str| event.data[key].as_str().unwrap_or_default().to_string();
    let mut child = Command::new("sh")
        .args(["-c", command])
        .env("PLINTH_NOTIFY_TITLE", text("title"))
        .env("PLINTH_NOTIFY_BODY", text("body"))
        .env("PLINTH_NOTIFY_URGENCY", text("urgency"))
        .env("PLINTH_NOTIFY_TASK", event.task.clone().unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the notify command: {e}"))?;
    let deadline = Instant::now() + NOTIFY_COMMAND_LIMIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("the notify command failed ({status})")),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the notify command ran past {} s and was killed",
                    NOTIFY_COMMAND_LIMIT.as_secs()
                ));
            }
            Err(e) => return Err(format!("waiting for the notify command: {e}")),
        }
    }
}

/// Runs `command` for every notification, from its cursor (the first start begins at the
/// present: notifications from before it was configured are old news), for as long as the
/// future returned is polled.
pub(super) fn follow(store: &Store, command: String) -> impl Future<Output = ()> + use<> {
    let store = store.clone();
    let after = match store.get_cursor(NOTIFY_CURSOR).ok().flatten() {
        Some(seq) => seq,
        None => store.last_seq(),
    };
    let mut notifications = store.subscribe(EventFilter::kind(NOTIFICATION), after);
    async move {
        while let Some(Ok(event)) = notifications.next().await {
            let seq = event.seq;
            let command = command.clone();
            let ran = tokio::task::spawn_blocking(move || run_command(&command, &event))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
            if let Err(err) = ran {
                tracing::warn!(%err, seq, "the notify command");
            }
            let _ = store.set_cursor(NOTIFY_CURSOR, seq).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            seq: 7,
            kind: NOTIFICATION.into(),
            task: Some("fix-1a2b".into()),
            at: chrono::Utc::now(),
            data: json!({"title": "Claude Code needs you", "body": "allow Bash?", "urgency": "needs-attention"}),
        }
    }

    #[test]
    fn the_command_gets_the_notifications_details() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let command = format!(
            "printf '%s|%s|%s|%s' \"$PLINTH_NOTIFY_TITLE\" \"$PLINTH_NOTIFY_BODY\" \"$PLINTH_NOTIFY_URGENCY\" \"$PLINTH_NOTIFY_TASK\" > {}",
            out.display()
        );
        run_command(&command, &event()).unwrap();
        assert_eq!(
            std::fs::read_to_string(out).unwrap(),
            "Claude Code needs you|allow Bash?|needs-attention|fix-1a2b"
        );
    }

    #[test]
    fn a_failing_command_says_so() {
        let err = run_command("exit 3", &event()).unwrap_err();
        assert!(err.contains("failed"), "{err}");
    }
}
