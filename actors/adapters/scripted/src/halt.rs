//! The script's ways of misbehaving, carried out once the progress past them is saved.

use crate::runner::Halt;

pub fn carry_out(halt: Halt) -> ! {
    match halt {
        Halt::Trap => misbehave::trap(),
        Halt::Spin => misbehave::spin(),
        Halt::Grow => misbehave::grow(),
    }
}
