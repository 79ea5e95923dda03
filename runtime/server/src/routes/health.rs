use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app_state::AppState;

pub async fn show(State(state): State<AppState>) -> Json<Value> {
    let writer = state.store.writer_stats();
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "pid": std::process::id(),
        "uptime_ms": state.started.elapsed().as_millis() as u64,
        "last_seq": state.store.last_seq(),
        "store": {
            "queued": writer.queued,
            "written": writer.written,
            "last_error": writer.last_error,
        },
    }))
}
