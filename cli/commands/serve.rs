use std::path::{Path, PathBuf};

use plinth_actors::config::Config;

use plinth_server::{Home, Ready, ServeOptions, Stopped, serve};

use crate::cli::Listen;
use crate::failure::{Failure, code};

/// `explicit_home`: the home given by `--home` or `PLINTH_HOME`, where the config file is.
pub async fn run(
    home: &Home,
    explicit_home: Option<&Path>,
    listen: &Listen,
    register: Option<PathBuf>,
) -> Result<i32, Failure> {
    let (config, _) = Config::load(explicit_home).map_err(|err| Failure::other(err.to_string()))?;
    let options = ServeOptions {
        config,
        home: home.clone(),
        bind: listen.bind,
        port: listen.port,
        public_name: listen.public_name.clone(),
        register,
    };
    let open = !listen.no_open;
    let stopped = serve(options, |ready| announce(ready, open)).await?;
    match stopped {
        Stopped::Signal => Ok(0),
        Stopped::RootFailed(reason) => {
            Err(Failure::new(code::FAILED, format!("stopped: {reason}")))
        }
    }
}

fn announce(ready: Ready<'_>, open: bool) {
    let link = format!("{}/?token={}", ready.server.url, ready.server.token);
    if let Some(project) = ready.project {
        println!(
            "plinth: project {} ({})",
            project.name,
            project.path.display()
        );
    }
    println!("plinth is running at {link}");
    println!("Stop it with Ctrl-C. The token is also in the server file for the CLI.");
    if open {
        crate::browser::open(&link);
    }
}
