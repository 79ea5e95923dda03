//! Stored shapes are frozen: each version's JSON Schema and a sample of its stored form live
//! in `tests/frozen/`. Editing a stored struct without adding a new version fails here; a new
//! version's files are written by running once with `PLINTH_BLESS=1` (existing files are
//! never rewritten), then committed.

use std::path::PathBuf;

use plinth_actors::agent_host::{AdapterStartsRecord, AdapterStateRecord};
use plinth_actors::agents::InstalledAgentRecord;
use plinth_actors::environments::record::EnvironmentRecord;
use plinth_actors::projects::ProjectRecord;
use plinth_actors::spend::SpendRecord;
use plinth_actors::task_inputs::TaskInputsRecord;
use plinth_actors::tasks::TaskRecord;
use plinth_actors::tasks::sync_record::TaskSyncRecord;
use plinth_store::frozen::check_frozen;
use serde_json::json;

fn frozen_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/frozen")
}

#[test]
fn project_records_keep_their_stored_shape() {
    let v1 = json!({
        "version": "1",
        "id": "shop-a1b2c3",
        "name": "shop",
        "path": "/home/ada/src/shop",
        "added_at": "2026-11-24T10:00:00Z"
    });
    check_frozen::<ProjectRecord>(&frozen_dir(), &[(1, v1)]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn task_inputs_keep_their_stored_shape() {
    let v1 = json!({
        "version": "1",
        "prompt": "Add a --json flag to `shop list`",
        "agent": "claude-code",
        "project": "shop-a1b2c3",
        "base_branch": "main",
        "sandbox": "docker",
        "include_uncommitted": false
    });
    check_frozen::<TaskInputsRecord>(&frozen_dir(), &[(1, v1)]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn installed_agents_keep_their_stored_shape() {
    let v1 = json!({
        "version": "1",
        "name": "echo-py",
        "agent_version": "0.1.0",
        "description": "Echoes what you say",
        "hash": "9f2c4be1d1a0c3f5e8b7a6d5c4b3a29181706f5e4d3c2b1a09f8e7d6c5b4a392",
        "imports": ["events", "log", "state"],
        "wasi_imports": ["wasi:cli/stdout@0.2.0"],
        "grants": ["events", "log", "state"],
        "added_at": "2026-11-25T10:00:00Z"
    });
    check_frozen::<InstalledAgentRecord>(&frozen_dir(), &[(1, v1)])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn adapter_state_keeps_its_stored_shape() {
    let v1 = json!({ "version": "1", "blob": "7b2273746570223a337d" });
    check_frozen::<AdapterStateRecord>(&frozen_dir(), &[(1, v1)]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn adapter_starts_keep_their_stored_shape() {
    let v1 = json!({"version": "1", "starts": 3});
    check_frozen::<AdapterStartsRecord>(&frozen_dir(), &[(1, v1)])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn spend_records_keep_their_stored_shape() {
    let v1 = json!({
        "version": "1",
        "calls": 12,
        "input_tokens": 48210,
        "output_tokens": 3120,
        "cache_read_tokens": 210400,
        "cache_creation_tokens": 9000,
        "cost": 0.27,
        "unpriced_models": ["llama-local"],
        "budget": 2.5
    });
    check_frozen::<SpendRecord>(&frozen_dir(), &[(1, v1)]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn environment_records_keep_their_stored_shape() {
    let v1 = json!({
        "version": "1",
        "task": "t-4f2a",
        "project": "shop-a1b2c3",
        "kind": "docker",
        "container": "0f6c1e2d3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
        "worktree": null,
        "home": null,
        "branch": "plinth/t-4f2a",
        "base_branch": "main",
        "status": {"state": "failed", "reason": "its container is exited"},
        "created_at": "2026-11-26T00:00:00Z"
    });
    check_frozen::<EnvironmentRecord>(&frozen_dir(), &[(1, v1)]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn task_records_keep_their_stored_shape() {
    let v1 = json!({
        "version": "1",
        "id": "add-a-json-flag-7f3a",
        "inputs": {
            "prompt": "Add a --json flag to `shop list`",
            "agent": "claude-code",
            "project": "shop-a1b2c3",
            "base_branch": "main",
            "sandbox": "docker",
            "include_uncommitted": false
        },
        "project_path": "/home/ada/src/shop",
        "base_branch": "main",
        "branch": "plinth/add-a-json-flag-7f3a",
        "lifecycle": {"state": "failed", "reason": "its container was killed"},
        "agent_status": "working",
        "agent_detail": "running cargo test",
        "archived": false,
        "created_at": "2026-11-26T10:00:00Z",
        "updated_at": "2026-11-26T10:05:00Z"
    });
    let mut v2 = v1.clone();
    v2["version"] = json!("2");
    v2["status_since"] = json!("2026-11-26T10:03:00Z");
    let mut v3 = v2.clone();
    v3["version"] = json!("3");
    v3["agent_question"] = json!({
        "text": "Allow Bash?",
        "detail": "Bash: cargo test",
        "choices": [
            {"id": "1", "label": "Yes", "kind": "allow"},
            {"id": "2", "label": "Yes, and don't ask again", "kind": "allow-always"},
            {"id": "3", "label": "No", "kind": "deny"}
        ]
    });
    check_frozen::<TaskRecord>(&frozen_dir(), &[(1, v1), (2, v2), (3, v3)])
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn task_sync_records_keep_their_stored_shape() {
    let v1 = json!({
        "version": "1",
        "task": "add-a-json-flag-7f3a",
        "branch": "plinth/add-a-json-flag-7f3a",
        "base_commit": "3f1c2b9d8e7a6f5041322314e5d6c7b8a9f0e1d2",
        "head": "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3",
        "branch_commit": "8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3d4",
        "outcome": "moved",
        "synced_at": "2026-11-26T10:05:00Z"
    });
    check_frozen::<TaskSyncRecord>(&frozen_dir(), &[(1, v1)]).unwrap_or_else(|e| panic!("{e}"));
}
