//! The event log over HTTP: a JSON page for scripts and the CLI, or an SSE stream that
//! resumes from a cursor (`?after=SEQ` or the browser's `Last-Event-ID`) so a reconnect
//! gets exactly what it missed.

use std::convert::Infallible;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use plinth_store::{Event, EventFilter, NewEvent};
use serde::Deserialize;

use crate::api_error::ApiError;
use crate::app_state::AppState;
use crate::limits::EVENTS_DEFAULT_PAGE;
use crate::limits::EVENTS_MAX_PAGE;
use crate::limits::SSE_KEEP_ALIVE;

#[derive(Deserialize)]
pub struct EventsQuery {
    after: Option<u64>,
    kind: Option<String>,
    task: Option<String>,
    limit: Option<usize>,
}

pub async fn list_or_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let after = match query.after {
        Some(after) => after,
        None => last_event_id(&headers)?.unwrap_or(0),
    };
    let filter = EventFilter {
        kind: query.kind,
        task: query.task,
    };
    if wants_json(&headers) {
        let limit = query
            .limit
            .unwrap_or(EVENTS_DEFAULT_PAGE)
            .clamp(1, EVENTS_MAX_PAGE);
        let store = state.store.clone();
        let events = tokio::task::spawn_blocking(move || store.read(&filter, after, limit))
            .await
            .map_err(ApiError::internal)??;
        return Ok(Json(events).into_response());
    }
    let stream = state
        .store
        .subscribe(filter, after)
        .take_until(state.shutdown.clone().cancelled_owned())
        .scan((), |_, item| {
            // A store failure ends the stream; the client reconnects from its cursor.
            futures::future::ready(item.ok())
        })
        .map(|event| Ok::<_, Infallible>(to_sse(&event)));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(SSE_KEEP_ALIVE))
        .into_response())
}

fn to_sse(event: &Event) -> SseEvent {
    SseEvent::default()
        .id(event.seq.to_string())
        .json_data(event)
        .unwrap_or_else(|_| SseEvent::default().id(event.seq.to_string()).data("{}"))
}

fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/event-stream")
}

fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| ApiError::bad_request("Last-Event-ID must be an event sequence number"))
}

#[derive(Deserialize)]
pub struct AppendBody {
    kind: String,
    task: Option<String>,
    #[serde(default)]
    data: serde_json::Value,
}

/// Integrations may append their own events under `ext.`; plinth's own kinds (task status,
/// notifications) cannot be forged through this door.
pub async fn append(
    State(state): State<AppState>,
    body: Result<Json<AppendBody>, JsonRejection>,
) -> Result<Json<Event>, ApiError> {
    let Json(body) = body.map_err(ApiError::from)?;
    if !valid_external_kind(&body.kind) {
        return Err(ApiError::bad_request(format!("event kind {:?} is not allowed here", body.kind))
            .with_hint("kinds appended through the API start with `ext.` and use a-z, 0-9, `.`, `_`, `-` (at most 64 characters)"));
    }
    let mut event = NewEvent::new(body.kind, body.data);
    if let Some(task) = body.task {
        event = event.for_task(task);
    }
    Ok(Json(state.store.append(event).await?))
}

fn valid_external_kind(kind: &str) -> bool {
    kind.len() <= 64
        && kind.strip_prefix("ext.").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ext_kinds_can_be_appended_from_outside() {
        assert!(valid_external_kind("ext.deploy"));
        assert!(valid_external_kind("ext.ci.run-1"));
        assert!(!valid_external_kind("ext."));
        assert!(!valid_external_kind("notification"));
        assert!(!valid_external_kind("ext.Upper"));
        assert!(!valid_external_kind(&format!("ext.{}", "a".repeat(64))));
    }

    #[test]
    fn json_is_chosen_only_when_asked_for_without_sse() {
        let mut h = HeaderMap::new();
        assert!(!wants_json(&h));
        h.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(wants_json(&h));
        h.insert(
            header::ACCEPT,
            "text/event-stream, application/json".parse().unwrap(),
        );
        assert!(!wants_json(&h));
    }
}
