//! Linkers, one per combination of linked capabilities and WASI, built once and shared:
//! building one (WASI alone defines a hundred-odd functions) is not free, and there are
//! few combinations (two for each set of capabilities and WIT version).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

use crate::capabilities::Capability;
use crate::errors::LoadError;
use crate::state::HostState;
use crate::wit::WitVersion;
use crate::wit::latest::plinth::agent::types;
use crate::wit::v1::plinth::agent::types as types1;

/// Which version, which capabilities (a bit each) and whether WASI.
type LinkKey = (WitVersion, u8, bool);

pub(crate) struct Linkers {
    engine: Engine,
    built: Mutex<HashMap<LinkKey, Arc<Linker<HostState>>>>,
}

impl Linkers {
    pub(crate) fn new(engine: Engine) -> Linkers {
        Linkers {
            engine,
            built: Mutex::new(HashMap::new()),
        }
    }

    /// A linker defining exactly `capabilities` of `version` (plus its type-only `types`
    /// interface), and WASI when `wasi` is set.
    pub(crate) fn get(
        &self,
        version: WitVersion,
        capabilities: &[Capability],
        wasi: bool,
    ) -> Result<Arc<Linker<HostState>>, LoadError> {
        let key = (
            version,
            capabilities.iter().fold(0u8, |m, c| m | c.bit()),
            wasi,
        );
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(linker) = built.get(&key) {
            return Ok(linker.clone());
        }
        let linker = Arc::new(
            build(&self.engine, version, capabilities, wasi)
                .map_err(|e| LoadError::Link(format!("building the host linker: {e:#}")))?,
        );
        built.insert(key, linker.clone());
        Ok(linker)
    }
}

fn build(
    engine: &Engine,
    version: WitVersion,
    capabilities: &[Capability],
    wasi: bool,
) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    match version {
        WitVersion::V0_2 => types::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?,
        WitVersion::V0_1 => types1::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?,
    }
    for capability in capabilities {
        capability.link(&mut linker, HostState::caps_view, version)?;
    }
    if wasi {
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    }
    Ok(linker)
}

/// The shapes the capabilities share; nothing to answer.
impl types::Host for HostState {}
impl types1::Host for HostState {}
