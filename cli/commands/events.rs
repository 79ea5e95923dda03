//! `plinth events`: the log, or with `--follow` the live stream, reconnecting from the last
//! sequence number seen so a server restart loses nothing.

use std::cell::{Cell, RefCell};

use futures::StreamExt;
use plinth_server::Home;
use plinth_store::Event;

use crate::cli::EventsArgs;
use crate::client::{Client, query};
use crate::failure::Failure;
use crate::follow::follow_server;
use crate::limits::EVENTS_PAGE;

pub async fn run(home: &Home, args: EventsArgs) -> Result<i32, Failure> {
    let json = args.json;
    show(home, &args, |event| print_event(event, json)).await
}

/// The events `args` asks for, each given to `print` in order: those stored, then with
/// `--follow` the new ones as they come, across restarts of the server.
pub async fn show(
    home: &Home,
    args: &EventsArgs,
    print: impl FnMut(&Event),
) -> Result<i32, Failure> {
    let mut after = args.after;
    // Shared by the follower's successive connections, one at a time.
    let print = RefCell::new(print);
    if !args.follow {
        let client = &Client::connect(home)?;
        loop {
            let page: Vec<Event> = client
                .get(&format!(
                    "/api/events{}",
                    events_query(args, after, Some(EVENTS_PAGE))
                ))
                .await?;
            for event in &page {
                (print.borrow_mut())(event);
                after = event.seq;
            }
            if page.len() < EVENTS_PAGE {
                return Ok(0);
            }
        }
    }
    // `after` moves with every event printed, so a reconnect asks for what came since.
    let after = Cell::new(after);
    follow_server(home, |client| {
        let after = &after;
        let print = &print;
        async move {
            let mut at = after.get();
            let followed = follow_once(&client, args, &mut at, print).await;
            after.set(at);
            followed
        }
    })
    .await
}

/// Streams until the connection ends; `after` advances with every event printed.
async fn follow_once(
    client: &Client,
    args: &EventsArgs,
    after: &mut u64,
    print: &RefCell<impl FnMut(&Event)>,
) -> Result<(), Failure> {
    let stream = client
        .stream(&format!("/api/events{}", events_query(args, *after, None)))
        .await?;
    let mut stream = std::pin::pin!(stream);
    while let Some(data) = stream.next().await {
        match serde_json::from_str::<Event>(&data) {
            Ok(event) => {
                (print.borrow_mut())(&event);
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
