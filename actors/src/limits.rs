//! Every limit and timeout of the actors, named, each with why it is what it is.
//! `docs/architecture.md` has them as a table. The settings a user may change are in
//! [`crate::config`]; these are not settings.

use std::time::Duration;

/// How often a wait that no event can wake (a process, a lock, a socket to appear) looks
/// again: short next to what it waits for, long next to a system call.
pub(crate) const POLL: Duration = Duration::from_millis(20);

// Docker.

/// A daemon that accepts the connection but hangs must not hang plinth's start-up.
pub(crate) const DOCKER_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests are bounded by this; image builds only wait this long for the daemon to start
/// answering, not for the build to finish.
pub(crate) const DOCKER_REQUEST_TIMEOUT_SECS: u64 = 120;

/// How long the daemon gets to set up an exec: one that hangs (stopped, overloaded) must
/// not hold an adapter's call for bollard's two minutes.
pub(crate) const DAEMON_ANSWER: Duration = Duration::from_secs(30);

/// How much longer than the command's own limit the host waits for the daemon.
pub(crate) const EXEC_HOST_GRACE: Duration = Duration::from_secs(5);

/// Output kept per stream; more is cut (from the start) so a chatty command cannot fill memory.
pub(crate) const EXEC_OUTPUT_CAP: usize = 4 << 20;

/// Cloning the repository inside a new container from its pack: a big repository
/// takes a while, a stuck clone must not hold the task for ever.
pub(crate) const CLONE_TIMEOUT: Duration = Duration::from_secs(300);

/// How many lines of a failed build's log its error carries.
pub(crate) const BUILD_LOG_TAIL_LINES: usize = 40;

// The environment manager.

/// How long a stopped container's processes get before they are killed.
pub(crate) const CONTAINER_STOP_GRACE: Duration = Duration::from_secs(5);

/// The first wait before reconnecting; it doubles up to [`WATCH_MAX_RETRY`].
pub(crate) const WATCH_FIRST_RETRY: Duration = Duration::from_millis(250);

/// The longest wait between two attempts: a daemon that is back is noticed this late at most.
pub(crate) const WATCH_MAX_RETRY: Duration = Duration::from_secs(5);

/// The most lines kept per stream: the newest ones.
pub const SCROLLBACK_MAX_LINES: u32 = 10_000;

/// The most bytes kept per stream, after [`SCROLLBACK_MAX_LINES`]: the newest whole lines that fit
/// (a single longer line keeps its end), so a chatty agent printing very long lines cannot
/// bloat the database either.
pub const SCROLLBACK_MAX_BYTES: usize = 1 << 20;

// Sandboxes.

/// Scrollback kept per pane, in lines.
pub const TMUX_HISTORY_LIMIT: u32 = 50_000;

// Tasks.

/// How many characters of the prompt the id keeps, at most.
pub(crate) const SLUG_MAX: usize = 24;

/// The most of a prompt an event carries, in characters.
pub const PROMPT_PREVIEW_CHARS: usize = 200;

/// How often an agent host ticks its adapter (and polls the sandbox).
pub(crate) const LAUNCH_TICK: Duration = Duration::from_millis(250);

/// How long a probe may take in all; a connection that is dropped by a firewall hangs.
pub(crate) const REACH_PROBE_SECONDS: u32 = 5;

/// How long a woken environment stays up after its last lease is dropped.
pub const WAKE_GRACE: Duration = Duration::from_secs(10);

/// Signals held for one task at most; past this the oldest go (a host that long in
/// coming is not coming soon).
pub const HELD_MAX: usize = 256;

/// The first restart waits this long; each next one twice as long, up to [`RESTART_BACKOFF_MAX`].
/// A trap at every start then spends the default budget (5 restarts) in about 16 s.
pub(crate) const RESTART_BACKOFF_INITIAL: Duration = Duration::from_millis(500);

/// The longest wait between two restarts of a task's agent host.
pub(crate) const RESTART_BACKOFF_MAX: Duration = Duration::from_secs(10);

/// The longest a notify command may run before it is killed.
pub(crate) const NOTIFY_COMMAND_LIMIT: Duration = Duration::from_secs(10);

// Git in the sandbox.

/// Read per exec; well under the exec output cap (4 MiB) so nothing is ever cut.
pub(crate) const GIT_READ_CHUNK: u64 = 2 << 20;

/// Packing or diffing a big repository can take a while; the capability caps it anyway.
pub(crate) const GIT_TIMEOUT_MS: u32 = 300_000;

/// A git command that reads a few refs (heads, status) in the sandbox.
pub(crate) const GIT_QUICK_TIMEOUT_MS: u32 = 30_000;

/// The most of a diff's text an answer carries; the summary always covers all of it.
pub(crate) const DIFF_LIMIT: u64 = 8 << 20;

/// The most of a `--numstat` listing read back (it is a few dozen bytes a file).
pub(crate) const NUMSTAT_LIMIT: u64 = 16 << 20;

// Agent hosts.

/// How many of the screen's last non-empty lines the report quotes.
pub const START_SCREEN_LINES: usize = 8;

// The web terminal.

/// The most read from a terminal at once: one WebSocket frame's worth.
pub const TERMINAL_CHUNK: usize = 16 * 1024;

/// How long ending a client may take before it is given up on.
pub(crate) const TERMINAL_END_TIMEOUT: Duration = Duration::from_secs(10);

/// Attempts to end a terminal's client in a container before it is left to die with it.
pub(crate) const TERMINAL_END_ATTEMPTS: u32 = 3;

/// How long ttyd gets to start listening.
pub(crate) const TTYD_START_TIMEOUT: Duration = Duration::from_secs(5);

// Waits.

/// How long a network-making plinth waits for another plinth on this machine to finish
/// making the same network.
pub(crate) const NETWORK_LOCK_WAIT: Duration = Duration::from_secs(10);

/// How long an agent host waits for its adapter to answer a stop.
pub(crate) const ADAPTER_STOP_WAIT: Duration = Duration::from_secs(30);

/// How long ttyd has to exit after SIGTERM before it is killed.
pub(crate) const TTYD_STOP_WAIT: Duration = Duration::from_secs(2);

/// The wait between attempts to end a terminal's client in a container.
pub(crate) const TERMINAL_END_RETRY: Duration = Duration::from_millis(100);

/// How long a local command that ran out of time has to be reaped after its process
/// group is killed.
pub(crate) const LOCAL_KILL_WAIT: Duration = Duration::from_secs(5);
