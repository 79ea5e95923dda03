//! Logs go to stderr through tracing; `RUST_LOG` picks what, `-v` raises the default.

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8) {
    let default = match verbose {
        0 => {
            "plinth=info,plinth_server=info,plinth_kernel=warn,plinth_store=warn,plinth_actors=info,warn"
        }
        1 => {
            "plinth=debug,plinth_server=debug,plinth_kernel=debug,plinth_store=debug,plinth_actors=debug,info"
        }
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
