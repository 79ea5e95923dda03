//! What the capabilities' host glue sees of an instance's store (as wasmtime-wasi's
//! `WasiCtxView`): the task's implementations, and the clock a call's time is charged to;
//! and the one path every capability call takes from the guest to the implementation.
//!
//! Every way out of here is a value the guest can handle: a missing implementation is
//! `access-denied`, a panicking one is `failed`. Nothing traps, so a misbehaving host
//! implementation cannot poison the instance. The time spent here is recorded so that it
//! does not count against the guest's CPU deadline.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::HasData;

use super::{Capabilities, Capability};
use crate::limiter::CallClock;
use crate::wit::{CapError, Question};

/// The part of a store's data that the capabilities' `Host` implementations work on.
pub(crate) struct CapsView<'a> {
    pub(crate) caps: &'a Capabilities,
    pub(crate) clock: &'a mut CallClock,
    /// The question the guest last asked, while it stands (`events.ask` sets it, the next
    /// `set-status` clears it).
    pub(crate) asked: &'a mut Option<Question>,
}

/// Names [`CapsView`] to the generated `add_to_linker` functions.
pub(crate) struct CapsData;

impl HasData for CapsData {
    type Data<'a> = CapsView<'a>;
}

/// How a linker's store data gives out its [`CapsView`].
pub(crate) type GetView<T> = fn(&mut T) -> CapsView<'_>;

impl CapsView<'_> {
    /// Runs one capability call: finds the implementation, catches its panics, and charges
    /// the time to the host.
    pub(super) fn cap_call<C: ?Sized, R>(
        &mut self,
        capability: Capability,
        pick: impl FnOnce(&Capabilities) -> Option<&Arc<C>>,
        call: impl FnOnce(&C) -> Result<R, CapError>,
    ) -> Result<R, CapError> {
        let started = Instant::now();
        let result = match pick(self.caps).cloned() {
            None => Err(CapError::AccessDenied(format!(
                "the `{capability}` capability is not available to this task"
            ))),
            Some(cap) => match catch_unwind(AssertUnwindSafe(|| call(&cap))) {
                Ok(result) => result,
                Err(panic) => {
                    let why = panic_message(&*panic);
                    tracing::error!(task = %self.caps.task_id, %capability, "capability implementation panicked: {why}");
                    Err(CapError::Failed(format!(
                        "the host's `{capability}` capability failed: {why}"
                    )))
                }
            },
        };
        self.clock.add_host_time(started.elapsed());
        result
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked".to_string()
    }
}
