//! The data of each instance's `Store`: the task's capabilities, its limits, and its WASI
//! context when the component imports WASI.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::capabilities::{Capabilities, CapsView};
use crate::limits::{CallClock, Limiter};
use crate::wasi;

pub(crate) struct HostState {
    pub(crate) caps: Capabilities,
    pub(crate) limiter: Limiter,
    pub(crate) clock: CallClock,
    wasi: Option<WasiParts>,
}

struct WasiParts {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl HostState {
    pub(crate) fn new(caps: Capabilities, limiter: Limiter, clock: CallClock, wasi: bool) -> Self {
        let mut state = HostState {
            caps,
            limiter,
            clock,
            wasi: None,
        };
        if wasi {
            state.wasi_parts();
        }
        state
    }

    /// What the capabilities' host glue works on.
    pub(crate) fn caps_view(&mut self) -> CapsView<'_> {
        CapsView {
            caps: &self.caps,
            clock: &mut self.clock,
        }
    }

    fn wasi_parts(&mut self) -> &mut WasiParts {
        let caps = &self.caps;
        self.wasi.get_or_insert_with(|| WasiParts {
            ctx: wasi::context(caps),
            table: ResourceTable::new(),
        })
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let parts = self.wasi_parts();
        WasiCtxView {
            ctx: &mut parts.ctx,
            table: &mut parts.table,
        }
    }
}
