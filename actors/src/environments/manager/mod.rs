//! The EnvironmentManager: the one actor that owns every task's environment, Docker or
//! local. Every change is an event in the store and the environment's record is stored
//! state, so a new manager (after a crash or a server restart) re-adopts what it finds:
//! containers labelled as ours whose task it knows come back with a sandbox over the
//! running container (their tmux sessions untouched); labelled containers it does not know
//! are orphans, reported and left for `plinth gc`.
//!
//! Docker work runs on the Docker runtime ([`super::docker::exec::block_on_docker`]) from a
//! blocking thread (`off_thread`), so the actor's own thread is never held by a build or
//! a copy.
//!
//! The manager also keeps every task's scrollback in the store ([`super::scrollback`]): on
//! a timer, at every `task.status` event, and right before an environment is stopped or
//! removed, so the last screen outlives the container.
//!
//! Read in this order:
//! - [`protocol`]: the messages the manager takes and what each answers.
//! - [`settings`]: where local environments live and what the manager adds to what it makes.
//! - `state`: the actor's state; `entries` is what it holds of each environment,
//!   shared by its handlers and the watcher.
//! - the handlers, one file per concern: `lifecycle` (start, timers, stop), `readopt`
//!   (what a new manager finds), `create` (a new environment; `create_docker` makes its
//!   container), `halt` (stop and remove), `resume` (start a stopped one again), `query`
//!   (get, list, gateway), `capture` (scrollback), and `watch` (containers that die
//!   under it).
//! - helpers the handlers share: `docker_link` (the connection to Docker), `off_thread`
//!   (blocking work off the actor's thread), `save` (a record and its event together).

mod capture;
mod create;
mod create_docker;
mod docker_link;
mod entries;
mod halt;
mod lifecycle;
mod off_thread;
pub mod protocol;
mod query;
mod readopt;
mod resume;
mod save;
pub mod settings;
mod state;
mod watch;
mod watch_reasons;

pub use protocol::{
    CaptureScrollback, CreateEnvironment, Environment, EnvironmentError, GetEnvironment,
    ListEnvironments, Listing, RemoveEnvironment, SandboxGateway, StartEnvironment,
    StopEnvironment,
};
pub use settings::{LOCAL_TMUX_SOCKET, ManagerSettings};
pub use state::EnvironmentManager;
