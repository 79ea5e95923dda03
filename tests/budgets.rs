//! What a task costs and where its budget stops it, through the real server, its model
//! proxy and the mock model: an agent (the scripted one, calling the proxy with curl in the
//! unsafe local sandbox) makes calls whose usage the mock reports; the task's cost is that
//! usage priced by plinth's table; the call after the one that crossed the budget is refused
//! in the API's shape, the task waits for its user, who is notified; raising the budget and
//! telling the agent to go on lets its next call through.

mod support;

use std::time::{Duration, Instant};

use plinth_actors::spend::{PriceTable, Tokens};
use plinth_mock_llm::{Reply, Script, Usage};
use serde_json::{Value, json};
use support::claude::{serve, start_mock};
use support::{Server, repository};

const MODEL: &str = "claude-sonnet-4-5";
const INPUT: u64 = 1_000;
const OUTPUT: u64 = 100_000;

/// One model call through the task's proxy, its HTTP status appended to `codes` and its
/// body kept in `reply-N.json`.
fn call(n: u32) -> String {
    let body = json!({"model": MODEL, "max_tokens": 50,
                      "messages": [{"role": "user", "content": format!("call {n}")}]});
    format!(
        "run curl -sS --max-time 30 -o reply-{n}.json -w '%{{http_code}}\\n' \
         \"$ANTHROPIC_BASE_URL/v1/messages\" -H \"x-api-key: $ANTHROPIC_API_KEY\" \
         -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \
         -d '{body}' >> codes"
    )
}

async fn wait_until(
    server: &Server,
    id: &str,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let task: Value = server.get_json(&format!("/api/tasks/{id}")).await;
        if ready(&task) {
            return task;
        }
        assert!(Instant::now() < deadline, "never {what}: {task:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn codes(worktree: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(worktree.join("codes"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn a_budget_stops_a_task_at_the_call_after_it_crossed_and_raising_it_lets_it_go_on() {
    let usage = Usage {
        input_tokens: Some(INPUT),
        output_tokens: Some(OUTPUT),
    };
    let mock = start_mock(Script::new(vec![]).with_default(Reply {
        usage,
        ..Reply::text("ok")
    }))
    .await;
    let home = support::Home::new();
    let server = serve(&home, &mock, &[]);
    let repo = repository();
    let script = format!(
        "#!scripted\n{}\n{}\n{}\nwait-message\n{}\nfinish",
        call(1),
        call(2),
        call(3),
        call(4)
    );
    let res = server
        .post("/api/tasks")
        .json(
            &json!({"prompt": script, "repo": repo.path(), "agent": "scripted",
                      "sandbox": "local", "budget": 2.0}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["spend"]["budget"], 2.0);

    // Priced by plinth's own table, from the usage the mock reported.
    let per_call = PriceTable::built_in().price(MODEL).unwrap().cost(&Tokens {
        input: INPUT,
        output: OUTPUT,
        ..Tokens::default()
    });
    assert!(
        per_call > 1.0 && 2.0 * per_call > 2.0,
        "the test's premise: {per_call}"
    );

    let waiting = wait_until(&server, &id, "waiting for its budget", |task| {
        task["status"] == "waiting-for-user" && task["spend"]["calls"] == 2
    })
    .await;
    let detail = waiting["detail"].as_str().unwrap();
    assert!(detail.contains("budget of $2.00 reached"), "{detail}");
    let spend = &waiting["spend"];
    assert_eq!(spend["input_tokens"], 2 * INPUT);
    assert_eq!(spend["output_tokens"], 2 * OUTPUT);
    let cost = spend["cost"].as_f64().unwrap();
    assert!((cost - 2.0 * per_call).abs() < 1e-9, "{cost} vs {per_call}");

    // The local sandbox's work tree: $PLINTH_HOME/worktrees/<task>.
    let worktree = home.path().join("worktrees").join(&id);
    assert_eq!(codes(&worktree), ["200", "200", "403"]);
    let refused: Value =
        serde_json::from_str(&std::fs::read_to_string(worktree.join("reply-3.json")).unwrap())
            .unwrap();
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["error"]["type"], "permission_error", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("budget of $2.00 reached") && message.contains("plinth task budget"),
        "{message}"
    );
    assert_eq!(
        mock.requests().iter().filter(|r| r.is_messages()).count(),
        2,
        "the refused call never went upstream"
    );
    let notes = server
        .events_after(&format!("task={id}&kind=notification"), 0)
        .await;
    assert!(
        notes
            .iter()
            .any(|n| n["data"]["title"] == "Budget reached"
                && n["data"]["urgency"] == "needs-attention"),
        "{notes:#?}"
    );

    let raised = server
        .post(&format!("/api/tasks/{id}/budget"))
        .json(&json!({"budget": 5.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(raised.status(), 200);
    let raised: Value = raised.json().await.unwrap();
    assert_eq!(raised["spend"]["budget"], 5.0);
    // The agent itself waits for a message now; the budget no longer holds it.
    assert!(
        !raised["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("budget"),
        "{raised:#}"
    );
    let sent = server
        .post(&format!("/api/tasks/{id}/messages"))
        .json(&json!({"text": "go on"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());

    let done = wait_until(&server, &id, "finished", |task| {
        task["status"] == "finished"
    })
    .await;
    assert_eq!(codes(&worktree), ["200", "200", "403", "200"]);
    assert_eq!(done["spend"]["calls"], 3);
    let cost = done["spend"]["cost"].as_f64().unwrap();
    assert!((cost - 3.0 * per_call).abs() < 1e-9, "{cost}");
}

#[tokio::test]
async fn a_budget_that_is_not_an_amount_is_refused_and_nothing_is_made() {
    let mock = start_mock(Script::new(vec![])).await;
    let home = support::Home::new();
    let server = serve(&home, &mock, &[]);
    let repo = repository();
    for budget in [json!(0), json!(-1.5)] {
        let res = server
            .post("/api/tasks")
            .json(&json!({"prompt": "#!scripted\nfinish", "repo": repo.path(),
                          "agent": "scripted", "sandbox": "local", "budget": budget}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let text = res.text().await.unwrap();
        assert!(text.contains("not one: give an amount above 0"), "{text}");
    }
    let tasks: Vec<Value> = server.get_json("/api/tasks").await;
    assert!(tasks.is_empty(), "{tasks:#?}");
}
