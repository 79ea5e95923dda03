//! How a command fails: one line on stderr saying what went wrong and what to do, and an
//! exit code a script can act on.

use plinth_server::{FindError, ServeError};

/// Exit codes (documented in docs/cli.md).
pub mod code {
    /// Something failed; the message says what.
    pub const FAILED: i32 = 1;
    /// No server runs, the command was used wrongly, or it must run inside a repository.
    pub const USAGE: i32 = 2;
    /// The store at PLINTH_HOME cannot be used (corrupt, foreign, too new, unwritable).
    pub const STORE: i32 = 3;
}

#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code,
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Failure::new(code::FAILED, message)
    }

    pub fn exit(self) -> ! {
        eprintln!("plinth: {}", self.message);
        std::process::exit(self.code)
    }
}

impl From<FindError> for Failure {
    fn from(err: FindError) -> Self {
        Failure::new(code::USAGE, err.to_string())
    }
}

impl From<ServeError> for Failure {
    fn from(err: ServeError) -> Self {
        let code = match &err {
            ServeError::Store(_) => code::STORE,
            ServeError::AlreadyRunning { .. } | ServeError::Project(_) => code::USAGE,
            _ => code::FAILED,
        };
        let mut message = err.to_string();
        if let ServeError::Bind { .. } = err {
            message.push_str(" (choose another with --port, or --port 0 for any free port)");
        }
        Failure::new(code, message)
    }
}
