use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app_state::AppState;

/// `status` is `ok`, or `store-failing` while the store refuses writes (the last write
/// failed and none succeeded since): plinth then runs but cannot record anything.
pub async fn show(State(state): State<AppState>) -> Json<Value> {
    let writer = state.store.writer_stats();
    let status = if writer.failing {
        "store-failing"
    } else {
        "ok"
    };
    Json(json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "pid": std::process::id(),
        "uptime_ms": state.started.elapsed().as_millis() as u64,
        "last_seq": state.store.last_seq(),
        "store": {
            "queued": writer.queued,
            "written": writer.written,
            "last_error": writer.last_error,
            "writable": !writer.failing,
        },
    }))
}
