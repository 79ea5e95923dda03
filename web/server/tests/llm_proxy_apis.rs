//! The LLM proxy's OpenAI (Responses, Chat Completions) and Gemini routes against the
//! scripted model server over real loopback HTTP: each API's stream reaches the client as
//! the upstream sent it and is read into the same events as Anthropic's; the upstream sees
//! the user's key in that provider's header, never the task's token; the proxy's own
//! errors come in the provider's shape.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use plinth_mock_llm::{Api, ErrorReply, MockLlm, Reply, Script, Usage};
use plinth_server::llm_proxy::{self, Credentials, ProxyConfig, ProxyEvent, ProxyHost};
use serde_json::{Value, json};

const TASK: &str = "t1";
const TOKEN: &str = "task-token-t1";
const OPENAI_KEY: &str = "sk-openai-real";
const GOOGLE_KEY: &str = "AIza-google-real";

/// Accepts only TASK's token, keeps every event, and refuses calls once `refuse` is set.
#[derive(Default)]
struct Host {
    events: Mutex<Vec<ProxyEvent>>,
    refuse: Mutex<Option<String>>,
}

impl ProxyHost for Host {
    fn authorize(&self, task: &str, token: &str) -> bool {
        task == TASK && token == TOKEN
    }
    fn event(&self, _: &str, event: ProxyEvent) {
        self.events.lock().unwrap().push(event);
    }
    fn admit(&self, _: &str) -> Result<(), String> {
        match self.refuse.lock().unwrap().clone() {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }
}

impl Host {
    async fn finished_events(&self) -> Vec<ProxyEvent> {
        for _ in 0..500 {
            let events = self.events.lock().unwrap().clone();
            if events
                .iter()
                .any(|e| matches!(e, ProxyEvent::CallFinished { .. }))
            {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no CallFinished within 5 s");
    }
}

struct Setup {
    mock: MockLlm,
    host: Arc<Host>,
    base: String,
    client: reqwest::Client,
}

async fn setup(script: Script) -> Setup {
    let mock = MockLlm::start("127.0.0.1:0".parse().unwrap(), script)
        .await
        .unwrap();
    let mut config = ProxyConfig::all_at(&mock.url());
    config.openai.credentials = Credentials::Bearer(OPENAI_KEY.into());
    config.gemini.credentials = Credentials::GoogleApiKey(GOOGLE_KEY.into());
    let host = Arc::new(Host::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = Router::new().nest(
        llm_proxy::MOUNT,
        llm_proxy::try_router(config, host.clone()).unwrap(),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Setup {
        mock,
        host,
        base: format!("http://{addr}/tasks/{TASK}/llm"),
        client: reqwest::Client::new(),
    }
}

/// A scripted tool call with the usage the mock is to report.
fn tool_call_script(name: &str, input: Value) -> Script {
    Script::new(vec![Reply {
        usage: Usage {
            input_tokens: Some(120),
            output_tokens: Some(30),
        },
        ..Reply::tool_use(name, input)
    }])
}

/// The data of each `data:` line of an SSE body, as JSON (`[DONE]` and bare lines as
/// strings), in order.
fn sse_data(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap_or(Value::String(data.into())))
        .collect()
}

fn tool_use(events: &[ProxyEvent]) -> (String, Value) {
    events
        .iter()
        .find_map(|e| match e {
            ProxyEvent::ToolUse { name, input, .. } => Some((name.clone(), input.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ToolUse in {events:#?}"))
}

fn finished(events: &[ProxyEvent]) -> &ProxyEvent {
    events
        .iter()
        .find(|e| matches!(e, ProxyEvent::CallFinished { .. }))
        .unwrap()
}

#[tokio::test]
async fn a_responses_stream_passes_through_and_its_tool_call_and_usage_are_read() {
    let input = json!({"cmd": "echo hi > hi.txt"});
    let s = setup(tool_call_script("exec_command", input.clone())).await;
    let res = s
        .client
        .post(format!("{}/openai/v1/responses", s.base))
        .bearer_auth(TOKEN)
        .json(&json!({"model": "gpt-5-codex", "stream": true,
                      "tools": [{"type": "function", "name": "exec_command"}],
                      "input": [{"role": "user", "content": "make hi.txt"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let body = res.text().await.unwrap();
    let kinds: Vec<String> = sse_data(&body)
        .iter()
        .map(|d| d["type"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("response.created"));
    assert_eq!(kinds.last().map(String::as_str), Some("response.completed"));

    let events = s.host.finished_events().await;
    assert!(matches!(&events[0], ProxyEvent::CallStarted { model, .. } if model == "gpt-5-codex"));
    assert_eq!(tool_use(&events), ("exec_command".to_string(), input));
    assert!(
        matches!(finished(&events), ProxyEvent::CallFinished { error: None, stop_reason: Some(r),
            input_tokens: 120, output_tokens: 30, status: 200, .. } if r == "tool_use"),
        "{events:#?}"
    );
    let upstream = &s.mock.requests()[0];
    assert_eq!(upstream.api, Api::OpenaiResponses);
    assert_eq!(upstream.path, "/v1/responses");
    assert_eq!(
        upstream.header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
}

#[tokio::test]
async fn a_chat_stream_is_made_to_report_usage_and_is_read_like_the_others() {
    let input = json!({"command": "ls"});
    let s = setup(tool_call_script("bash", input.clone())).await;
    let res = s
        .client
        .post(format!("{}/openai/v1/chat/completions", s.base))
        .bearer_auth(TOKEN)
        .json(&json!({"model": "gpt-5", "stream": true,
                      "tools": [{"type": "function", "function": {"name": "bash"}}],
                      "messages": [{"role": "user", "content": "list the files"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(data.last().unwrap(), "[DONE]");
    assert!(
        data.iter().any(|d| d["usage"]["prompt_tokens"] == 120),
        "the usage chunk reached the client: {data:#?}"
    );
    let events = s.host.finished_events().await;
    assert_eq!(tool_use(&events), ("bash".to_string(), input));
    assert!(matches!(
        finished(&events),
        ProxyEvent::CallFinished {
            error: None,
            input_tokens: 120,
            output_tokens: 30,
            ..
        }
    ));
    let upstream = &s.mock.requests()[0];
    assert_eq!(upstream.api, Api::OpenaiChat);
    assert_eq!(upstream.body["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn a_gemini_stream_with_the_token_in_the_query_goes_up_with_the_users_key_only() {
    let input = json!({"file_path": "a.txt", "content": "a"});
    let s = setup(tool_call_script("write_file", input.clone())).await;
    let res = s
        .client
        .post(format!(
            "{}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key={TOKEN}",
            s.base
        ))
        .json(
            &json!({"contents": [{"role": "user", "parts": [{"text": "write a.txt"}]}],
                      "tools": [{"functionDeclarations": [{"name": "write_file"}]}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let data = sse_data(&res.text().await.unwrap());
    assert!(
        data.iter()
            .any(|d| d["candidates"][0]["finishReason"] == "STOP")
    );

    let events = s.host.finished_events().await;
    assert!(
        matches!(&events[0], ProxyEvent::CallStarted { model, .. } if model == "gemini-2.5-pro"),
        "the model comes from the path"
    );
    assert_eq!(tool_use(&events), ("write_file".to_string(), input));
    assert!(matches!(
        finished(&events),
        ProxyEvent::CallFinished { error: None, input_tokens: 120, output_tokens: 30, stop_reason: Some(r), .. } if r == "tool_use"
    ));
    let upstream = &s.mock.requests()[0];
    assert_eq!(upstream.api, Api::Gemini);
    assert_eq!(
        upstream.path,
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    );
    assert_eq!(upstream.header("x-goog-api-key"), Some(GOOGLE_KEY));
    let seen = serde_json::to_string(&upstream.headers).unwrap() + &upstream.path;
    assert!(
        !seen.contains(TOKEN),
        "the task token went upstream: {seen}"
    );
}

#[tokio::test]
async fn each_provider_refuses_a_wrong_token_and_an_unknown_route_in_its_own_shape() {
    let s = setup(Script::new(vec![])).await;
    let wrong = s
        .client
        .post(format!("{}/openai/v1/responses", s.base))
        .bearer_auth("not-the-token")
        .json(&json!({"model": "m", "input": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("OPENAI_API_KEY")
    );

    let wrong = s
        .client
        .post(format!(
            "{}/gemini/v1beta/models/gemini-2.5-pro:generateContent",
            s.base
        ))
        .header("x-goog-api-key", "nope")
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED", "{body}");

    let unknown = s
        .client
        .post(format!("{}/openai/v1/files", s.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/openai/v1/responses"),
        "{body}"
    );
    let stepping_out = s
        .client
        .post(format!(
            "{}/gemini/v1beta/models/..:generateContent",
            s.base
        ))
        .header("x-goog-api-key", TOKEN)
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(stepping_out.status(), 404);
    assert!(s.mock.requests().is_empty(), "nothing went upstream");
}

#[tokio::test]
async fn model_lists_and_token_counts_pass_through_without_a_call() {
    let s = setup(Script::new(vec![])).await;
    let models = s
        .client
        .get(format!("{}/openai/v1/models", s.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);
    let body: Value = models.json().await.unwrap();
    assert!(
        body["data"].as_array().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    let gemini = s
        .client
        .get(format!("{}/gemini/v1beta/models", s.base))
        .header("x-goog-api-key", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(gemini.status(), 200);
    let count = s
        .client
        .post(format!(
            "{}/gemini/v1beta/models/gemini-2.5-pro:countTokens",
            s.base
        ))
        .header("x-goog-api-key", TOKEN)
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(count.status(), 200);
    let body: Value = count.json().await.unwrap();
    assert!(body["totalTokens"].as_u64().is_some(), "{body}");
    assert!(
        s.host.events.lock().unwrap().is_empty(),
        "no model call was reported"
    );
}

#[tokio::test]
async fn an_upstream_error_reaches_the_client_as_sent_and_ends_the_call_with_it() {
    let s = setup(Script::new(vec![Reply {
        error: Some(ErrorReply::new("rate_limit_error", "slow down")),
        ..Reply::default()
    }]))
    .await;
    let res = s
        .client
        .post(format!("{}/openai/v1/chat/completions", s.base))
        .bearer_auth(TOKEN)
        .json(&json!({"model": "gpt-5", "stream": true,
                      "tools": [{"type": "function", "function": {"name": "bash"}}],
                      "messages": [{"role": "user", "content": "go"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["message"], "slow down");
    let events = s.host.finished_events().await;
    assert!(
        matches!(finished(&events), ProxyEvent::CallFinished { error: Some(e), status: 429, .. } if e.starts_with("429 ") && e.ends_with("slow down")),
        "{events:#?}"
    );
}

#[tokio::test]
async fn a_call_the_host_does_not_admit_is_refused_in_the_apis_shape_and_never_goes_up() {
    let s = setup(Script::new(vec![])).await;
    *s.host.refuse.lock().unwrap() = Some("budget of $1.00 reached ($1.02 spent)".into());
    let openai = s
        .client
        .post(format!("{}/openai/v1/responses", s.base))
        .bearer_auth(TOKEN)
        .json(&json!({"model": "gpt-5", "input": "hi", "stream": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(openai.status(), 403);
    let body: Value = openai.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("plinth: budget of $1.00 reached"),
        "{body}"
    );
    let gemini = s
        .client
        .post(format!(
            "{}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
            s.base
        ))
        .header("x-goog-api-key", TOKEN)
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(gemini.status(), 403);
    let body: Value = gemini.json().await.unwrap();
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED", "{body}");
    assert!(s.mock.requests().is_empty());
    assert!(s.host.events.lock().unwrap().is_empty(), "no call reported");
}
