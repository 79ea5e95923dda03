//! The mock over real HTTP on loopback: streaming and JSON replies, matching that leaves
//! side traffic off the script, errors as the API sends them, delays as lower bounds, the
//! request record, and shutdown.

use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use futures::StreamExt;
use plinth_mock_llm::{Block, ErrorReply, MockLlm, Reply, Script, Served, TEXT_CHUNK_CHARS, When};
use serde_json::{Value, json};

async fn start(script: Script) -> MockLlm {
    MockLlm::start("127.0.0.1:0".parse().unwrap(), script)
        .await
        .unwrap()
}

/// A body like an agent's turn: tools offered, the last user message given.
fn turn(last_user: Value, stream: bool) -> Value {
    json!({
        "model": "claude-test-1",
        "max_tokens": 1024,
        "stream": stream,
        "tools": [{"name": "Write", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": last_user}],
    })
}

/// A side request: no tools (Claude Code's title requests look like this).
fn side(stream: bool) -> Value {
    json!({"model": "claude-test-1", "max_tokens": 64, "stream": stream,
           "messages": [{"role": "user", "content": "a title please"}]})
}

async fn post(mock: &MockLlm, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", mock.url()))
        .header("x-api-key", "sk-test-key")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The (event name, data) pairs of a streamed response, in order.
async fn events(response: reqwest::Response) -> Vec<(String, Value)> {
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let mut stream = response.bytes_stream().eventsource();
    let mut out = Vec::new();
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        out.push((event.event, serde_json::from_str(&event.data).unwrap()));
    }
    out
}

#[tokio::test]
async fn a_streamed_reply_arrives_as_sse_events_on_the_beta_path() {
    let long = "a text long enough to be streamed in several deltas, as the API does";
    let mock = start(Script::new(vec![Reply::text(long)])).await;
    let response = post(&mock, "/v1/messages?beta=true", &turn(json!("hi"), true)).await;
    assert!(response.headers().contains_key("request-id"));
    let events = events(response).await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let deltas = long.chars().count().div_ceil(TEXT_CHUNK_CHARS);
    let mut expected = vec!["message_start", "ping", "content_block_start"];
    expected.extend(std::iter::repeat_n("content_block_delta", deltas));
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names, expected);
    assert_eq!(events[0].1["message"]["model"], "claude-test-1");
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| d["delta"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, long);
    let recorded = mock.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, "/v1/messages?beta=true");
    assert_eq!(recorded[0].header("X-Api-Key"), Some("sk-test-key"));
    assert_eq!(recorded[0].body["messages"][0]["content"], "hi");
    assert_eq!(recorded[0].served, Served::Scripted(0));
}

#[tokio::test]
async fn without_stream_the_reply_is_one_json_message_with_tool_ids_made_up() {
    let input = json!({"file_path": "/tmp/x", "content": "x"});
    let mock = start(Script::new(vec![Reply::tool_use("Write", input.clone())])).await;
    let response = post(&mock, "/v1/messages", &turn(json!("write x"), false)).await;
    assert_eq!(response.status(), 200);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["stop_reason"], "tool_use");
    let block = &message["content"][0];
    assert_eq!(block["type"], "tool_use");
    assert_eq!(block["input"], input);
    let id = block["id"].as_str().unwrap();
    assert!(
        id.starts_with("toolu_") && id.len() == "toolu_".len() + 24,
        "{id}"
    );
    assert!(message["usage"]["input_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn side_requests_get_the_default_and_leave_the_script_in_place() {
    let script = Script::new(vec![
        Reply::tool_use("Write", json!({"file_path": "/tmp/x", "content": "x"})),
        Reply::text("all done").when(When::tool_result("created")),
    ])
    .with_default(Reply::text("side answer"));
    let mock = start(script).await;

    let answer: Value = post(&mock, "/v1/messages", &side(false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["content"][0]["text"], "side answer");
    assert_eq!(mock.remaining(), 2);

    let first: Value = post(&mock, "/v1/messages", &turn(json!("go"), false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["content"][0]["name"], "Write");

    // The next reply waits for a tool result: a plain prompt gets the default.
    let other: Value = post(&mock, "/v1/messages", &turn(json!("unrelated"), false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["content"][0]["text"], "side answer");
    assert_eq!(mock.remaining(), 1);

    let result = json!([{"type": "tool_result", "tool_use_id": first["content"][0]["id"],
                         "content": "File created successfully"}]);
    let last: Value = post(&mock, "/v1/messages", &turn(result, false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["content"][0]["text"], "all done");
    assert_eq!(mock.remaining(), 0);

    let served: Vec<Served> = mock.requests().iter().map(|r| r.served).collect();
    assert_eq!(
        served,
        [
            Served::Default,
            Served::Scripted(0),
            Served::Default,
            Served::Scripted(1)
        ]
    );
    assert_eq!(
        mock.requests()[3].tool_results(),
        ["File created successfully"]
    );
}

#[tokio::test]
async fn an_error_reply_is_an_http_error_with_the_api_body_and_retry_headers() {
    let error = ErrorReply {
        retry_after: Some(7),
        should_retry: Some(false),
        ..ErrorReply::new("overloaded_error", "Overloaded")
    };
    let script = Script::new(vec![Reply {
        error: Some(error),
        ..Reply::default()
    }]);
    let mock = start(script).await;
    let response = post(&mock, "/v1/messages", &turn(json!("hi"), true)).await;
    assert_eq!(response.status().as_u16(), 529);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(response.headers()["x-should-retry"], "false");
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
               "request_id": request_id})
    );
}

#[tokio::test]
async fn an_in_stream_error_arrives_as_an_error_event_after_the_content() {
    let script = Script::new(vec![Reply {
        error: Some(ErrorReply {
            in_stream: true,
            ..ErrorReply::new("api_error", "Internal server error")
        }),
        ..Reply::text("partial")
    }]);
    let mock = start(script).await;
    let events = events(post(&mock, "/v1/messages", &turn(json!("hi"), true)).await).await;
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "error");
    assert_eq!(
        data,
        &json!({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}})
    );
    assert!(events.iter().any(|(n, _)| n == "content_block_delta"));
    assert!(!events.iter().any(|(n, _)| n == "message_stop"));
}

#[tokio::test]
async fn other_routes_and_bodies_that_are_not_json_get_clear_errors() {
    let mock = start(Script::default()).await;
    let client = reqwest::Client::new();
    for (method, path) in [
        (reqwest::Method::GET, "/v1/files"),
        (reqwest::Method::GET, "/v1/messages"),
        (reqwest::Method::HEAD, "/api/hello"),
    ] {
        let response = client
            .request(method.clone(), format!("{}{path}", mock.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
        if method != reqwest::Method::HEAD {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["type"], "error");
            assert_eq!(body["error"]["type"], "not_found_error");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(path) && message.contains("POST /v1/messages"));
        }
    }
    let response = client
        .post(format!("{}/v1/messages", mock.url()))
        .header("authorization", "Bearer tok")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let served: Vec<Served> = mock.requests().iter().map(|r| r.served).collect();
    assert_eq!(
        served,
        [
            Served::NotFound,
            Served::NotFound,
            Served::NotFound,
            Served::BadRequest
        ]
    );
    assert_eq!(
        mock.requests()[3].header("authorization"),
        Some("Bearer tok")
    );
}

#[tokio::test]
async fn count_tokens_estimates_and_grows_with_the_prompt() {
    let mock = start(Script::default()).await;
    let mut counts = Vec::new();
    for text in ["short", &"a much longer prompt ".repeat(50)] {
        let response = post(
            &mock,
            "/v1/messages/count_tokens",
            &turn(json!(text), false),
        )
        .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        counts.push(body["input_tokens"].as_u64().unwrap());
    }
    assert!(counts[0] > 0 && counts[1] > counts[0] + 200, "{counts:?}");
    assert_eq!(mock.remaining(), 0);
    assert!(
        mock.requests()
            .iter()
            .all(|r| r.served == Served::CountTokens)
    );
}

#[tokio::test]
async fn delays_are_honoured_as_lower_bounds() {
    let script = Script::new(vec![Reply {
        delay_ms: 150,
        chunk_delay_ms: 20,
        content: vec![Block::Text {
            text: "slow".into(),
        }],
        ..Reply::default()
    }]);
    let mock = start(script).await;
    let started = Instant::now();
    let response = post(&mock, "/v1/messages", &turn(json!("hi"), true)).await;
    // Headers only come after the first delay.
    assert!(started.elapsed() >= Duration::from_millis(150));
    let mut stream = response.bytes_stream().eventsource();
    let mut arrivals = Vec::new();
    while let Some(event) = stream.next().await {
        arrivals.push((event.unwrap().event, Instant::now()));
    }
    assert_eq!(arrivals.len(), 7, "{arrivals:?}");
    // Measured from the request, not between arrivals: a busy client may read the first
    // events late, but the last cannot come before the server slept through every pause.
    let total = arrivals.last().unwrap().1 - started;
    assert!(
        total >= Duration::from_millis(150 + 20 * 6),
        "150 ms, then six pauses of 20 ms between seven events; got {total:?}"
    );
}

#[tokio::test]
async fn a_replaced_script_starts_from_its_first_reply() {
    let mock = start(Script::new(vec![Reply::text("one")])).await;
    let first: Value = post(&mock, "/v1/messages", &turn(json!("a"), false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["content"][0]["text"], "one");
    mock.set_script(Script::new(vec![Reply::text("two"), Reply::text("three")]));
    assert_eq!(mock.remaining(), 2);
    let second: Value = post(&mock, "/v1/messages", &turn(json!("b"), false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["content"][0]["text"], "two");
    assert_eq!(
        mock.requests().len(),
        2,
        "the record survives the new script"
    );
}

#[tokio::test]
async fn after_shutdown_the_port_refuses_connections() {
    let mock = start(Script::default()).await;
    let url = mock.url();
    mock.shutdown().await.unwrap();
    let err = reqwest::Client::new()
        .post(format!("{url}/v1/messages"))
        .json(&side(false))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
}
