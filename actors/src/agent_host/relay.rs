//! What the host passes on to its guest thread: signals, and the final stop (whose answer
//! it waits for off the actor's thread).

use std::sync::mpsc;

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};

use super::guest_thread::Command;
use super::protocol::{Deliver, StopAgent};
use super::state::AgentHost;
use crate::limits::ADAPTER_STOP_WAIT;

impl Handle<Deliver> for AgentHost {
    type Result = ();

    fn handle(&mut self, msg: Deliver, _ctx: &mut Ctx<'_, Self>) {
        if let Some(guest) = &self.guest {
            guest.send(Command::Signal(msg.0));
        }
    }
}

impl Handle<StopAgent> for AgentHost {
    type Result = ResponseFuture<Result<(), String>>;

    fn handle(&mut self, _msg: StopAgent, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let (tx, rx) = mpsc::channel();
        let sent = self
            .guest
            .as_ref()
            .map(|g| g.send(Command::Stop(tx)))
            .unwrap_or(false);
        Box::pin(async move {
            if !sent {
                return Err("the adapter is not running".to_owned());
            }
            tokio::task::spawn_blocking(move || rx.recv_timeout(ADAPTER_STOP_WAIT))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|_| "the adapter did not answer stop within 30 s".to_owned())?
        })
    }
}
