//! `plinth:agent/state`: a small blob the host keeps for the adapter across restarts.

use wasmtime::component::Linker;

use super::Capability;
use super::view::{CapsData, CapsView, GetView};
use crate::wit::CapError;
use crate::wit::bindings::plinth::agent::state as wit;

/// Largest blob `state.save` accepts; larger ones are refused with `access-denied` before
/// the embedder's [`StateCap`] sees them.
pub const STATE_BLOB_LIMIT: usize = 64 * 1024;

/// `save` is only called with blobs within [`STATE_BLOB_LIMIT`].
pub trait StateCap: Send + Sync {
    fn save(&self, blob: &[u8]) -> Result<(), CapError>;
    fn load(&self) -> Option<Vec<u8>>;
}

pub(super) fn link<T: 'static>(linker: &mut Linker<T>, view: GetView<T>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, CapsData>(linker, view)
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
