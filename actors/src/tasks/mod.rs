//! Tasks: a prompt given to an agent in a sandbox, from creation to its branch.
//!
//! - [`record`]: what is stored of a task and where it is in its life.
//! - [`keys`] and [`endpoints`]: the token and the URLs a task's sandbox reaches plinth by;
//!   [`reach`]: a Docker task starts only once its container is seen to reach them.
//! - [`notify`]: notifications, and the command run for each.
//! - [`id`]: the readable ids tasks (and their branches and containers) get.
//! - [`control`]: messages to a task's agent, and resuming a stopped task.
//! - [`hosts`]: the running agent hosts, and signals held for one being started.
//! - [`restart_budget`]: each task's agent restarts within a budget of its own; past it the
//!   task fails.
//! - `environment_lost`: a task whose environment failed under it fails, and its work is
//!   brought back.
//! - [`service`]: the actor that makes, follows, stops and resumes tasks.
//! - [`view`]: a task as the API and the CLI show it; [`event_data`]: as its events carry
//!   it (without its whole prompt).
//! - [`wake`]: an ended task's agent host ended and its environment stopped, and woken
//!   again for what needs it (a sync, a diff, a terminal).
//! - [`sync`]: the task's commits back into the user's repository, and its diff
//!   ([`git_sync`] on the host, [`sandbox_git`] in the environment, [`sync_record`] stored).

pub mod control;
pub mod endpoints;
mod environment_lost;
pub mod event_data;
pub mod git_sync;
pub mod hosts;
pub mod id;
pub mod keys;
pub mod notify;
pub mod reach;
pub mod record;
pub mod restart_budget;
pub mod sandbox_git;
pub mod service;
pub mod sync;
pub mod sync_record;
pub mod view;
pub mod wake;

pub use control::{DeliverHook, ResumeTask, SendMessage, SignalAgent};
pub use endpoints::{GatewayListener, SandboxEndpoints};
pub use keys::TaskKeys;
pub use record::{Lifecycle, Task, TaskRecord};
pub use service::{
    ArchiveTask, CreateTask, GetTask, ListTasks, StopTask, TaskError, TaskService, TaskServiceDeps,
};
pub use sync::{DiffReport, DiffSource, SyncError, SyncOutcome, SyncReport, SyncTask, TaskDiff};
pub use view::TaskView;
pub use wake::{Lease, WakeEnvironment, Wakes};
