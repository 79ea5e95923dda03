//! Ways for a guest to misbehave on purpose, for testing that the host survives them: a
//! trap, a call that never returns, memory eaten without end. None of them returns.

use std::hint::black_box;

/// Big enough to reach any memory cap soon, small enough that the last allocation before
/// the cap is not the one that decides whether the cap was hit.
const CHUNK: usize = 1 << 20;
/// Writing one byte a page makes the memory really used, whatever the allocator does with
/// fresh zeroed pages.
const PAGE: usize = 4096;

/// A WebAssembly trap (`unreachable`). On the host, where the unit tests run, a panic.
pub fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    panic!("misbehave: trap");
}

/// Only the host's deadline (epoch interruption) or fuel can end this.
pub fn spin() -> ! {
    let mut turns: u64 = 0;
    loop {
        turns = black_box(turns.wrapping_add(1));
    }
}

/// Ends when the host refuses to grow the memory: the failed allocation aborts, which in a
/// component built with `panic = "abort"` is a trap.
pub fn grow() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        for at in (0..CHUNK).step_by(PAGE) {
            chunk[at] = 1;
        }
        hoard.push(black_box(chunk));
    }
}
