//! The git CLI run on the host's repository, for what plinth does with git's own commands
//! (worktrees, packs, diffs) so the user's config is honoured. Arguments are plinth's; a
//! name the user typed is resolved first (see [`super::base`]).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Why a git command gave no output.
#[derive(Debug)]
pub(super) enum GitCliError {
    /// git could not be run, or fed.
    Io(std::io::Error),
    /// git ran and failed.
    Failed { args: String, stderr: String },
}

/// `git -C repo ARGS`, fed `stdin` when given; its stdout.
pub(super) fn git(
    repo: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Result<Vec<u8>, GitCliError> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitCliError::Io)?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input).map_err(GitCliError::Io)?;
    }
    let out = child.wait_with_output().map_err(GitCliError::Io)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(GitCliError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}
