//! Every limit and timeout of this crate, named, each with why it is what it is.
//! `docs/architecture.md` has them as a table.

use std::time::Duration;

use plinth_kernel::{Backoff, Intensity};

// The server.

/// How long the whole stop may take: a stop should feel immediate (under a second), and
/// what is not done by then is killed.
pub(crate) const SHUTDOWN_BUDGET: Duration = Duration::from_millis(800);

// The HTTP API.

/// How often an idle event stream (SSE) sends a keep-alive comment, so proxies and browsers
/// do not close it as dead.
pub(crate) const SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The largest request body the API takes (the LLM proxy and the hook endpoint have their
/// own). Set on the router, so the error for a bigger one can name it.
pub const API_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Events one `GET /api/events` returns when it names no `limit`.
pub(crate) const EVENTS_DEFAULT_PAGE: usize = 1000;

/// The most events one `GET /api/events` returns, whatever its `limit`: one answer stays
/// a few megabytes at most.
pub(crate) const EVENTS_MAX_PAGE: usize = 10_000;

/// How often the stream looks at the counters (mailbox, handled) when nothing else moved:
/// they change with every message and are not worth a wake-up each.
pub(crate) const COUNTERS_EVERY: Duration = Duration::from_millis(500);

/// A burst of changes (ten tasks starting) is sent as one snapshot, not one per change.
pub(crate) const SNAPSHOT_GATHER: Duration = Duration::from_millis(30);

// The web terminal.

/// Terminals open at once, across all tasks.
pub const MAX_TERMINALS: usize = 32;

/// The largest message (and frame) a viewer may send: typing and pastes, not uploads.
pub(crate) const TERMINAL_MAX_MESSAGE: usize = 64 * 1024;

/// A viewer that has not taken a chunk of output in this long is gone or stuck.
pub(crate) const TERMINAL_SEND_TIMEOUT: Duration = Duration::from_secs(30);

// The sandbox API.

/// A hook's input is a small JSON document; anything near this is not one.
pub(crate) const HOOK_BODY_LIMIT: usize = 1 << 20;

/// Calls read per page when the proxy looks for calls a crash left open, so a long log is
/// never read in one piece.
pub(crate) const CUT_CALLS_PAGE: usize = 1000;

// The model proxy.

/// To open the TCP (and TLS) connection to the upstream.
pub(crate) const UPSTREAM_CONNECT: Duration = Duration::from_secs(10);

/// From sending a request upstream to its response's status and headers: a non-streamed
/// call sends nothing until the whole reply is written (Claude Code's own default request
/// timeout is ten minutes).
pub(crate) const UPSTREAM_RESPONSE: Duration = Duration::from_secs(600);

/// The longest silence between two pieces of an upstream response body: the API sends
/// `ping` events in quiet stretches of a stream, so a long silence means it is gone.
pub(crate) const UPSTREAM_IDLE: Duration = Duration::from_secs(300);

/// The largest request body taken. Claude Code's requests carry the whole conversation;
/// the API's own limit for a Messages request is 32 MB.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

/// A non-streamed reply (or error body) longer than this is passed on but not read.
pub(crate) const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

/// An event larger than this is skipped (the bytes still reach the client); the API's
/// events are a few hundred bytes, so only a broken upstream gets near it.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// Unsent text is reported at most this long after its first piece arrived.
pub const TEXT_FLUSH_INTERVAL: Duration = Duration::from_millis(50);

/// Unsent text is also reported as soon as this much has gathered.
pub(crate) const TEXT_FLUSH_BYTES: usize = 16 * 1024;

/// A tool input larger than this is reported as `null` (the client still gets it all).
pub const MAX_TOOL_INPUT_BYTES: usize = 32 * 1024 * 1024;

// The supervision tree (`tree.rs`).

/// The root restarts its services (projects, environments, the task service) at most 5
/// times in 30 s before it gives up, which ends the server: a service failing faster than
/// that is broken, not unlucky.
pub(crate) const ROOT_INTENSITY: Intensity = Intensity {
    max_restarts: 5,
    within: Duration::from_secs(30),
};

/// The root's restart delays: 50 ms doubling to 5 s, quick for a one-off failure.
pub(crate) const ROOT_BACKOFF: Backoff = Backoff {
    initial: Duration::from_millis(50),
    max: Duration::from_secs(5),
    factor: 2,
};

/// The `tasks` supervisor's intensity, for children without a budget of their own (there
/// are none today: every agent host has its task's restart budget).
pub(crate) const TASKS_INTENSITY: Intensity = Intensity {
    max_restarts: 50,
    within: Duration::from_secs(60),
};

/// The `tasks` supervisor's default restart delays, 100 ms doubling to 10 s (an agent
/// host's own budget brings its own).
pub(crate) const TASKS_BACKOFF: Backoff = Backoff {
    initial: Duration::from_millis(100),
    max: Duration::from_secs(10),
    factor: 2,
};
