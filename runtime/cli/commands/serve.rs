use std::path::PathBuf;

use plinth_server::{Home, Ready, ServeOptions, Stopped, serve};

use crate::cli::Listen;
use crate::failure::{Failure, code};

pub async fn run(home: &Home, listen: &Listen, register: Option<PathBuf>) -> Result<i32, Failure> {
    let options = ServeOptions {
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
        super::onboard::open_browser(&link);
    }
}
