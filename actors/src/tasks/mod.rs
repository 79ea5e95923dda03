//! Tasks: a prompt given to an agent in a sandbox, from creation to its branch.
//!
//! The [`TaskService`] actor, read in this order:
//! - [`protocol`]: the messages it accepts and what each answers; [`error`]: what goes
//!   wrong. Start there.
//! - [`state`]: what it needs from the rest of the tree, every task's record, and what its
//!   handlers share (find, save, fail a task; route a signal to its agent).
//! - Its handlers, one concern each: `startup` (what each incarnation does as it starts),
//!   `create` (make a task, and record how its launch went), `status` (the agents'
//!   statuses into the records), `environment_lost` (a task whose environment failed
//!   under it fails), `deliver` (messages, hooks and signals to a task's agent), `answer`
//!   (a choice for the question its agent waits on), `stop`
//!   (stop, resume, archive), `query` (list, get, wake an ended task's environment for a
//!   reader), `work` (sync now, diff).
//! - What the handlers share, in one direction (handlers use these, never each other):
//!   `launch` (a task's environment and agent host started), `ending` (an ended task
//!   announced, its work brought back, what it holds freed), `sync` (the task's commits
//!   back into the user's repository) and `diff` (its changes), both from the environment
//!   `work_environment` finds or wakes.
//!
//! Beneath them, knowing nothing of the service's state:
//! - [`record`]: what is stored of a task and where it is in its life; [`question`]: the
//!   question its agent waits on, and which choice a person's words pick.
//! - [`keys`] and [`endpoints`]: the token and the URLs a task's sandbox reaches plinth by;
//!   [`reach`]: a Docker task starts only once its container is seen to reach them.
//! - [`notify`]: notifications, and the command run for each.
//! - [`id`]: the readable ids tasks (and their branches and containers) get.
//! - [`agent_hosts`]: the running agent hosts, and signals held for one being started.
//! - [`restart_budget`]: each task's agent restarts within a budget of its own; past it the
//!   task fails.
//! - [`wake`]: an ended task's environment woken again, under a lease, for what needs it (a
//!   sync, a diff, a terminal).
//! - [`view`]: a task as the API and the CLI show it; [`event_data`]: as its events carry
//!   it (without its whole prompt).
//! - [`git_sync`] (on the host), [`sandbox_git`] (in the environment) and [`sync_record`]
//!   (stored): the pieces of a sync and a diff.

pub mod agent_hosts;
mod answer;
mod create;
mod deliver;
mod diff;
mod ending;
pub mod endpoints;
mod environment_lost;
pub mod error;
pub mod event_data;
pub mod git_sync;
pub mod id;
pub mod keys;
mod launch;
pub mod notify;
pub mod protocol;
mod query;
pub mod question;
pub mod reach;
pub mod record;
pub mod restart_budget;
pub mod sandbox_git;
mod startup;
pub mod state;
mod status;
mod stop;
mod sync;
pub mod sync_record;
pub mod view;
pub mod wake;
mod work;
mod work_environment;

pub use endpoints::{GatewayListener, SandboxEndpoints};
pub use error::{SyncError, TaskError};
pub use keys::TaskKeys;
pub use protocol::{
    AnswerTask, ArchiveTask, CreateTask, DeliverHook, DiffReport, DiffSource, GetTask, ListTasks,
    ResumeTask, SendMessage, SignalAgent, StopTask, SyncOutcome, SyncReport, SyncTask, TaskDiff,
    WakeEnvironment,
};
pub use question::{Choice, ChoiceKind, Question};
pub use record::{Lifecycle, Task, TaskRecord};
pub use state::{TaskService, TaskServiceDeps};
pub use view::TaskView;
pub use wake::{Lease, Wakes};
