//! `plinth` with no command, run inside a repository: register it as a project and serve,
//! or, when a server already runs, register it there and print its URL.

use std::path::Path;

use plinth_actors::projects::{Project, repository_root};
use plinth_server::{Home, ServerFile};
use serde_json::json;

use crate::cli::Listen;
use crate::client::Client;
use crate::failure::{Failure, code};

pub async fn run(
    home: &Home,
    explicit_home: Option<&Path>,
    listen: &Listen,
) -> Result<i32, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|err| Failure::other(format!("cannot read the current directory: {err}")))?;
    let root = repository_root(&cwd).map_err(|err| {
        Failure::new(
            code::USAGE,
            format!("{err}; or start the server alone with `plinth serve`"),
        )
    })?;
    if let Ok(server) = ServerFile::find(home) {
        let client = Client::for_server(server);
        let project: Project = client
            .post("/api/projects", &json!({ "path": root }))
            .await?;
        let link = format!("{}/?token={}", client.server().url, client.server().token);
        println!(
            "plinth: project {} ({}) added to the running server",
            project.name,
            project.path.display()
        );
        println!("plinth is running at {link}");
        if !listen.no_open {
            crate::browser::open(&link);
        }
        return Ok(0);
    }
    super::serve::run(home, explicit_home, listen, Some(root)).await
}
