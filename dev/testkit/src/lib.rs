//! The test kit every plinth test crate shares (dev-only, never published): git
//! repositories, a private plinth home served by the real binary, Docker by its command
//! line, throwaway Docker daemons in network namespaces, the web terminal and `task
//! attach` as a person uses them, tmux servers on sockets of their own, and the real Claude Code against the mock model.
//!
//! It depends on no plinth crate but the mock model: a crate whose tests used a kit that
//! depended on that crate would meet two copies of its types. Fixtures about one crate's
//! internals stay in that crate's `tests/support`.

// A fixture's `new` makes something outside the process (a directory, a namespace), which a
// `Default` would hide.
#![allow(clippy::new_without_default)]

pub mod attach;
pub mod claude;
pub mod docker;
pub mod git;
pub mod home;
pub mod netns_docker;
pub mod server;
pub mod terminal;
pub mod tmux;

pub use docker::{Containers, containers_of, remove_containers_of, running_container};
pub use git::{git, git_out, git_stdout, repository, repository_with_readme, rev};
pub use home::{Home, binary, served, stderr, stdout};
pub use server::Server;
