//! `plinth gc`: removes what tasks left behind — containers labelled as plinth's whose
//! task the store does not know, and worktrees under PLINTH_HOME with no record. Works
//! without a server (it reads the store and asks Docker itself), and always says what it
//! will remove before it does.

use std::path::Path;

use plinth_actors::config::Config;
use plinth_actors::environments::DockerClient;
use plinth_actors::environments::gc::{self, Garbage};
use plinth_server::Home;
use serde_json::json;

use crate::cli::GcArgs;
use crate::confirm::confirm;
use crate::failure::Failure;

pub async fn run(home: &Home, explicit_home: Option<&Path>, args: GcArgs) -> Result<i32, Failure> {
    let (config, _) = Config::load(explicit_home).map_err(|err| Failure::other(err.to_string()))?;
    let store = super::home_store::open(home)?;
    // Docker down is no reason not to clean up worktrees; it is said, not fatal.
    let (docker, docker_error) = match DockerClient::connect_to(&config.docker.socket).await {
        Ok(client) => (Some(client), None),
        Err(err) => (None, Some(err.to_string())),
    };
    let garbage = gc::find(&store, docker.as_ref(), home.root(), args.label.as_deref())
        .await
        .map_err(|err| Failure::other(err.to_string()))?;

    if !args.json {
        if let Some(err) = &docker_error {
            eprintln!("warning: containers not checked: {err}");
        }
        print!("{}", render(&garbage));
    }
    let remove = if garbage.is_empty() {
        false
    } else if args.yes {
        true
    } else {
        confirm("Remove them?")?
    };
    if remove {
        gc::remove(&garbage, docker.as_ref())
            .await
            .map_err(|err| Failure::other(err.to_string()))?;
    }
    if args.json {
        let out = json!({
            "containers": garbage.containers,
            "worktrees": garbage.worktrees,
            "removed": remove,
            "docker_error": docker_error,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else if remove {
        println!(
            "removed {} container(s) and {} worktree(s)",
            garbage.containers.len(),
            garbage.worktrees.len()
        );
    } else if !garbage.is_empty() {
        println!("nothing removed");
    }
    Ok(0)
}

fn render(garbage: &Garbage) -> String {
    if garbage.is_empty() {
        return "nothing to remove: every container and worktree of plinth's belongs to a known task\n"
            .into();
    }
    let mut text = String::from("will remove:\n");
    for c in &garbage.containers {
        text.push_str(&format!(
            "  container {} ({}, task {}, project {}, {})\n",
            c.name,
            &c.id[..c.id.len().min(12)],
            c.task,
            c.project,
            c.state
        ));
    }
    for w in &garbage.worktrees {
        text.push_str(&format!(
            "  worktree {} (task {})\n",
            w.path.display(),
            w.task
        ));
    }
    text
}
