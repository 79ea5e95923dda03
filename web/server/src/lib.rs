//! plinth's server: the HTTP API in front of the actor tree.
//!
//! `serve` owns the process's life (home lock, store, kernel, listener, shutdown);
//! `guard` is the one gate every request passes; `routes` is the API.

mod api_error;
mod app_state;
mod guard;
mod home_lock;
mod limits;
mod routes;
mod sandbox_api;
mod secret_file;
mod serve;
mod token;
mod tree;
mod ttyd_pool;

pub mod home;
pub mod llm_proxy;
pub mod server_file;

pub use home::Home;
pub use routes::ROUTES;
pub use serve::{Ready, ServeError, ServeOptions, Stopped, serve};
pub use server_file::{FindError, ServerFile};
