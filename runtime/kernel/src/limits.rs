//! Every limit and timeout of this crate, named, each with why it is what it is.

use std::time::Duration;

// Supervision.

/// How long a child gets to stop before its task is dropped.
pub(crate) const CHILD_STOP_GRACE: Duration = Duration::from_millis(500);

/// How long a command waits for a supervisor that is between incarnations.
pub(crate) const SUPERVISOR_COMMAND_WAIT: Duration = Duration::from_secs(5);

// Sending to a supervised actor.

/// How long a send waits for an actor that is being restarted before it gives up.
pub(crate) const RESTART_WAIT: Duration = Duration::from_secs(5);

// Worker threads.

/// How long a worker with nothing to do waits for the next message before parking.
pub(crate) const WORKER_SPIN: Duration = Duration::from_micros(50);

/// How long a caller polls its reply before yielding its thread.
pub(crate) const CALLER_SPIN: Duration = Duration::from_micros(20);

/// The least time the worker threads get to stop at shutdown, even when the shutdown budget
/// is spent: a thread mid-message needs a moment to notice.
pub(crate) const WORKERS_STOP_FLOOR: Duration = Duration::from_millis(50);
