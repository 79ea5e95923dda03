//! Notices, while plinth runs, a task's container that dies or is removed without plinth
//! asking (`docker kill`, `docker rm -f`, the OOM killer): the environment becomes Failed
//! with a reason a user understands, its record is stored, its sandbox is dropped and an
//! `environment.failed` event is appended for the task. Without this, a dead container
//! was only noticed by the next manager's re-adoption.
//!
//! The watcher follows Docker's event stream on a thread of its own, so the manager's
//! actor thread never waits on Docker. When the stream ends (the daemon restarted, or is
//! down), it reconnects with a capped backoff for as long as the manager lives, and
//! reconciles on every connection: a daemon that went away is no failure (with
//! `live-restore` the containers keep running), but a container that really died while it
//! was away is noticed then, and environments the manager could not adopt because Docker
//! was down at its start are adopted once it answers.
//!
//! plinth's own stops and removals are not failures: their handlers hold a `Halting`
//! guard (see `entries`) for the task while they act, and the watcher leaves such tasks alone.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::models::{EventMessage, EventMessageTypeEnum};
use bollard::query_parameters::EventsOptionsBuilder;
use futures::StreamExt;
use plinth_store::{NewEvent, Store, Versioned};
use serde_json::json;
use tokio::sync::watch;

use super::docker_link::DockerLink;
use super::entries::State;
use super::watch_reasons::{died, removed};
use crate::agent_host::TaskSandbox;
use crate::environments::docker::DockerClient;
use crate::environments::docker::container::{LABEL_TASK, find_ours};
use crate::environments::docker::sandbox::DockerSandbox;
use crate::environments::record::{self, EnvironmentKind, EnvironmentRecord, EnvironmentStatus};
use crate::limits::WATCH_FIRST_RETRY;
use crate::limits::WATCH_MAX_RETRY;

/// How long stopping waits for the watcher's thread to end.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// What the watcher reads and changes: the manager's state and store, and how to reach
/// Docker.
pub(super) struct Watched {
    pub address: String,
    pub store: Store,
    pub state: Arc<Mutex<State>>,
    pub link: DockerLink,
}

/// The running watcher; stopping (or dropping) it ends its thread.
pub(super) struct Watcher {
    stop: watch::Sender<bool>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Watcher {
    pub(super) fn start(watched: Watched) -> std::io::Result<Self> {
        let (stop, stopped) = watch::channel(false);
        let (done_tx, done) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("plinth-docker-watch".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        tracing::error!(%err, "cannot start the Docker event watcher");
                        return;
                    }
                };
                runtime.block_on(Arc::new(watched).run(stopped));
                drop(done_tx);
            })?;
        Ok(Watcher { stop, done })
    }

    /// Ends the watcher and waits (a bounded time) for it, so that a stopped manager
    /// changes nothing afterwards.
    pub(super) fn stop(&self) {
        let _ = self.stop.send(true);
        let _ = self.done.recv_timeout(STOP_WAIT);
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Watched {
    async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut delay = WATCH_FIRST_RETRY;
        let mut away = false;
        loop {
            let attempt = self.clone().connected(&mut away);
            tokio::select! {
                _ = stop.changed() => return,
                followed = attempt => if followed { delay = WATCH_FIRST_RETRY },
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(WATCH_MAX_RETRY);
        }
    }

    /// One connection: reconcile, then follow the events until the stream ends. Whether
    /// the daemon answered.
    async fn connected(self: Arc<Self>, away: &mut bool) -> bool {
        let client = match DockerClient::connect_to(&self.address).await {
            Ok(client) => client,
            Err(err) => {
                if !*away {
                    tracing::warn!(%err, "lost Docker's event stream; retrying until it answers");
                    *away = true;
                }
                return false;
            }
        };
        if std::mem::take(away) {
            tracing::info!("Docker answers again; checking the task containers");
        }
        // Events from a second before the listing on are replayed by the daemon, so a
        // container that dies between the listing and the subscription is still seen.
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs().saturating_sub(1))
            .unwrap_or(0)
            .to_string();
        self.reconcile(&client).await;
        let filters = HashMap::from([
            ("type", vec!["container"]),
            ("event", vec!["die", "destroy"]),
            ("label", vec![LABEL_TASK]),
        ]);
        let options = EventsOptionsBuilder::new()
            .since(&since)
            .filters(&filters)
            .build();
        let mut events = client.api().events(Some(options));
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => self.on_event(&client, event).await,
                Err(err) => {
                    tracing::warn!(%err, "Docker's event stream broke; reconnecting");
                    *away = true;
                    break;
                }
            }
        }
        true
    }

    async fn on_event(&self, client: &DockerClient, event: EventMessage) {
        if event.typ != Some(EventMessageTypeEnum::CONTAINER) {
            return;
        }
        let Some(actor) = event.actor else { return };
        let Some(id) = actor.id else { return };
        let attributes = actor.attributes.unwrap_or_default();
        let reason = match event.action.as_deref() {
            Some("die") => {
                let code = attributes.get("exitCode").and_then(|c| c.parse().ok());
                died(code, out_of_memory(client, &id).await)
            }
            Some("destroy") => removed(),
            _ => return,
        };
        self.fail(&id, reason).await;
    }

    /// Compares what the manager holds as running with what Docker has.
    async fn reconcile(&self, client: &DockerClient) {
        if self.link.current().is_err() {
            // The manager's own connection was made while Docker was down: renew it, on
            // the Docker runtime its calls run on.
            let link = self.link.clone();
            let _ = tokio::task::spawn_blocking(move || link.get()).await;
        }
        let containers = match find_ours(client).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(%err, "cannot list the task containers");
                return;
            }
        };
        let by_id: HashMap<&str, &str> = containers
            .iter()
            .map(|c| (c.id.as_str(), c.state.as_str()))
            .collect();
        let held: Vec<(String, String, bool)> = {
            let state = self.state.lock().expect("environment state poisoned");
            state
                .entries
                .values()
                .filter(|e| {
                    e.info.kind == EnvironmentKind::Docker
                        && e.info.status == EnvironmentStatus::Running
                        && !state.halting.contains(&e.info.task)
                })
                .filter_map(|e| {
                    let id = e.info.container.clone()?;
                    Some((e.info.task.clone(), id, e.sandbox.is_some()))
                })
                .collect()
        };
        for (task, id, adopted) in held {
            match by_id.get(id.as_str()) {
                None => self.fail(&id, removed()).await,
                Some(&"running") if !adopted => self.adopt(client, &task, &id).await,
                Some(&"running") => {}
                Some(_) => {
                    let (code, oom) = exit_of(client, &id).await;
                    self.fail(&id, died(code, oom)).await;
                }
            }
        }
    }

    /// Gives a running environment that has no sandbox (Docker was down when the manager
    /// started) its sandbox.
    async fn adopt(&self, client: &DockerClient, task: &str, id: &str) {
        let (c, i, t) = (client.clone(), id.to_string(), task.to_string());
        let made = tokio::task::spawn_blocking(move || DockerSandbox::new(&c, i, t)).await;
        let sandbox: Arc<dyn TaskSandbox> = match made {
            Ok(Ok(sandbox)) => sandbox,
            Ok(Err(err)) => {
                tracing::warn!(%err, task, "cannot adopt the container yet");
                return;
            }
            Err(err) => {
                tracing::warn!(%err, task, "cannot adopt the container yet");
                return;
            }
        };
        {
            let mut state = self.state.lock().expect("environment state poisoned");
            let Some(entry) = state.entries.get_mut(task) else {
                return;
            };
            if entry.sandbox.is_some() || entry.info.status != EnvironmentStatus::Running {
                return;
            }
            entry.sandbox = Some(sandbox);
        }
        let event = NewEvent::new(
            "environment.adopted",
            json!({"task": task, "container": id}),
        )
        .for_task(task);
        if let Err(err) = self.store.append(event).await {
            tracing::warn!(%err, task, "cannot record the adoption");
        }
    }

    /// Marks the environment whose container is `id` as Failed, if the manager holds it as
    /// running and is not stopping it itself.
    async fn fail(&self, id: &str, reason: String) {
        let info = {
            let mut state = self.state.lock().expect("environment state poisoned");
            let halting: &HashSet<String> = &state.halting;
            let Some(task) = state
                .entries
                .values()
                .find(|e| {
                    e.info.kind == EnvironmentKind::Docker
                        && e.info.container.as_deref() == Some(id)
                        && e.info.status == EnvironmentStatus::Running
                        && !halting.contains(&e.info.task)
                })
                .map(|e| e.info.task.clone())
            else {
                return;
            };
            let entry = state.entries.get_mut(&task).expect("the entry just found");
            entry.info.status = EnvironmentStatus::Failed {
                reason: reason.clone(),
            };
            entry.sandbox = None;
            entry.info.clone()
        };
        tracing::warn!(task = %info.task, container = id, %reason, "environment failed");
        let failed = NewEvent::new(
            "environment.failed",
            json!({"task": info.task, "container": id, "reason": reason}),
        )
        .for_task(&info.task);
        let recorded = self
            .store
            .put_state_and_append(
                &record::key(&info.task),
                &EnvironmentRecord::from_latest(info.clone()),
                vec![failed],
            )
            .await;
        if let Err(err) = recorded {
            tracing::error!(%err, task = %info.task, "cannot record the environment's failure");
        }
    }
}

/// Whether the container was killed for want of memory (false when it cannot be asked).
async fn out_of_memory(client: &DockerClient, id: &str) -> bool {
    exit_of(client, id).await.1
}

/// The container's exit code and whether it ran out of memory, as far as Docker still
/// knows them.
async fn exit_of(client: &DockerClient, id: &str) -> (Option<i64>, bool) {
    match client.api().inspect_container(id, None).await {
        Ok(info) => {
            let state = info.state.unwrap_or_default();
            (state.exit_code, state.oom_killed == Some(true))
        }
        Err(_) => (None, false),
    }
}
