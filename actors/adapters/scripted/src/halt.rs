//! The script's ways of misbehaving, carried out: they exist to test that the host survives
//! an adapter that traps, never returns, or eats memory. None of them returns.

use std::hint::black_box;

use crate::runner::Halt;

/// Big enough to reach any memory cap soon, small enough that the last allocation before
/// the cap is not the one that decides whether the cap was hit.
const CHUNK: usize = 1 << 20;
/// Writing one byte a page makes the memory really used, whatever the allocator does with
/// fresh zeroed pages.
const PAGE: usize = 4096;

pub fn carry_out(halt: Halt) -> ! {
    match halt {
        Halt::Trap => trap(),
        Halt::Spin => spin(),
        Halt::Grow => grow(),
    }
}

fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    panic!("scripted: trap");
}

/// Only the host's deadline (epoch interruption) or fuel can end this.
fn spin() -> ! {
    let mut turns: u64 = 0;
    loop {
        turns = black_box(turns.wrapping_add(1));
    }
}

/// Ends when the host refuses to grow the memory: the failed allocation aborts, which in
/// this component is a trap.
fn grow() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; CHUNK];
        for at in (0..CHUNK).step_by(PAGE) {
            chunk[at] = 1;
        }
        hoard.push(black_box(chunk));
    }
}
