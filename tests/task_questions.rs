//! Waits a person can answer at a glance: the scripted agent (in local mode) asks a
//! question with choices; the task shows it (API and `task show`) while it waits, takes an
//! answer through the API and the CLI by id, label or kind word, and goes on. A choice the
//! question does not offer is a 400 listing them; a task that waits on no question is a 409.

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Server, served, stderr, stdout};

const SCRIPT: &str = "#!scripted\n\
                      ask Allow rm -rf build? | Yes | Yes, always | No\n\
                      ask Deploy now? | Deploy | Wait\n\
                      wait-message\n\
                      finish";

async fn show(server: &Server, id: &str) -> Value {
    server.get_json(&format!("/api/tasks/{id}")).await
}

async fn wait_for(server: &Server, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    server
        .wait_for_task(id, Duration::from_secs(30), done)
        .await
}

fn asking(text: &'static str) -> impl Fn(&Value) -> bool {
    move |task| task["status"] == "waiting-for-user" && task["question"]["text"] == text
}

async fn answer(server: &Server, id: &str, choice: &str) -> (StatusCode, Value) {
    let res = server
        .post(&format!("/api/tasks/{id}/answer"))
        .json(&json!({ "choice": choice }))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn said_by_agent(server: &Server, id: &str) -> Vec<String> {
    let events: Vec<Value> = server
        .get_json(&format!("/api/events?task={id}&kind=task.transcript"))
        .await;
    events
        .iter()
        .filter(|e| e["data"]["role"] == "agent")
        .map(|e| e["data"]["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_question_shows_with_its_choices_and_is_answered_through_the_api_and_the_cli() {
    let (home, server, repo) = served();
    let id = server.create_scripted(repo.path(), SCRIPT, "local").await;

    let task = wait_for(&server, &id, asking("Allow rm -rf build?")).await;
    assert_eq!(task["detail"], "Allow rm -rf build?", "{task:#}");
    assert_eq!(
        task["question"]["choices"],
        json!([
            {"id": "1", "label": "Yes", "kind": "allow"},
            {"id": "2", "label": "Yes, always", "kind": "allow-always"},
            {"id": "3", "label": "No", "kind": "deny"},
        ])
    );
    let shown = stdout(&home.run(&["task", "show", &id]));
    for line in [
        "Allow rm -rf build?",
        &format!("Yes (plinth task answer {id} 1)"),
        &format!("Yes, always (plinth task answer {id} 2)"),
        &format!("No (plinth task answer {id} 3)"),
    ] {
        assert!(shown.contains(line), "{line:?} in:\n{shown}");
    }
    let json_shown: Value =
        serde_json::from_str(&stdout(&home.run(&["task", "show", &id, "--json"]))).unwrap();
    assert_eq!(json_shown["question"], task["question"]);

    // A choice it does not offer: the choices are listed, and nothing is answered.
    let (status, error) = answer(&server, &id, "maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let message = error.to_string();
    assert!(
        message.contains(r#"\"Yes\" (1), \"Yes, always\" (2), \"No\" (3)"#),
        "{message}"
    );
    assert_eq!(show(&server, &id).await["question"], task["question"]);

    // By kind word, through the API.
    let (status, _) = answer(&server, &id, "no").await;
    assert_eq!(status, StatusCode::OK);
    wait_for(&server, &id, asking("Deploy now?")).await;
    assert!(
        said_by_agent(&server, &id)
            .await
            .contains(&"answered: No".to_string())
    );

    // By label, in any case, through the CLI.
    let out = home.run(&["task", "answer", &id, "DEPLOY"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("answered {id}")),
        "{}",
        stdout(&out)
    );
    let waiting = wait_for(&server, &id, |t| {
        t["status"] == "waiting-for-user" && t["question"].is_null()
    })
    .await;
    assert!(
        waiting["detail"]
            .as_str()
            .unwrap()
            .contains("waiting for a message"),
        "{waiting:#}"
    );
    assert!(
        said_by_agent(&server, &id)
            .await
            .contains(&"answered: Deploy".to_string())
    );

    // Waiting, but on no question: an answer is refused; a message is what it needs.
    let (status, error) = answer(&server, &id, "yes").await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let out = home.run(&["task", "answer", &id, "yes"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("question"), "{}", stderr(&out));

    let res = server
        .post(&format!("/api/tasks/{id}/messages"))
        .json(&json!({ "text": "go" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let done = wait_for(&server, &id, |t| t["status"] == "finished").await;
    assert!(done["question"].is_null(), "{done:#}");
}
