//! `plinth:agent/state`: a small blob the host keeps for the adapter across restarts.

use wasmtime::component::Linker;

use super::Capability;
use super::view::{CapsData, CapsView, GetView};
use crate::limits::STATE_BLOB_LIMIT;
use crate::wit::convert::down;
use crate::wit::latest::plinth::agent::state as wit;
use crate::wit::v1::plinth::agent::{state as v1, types as types1};
use crate::wit::{CapError, WitVersion};

/// `save` is only called with blobs within [`STATE_BLOB_LIMIT`].
pub trait StateCap: Send + Sync {
    fn save(&self, blob: &[u8]) -> Result<(), CapError>;
    fn load(&self) -> Option<Vec<u8>>;
}

pub(super) fn link<T: 'static>(
    linker: &mut Linker<T>,
    view: GetView<T>,
    version: WitVersion,
) -> wasmtime::Result<()> {
    match version {
        WitVersion::V0_2 => wit::add_to_linker::<_, CapsData>(linker, view),
        WitVersion::V0_1 => v1::add_to_linker::<_, CapsData>(linker, view),
    }
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
