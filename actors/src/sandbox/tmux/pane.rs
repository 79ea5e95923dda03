//! What tmux reports about a pane, and how its answers are read back.

use plinth_wasm::wit::Screen;

/// What tmux reports about a pane, read in one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaneState {
    pub dead: bool,
    /// The exit status once `dead`.
    pub exit_status: Option<i32>,
    pub current_command: String,
}

/// What [`PaneState`] is read from.
pub(super) const PANE_FORMAT: &str =
    "#{pane_dead}\t#{@plinth-exit}\t#{pane_dead_status}\t#{pane_current_command}";

pub(super) fn parse_pane_state(line: &str) -> PaneState {
    let mut parts = line.splitn(4, '\t');
    let dead = parts.next() == Some("1");
    let recorded = parts.next().and_then(|s| s.parse().ok());
    let tmux_status = parts.next().and_then(|s| s.parse().ok());
    PaneState {
        dead,
        exit_status: if dead { recorded.or(tmux_status) } else { None },
        current_command: parts.next().unwrap_or_default().to_owned(),
    }
}

/// What [`parse_snapshot`] is read from: the cursor and size, then [`PANE_FORMAT`].
pub(super) fn snapshot_format() -> String {
    format!("#{{cursor_x}} #{{cursor_y}} #{{pane_width}} #{{pane_height}}\t{PANE_FORMAT}")
}

/// The screen and the pane's state from the output of `capture-pane` followed by a
/// `display-message` of [`snapshot_format`].
pub(super) fn parse_snapshot(out: &str) -> (Screen, PaneState) {
    let (text, first) = out
        .trim_end_matches('\n')
        .rsplit_once('\n')
        .unwrap_or(("", out.trim_end_matches('\n')));
    let (geometry, state) = first.split_once('\t').unwrap_or((first, ""));
    let nums: Vec<u16> = geometry
        .split_whitespace()
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    let at = |i: usize| nums.get(i).copied().unwrap_or(0);
    let screen = Screen {
        text: text.trim_end_matches('\n').to_owned(),
        cursor_x: at(0),
        cursor_y: at(1),
        width: at(2),
        height: at(3),
    };
    (screen, parse_pane_state(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_pane_prefers_the_recorded_exit_status() {
        let dead = parse_pane_state("1\t3\t0\tsh");
        assert_eq!(
            dead,
            PaneState {
                dead: true,
                exit_status: Some(3),
                current_command: "sh".into()
            }
        );
        assert_eq!(parse_pane_state("1\t\t5\tsh").exit_status, Some(5));
        let alive = parse_pane_state("0\t\t\tclaude");
        assert!(!alive.dead);
        assert_eq!(alive.exit_status, None);
        assert_eq!(alive.current_command, "claude");
    }
}
