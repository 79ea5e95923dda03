//! The LLM proxy against the scripted model server (plinth-mock-llm) over real loopback
//! HTTP: what the client receives, what the upstream sees, and what the host is told.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use futures::StreamExt;
use plinth_mock_llm::{Block, ErrorReply, MockLlm, Reply, Script, Usage};
use plinth_server::llm_proxy::{self, Credentials, ProxyConfig, ProxyEvent, ProxyHost, Timeouts};
use serde_json::{Value, json};

const TASK: &str = "t1";
const TOKEN: &str = "task-token-t1";
const REAL_KEY: &str = "real-key";

/// Accepts only TASK's token; keeps every event.
#[derive(Default)]
struct Host {
    events: Mutex<Vec<(String, ProxyEvent)>>,
}

impl ProxyHost for Host {
    fn authorize(&self, task: &str, token: &str) -> bool {
        task == TASK && token == TOKEN
    }
    fn event(&self, task: &str, event: ProxyEvent) {
        self.events.lock().unwrap().push((task.to_string(), event));
    }
}

impl Host {
    fn events(&self) -> Vec<ProxyEvent> {
        let events = self.events.lock().unwrap();
        assert!(
            events.iter().all(|(task, _)| task == TASK),
            "events for another task"
        );
        events.iter().map(|(_, e)| e.clone()).collect()
    }

    /// The events once the call has finished (bounded wait: the finish is reported as
    /// the body ends, which can be a moment after the client has read it).
    async fn finished_events(&self) -> Vec<ProxyEvent> {
        for _ in 0..500 {
            let events = self.events();
            if events
                .iter()
                .any(|e| matches!(e, ProxyEvent::CallFinished { .. }))
            {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no CallFinished within 5 s; events: {:#?}", self.events());
    }
}

struct Setup {
    mock: MockLlm,
    host: Arc<Host>,
    /// The proxy's URL for TASK, what ANTHROPIC_BASE_URL would be.
    base: String,
    client: reqwest::Client,
}

impl Setup {
    /// A streamed Messages request for TASK with its token, as Claude Code sends it.
    async fn stream(&self) -> reqwest::Response {
        messages_request(
            &self.client,
            &format!("{}/v1/messages", self.base),
            &request_body(true),
        )
        .send()
        .await
        .unwrap()
    }
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().nest(llm_proxy::MOUNT, router);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn setup_with(script: Script, configure: impl FnOnce(&mut ProxyConfig)) -> Setup {
    let mock = MockLlm::start("127.0.0.1:0".parse().unwrap(), script)
        .await
        .unwrap();
    let mut config = ProxyConfig::new(mock.url(), Credentials::ApiKey(REAL_KEY.into()));
    configure(&mut config);
    let host = Arc::new(Host::default());
    let addr = serve(llm_proxy::try_router(config, host.clone()).unwrap()).await;
    Setup {
        mock,
        host,
        base: format!("http://{addr}/tasks/{TASK}/llm"),
        client: reqwest::Client::new(),
    }
}

async fn setup(script: Script) -> Setup {
    setup_with(script, |_| {}).await
}

fn request_body(stream: bool) -> Value {
    json!({
        "model": "claude-test-1",
        "max_tokens": 1024,
        "stream": stream,
        "tools": [{"name": "Write", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "write the file"}],
    })
}

/// A request the way Claude Code sends it.
fn messages_request(client: &reqwest::Client, url: &str, body: &Value) -> reqwest::RequestBuilder {
    client
        .post(url)
        .header("x-api-key", TOKEN)
        .header("anthropic-version", "2023-06-01")
        .header(
            "anthropic-beta",
            "claude-code-20250219,fine-grained-tool-streaming-2025-05-14",
        )
        .header("x-app", "cli")
        .json(body)
}

/// The mock makes its ids from a counter (`msg_01mock000000000000000007`), so two
/// requests differ only there; zero the counters to compare them.
fn without_mock_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("_01mock") {
        let end = at + "_01mock".len();
        out.push_str(&rest[..end]);
        let digits = rest[end..].chars().take_while(char::is_ascii_digit).count();
        out.push_str(&"0".repeat(digits));
        rest = &rest[end + digits..];
    }
    out.push_str(rest);
    out
}

fn count<F: Fn(&ProxyEvent) -> bool>(events: &[ProxyEvent], f: F) -> usize {
    events.iter().filter(|e| f(e)).count()
}

fn assert_one_start_and_finish(events: &[ProxyEvent]) {
    assert!(
        matches!(events.first(), Some(ProxyEvent::CallStarted { .. })),
        "{events:#?}"
    );
    assert!(
        matches!(events.last(), Some(ProxyEvent::CallFinished { .. })),
        "{events:#?}"
    );
    assert_eq!(
        count(events, |e| matches!(e, ProxyEvent::CallStarted { .. })),
        1
    );
    assert_eq!(
        count(events, |e| matches!(e, ProxyEvent::CallFinished { .. })),
        1
    );
    let id = events[0].call_id();
    assert!(
        events.iter().all(|e| e.call_id() == id),
        "one call id throughout"
    );
}

fn finished(events: &[ProxyEvent]) -> &ProxyEvent {
    events.last().unwrap()
}

fn finish_error(events: &[ProxyEvent]) -> Option<String> {
    match finished(events) {
        ProxyEvent::CallFinished { error, .. } => error.clone(),
        other => panic!("not finished: {other:?}"),
    }
}

#[tokio::test]
async fn a_streamed_reply_reaches_the_client_byte_for_byte_and_yields_its_events() {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(40);
    let input = json!({"file_path": "/workspace/hello.txt", "content": "héllo\n".repeat(30)});
    let reply = Reply {
        content: vec![
            Block::Text { text: text.clone() },
            Block::ToolUse {
                name: "Write".into(),
                input: input.clone(),
                flagged: None,
            },
        ],
        usage: Usage {
            input_tokens: Some(12),
            output_tokens: Some(34),
        },
        ..Reply::default()
    };
    let s = setup(Script {
        replies: vec![reply.clone()],
        default: reply,
    })
    .await;
    let body = request_body(true);

    let response = messages_request(
        &s.client,
        &format!("{}/v1/messages?beta=true", s.base),
        &body,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(
        response.headers().contains_key("request-id"),
        "upstream headers pass"
    );
    let proxied = String::from_utf8(response.bytes().await.unwrap().to_vec()).unwrap();

    // The same request straight to the mock (its default reply is the same reply).
    let direct = s
        .client
        .post(format!("{}/v1/messages?beta=true", s.mock.url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(proxied.contains("\"input_json_delta\""), "{proxied}");
    assert_eq!(without_mock_ids(&proxied), without_mock_ids(&direct));

    // The upstream saw the real key, the client's other headers, the query and the body.
    let seen = &s.mock.requests()[0];
    assert_eq!(seen.path, "/v1/messages?beta=true");
    assert_eq!(seen.header("x-api-key"), Some(REAL_KEY));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        seen.header("anthropic-beta"),
        Some("claude-code-20250219,fine-grained-tool-streaming-2025-05-14")
    );
    assert_eq!(seen.header("x-app"), Some("cli"));
    assert_eq!(seen.body, body);
    for request in s.mock.requests() {
        assert!(
            request.headers.values().all(|v| !v.contains(TOKEN)),
            "the task token went upstream: {:?}",
            request.headers
        );
    }

    let events = s.host.finished_events().await;
    assert_one_start_and_finish(&events);
    assert!(
        matches!(&events[0], ProxyEvent::CallStarted { model, .. } if model == "claude-test-1")
    );
    let streamed_text: String = events
        .iter()
        .filter_map(|e| match e {
            ProxyEvent::TextDelta { text, index: 0, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed_text, text);
    let text_events = count(&events, |e| matches!(e, ProxyEvent::TextDelta { .. }));
    let sse_text_deltas = proxied.matches("\"text_delta\"").count();
    assert!(
        text_events * 4 <= sse_text_deltas,
        "text is coalesced: {text_events} events for {sse_text_deltas} deltas"
    );
    let tool_id = proxied
        .split("\"id\":\"")
        .find(|s| s.starts_with("toolu_"))
        .unwrap();
    let tool_id = &tool_id[..tool_id.find('"').unwrap()];
    let tools: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ProxyEvent::ToolUse {
                tool_id,
                name,
                input,
                ..
            } => Some((tool_id.clone(), name.clone(), input.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        tools,
        vec![(tool_id.to_string(), "Write".to_string(), input)]
    );
    let last_usage = events
        .iter()
        .rev()
        .find(|e| matches!(e, ProxyEvent::Usage { .. }))
        .unwrap();
    assert!(matches!(
        last_usage,
        ProxyEvent::Usage {
            input_tokens: 12,
            output_tokens: 34,
            ..
        }
    ));
    match finished(&events) {
        ProxyEvent::CallFinished {
            model,
            stop_reason,
            status,
            input_tokens,
            output_tokens,
            error,
            ..
        } => {
            assert_eq!(model, "claude-test-1");
            assert_eq!(stop_reason.as_deref(), Some("tool_use"));
            assert_eq!((*status, *input_tokens, *output_tokens), (200, 12, 34));
            assert_eq!(error, &None);
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_plain_json_reply_with_a_bearer_token_yields_text_usage_and_the_finish() {
    let reply = Reply {
        usage: Usage {
            input_tokens: Some(5),
            output_tokens: Some(6),
        },
        ..Reply::text("Plain answer.")
    };
    let s = setup(Script::new(vec![reply])).await;
    let response = s
        .client
        .post(format!("{}/v1/messages", s.base))
        .bearer_auth(TOKEN)
        .json(&request_body(false))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let message: Value = response.json().await.unwrap();
    assert_eq!(message["content"][0]["text"], "Plain answer.");

    let seen = &s.mock.requests()[0];
    assert_eq!(seen.header("x-api-key"), Some(REAL_KEY));
    assert_eq!(
        seen.header("authorization"),
        None,
        "the client's bearer token stays behind"
    );

    let events = s.host.finished_events().await;
    assert_one_start_and_finish(&events);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProxyEvent::TextDelta { text, .. } if text == "Plain answer."))
    );
    assert!(events.iter().any(|e| matches!(
        e,
        ProxyEvent::Usage {
            input_tokens: 5,
            output_tokens: 6,
            ..
        }
    )));
    assert!(matches!(
        finished(&events),
        ProxyEvent::CallFinished { stop_reason: Some(r), error: None, status: 200, .. } if r == "end_turn"
    ));
}

/// The `message_delta` events' data in an SSE text.
fn message_deltas(sse: &str) -> Vec<Value> {
    sse.split("\n\n")
        .filter(|event| event.starts_with("event: message_delta"))
        .filter_map(|event| event.split_once("data: "))
        .map(|(_, data)| serde_json::from_str(data).unwrap())
        .collect()
}

#[tokio::test]
async fn the_apis_safeguard_verdicts_reach_the_client_unchanged_streamed_or_not() {
    // Claude Code's auto mode asks the API to check each tool call (`safeguards`) and
    // reads the verdicts from the reply; without them it asks its user before every action.
    let reply = Reply {
        content: vec![
            Block::Text {
                text: "Committing.".into(),
            },
            Block::ToolUse {
                name: "Bash".into(),
                input: json!({"command": "git commit -qam done"}),
                flagged: None,
            },
            Block::ToolUse {
                name: "Bash".into(),
                input: json!({"command": "rm -rf .git"}),
                flagged: Some("it deletes the repository".into()),
            },
        ],
        ..Reply::default()
    };
    let s = setup(Script {
        replies: vec![],
        default: reply,
    })
    .await;
    let mut body = request_body(true);
    body["safeguards"] = json!([{"type": "dangerous_tool_use", "classifier_context": {"v": 1}}]);
    let url = format!("{}/v1/messages?beta=true", s.base);

    let streamed = messages_request(&s.client, &url, &body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let deltas = message_deltas(&streamed);
    assert_eq!(deltas.len(), 1, "{streamed}");
    let results = &deltas[0]["delta"]["safeguard_results"];
    let verdicts = results[0]["status"]["tool_uses"].as_object().unwrap();
    let ids: Vec<&str> = streamed
        .match_indices("\"id\":\"toolu_")
        .map(|(at, _)| &streamed[at + 6..at + 6 + "toolu_01mock".len() + 18])
        .collect();
    assert_eq!(ids.len(), 2, "{streamed}");
    assert_eq!(
        verdicts[ids[0]],
        json!({"type": "evaluated", "outcome": "not_flagged"})
    );
    assert_eq!(
        verdicts[ids[1]],
        json!({"type": "evaluated", "outcome": "flagged", "explanation": "it deletes the repository"})
    );
    // What the upstream sent, byte for byte: the same request straight to the mock.
    let direct = messages_request(
        &s.client,
        &format!("{}/v1/messages?beta=true", s.mock.url()),
        &body,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(without_mock_ids(&streamed), without_mock_ids(&direct));
    assert_eq!(s.mock.requests()[0].body["safeguards"], body["safeguards"]);
    // The stream was still read: both calls and the stop reason.
    let events = s.host.finished_events().await;
    assert_eq!(
        count(&events, |e| matches!(e, ProxyEvent::ToolUse { .. })),
        2
    );
    assert!(matches!(
        finished(&events),
        ProxyEvent::CallFinished { stop_reason: Some(r), error: None, .. } if r == "tool_use"
    ));

    body["stream"] = json!(false);
    let message: Value = messages_request(&s.client, &url, &body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verdicts = message["safeguard_results"][0]["status"]["tool_uses"]
        .as_object()
        .unwrap();
    let calls: Vec<&str> = message["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(verdicts[calls[0]]["outcome"], "not_flagged");
    assert_eq!(verdicts[calls[1]]["outcome"], "flagged");
}

#[tokio::test]
async fn a_wrong_or_missing_token_gets_401_in_the_api_shape_and_nothing_goes_upstream() {
    let s = setup(Script::default()).await;
    let url = format!("{}/v1/messages", s.base);
    let other_task = s.base.replace(&format!("/tasks/{TASK}/"), "/tasks/t2/");
    let attempts = [
        s.client.post(&url).header("x-api-key", "wrong"),
        s.client.post(&url).bearer_auth("wrong"),
        s.client.post(&url),
        s.client.post(&url).header("x-api-key", ""),
        s.client
            .post(format!("{other_task}/v1/messages"))
            .header("x-api-key", TOKEN),
        s.client
            .post(format!("{}/v1/messages/count_tokens", s.base))
            .header("x-api-key", "wrong"),
    ];
    for attempt in attempts {
        let response = attempt.json(&request_body(true)).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], "authentication_error");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("token"),
            "{body}"
        );
    }
    assert!(s.mock.requests().is_empty(), "{:?}", s.mock.requests());
    assert!(s.host.events().is_empty());
}

#[tokio::test]
async fn an_upstream_529_reaches_the_client_and_the_call_finishes_with_it() {
    let error = ErrorReply {
        should_retry: Some(false),
        ..ErrorReply::new("overloaded_error", "Overloaded right now")
    };
    let s = setup(Script::new(vec![Reply {
        error: Some(error),
        ..Reply::default()
    }]))
    .await;
    let response = s.stream().await;
    assert_eq!(response.status(), 529);
    assert_eq!(response.headers()["x-should-retry"], "false");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"],
        json!({"type": "overloaded_error", "message": "Overloaded right now"})
    );

    let events = s.host.finished_events().await;
    assert_one_start_and_finish(&events);
    assert_eq!(
        finish_error(&events).as_deref(),
        Some("529 overloaded_error: Overloaded right now")
    );
    assert!(matches!(
        finished(&events),
        ProxyEvent::CallFinished { status: 529, .. }
    ));
}

#[tokio::test]
async fn an_error_event_in_the_stream_reaches_the_client_and_the_call_finishes_with_it() {
    let reply = Reply {
        error: Some(ErrorReply {
            in_stream: true,
            ..ErrorReply::new("overloaded_error", "Overloaded mid-way")
        }),
        ..Reply::text("partial answer")
    };
    let s = setup(Script::new(vec![reply])).await;
    let response = s.stream().await;
    assert_eq!(response.status(), 200);
    let proxied = response.text().await.unwrap();
    assert!(
        proxied.ends_with(
            "event: error\ndata: {\"error\":{\"message\":\"Overloaded mid-way\",\"type\":\"overloaded_error\"},\"type\":\"error\"}\n\n"
        ),
        "{proxied}"
    );

    let events = s.host.finished_events().await;
    assert_one_start_and_finish(&events);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProxyEvent::TextDelta { text, .. } if text == "partial answer"))
    );
    assert_eq!(
        finish_error(&events).as_deref(),
        Some("overloaded_error: Overloaded mid-way")
    );
}

#[tokio::test]
async fn an_upstream_that_is_down_gets_a_clear_502_and_the_call_finishes_with_it() {
    // A port that was just free: nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let host = Arc::new(Host::default());
    let config = ProxyConfig::new(
        format!("http://{closed}"),
        Credentials::ApiKey(REAL_KEY.into()),
    );
    let addr = serve(llm_proxy::router(config, host.clone())).await;
    let url = format!("http://{addr}/tasks/{TASK}/llm/v1/messages");
    let response = messages_request(&reqwest::Client::new(), &url, &request_body(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "api_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("could not reach the model API"),
        "{message}"
    );
    assert!(
        message.contains(&closed.to_string()),
        "names the upstream: {message}"
    );
    assert!(
        message.to_lowercase().contains("refused"),
        "says what happened: {message}"
    );

    let events = host.finished_events().await;
    assert_one_start_and_finish(&events);
    assert_eq!(finish_error(&events).as_deref(), Some(message));
    assert!(matches!(
        finished(&events),
        ProxyEvent::CallFinished { status: 502, .. }
    ));
}

#[tokio::test]
async fn an_upstream_slower_than_the_response_timeout_gets_a_504() {
    let reply = Reply {
        delay_ms: 3000,
        ..Reply::text("late")
    };
    let s = setup_with(Script::new(vec![reply]), |config| {
        config.timeouts = Timeouts {
            response: Duration::from_millis(300),
            ..Timeouts::default()
        };
    })
    .await;
    let response = s.stream().await;
    assert_eq!(response.status(), 504);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");
    let events = s.host.finished_events().await;
    assert_one_start_and_finish(&events);
    assert!(
        finish_error(&events).unwrap().contains("no answer"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_stream_that_goes_quiet_too_long_ends_with_an_error_event() {
    let reply = Reply {
        chunk_delay_ms: 2000,
        ..Reply::text("slow")
    };
    let s = setup_with(Script::new(vec![reply]), |config| {
        config.timeouts = Timeouts {
            idle: Duration::from_millis(300),
            ..Timeouts::default()
        };
    })
    .await;
    let response = s.stream().await;
    assert_eq!(response.status(), 200);
    let proxied = response.text().await.unwrap();
    assert!(proxied.starts_with("event: message_start\n"), "{proxied}");
    let last = proxied.trim_end().rsplit("\n\n").next().unwrap();
    assert!(last.starts_with("event: error\ndata: "), "{proxied}");
    let data: Value = serde_json::from_str(last.split("data: ").nth(1).unwrap()).unwrap();
    assert_eq!(data["error"]["type"], "api_error");
    assert!(
        data["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sent nothing"),
        "{data}"
    );

    let events = s.host.finished_events().await;
    assert_one_start_and_finish(&events);
    assert!(finish_error(&events).unwrap().contains("sent nothing"));
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_stream_still_finishes_the_call() {
    let reply = Reply {
        chunk_delay_ms: 50,
        ..Reply::text("x".repeat(24 * 100))
    };
    let s = setup(Script::new(vec![reply])).await;
    let response = s.stream().await;
    let mut stream = response.bytes_stream();
    let mut got = String::new();
    while !got.contains("text_delta") {
        got.push_str(std::str::from_utf8(&stream.next().await.unwrap().unwrap()).unwrap());
    }
    drop(stream);

    let events = s.host.finished_events().await;
    assert_one_start_and_finish(&events);
    let error = finish_error(&events).unwrap();
    assert!(error.contains("hung up"), "{error}");
    assert!(matches!(
        finished(&events),
        ProxyEvent::CallFinished {
            stop_reason: None,
            ..
        }
    ));
}

#[tokio::test]
async fn slow_text_is_reported_piece_by_piece_within_the_flush_interval() {
    // Three text_delta pieces 400 ms apart: each is reported well before the next.
    let reply = Reply {
        chunk_delay_ms: 400,
        ..Reply::text("a".repeat(24 * 3))
    };
    let s = setup(Script::new(vec![reply])).await;
    let response = s.stream().await;
    let mut stream = response.bytes_stream();
    let mut got = String::new();
    while got.matches("text_delta").count() < 2 {
        got.push_str(std::str::from_utf8(&stream.next().await.unwrap().unwrap()).unwrap());
    }
    // The first piece's event came out by its timer, without waiting for the next piece.
    let texts = |host: &Host| {
        count(&host.events(), |e| {
            matches!(e, ProxyEvent::TextDelta { .. })
        })
    };
    assert!(texts(&s.host) >= 1, "{:?}", s.host.events());
    while stream.next().await.is_some() {}
    let events = s.host.finished_events().await;
    assert_eq!(
        count(&events, |e| matches!(e, ProxyEvent::TextDelta { .. })),
        3,
        "{events:#?}"
    );
}

#[tokio::test]
async fn count_tokens_passes_through_with_the_real_key_and_no_events() {
    let s = setup(Script::default()).await;
    let response = messages_request(
        &s.client,
        &format!("{}/v1/messages/count_tokens?beta=true", s.base),
        &request_body(false),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let counted: Value = response.json().await.unwrap();
    let direct: Value = s
        .client
        .post(format!("{}/v1/messages/count_tokens", s.mock.url()))
        .json(&request_body(false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(counted["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(counted, direct);
    let seen = &s.mock.requests()[0];
    assert_eq!(seen.path, "/v1/messages/count_tokens?beta=true");
    assert_eq!(seen.header("x-api-key"), Some(REAL_KEY));
    assert!(s.host.events().is_empty());
}

#[tokio::test]
async fn a_request_body_over_the_limit_gets_413_and_nothing_goes_upstream() {
    let s = setup(Script::default()).await;
    let huge = json!({"model": "m", "pad": "x".repeat(llm_proxy::MAX_REQUEST_BYTES)});
    let response = messages_request(&s.client, &format!("{}/v1/messages", s.base), &huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "request_too_large");
    assert!(s.mock.requests().is_empty());
    assert!(s.host.events().is_empty());
}

#[tokio::test]
async fn other_paths_and_methods_under_the_prefix_get_a_404_in_the_api_shape() {
    let s = setup(Script::default()).await;
    let response = s
        .client
        .get(format!("{}/v1/models", s.base))
        .header("x-api-key", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "not_found_error");
    let response = s
        .client
        .get(format!("{}/v1/messages", s.base))
        .header("x-api-key", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not GET /v1/messages"),
        "{body}"
    );
}

#[tokio::test]
async fn oauth_credentials_go_upstream_as_a_bearer_token_with_the_oauth_beta_flag() {
    let s = setup_with(Script::default(), |config| {
        config.anthropic.credentials = Credentials::OAuth("real-oauth-token".into());
    })
    .await;
    let response = s.stream().await;
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
    let seen = &s.mock.requests()[0];
    assert_eq!(
        seen.header("authorization"),
        Some("Bearer real-oauth-token")
    );
    assert_eq!(
        seen.header("x-api-key"),
        None,
        "the task token stays behind"
    );
    assert_eq!(
        seen.header("anthropic-beta"),
        Some("claude-code-20250219,fine-grained-tool-streaming-2025-05-14,oauth-2025-04-20")
    );
}

#[tokio::test]
async fn a_client_that_hangs_up_while_the_upstream_is_silent_finishes_the_call_at_once() {
    // The next event is 5 s away: the call must end when the client goes, not then.
    let reply = Reply {
        chunk_delay_ms: 5000,
        ..Reply::text("never mind")
    };
    let s = setup(Script::new(vec![reply])).await;
    let response = s.stream().await;
    let mut stream = response.bytes_stream();
    stream.next().await.unwrap().unwrap();
    let hung_up = std::time::Instant::now();
    drop(stream);
    drop(s.client);
    let events = s.host.finished_events().await;
    assert!(
        hung_up.elapsed() < Duration::from_secs(2),
        "took {:?}",
        hung_up.elapsed()
    );
    assert!(finish_error(&events).unwrap().contains("hung up"));
}
