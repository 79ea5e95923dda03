//! Nothing acknowledged is lost: not by kill -9, not by a reconnecting reader.

mod support;

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use support::Home;

async fn append(server: &support::Server, i: u64) -> u64 {
    let res = server
        .post("/api/events")
        .json(&json!({"kind": "ext.test", "task": "t1", "data": {"i": i}}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json::<Value>().await.unwrap()["seq"].as_u64().unwrap()
}

#[tokio::test]
async fn acknowledged_events_survive_kill_dash_9_in_order() {
    const N: u64 = 300;
    let home = Home::new();
    let server = home.serve();
    let mut acked = Vec::new();
    // Concurrent appenders, so the writer batches: acknowledgement must still mean durable.
    let mut pending = futures::stream::iter(0..N)
        .map(|i| append(&server, i))
        .buffer_unordered(32);
    while let Some(seq) = pending.next().await {
        acked.push(seq);
    }
    drop(pending);
    server.kill9();

    let server = home.serve();
    let events = server.events_after("kind=ext.test", 0).await;
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(events.len() as u64, N, "every acknowledged event is back");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order");
    acked.sort();
    assert_eq!(seqs, acked, "exactly the acknowledged ones");
    let mut payloads: Vec<u64> = events
        .iter()
        .map(|e| e["data"]["i"].as_u64().unwrap())
        .collect();
    payloads.sort();
    assert_eq!(payloads, (0..N).collect::<Vec<_>>());
    for e in &events {
        assert_eq!(e["task"], "t1");
        assert!(e["at"].as_str().unwrap().ends_with('Z'));
    }
}

/// Reads SSE events until `n` have arrived; returns their seqs.
async fn read_sse(server: &support::Server, last_event_id: Option<u64>, n: usize) -> Vec<u64> {
    let mut req = server
        .client()
        .get(format!("{}/api/events?kind=ext.test", server.url))
        .bearer_auth(&server.token)
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut stream = res.bytes_stream();
    let mut buf = String::new();
    let mut seqs = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seqs.len() < n {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("events arrive in time")
            .expect("stream open")
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let id = block
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|v| v.trim().parse::<u64>().unwrap());
            let data = block.lines().find_map(|l| l.strip_prefix("data:"));
            if let (Some(id), Some(data)) = (id, data) {
                let event: Value = serde_json::from_str(data.trim()).unwrap();
                assert_eq!(event["seq"].as_u64(), Some(id), "the SSE id is the seq");
                seqs.push(id);
            }
        }
    }
    seqs
}

#[tokio::test]
async fn a_reader_resuming_from_its_cursor_gets_exactly_what_it_missed() {
    let home = Home::new();
    let server = home.serve();
    let mut first = Vec::new();
    for i in 0..5 {
        first.push(append(&server, i).await);
    }
    let seen = read_sse(&server, None, 5).await;
    assert_eq!(seen, first);
    let cursor = *seen.last().unwrap();

    // While the reader is away, more happens.
    let mut missed = Vec::new();
    for i in 5..12 {
        missed.push(append(&server, i).await);
    }
    // It comes back with Last-Event-ID and stays for live events, appended concurrently.
    let reader = read_sse(&server, Some(cursor), 7 + 5);
    let writer = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut live = Vec::new();
        for i in 12..17 {
            live.push(append(&server, i).await);
        }
        live
    };
    let (got, live) = tokio::join!(reader, writer);
    let expected: Vec<u64> = missed.into_iter().chain(live).collect();
    assert_eq!(got, expected, "no duplicates, no gaps, in order");

    // The explicit ?after= cursor works the same way.
    let page: Vec<Value> = server
        .get(&format!("/api/events?after={cursor}&kind=ext.test"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.len(), 12);
}
