//! Dialogs as Claude Code 2.1.332 draws them (captured from its tmux pane), for the tests
//! of what reads the screen.

/// Manual mode asking to run a command: a numbered menu, yes first.
pub const NUMBERED: &str = "\
● Bash(touch first.txt)
 Bash command
 touch first.txt
 Do you want to proceed?
 ❯ 1. Yes
   2. Yes, and always allow access to /workspace from this project
   3. Yes, and switch to auto mode · auto mode handles these prompts for you
   4. No
 Esc to cancel · Tab to amend
";

/// Auto mode asking about a protected path: no numbers, and `No` selected.
pub const UNNUMBERED: &str = "\
● Write(.git/info/plinth-first)
────────────────────────────────────────────
 Create file
 .git/info/plinth-first
 Auto mode can't check actions in this session, so this one needs your approval
 Do you want to create plinth-first?
 ❯ No
   Yes
 Esc to cancel · Tab to amend
";

/// Auto mode's notice when its check cannot reach the server: no menu at all.
pub const NOTICE: &str = "\
● Write(.git/info/plinth-first)
────────────────────────────────────────────
  Auto mode can't check actions in this session
  You can stay in auto mode and approve each action that needs the check yourself.
  Enter to stay in auto mode · shift+Tab to leave for accept edits mode and stop · Esc to cancel
";
