//! plinth's actor kernel: actors on actix, supervised the OTP way (restart types, backoff,
//! intensity, nesting), and a registry of every actor for inspection.
//!
//! actix supplies mailboxes, addresses and the worker threads. Everything about failure is
//! here: children are built by factories, a panicking handler ends its actor's task and
//! becomes a failure carrying the panic's message, and a restart builds a fresh actor.

mod child;
mod child_ref;
mod exit;
mod incarnation;
mod kernel;
mod limits;
mod monitor;
mod policy;
mod registry;
mod spec;
mod spin;
mod supervisor;
mod workers;

pub use child::{Carrier, Child, Ctx, Handle};
pub use child_ref::{ChildRef, SendError};
pub use exit::Exit;
pub use kernel::{Kernel, KernelConfig, KernelError};
pub use monitor::{Down, Monitor};
pub use policy::{Backoff, Intensity, Restart, RestartBudget, Strategy};
pub use registry::{ActorInfo, ActorState, ProbeReading, Registry, RestartLimit};
pub use spec::{ChildSpec, SupervisorSpec};
pub use supervisor::{SupervisorError, SupervisorRef};
