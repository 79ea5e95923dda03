//! `GET /api/tasks/{id}/scrollback` on the real server: what the store holds for a task,
//! every stream or one, behind the token.

mod support;

use plinth_store::Store;
use reqwest::StatusCode;
use serde_json::Value;
use support::Home;

#[tokio::test]
async fn the_scrollback_route_returns_every_stream_of_the_task_or_one() {
    let home = Home::new();
    // Rows as the environment manager leaves them, written before the server opens the store.
    let store = Store::open(&home.path().join("plinth.db")).unwrap();
    for (task, stream, text) in [
        ("t1", "shell", "$ ls\nREADME.md"),
        ("t1", "agent", "working\ndone"),
        ("t2", "agent", "another task"),
    ] {
        store
            .put_scrollback(task, stream, text.into())
            .await
            .unwrap();
    }
    store.close().await.unwrap();
    drop(store);

    let server = home.serve();
    let all: Value = server
        .get("/api/tasks/t1/scrollback")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = all.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{all}");
    assert_eq!(rows[0]["stream"], "agent");
    assert_eq!(rows[0]["text"], "working\ndone");
    assert_eq!(rows[0]["lines"], 2);
    assert_eq!(rows[0]["task"], "t1");
    assert!(rows[0]["captured_at"].is_string(), "{all}");
    assert_eq!(rows[1]["stream"], "shell");

    let one: Value = server
        .get("/api/tasks/t1/scrollback?stream=shell")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one[0]["text"], "$ ls\nREADME.md");

    let none = server
        .get("/api/tasks/nobody/scrollback")
        .send()
        .await
        .unwrap();
    // No such task and nothing captured for it: that is a wrong id, not an empty screen.
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
    let error: Value = none.json().await.unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap_or_default()
            .contains("nobody"),
        "{error}"
    );

    let anonymous = server
        .client()
        .get(format!("{}/api/tasks/t1/scrollback", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
