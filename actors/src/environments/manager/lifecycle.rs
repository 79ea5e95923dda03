//! The manager's life: its start (connect to Docker, re-adopt, start the watcher), the
//! scrollback timer and status stream it sets up, and the watcher it ends when it stops.

use actix::AsyncContext;
use futures::StreamExt;
use plinth_kernel::{Child, Ctx};
use plinth_store::Store;

use super::docker_link::DockerLink;
use super::protocol::{CaptureAll, CaptureScrollback, EnvironmentError};
use super::settings::ManagerSettings;
use super::state::EnvironmentManager;
use super::watch::{Watched, Watcher};
use crate::environments::scrollback::{self, ScrollbackCapture};

impl Child for EnvironmentManager {
    fn started(&mut self, ctx: &mut Ctx<'_, Self>) {
        let every = self.settings.config.terminal.scrollback_interval();
        ctx.actix()
            .run_interval(every, |_, ctx| ctx.notify(CaptureAll));
        let statuses =
            scrollback::status_changes(&self.store).map(|task| CaptureScrollback { task });
        ctx.actix().add_message_stream(statuses);
    }

    fn stopping(&mut self, _ctx: &mut Ctx<'_, Self>) {
        if let Some(watcher) = self.watcher.take() {
            watcher.stop();
        }
    }
}

impl EnvironmentManager {
    /// Connects to Docker (a daemon that is down is recorded, not fatal: local mode still
    /// works) and re-adopts what the store and Docker know. Blocks: call it from a
    /// factory or a blocking thread, not from inside an async task.
    pub fn start(store: Store, settings: ManagerSettings) -> Result<Self, EnvironmentError> {
        let docker = DockerLink::connect(settings.config.docker.socket.clone());
        let mut manager = EnvironmentManager {
            scrollback: ScrollbackCapture::new(store.clone()),
            store,
            settings: std::sync::Arc::new(settings),
            docker,
            state: Default::default(),
            watcher: None,
        };
        manager.readopt()?;
        manager.watcher = Watcher::start(Watched {
            address: manager.docker.address.clone(),
            store: manager.store.clone(),
            state: manager.state.clone(),
            link: manager.docker.clone(),
        })
        .map_err(|e| tracing::warn!(%e, "containers that die are noticed only at the next start"))
        .ok();
        Ok(manager)
    }
}
