//! `plinth:agent/environment`: commands and files in the task's sandbox.

use std::time::Duration;

use super::Capability;
use super::view::CapsView;
use crate::limits::EXEC_TIMEOUT_CAP;
use crate::wit::convert::down;
use crate::wit::latest::plinth::agent::environment as wit;
use crate::wit::v1::plinth::agent::{environment as v1, types as types1};
use crate::wit::{CapError, ExecOutput, ExecRequest};

/// `exec` receives a request whose `timeout_ms` the host has already capped at
/// [`EXEC_TIMEOUT_CAP`].
pub trait EnvironmentCap: Send + Sync {
    fn exec(&self, request: ExecRequest) -> Result<ExecOutput, CapError>;
    fn read_file(&self, path: &str) -> Result<Vec<u8>, CapError>;
    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), CapError>;
}

/// The timeout the embedder is asked to enforce: the guest's, within the host's cap (0,
/// "no preference", gets the cap). The one place the cap is applied: the glue below caps
/// what the guest asks, and every backend reads [`ExecRequest::timeout`].
fn capped_timeout_ms(requested: u32) -> u32 {
    let cap = EXEC_TIMEOUT_CAP.as_millis() as u32;
    if requested == 0 {
        cap
    } else {
        requested.min(cap)
    }
}

impl ExecRequest {
    /// How long this command may run: `timeout_ms` within [`EXEC_TIMEOUT_CAP`], 0 meaning
    /// the cap, as `wit/agent.wit` says. Backends enforce this, whoever made the request.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(u64::from(capped_timeout_ms(self.timeout_ms)))
    }
}

impl CapsView<'_> {
    fn environment<R>(
        &mut self,
        call: impl FnOnce(&dyn EnvironmentCap) -> Result<R, CapError>,
    ) -> Result<R, CapError> {
        self.cap_call(
            Capability::Environment,
            |c| c.environment.as_ref(),
            |e| call(e),
        )
    }
}

impl wit::Host for CapsView<'_> {
    fn exec(&mut self, mut request: ExecRequest) -> Result<ExecOutput, CapError> {
        request.timeout_ms = capped_timeout_ms(request.timeout_ms);
        self.environment(|e| e.exec(request))
    }

    fn read_file(&mut self, path: String) -> Result<Vec<u8>, CapError> {
        self.environment(|e| e.read_file(&path))
    }

    fn write_file(&mut self, path: String, contents: Vec<u8>) -> Result<(), CapError> {
        self.environment(|e| e.write_file(&path, &contents))
    }
}

impl v1::Host for CapsView<'_> {
    fn exec(&mut self, request: v1::ExecRequest) -> Result<v1::ExecOutput, types1::CapError> {
        down(wit::Host::exec(self, request.into()))
    }

    fn read_file(&mut self, path: String) -> Result<Vec<u8>, types1::CapError> {
        down(wit::Host::read_file(self, path))
    }

    fn write_file(&mut self, path: String, contents: Vec<u8>) -> Result<(), types1::CapError> {
        down(wit::Host::write_file(self, path, contents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_timeouts_are_capped_at_ten_minutes() {
        assert_eq!(capped_timeout_ms(1_000), 1_000);
        assert_eq!(capped_timeout_ms(0), 600_000);
        assert_eq!(capped_timeout_ms(u32::MAX), 600_000);
    }
}
