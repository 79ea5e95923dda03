//! What each incarnation of the service does as it starts: follow the agents' statuses,
//! lost environments and notifications from their cursors, launch every task that was
//! starting or running (its environment is found again and its agent gets its saved state
//! back), and settle the ended tasks a previous plinth left running.

use actix::AsyncContext;
use plinth_kernel::{Child, Ctx};

use super::ending::settle_left_running;
use super::notify;
use super::record::{Lifecycle, Task};
use super::state::TaskService;

impl Child for TaskService {
    fn started(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.follow_statuses(ctx);
        self.follow_lost_environments(ctx);
        if let Some(command) = self.deps.notify_command.clone() {
            let follow = notify::follow(&self.deps.store, command);
            ctx.actix().spawn(actix::fut::wrap_future(follow));
        }
        let (active, ended): (Vec<Task>, Vec<Task>) = self
            .tasks
            .values()
            .filter(|t| t.lifecycle != Lifecycle::Stopped)
            .cloned()
            .partition(|t| t.lifecycle.is_active());
        for task in active {
            self.launch(task, ctx);
        }
        let deps = self.deps.clone();
        ctx.actix().spawn(actix::fut::wrap_future(async move {
            settle_left_running(&deps, ended).await;
        }));
    }
}
