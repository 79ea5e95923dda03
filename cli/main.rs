//! The `plinth` command: runs the server, and talks to a running one.

mod browser;
mod cli;
mod client;
mod commands;
mod confirm;
mod failure;
mod follow;
mod limits;
mod logging;
mod table;

fn main() {
    let cli = cli::Cli::parse_args();
    // Rust ignores SIGPIPE, which turns `plinth ps | head` into a panic on the next print;
    // a client command should end quietly instead, as other tools do. The server keeps
    // ignoring it: a child process that closes its stdin early must not kill the server.
    if !matches!(cli.command, None | Some(cli::Command::Serve(_))) {
        // SAFETY: restoring the default disposition before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("plinth-io")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            failure::Failure::other(format!("cannot start the async runtime: {err}")).exit()
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // Don't wait for detached tasks (an idle event stream): the command's work is done.
    runtime.shutdown_timeout(limits::RUNTIME_SHUTDOWN);
    match result {
        Ok(code) => std::process::exit(code),
        Err(failure) => failure.exit(),
    }
}
