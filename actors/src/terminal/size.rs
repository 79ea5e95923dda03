/// A terminal's size in character cells, as a viewer reports it. Kept within bounds a
/// real screen can have, so a bad message cannot ask tmux or Docker for a zero-sized or
/// absurdly large terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermSize {
    pub cols: u16,
    pub rows: u16,
}

const MIN_COLS: u16 = 2;
const MIN_ROWS: u16 = 1;
const MAX_COLS: u16 = 1000;
const MAX_ROWS: u16 = 500;

impl TermSize {
    pub fn new(cols: u32, rows: u32) -> Self {
        let clamp = |v: u32, lo: u16, hi: u16| v.clamp(u32::from(lo), u32::from(hi)) as u16;
        TermSize {
            cols: clamp(cols, MIN_COLS, MAX_COLS),
            rows: clamp(rows, MIN_ROWS, MAX_ROWS),
        }
    }
}

impl Default for TermSize {
    fn default() -> Self {
        TermSize { cols: 80, rows: 24 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_clamped_to_what_a_screen_can_be() {
        assert_eq!(TermSize::new(0, 0), TermSize { cols: 2, rows: 1 });
        assert_eq!(
            TermSize::new(u32::MAX, 100_000),
            TermSize {
                cols: 1000,
                rows: 500
            }
        );
        assert_eq!(
            TermSize::new(120, 40),
            TermSize {
                cols: 120,
                rows: 40
            }
        );
    }
}
