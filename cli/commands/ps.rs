//! `plinth ps` and `plinth inspect`: the actor registry, as a tree or one entry.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use futures::StreamExt;
use plinth_kernel::{ActorInfo, ActorState};
use plinth_server::Home;

use crate::client::Client;
use crate::failure::Failure;
use crate::follow::follow_server;
use crate::table::table;

pub async fn list(client: &Client, json: bool) -> Result<i32, Failure> {
    let actors: Vec<ActorInfo> = client.get("/api/actors").await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&actors).expect("actors serialize")
        );
    } else {
        print!("{}", render_tree(&actors));
    }
    Ok(0)
}

/// `plinth ps --watch`: the tree again at each change the server streams. On a terminal it
/// is redrawn in place, and once a second besides so the uptimes tick; otherwise each tree
/// (or, with `--json`, each JSON array on its own line) follows the last.
pub async fn watch(home: &Home, json: bool) -> Result<i32, Failure> {
    let redraw = !json && std::io::stdout().is_terminal();
    follow_server(home, |client| async move {
        follow_tree(&client, json, redraw).await
    })
    .await
}

async fn follow_tree(client: &Client, json: bool, redraw: bool) -> Result<(), Failure> {
    let stream = client.stream("/api/actors").await?;
    let mut stream = std::pin::pin!(stream);
    let mut shown: Option<(Vec<ActorInfo>, Instant)> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            data = stream.next() => {
                let Some(data) = data else { return Ok(()) };
                let actors: Vec<ActorInfo> = match serde_json::from_str(&data) {
                    Ok(actors) => actors,
                    Err(err) => {
                        tracing::warn!(%err, "skipping a tree that could not be read");
                        continue;
                    }
                };
                if json {
                    println!("{data}");
                } else {
                    draw(&actors, Duration::ZERO, redraw);
                }
                shown = Some((actors, Instant::now()));
            }
            _ = tick.tick(), if redraw => {
                if let Some((actors, at)) = &shown {
                    draw(actors, at.elapsed(), true);
                }
            }
        }
    }
}

/// Prints the tree as it is `since` after it was received (uptimes counted on).
fn draw(actors: &[ActorInfo], since: Duration, in_place: bool) {
    let aged: Vec<ActorInfo> = actors
        .iter()
        .cloned()
        .map(|mut a| {
            a.uptime_ms += since.as_millis() as u64;
            a
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if in_place {
        // Home, clear: the tree replaces the last one.
        let _ = write!(out, "\x1b[H\x1b[2J");
        let _ = write!(out, "{}\nwatching; Ctrl-C stops\n", render_tree(&aged));
    } else {
        let _ = writeln!(out, "{}", render_tree(&aged));
    }
    let _ = out.flush();
}

pub async fn inspect(client: &Client, actor: &str, json: bool) -> Result<i32, Failure> {
    let path = format!("/api/actors/{}", crate::client::encode(actor));
    let info: ActorInfo = client.get(&path).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&info).expect("actor serializes")
        );
    } else {
        print!("{}", render_one(&info));
    }
    Ok(0)
}

const HEADER: [&str; 8] = [
    "ID", "NAME", "KIND", "STATE", "MAILBOX", "HANDLED", "RESTARTS", "UPTIME",
];

/// Rows in tree order (parents before children, siblings by id), names indented by depth.
pub fn render_tree(actors: &[ActorInfo]) -> String {
    let ids: std::collections::HashSet<u64> = actors.iter().map(|a| a.id).collect();
    let mut children: BTreeMap<Option<u64>, Vec<&ActorInfo>> = BTreeMap::new();
    for actor in actors {
        // An actor whose parent is gone is shown at the top rather than lost.
        let parent = actor.parent.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(actor);
    }
    for list in children.values_mut() {
        list.sort_by_key(|a| a.id);
    }
    let mut rows = vec![HEADER.map(String::from).to_vec()];
    let mut errors = Vec::new();
    let mut stack: Vec<(&ActorInfo, usize)> = children
        .get(&None)
        .map(|l| l.iter().rev().map(|a| (*a, 0)).collect())
        .unwrap_or_default();
    while let Some((actor, depth)) = stack.pop() {
        let short = actor.name.rsplit('/').next().unwrap_or(&actor.name);
        let name = if depth == 0 {
            short.to_string()
        } else {
            format!("{}└ {short}", "  ".repeat(depth - 1))
        };
        rows.push(vec![
            actor.id.to_string(),
            name,
            actor.kind.clone(),
            state_name(actor.state).to_string(),
            actor.mailbox.to_string(),
            actor.handled.to_string(),
            restarts(actor),
            uptime(actor),
        ]);
        if let Some(err) = &actor.last_error {
            errors.push(format!("{} ({}): {err}", actor.name, actor.id));
        }
        if let Some(kids) = children.get(&Some(actor.id)) {
            stack.extend(kids.iter().rev().map(|a| (*a, depth + 1)));
        }
    }
    let mut out = table(&rows);
    if !errors.is_empty() {
        out.push_str("\nlast errors:\n");
        for e in errors {
            out.push_str(&format!("  {e}\n"));
        }
    }
    out
}

fn render_one(a: &ActorInfo) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<12} {v}\n"));
    line("id", a.id.to_string());
    line("name", a.name.clone());
    line("kind", a.kind.clone());
    line(
        "parent",
        a.parent
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into()),
    );
    line("state", state_name(a.state).into());
    line("mailbox", a.mailbox.to_string());
    line("handled", a.handled.to_string());
    line("restarts", restarts(a));
    line("uptime", uptime(a));
    line(
        "in flight",
        a.in_flight.clone().unwrap_or_else(|| "-".into()),
    );
    line(
        "last error",
        a.last_error.clone().unwrap_or_else(|| "-".into()),
    );
    out
}

fn state_name(state: ActorState) -> &'static str {
    match state {
        ActorState::Starting => "starting",
        ActorState::Running => "running",
        ActorState::Restarting => "restarting",
        ActorState::Stopped => "stopped",
        ActorState::Failed => "failed",
    }
}

fn restarts(a: &ActorInfo) -> String {
    match &a.restart_limit {
        Some(limit) => format!(
            "{} (max {} in {})",
            a.restarts,
            limit.max_restarts,
            duration(limit.within_ms)
        ),
        None => a.restarts.to_string(),
    }
}

fn uptime(a: &ActorInfo) -> String {
    match a.state {
        ActorState::Running | ActorState::Starting => duration(a.uptime_ms),
        _ => "-".into(),
    }
}

fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(id: u64, name: &str, parent: Option<u64>) -> ActorInfo {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "kind": "k", "parent": parent, "state": "running",
            "mailbox": 0, "handled": 1, "restarts": 0, "last_error": null,
            "started_at": 0, "uptime_ms": 61_000, "in_flight": null, "restart_limit": null
        }))
        .unwrap()
    }

    #[test]
    fn children_are_listed_under_their_parent() {
        let out = render_tree(&[
            actor(3, "root/b", Some(1)),
            actor(1, "root", None),
            actor(2, "root/a", Some(1)),
            actor(4, "root/a/x", Some(2)),
        ]);
        let names: Vec<&str> = out
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(1).unwrap())
            .collect();
        assert_eq!(names, ["root", "└", "└", "└"]);
        let order: Vec<&str> = out
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(order, ["1", "2", "4", "3"]);
        assert!(out.contains("1m01s"));
    }

    #[test]
    fn an_orphan_is_shown_not_dropped() {
        let out = render_tree(&[actor(5, "gone/child", Some(99))]);
        assert!(out.contains("child"));
    }
}
