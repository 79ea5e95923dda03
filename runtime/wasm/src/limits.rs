//! Every limit and timeout of the WASM host, named, each with why it is what it is.
//! `docs/architecture.md` has them as a table.

use std::time::Duration;

// Running guests.

/// The memory an adapter may grow to unless configured (`adapters.memory_limit_mb`): an
/// adapter drives an agent, it does not hold its work.
pub(crate) const DEFAULT_MEMORY_LIMIT: usize = 64 << 20;

/// The guest CPU time one call may use unless configured (`adapters.call_deadline_ms`): a
/// call decides what to do next, it never waits (waits are host time, which is not counted).
pub(crate) const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(5);

/// How often the epoch advances. A guest overrunning its deadline is stopped within about
/// one tick of it; a shorter tick costs more wake-ups of an otherwise idle thread.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

// The instance pool.

/// Instances alive at once: one per running task's adapter, with room for many tasks; each
/// slot reserves address space (not memory) for its cap.
pub(crate) const MAX_INSTANCES: u32 = 128;

/// wit-bindgen components hold a handful of core instances (the program, shims, a WASI
/// adapter); this leaves room for bigger toolchains without letting one component take the
/// pool.
pub(crate) const CORE_INSTANCES_PER_COMPONENT: u32 = 16;

/// Linear memories per component: wit-bindgen's components have one; a second leaves room
/// for a WASI adapter's.
pub(crate) const MEMORIES_PER_COMPONENT: u32 = 2;

/// Tables per component: the program's function table and its shims' few, with room to
/// spare; each slot of the pool reserves them all.
pub(crate) const TABLES_PER_COMPONENT: u32 = 4;

/// Bounds checks are explicit (a memory reserves only its cap, not 4 GiB), so the guard
/// only lets the compiler fold small constant offsets; it need not be large.
pub(crate) const MEMORY_GUARD: u64 = 2 << 20;

// Capabilities.

/// Longest an `exec` may run, whatever timeout the guest asks for.
pub const EXEC_TIMEOUT_CAP: Duration = Duration::from_secs(600);

/// Largest blob `state.save` accepts; larger ones are refused with `access-denied` before
/// the embedder's `StateCap` sees them.
pub const STATE_BLOB_LIMIT: usize = 64 * 1024;

/// A guest writing without newlines still gets logged once this much piles up.
pub(crate) const GUEST_LOG_MAX_LINE: usize = 8 * 1024;
