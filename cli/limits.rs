//! Every limit and timeout of the CLI, named, each with why it is what it is.
//! `docs/architecture.md` has them as a table.

use std::time::Duration;

// Talking to the server.

/// The server is on this machine: a connection that takes longer is not coming.
pub(crate) const CLIENT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What the CLI's runtime gives its tasks at exit, so a command never hangs on its way out.
pub(crate) const RUNTIME_SHUTDOWN: Duration = Duration::from_millis(100);

// Following a server.

/// How long a follower (`events --follow`, `ps --watch`) keeps trying to reach a server
/// that went away (a restart takes a second or two) before it gives up.
pub(crate) const RECONNECT_FOR: Duration = Duration::from_secs(30);

/// Between two attempts to reach the server: often enough to catch a restart quickly.
pub(crate) const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// Events asked for per request when `plinth events` reads the log.
pub(crate) const EVENTS_PAGE: usize = 1000;

// Doctor.

/// Below this, image builds and task scrollback soon fill the disk.
pub(crate) const DISK_WARN: u64 = 5 << 30;

/// Below this, the store's writes may fail mid-task.
pub(crate) const DISK_FAIL: u64 = 1 << 30;

/// The whole check, container start to its removal.
pub(crate) const REACH_CHECK_DEADLINE: Duration = Duration::from_secs(40);

/// How long the reach check waits for the server's answer inside the throwaway container.
pub(crate) const REACH_READ_TIMEOUT: Duration = Duration::from_secs(5);
