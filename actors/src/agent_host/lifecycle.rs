//! The host's life: each incarnation starts a guest thread; a guest thread that dies
//! fails the actor, so its supervisor builds a new one.

use actix::AsyncContext;
use plinth_kernel::{Child, Ctx, Handle};

use super::guest_thread;
use super::protocol::GuestDown;
use super::state::AgentHost;

impl Child for AgentHost {
    fn started(&mut self, ctx: &mut Ctx<'_, Self>) {
        let addr = ctx.actix().address();
        let on_down = move |reason: String| addr.do_send(GuestDown(reason));
        match guest_thread::spawn(self.spec.clone(), on_down) {
            Ok(guest) => self.guest = Some(guest),
            Err(err) => ctx.fail(format!("cannot start the guest thread: {err}")),
        }
    }

    fn stopping(&mut self, _ctx: &mut Ctx<'_, Self>) {
        // Dropping the channel ends the guest thread after its current call; the instance
        // is dropped with it, and the sandbox keeps running for the next incarnation.
        self.guest = None;
    }
}

impl Handle<GuestDown> for AgentHost {
    type Result = ();

    fn handle(&mut self, msg: GuestDown, ctx: &mut Ctx<'_, Self>) {
        self.guest = None;
        ctx.fail(msg.0);
    }
}
