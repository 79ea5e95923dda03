//! The data of each instance's `Store`: the task's capabilities, its limits, and its WASI
//! context when the component imports WASI.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::capabilities::{Capabilities, CapsView};
use crate::limiter::{CallClock, Limiter};
use crate::wasi;
use crate::wit::Question;

pub(crate) struct HostState {
    pub(crate) caps: Capabilities,
    pub(crate) limiter: Limiter,
    pub(crate) clock: CallClock,
    /// The question the guest last asked, while it stands.
    pub(crate) asked: Option<Question>,
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
            asked: None,
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
            asked: &mut self.asked,
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
