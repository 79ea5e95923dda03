//! The actor tree over HTTP: a JSON snapshot (`plinth ps`), or, to a client that asks for
//! `text/event-stream`, a live stream of snapshots for the inspector.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use plinth_kernel::{ActorInfo, Registry};
use tokio::sync::watch;

use crate::api_error::ApiError;
use crate::app_state::AppState;
use crate::limits::COUNTERS_EVERY;
use crate::limits::SNAPSHOT_GATHER;
use crate::limits::SSE_KEEP_ALIVE;

pub async fn list_or_stream(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !wants_stream(&headers) {
        return Json(state.registry.snapshot()).into_response();
    }
    let stream = snapshots(state.registry.clone(), COUNTERS_EVERY)
        .take_until(state.shutdown.clone().cancelled_owned())
        .map(|snapshot| Ok::<_, Infallible>(to_sse(&snapshot)));
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(SSE_KEEP_ALIVE))
        .into_response()
}

/// By id (`7`) or by name (`root/projects`).
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ActorInfo>, ApiError> {
    state.registry.get(&id).map(Json).ok_or_else(|| {
        ApiError::not_found(format!("no actor {id:?}"))
            .with_hint("`plinth ps` lists the actors by id and name")
    })
}

fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"))
}

fn to_sse(snapshot: &[ActorInfo]) -> SseEvent {
    SseEvent::default()
        .json_data(snapshot)
        .unwrap_or_else(|_| SseEvent::default().data("[]"))
}

/// The tree now, then again each time it differs from what was last sent: at once after a
/// state, restart, error or shape change, within `counters_every` after a count changed.
/// Uptime alone is no change (the page counts it from `started_at`).
fn snapshots(
    registry: Arc<Registry>,
    counters_every: Duration,
) -> impl Stream<Item = Vec<ActorInfo>> {
    let changes = registry.watch();
    futures::stream::unfold(
        (registry, changes, None::<Vec<ActorInfo>>),
        move |(registry, mut changes, last)| async move {
            loop {
                changes.mark_unchanged();
                let snapshot = registry.snapshot();
                let seen = without_clock(&snapshot);
                if last.as_ref() != Some(&seen) {
                    return Some((snapshot, (registry, changes, Some(seen))));
                }
                wait_for_change(&mut changes, counters_every).await;
            }
        },
    )
}

async fn wait_for_change(changes: &mut watch::Receiver<u64>, counters_every: Duration) {
    tokio::select! {
        changed = changes.changed() => {
            if changed.is_ok() {
                tokio::time::sleep(SNAPSHOT_GATHER).await;
            } else {
                // The registry is gone (the server is stopping): counters only, till the end.
                tokio::time::sleep(counters_every).await;
            }
        }
        _ = tokio::time::sleep(counters_every) => {}
    }
}

fn without_clock(snapshot: &[ActorInfo]) -> Vec<ActorInfo> {
    snapshot
        .iter()
        .cloned()
        .map(|info| ActorInfo {
            uptime_ms: 0,
            ..info
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use super::*;

    async fn next_within(
        stream: &mut (impl Stream<Item = Vec<ActorInfo>> + Unpin),
        limit: Duration,
    ) -> Option<Vec<ActorInfo>> {
        tokio::time::timeout(limit, stream.next())
            .await
            .ok()
            .flatten()
    }

    #[tokio::test]
    async fn the_stream_sends_the_tree_then_each_change_and_nothing_while_quiet() {
        let registry = Arc::new(Registry::new());
        let probe = registry.register_probe("root/store", "store-writer", None, || {
            plinth_kernel::ProbeReading {
                state: plinth_kernel::ActorState::Running,
                mailbox: 0,
                handled: 0,
                last_error: None,
            }
        });
        // Counters looked at rarely: a change shows well before, so it came by the watch.
        let mut stream = pin!(snapshots(registry.clone(), Duration::from_secs(60)));
        let first = next_within(&mut stream, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(first.len(), 1);
        assert!(
            next_within(&mut stream, Duration::from_millis(300))
                .await
                .is_none(),
            "nothing moved, nothing is sent"
        );

        let second = registry.register_probe("root/other", "probe", None, || {
            plinth_kernel::ProbeReading {
                state: plinth_kernel::ActorState::Failed,
                mailbox: 0,
                handled: 0,
                last_error: Some("boom".into()),
            }
        });
        let grown = next_within(&mut stream, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(grown.len(), 2);
        assert_eq!(grown[1].last_error.as_deref(), Some("boom"));

        registry.unregister(second);
        registry.unregister(probe);
        let empty = next_within(&mut stream, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(empty.is_empty(), "{empty:?}");
    }

    #[tokio::test]
    async fn counters_reach_the_stream_at_its_own_pace() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let registry = Arc::new(Registry::new());
        let handled = Arc::new(AtomicU64::new(0));
        let read = handled.clone();
        registry.register_probe("root/store", "store-writer", None, move || {
            plinth_kernel::ProbeReading {
                state: plinth_kernel::ActorState::Running,
                mailbox: 0,
                handled: read.load(Ordering::Relaxed),
                last_error: None,
            }
        });
        let mut stream = pin!(snapshots(registry.clone(), Duration::from_millis(100)));
        next_within(&mut stream, Duration::from_secs(5))
            .await
            .unwrap();
        handled.store(7, Ordering::Relaxed);
        let counted = next_within(&mut stream, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(counted[0].handled, 7);
    }
}
