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

/// Claude Code started with no key: its status line says so before any prompt.
pub const NOT_LOGGED_IN_AT_START: &str = "\
 ▐▛███▛█   Claude Code v2.1.332
▝▜██████▀  Opus 5.5 · API Usage Billing
 ▝▝   ▝▝   /workspace
────────────────────────────────────────────
❯\u{a0}
────────────────────────────────────────────
  ⏵⏵ auto mode on (shift+tab to cycle) · ← for agents                    Not logged in · run /login
                                                                                 ◐ medium · /effort
";

/// The same after a prompt: the answer, and the input box's placeholder.
pub const NOT_LOGGED_IN_AFTER_PROMPT: &str = "\
 ▝▝   ▝▝   /workspace
❯ Make x.txt
  ⎿  Not logged in · Please run /login
────────────────────────────────────────────
❯ Once fixed, resend your message
────────────────────────────────────────────
  ⏵⏵ auto mode on (shift+tab to cycle) · ← for agents                    Not logged in · run /login
                                                                                 ◐ medium · /effort
";

/// Claude Code after ten tries of a call the API refused with 401: the error, and the
/// input box's placeholder.
pub const RESEND_AFTER_401: &str = "\
 ▝▝   ▝▝   /workspace
❯ Make x.txt
● Please run /login · API Error: 401 invalid x-api-key
────────────────────────────────────────────
❯ Once fixed, resend your message
────────────────────────────────────────────
  ⏵⏵ auto mode on (shift+tab to cycle)
";

/// A project's `.mcp.json` names a server Claude Code has not been told about: it asks
/// before its prompt comes up, and its selected choice looks like the input line.
pub const MCP_SERVER: &str = "\
────────────────────────────────────────────
  New MCP server found in this project: tools
  MCP servers may execute code or access system resources. All tool calls require approval.
    Use this MCP server
    Use this and all future MCP servers in this project
  ❯ Continue without using this MCP server
  Enter to confirm · Esc to reject
";
