//! `plinth:agent/state`: a small blob the host keeps for the adapter across restarts.

use super::Capability;
use super::view::CapsView;
use crate::limits::STATE_BLOB_LIMIT;
use crate::wit::CapError;
use crate::wit::convert::down;
use crate::wit::latest::plinth::agent::state as wit;
use crate::wit::v1::plinth::agent::{state as v1, types as types1};

/// `save` is only called with blobs within [`STATE_BLOB_LIMIT`].
pub trait StateCap: Send + Sync {
    fn save(&self, blob: &[u8]) -> Result<(), CapError>;
    fn load(&self) -> Option<Vec<u8>>;
}

impl wit::Host for CapsView<'_> {
    fn save(&mut self, blob: Vec<u8>) -> Result<(), CapError> {
        if blob.len() > STATE_BLOB_LIMIT {
            return Err(CapError::AccessDenied(format!(
                "state blob of {} bytes is over the {STATE_BLOB_LIMIT}-byte limit",
                blob.len()
            )));
        }
        self.cap_call(Capability::State, |c| c.state.as_ref(), |s| s.save(&blob))
    }

    fn load(&mut self) -> Option<Vec<u8>> {
        self.cap_call(Capability::State, |c| c.state.as_ref(), |s| Ok(s.load()))
            .ok()
            .flatten()
    }
}

impl v1::Host for CapsView<'_> {
    fn save(&mut self, blob: Vec<u8>) -> Result<(), types1::CapError> {
        down(wit::Host::save(self, blob))
    }

    fn load(&mut self) -> Option<Vec<u8>> {
        wit::Host::load(self)
    }
}
