//! The OpenAI (Chat Completions, Responses) and Gemini APIs over real HTTP on loopback,
//! answered from the same script as the Anthropic one: streamed and not, tool calls and
//! their results, errors over HTTP and in the stream, model lists, and the record.

use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use futures::StreamExt;
use plinth_mock_llm::{Api, Block, ErrorReply, MockLlm, Reply, Script, Served, When};
use serde_json::{Value, json};

async fn start(script: Script) -> MockLlm {
    MockLlm::start("127.0.0.1:0".parse().unwrap(), script)
        .await
        .unwrap()
}

/// POSTs `body` the way OpenAI's and Google's SDKs do (a bearer key, a Google key).
async fn post(mock: &MockLlm, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", mock.url()))
        .bearer_auth("sk-test")
        .header("x-goog-api-key", "g-test")
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get(mock: &MockLlm, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", mock.url()))
        .bearer_auth("sk-test")
        .send()
        .await
        .unwrap()
}

/// The (event name, data) pairs of a streamed response; data-only events are named
/// `message`, as SSE names them.
async fn events(response: reqwest::Response) -> Vec<(String, String)> {
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
        out.push((event.event, event.data));
    }
    out
}

/// The JSON data of data-only events, up to a `[DONE]` (reported as the bool).
async fn data_events(response: reqwest::Response) -> (Vec<Value>, bool) {
    let mut done = false;
    let mut out = Vec::new();
    for (name, data) in events(response).await {
        assert_eq!(name, "message", "no event names");
        assert!(!done, "nothing after [DONE]");
        if data == "[DONE]" {
            done = true;
        } else {
            out.push(serde_json::from_str(&data).unwrap());
        }
    }
    (out, done)
}

fn chat(messages: Value, stream: bool) -> Value {
    json!({
        "model": "gpt-4.1",
        "stream": stream,
        "stream_options": {"include_usage": true},
        "tools": [{"type": "function", "function": {"name": "write", "parameters": {}}}],
        "messages": messages,
    })
}

fn responses(input: Value, stream: bool) -> Value {
    json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex.",
        "stream": stream,
        "tools": [{"type": "function", "name": "shell", "parameters": {}},
                  {"type": "custom", "name": "apply_patch"}],
        "input": input,
    })
}

fn gemini(contents: Value) -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "You are Gemini CLI."}]},
        "tools": [{"functionDeclarations": [{"name": "write_file", "parameters": {}}]}],
        "contents": contents,
    })
}

fn write_call() -> Reply {
    Reply {
        content: vec![
            Block::Text {
                text: "I'll write the file.".into(),
            },
            Block::ToolUse {
                name: "write".into(),
                input: json!({"path": "hello.txt", "content": "hello\n"}),
                flagged: None,
            },
        ],
        ..Reply::default()
    }
}

fn in_stream(kind: &str, message: &str) -> Reply {
    Reply {
        error: Some(ErrorReply {
            in_stream: true,
            ..ErrorReply::new(kind, message)
        }),
        ..Reply::text("partial")
    }
}

#[tokio::test]
async fn chat_completions_stream_a_tool_call_then_match_its_result() {
    let script = Script::new(vec![
        write_call(),
        Reply::text("Done: hello.txt is written.").when(When::tool_result("created")),
    ]);
    let mock = start(script).await;
    let first = json!([{"role": "system", "content": "be brief"},
                       {"role": "user", "content": "write hello.txt"}]);
    let (chunks, done) =
        data_events(post(&mock, "/v1/chat/completions", &chat(first, true)).await).await;
    assert!(done);
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "gpt-4.1");
        assert!(chunk["id"].as_str().unwrap().starts_with("chatcmpl-"));
    }
    let deltas: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"].get(0))
        .map(|c| &c["delta"])
        .collect();
    assert_eq!(deltas[0], &json!({"role": "assistant", "content": ""}));
    let text: String = deltas
        .iter()
        .filter_map(|d| d["content"].as_str())
        .collect();
    assert_eq!(text, "I'll write the file.");
    let call = deltas
        .iter()
        .find_map(|d| {
            d["tool_calls"][0]["id"]
                .as_str()
                .map(|_| &d["tool_calls"][0])
        })
        .unwrap();
    assert_eq!(call["function"]["name"], "write");
    let call_id = call["id"].as_str().unwrap().to_string();
    assert!(call_id.starts_with("call_"), "{call_id}");
    let arguments: String = deltas
        .iter()
        .filter_map(|d| d["tool_calls"][0]["function"]["arguments"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).unwrap(),
        json!({"path": "hello.txt", "content": "hello\n"})
    );
    let finish = &chunks[chunks.len() - 2]["choices"][0];
    assert_eq!(finish["finish_reason"], "tool_calls");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    let usage = &usage["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );

    // The tool's output comes back as a `tool` message; not streamed this time.
    let second = json!([
        {"role": "user", "content": "write hello.txt"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": call_id, "type": "function",
            "function": {"name": "write", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": call_id, "content": "File created: hello.txt"}
    ]);
    let response = post(&mock, "/v1/chat/completions", &chat(second, false)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(
        body["choices"][0]["message"],
        json!({"role": "assistant", "content": "Done: hello.txt is written."})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(mock.remaining(), 0);

    let recorded = mock.requests();
    assert!(
        recorded
            .iter()
            .all(|r| r.api == Api::OpenaiChat && r.is_messages())
    );
    assert_eq!(recorded[0].served, Served::Scripted(0));
    assert_eq!(recorded[1].tool_results(), ["File created: hello.txt"]);
    assert_eq!(recorded[1].header("authorization"), Some("Bearer sk-test"));
}

#[tokio::test]
async fn chat_completions_errors_take_openais_shape_over_http_and_in_the_stream() {
    let script = Script::new(vec![
        Reply {
            error: Some(ErrorReply {
                retry_after: Some(3),
                ..ErrorReply::new("rate_limit_error", "Rate limit reached")
            }),
            ..Reply::default()
        },
        in_stream("overloaded_error", "Overloaded"),
    ]);
    let mock = start(script).await;
    let prompt = json!([{"role": "user", "content": "hi"}]);
    let response = post(&mock, "/v1/chat/completions", &chat(prompt.clone(), true)).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null,
                         "code": "rate_limit_exceeded"}})
    );

    let (chunks, done) =
        data_events(post(&mock, "/v1/chat/completions", &chat(prompt, true)).await).await;
    assert!(!done, "an error ends the stream without [DONE]");
    assert_eq!(
        chunks.last().unwrap(),
        &json!({"error": {"message": "Overloaded", "type": "server_error", "param": null,
                          "code": "server_is_overloaded"}})
    );
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "partial");
}

#[tokio::test]
async fn responses_stream_numbered_events_and_call_freeform_tools_with_a_string() {
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n";
    let script = Script::new(vec![
        Reply::tool_use("apply_patch", json!(patch)),
        Reply::tool_use(
            "shell",
            json!({"command": ["bash", "-lc", "cat hello.txt"]}),
        )
        .when(When::tool_result("hello.txt")),
        Reply::text("All done.").when(When::tool_result("hello")),
    ]);
    let mock = start(script).await;
    let events = events(
        post(
            &mock,
            "/v1/responses",
            &responses(json!("add hello.txt"), true),
        )
        .await,
    )
    .await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.custom_tool_call_input.delta",
            "response.custom_tool_call_input.delta",
            "response.custom_tool_call_input.delta",
            "response.custom_tool_call_input.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let data: Vec<Value> = events
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    for (n, (name, event)) in names.iter().zip(&data).enumerate() {
        assert_eq!(event["type"], *name);
        assert_eq!(event["sequence_number"], n);
    }
    let item = &data[7]["item"];
    assert_eq!(item["type"], "custom_tool_call");
    assert_eq!(item["input"], patch);
    let call_id = item["call_id"].as_str().unwrap();
    let completed = &data[8]["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["model"], "gpt-5-codex");
    assert_eq!(completed["output"], json!([item]));
    assert!(completed["usage"]["input_tokens"].as_u64().unwrap() > 0);

    // The patch's output comes back; not streamed, the shell call is a function_call.
    let input = json!([
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "add hello.txt"}]},
        {"type": "custom_tool_call", "call_id": call_id, "name": "apply_patch", "input": patch},
        {"type": "custom_tool_call_output", "call_id": call_id,
         "output": "Success. Updated the following files:\nA hello.txt"}
    ]);
    let response = post(&mock, "/v1/responses", &responses(input, false)).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    let call = &body["output"][0];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["name"], "shell");
    assert_eq!(
        serde_json::from_str::<Value>(call["arguments"].as_str().unwrap()).unwrap(),
        json!({"command": ["bash", "-lc", "cat hello.txt"]})
    );
    let recorded = mock.requests();
    assert_eq!(recorded[1].api, Api::OpenaiResponses);
    assert_eq!(
        recorded[1].tool_results(),
        ["Success. Updated the following files:\nA hello.txt"]
    );
    assert_eq!(mock.remaining(), 1);
}

#[tokio::test]
async fn responses_errors_are_openai_http_errors_or_a_failed_response() {
    let script = Script::new(vec![
        Reply {
            error: Some(ErrorReply::new("authentication_error", "Incorrect API key")),
            ..Reply::default()
        },
        in_stream("api_error", "boom"),
    ]);
    let mock = start(script).await;
    let response = post(&mock, "/v1/responses", &responses(json!("hi"), true)).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "Incorrect API key", "type": "invalid_request_error",
                         "param": null, "code": "invalid_api_key"}})
    );
    let events = events(post(&mock, "/v1/responses", &responses(json!("hi"), true)).await).await;
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "response.failed");
    let data: Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["response"]["status"], "failed");
    assert_eq!(
        data["response"]["error"],
        json!({"code": "server_error", "message": "boom"})
    );
    assert!(
        events
            .iter()
            .any(|(n, _)| n == "response.output_text.delta")
    );
}

#[tokio::test]
async fn gemini_streams_text_and_a_whole_function_call_and_counts_tokens() {
    let script = Script::new(vec![
        write_call(),
        Reply::text("Done.").when(When::tool_result("hello.txt")),
    ]);
    let mock = start(script).await;
    let first = gemini(json!([{"role": "user", "parts": [{"text": "write hello.txt"}]}]));
    let path = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse";
    let (chunks, done) = data_events(post(&mock, path, &first).await).await;
    assert!(!done, "Gemini's stream just ends");
    let parts: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["candidates"][0]["content"]["parts"][0])
        .collect();
    let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
    assert_eq!(text, "I'll write the file.");
    let last = chunks.last().unwrap();
    assert_eq!(
        parts.last().unwrap(),
        &&json!({"functionCall": {"name": "write",
                                  "args": {"path": "hello.txt", "content": "hello\n"}}})
    );
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["modelVersion"], "gemini-2.5-pro");
    let usage = &last["usageMetadata"];
    assert!(usage["candidatesTokenCount"].as_u64().unwrap() > 0);
    assert!(
        chunks
            .iter()
            .all(|c| c["usageMetadata"]["promptTokenCount"].as_u64() > Some(0))
    );

    let second = gemini(json!([
        {"role": "user", "parts": [{"text": "write hello.txt"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "write", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "write",
            "response": {"output": "Wrote hello.txt"}}}]}
    ]));
    let response = post(&mock, "/v1/models/gemini-2.5-pro:generateContent", &second).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["candidates"][0]["content"],
        json!({"role": "model", "parts": [{"text": "Done."}]})
    );
    let count: Value = post(&mock, "/v1beta/models/gemini-2.5-pro:countTokens", &second)
        .await
        .json()
        .await
        .unwrap();
    assert!(count["totalTokens"].as_u64().unwrap() > 0);

    let recorded = mock.requests();
    assert_eq!(recorded[1].api, Api::Gemini);
    assert_eq!(recorded[1].tool_results(), ["Wrote hello.txt"]);
    assert_eq!(
        recorded.iter().map(|r| r.served).collect::<Vec<_>>(),
        [
            Served::Scripted(0),
            Served::Scripted(1),
            Served::CountTokens
        ]
    );
}

#[tokio::test]
async fn gemini_errors_carry_its_status_names_and_overloads_are_503() {
    let script = Script::new(vec![
        Reply {
            error: Some(ErrorReply::new(
                "overloaded_error",
                "The model is overloaded.",
            )),
            ..Reply::default()
        },
        in_stream("rate_limit_error", "Quota exceeded"),
    ]);
    let mock = start(script).await;
    let body = gemini(json!([{"role": "user", "parts": [{"text": "hi"}]}]));
    let path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
    let response = post(&mock, path, &body).await;
    assert_eq!(response.status(), 503);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error,
        json!({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})
    );
    // Mid-stream the error is its JSON alone, not a `data:` line: Google's SDK only
    // catches an error in a network read that is one JSON object.
    let response = post(&mock, path, &body).await;
    assert_eq!(response.status(), 200);
    let mut reads = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(read) = stream.next().await {
        reads.push(String::from_utf8(read.unwrap().to_vec()).unwrap());
    }
    let last: Value = serde_json::from_str(reads.last().unwrap()).unwrap();
    assert_eq!(
        last,
        json!({"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}})
    );
    let before = reads[..reads.len() - 1].concat();
    let chunk: Value = serde_json::from_str(
        before
            .strip_prefix("data: ")
            .and_then(|rest| rest.strip_suffix("\n\n"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        chunk["candidates"][0]["content"]["parts"][0]["text"],
        "partial"
    );
}

#[tokio::test]
async fn model_lists_answer_each_sdk_and_unknown_paths_404_in_the_apis_shape() {
    let mock = start(Script::default()).await;
    let list: Value = get(&mock, "/v1/models").await.json().await.unwrap();
    assert_eq!(list["object"], "list");
    assert_eq!(list["has_more"], false);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"gpt-5-codex") && ids.contains(&"claude-sonnet-4-5"),
        "{ids:?}"
    );
    let one: Value = get(&mock, "/v1/models/gpt-5").await.json().await.unwrap();
    assert_eq!(
        (one["id"].as_str(), one["object"].as_str()),
        (Some("gpt-5"), Some("model"))
    );
    let gemini: Value = get(&mock, "/v1beta/models").await.json().await.unwrap();
    assert_eq!(gemini["models"][0]["name"], "models/gemini-2.5-pro");

    let response = post(&mock, "/v1/responses/compact", &json!({})).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/v1/responses/compact")
    );
    let response = post(
        &mock,
        "/v1beta/models/gemini-2.5-pro:embedContent",
        &json!({}),
    )
    .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    assert_eq!(body["error"]["code"], 404);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", mock.url()))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let recorded: Vec<(Api, Served)> = mock.requests().iter().map(|r| (r.api, r.served)).collect();
    assert_eq!(
        recorded,
        [
            (Api::OpenaiChat, Served::Models),
            (Api::OpenaiChat, Served::Models),
            (Api::Gemini, Served::Models),
            (Api::OpenaiResponses, Served::NotFound),
            (Api::Gemini, Served::NotFound),
            (Api::OpenaiChat, Served::BadRequest),
        ]
    );
}

#[tokio::test]
async fn delays_hold_for_every_api() {
    let slow = || Reply {
        delay_ms: 100,
        chunk_delay_ms: 20,
        ..Reply::text("slow")
    };
    let mock = start(Script::new(vec![slow(), slow(), slow()])).await;
    let requests = [
        (
            "/v1/chat/completions",
            chat(json!([{"role": "user", "content": "hi"}]), true),
            5,
        ),
        ("/v1/responses", responses(json!("hi"), true), 9),
        (
            "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
            gemini(json!([{"role": "user", "parts": [{"text": "hi"}]}])),
            1,
        ),
    ];
    for (path, body, frames) in requests {
        let started = Instant::now();
        let events = events(post(&mock, path, &body).await).await;
        assert_eq!(events.len(), frames, "{path}: {events:?}");
        let least = Duration::from_millis(100 + 20 * (frames as u64 - 1));
        assert!(
            started.elapsed() >= least,
            "{path}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn side_requests_asking_for_json_get_the_smallest_value_their_schema_allows() {
    let mock = start(Script::new(vec![Reply::text("the turn")])).await;
    // Codex's thread title: no tools, `text.format` with a schema.
    let title = json!({"model": "gpt-5-codex", "stream": true, "input": "name this thread",
        "text": {"format": {"type": "json_schema", "name": "title", "strict": true,
            "schema": {"type": "object", "properties": {"title": {"type": "string"}},
                       "required": ["title"], "additionalProperties": false}}}});
    let events = events(post(&mock, "/v1/responses", &title).await).await;
    let done = events
        .iter()
        .find(|(name, _)| name == "response.output_text.done")
        .unwrap();
    let done: Value = serde_json::from_str(&done.1).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(done["text"].as_str().unwrap()).unwrap(),
        json!({"title": "mock"})
    );
    // Gemini CLI's next-speaker check, in Gemini's schema dialect.
    let check = json!({
        "contents": [{"role": "user", "parts": [{"text": "who speaks next?"}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": {
            "type": "object", "properties": {"reasoning": {"type": "string"},
            "next_speaker": {"type": "string", "enum": ["user", "model"]}}}}});
    let body: Value = post(
        &mock,
        "/v1beta/models/gemini-2.5-flash:generateContent",
        &check,
    )
    .await
    .json()
    .await
    .unwrap();
    let text = body["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        json!({"reasoning": "mock", "next_speaker": "user"})
    );
    assert_eq!(mock.remaining(), 1, "side requests leave the script alone");
}
