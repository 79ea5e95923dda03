//! `plinth events`: the log, or with `--follow` the live stream, reconnecting from the last
//! sequence number seen so a server restart loses nothing.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;
use plinth_store::Event;

use crate::cli::EventsArgs;
use crate::client::{Client, query};
use crate::failure::{Failure, code};

const PAGE: usize = 1000;
/// How long `--follow` keeps trying to reach a server that went away.
const RECONNECT_FOR: Duration = Duration::from_secs(30);

pub async fn run(client: &Client, args: EventsArgs) -> Result<i32, Failure> {
    let mut after = args.after;
    if !args.follow {
        loop {
            let page: Vec<Event> = client
                .get(&format!(
                    "/api/events{}",
                    events_query(&args, after, Some(PAGE))
                ))
                .await?;
            for event in &page {
                print_event(event, args.json);
                after = event.seq;
            }
            if page.len() < PAGE {
                return Ok(0);
            }
        }
    }
    let mut gone_since: Option<std::time::Instant> = None;
    loop {
        match follow_once(client, &args, &mut after).await {
            Ok(()) => gone_since = None,
            Err(failure) if failure.code == code::USAGE => {
                let since = *gone_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() > RECONNECT_FOR {
                    return Err(failure);
                }
            }
            Err(failure) => return Err(failure),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Streams until the connection ends; `after` advances with every event printed.
async fn follow_once(client: &Client, args: &EventsArgs, after: &mut u64) -> Result<(), Failure> {
    let request = client
        .request(
            reqwest::Method::GET,
            &format!("/api/events{}", events_query(args, *after, None)),
        )
        .header("accept", "text/event-stream");
    let response = client.send(request).await?;
    let mut stream = response.bytes_stream().eventsource();
    while let Some(item) = stream.next().await {
        let Ok(message) = item else { break };
        if message.data.is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(&message.data) {
            Ok(event) => {
                print_event(&event, args.json);
                *after = event.seq;
            }
            Err(err) => tracing::warn!(%err, "skipping an event that could not be read"),
        }
    }
    Ok(())
}

fn events_query(args: &EventsArgs, after: u64, limit: Option<usize>) -> String {
    query(&[
        ("after", Some(after.to_string())),
        ("kind", args.kind.clone()),
        ("task", args.task.clone()),
        ("limit", limit.map(|l| l.to_string())),
    ])
}

fn print_event(event: &Event, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(event).expect("events serialize")
        );
    } else {
        println!(
            "{:>6}  {}  {:<24} {:<12} {}",
            event.seq,
            event.at.format("%Y-%m-%d %H:%M:%S%.3f"),
            event.kind,
            event.task.as_deref().unwrap_or("-"),
            event.data
        );
    }
}
