//! Agent adapters: which ones plinth knows (built in, or added by the user with their
//! grants) and how one is loaded for a task.

mod catalog;
mod error;
mod name;
mod record;
mod view;

pub use catalog::{AgentCatalog, AgentListing, Examined};
pub use error::AgentError;
pub use record::{InstalledAgent, InstalledAgentRecord, InstalledAgentV1};
pub use view::AgentView;
