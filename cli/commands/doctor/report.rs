//! The checks as `plinth doctor` prints them, and its verdict: the exit code and the one
//! line that says whether plinth can run tasks here.

use super::check::{Check, Status};
use crate::failure::code;

pub(super) struct Verdict {
    pub(super) code: i32,
    pub(super) message: String,
}

pub(super) fn verdict(checks: &[Check]) -> Verdict {
    let failed = |name: &str| {
        checks
            .iter()
            .any(|c| c.name == name && c.status == Status::Fail)
    };
    let mut blockers = Vec::new();
    if failed("config") {
        blockers.push("the configuration does not load");
    }
    if failed("store") {
        blockers.push("the store cannot be opened");
    }
    if failed("docker") && failed("tmux") {
        blockers.push("neither Docker nor tmux is available");
    }
    if !blockers.is_empty() {
        return Verdict {
            code: code::FAILED,
            message: format!("plinth cannot run tasks here: {}.", blockers.join("; ")),
        };
    }
    let message = if failed("sandbox-reach") && !failed("docker") {
        "Docker task containers cannot reach plinth (see sandbox-reach): Docker tasks fail to \
         start until that is fixed; meanwhile tasks can run only with `--sandbox local`, which \
         is UNSAFE (the agent runs unconfined on this machine, with your permissions)."
            .to_string()
    } else if failed("docker") {
        "Docker is not available: tasks can run only with `--sandbox local`, which is UNSAFE \
         (the agent runs unconfined on this machine, with your permissions)."
            .to_string()
    } else {
        "plinth can run tasks in Docker sandboxes.".to_string()
    };
    Verdict { code: 0, message }
}

pub(super) fn render(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for check in checks {
        let mark = match check.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!(
            "{mark}  {:<width$}  {}\n",
            check.name, check.detail
        ));
        if let Some(fix) = &check.fix {
            out.push_str(&format!("      {:<width$}  fix: {fix}\n", ""));
        }
    }
    out
}
