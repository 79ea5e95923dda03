//! Keeping scrollback: a capture of one task on request (and at every `task.status`
//! event), and the timer's round over every running environment.

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};

use super::off_thread::off_thread;
use super::protocol::{CaptureAll, CaptureScrollback, EnvironmentError};
use super::state::EnvironmentManager;

impl Handle<CaptureAll> for EnvironmentManager {
    type Result = ();

    fn handle(&mut self, _msg: CaptureAll, _ctx: &mut Ctx<'_, Self>) {
        let running = self
            .state
            .lock()
            .expect("environment state poisoned")
            .entries
            .iter()
            .filter_map(|(task, e)| Some((task.clone(), e.sandbox.clone()?)))
            .collect();
        self.scrollback.round(running);
    }
}

impl Handle<CaptureScrollback> for EnvironmentManager {
    type Result = ResponseFuture<Result<usize, EnvironmentError>>;

    fn handle(&mut self, msg: CaptureScrollback, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let sandbox = self.sandbox(&msg.task);
        let capture = self.scrollback.clone();
        Box::pin(async move {
            let Some(sandbox) = sandbox? else {
                return Ok(0);
            };
            off_thread(move || Ok(capture.capture(&msg.task, sandbox.as_ref())?)).await
        })
    }
}
