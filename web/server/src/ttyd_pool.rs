//! The ttyd processes the server runs when `terminal.ttyd` is configured: one per session
//! a viewer asked for, started on first use, kept while it runs, stopped with the server.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use plinth_actors::environments::Environment;
use plinth_actors::terminal::{TerminalError, Ttyd};
use tokio::sync::Mutex;

pub struct TtydPool {
    binary: PathBuf,
    /// Where the processes' Unix sockets go: `$PLINTH_HOME/run` (kept short, as socket
    /// paths must be).
    dir: PathBuf,
    running: Mutex<HashMap<String, Ttyd>>,
    next: AtomicU64,
}

impl TtydPool {
    pub fn new(binary: PathBuf, dir: PathBuf) -> Self {
        TtydPool {
            binary,
            dir,
            running: Mutex::default(),
            next: AtomicU64::new(0),
        }
    }

    /// The socket of the ttyd serving session `full` of `env` under `base_path`, started
    /// if it is not running.
    pub async fn socket(
        &self,
        env: &Environment,
        full: &str,
        base_path: &str,
    ) -> Result<PathBuf, TerminalError> {
        // Held while starting: two first viewers of a session get one ttyd.
        let mut running = self.running.lock().await;
        if let Some(ttyd) = running.get_mut(full) {
            if ttyd.is_running() {
                return Ok(ttyd.socket().to_path_buf());
            }
            running.remove(full);
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| TerminalError::Ttyd {
            binary: self.binary.clone(),
            reason: format!("cannot create {}: {e}", self.dir.display()),
        })?;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let socket = self.dir.join(format!("ttyd-{n}.sock"));
        let ttyd = Ttyd::start(&self.binary, socket, base_path, env, full).await?;
        let path = ttyd.socket().to_path_buf();
        running.insert(full.to_string(), ttyd);
        Ok(path)
    }

    pub async fn stop_all(&self) {
        let all: Vec<Ttyd> = self.running.lock().await.drain().map(|(_, t)| t).collect();
        futures::future::join_all(all.into_iter().map(Ttyd::stop)).await;
    }
}
