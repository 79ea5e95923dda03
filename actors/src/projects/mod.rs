//! Projects: the git repositories plinth works on.
//!
//! A project is registered by running `plinth` inside it (the seed's onboarding: no adding
//! a project from elsewhere). Registration is idempotent: the same repository always gets
//! the same id, however it is reached (subdirectory, symlink).
//!
//! The [`ProjectService`] actor: [`protocol`] says what it accepts and answers ([`error`], what goes wrong), [`state`]
//! what it holds, `register` and `list` handle its two messages. [`record`] is what is
//! stored of a project; [`repository`] finds a repository's root and its project id.

pub mod error;
mod list;
pub mod protocol;
pub mod record;
mod register;
pub mod repository;
pub mod state;

pub use error::ProjectError;
pub use protocol::{ListProjects, RegisterProject};
pub use record::{Project, ProjectRecord, ProjectV1};
pub use repository::{project_id, repository_root};
pub use state::ProjectService;
