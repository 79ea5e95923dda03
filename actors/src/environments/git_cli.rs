//! The git CLI run on the host's repository, for what plinth does with git's own commands
//! (worktrees, packs, diffs) so the user's config is honoured. Arguments are plinth's; a
//! name the user typed is resolved first (see [`super::base`]).

use std::path::Path;
use std::process::Command;

use crate::host_process::{self, HostRunError};

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
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(repo).args(args);
    let out = host_process::output(&mut cmd, stdin).map_err(|e| match e {
        HostRunError::Run(e) | HostRunError::Feed(e) => GitCliError::Io(e),
    })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(GitCliError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}
