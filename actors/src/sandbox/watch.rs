//! What a sandbox notices on its own between two polls: a session whose screen changed,
//! and a session whose program ended (reported once). The same for every kind of sandbox,
//! since it only asks tmux.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use plinth_wasm::wit::{CapError, ProcessExit, Signal};

use super::tmux::TmuxServer;

/// Per session: the last screen's hash, and whether its exit was reported.
#[derive(Debug, Default)]
pub struct SessionWatch {
    seen: Mutex<HashMap<String, (u64, bool)>>,
}

impl SessionWatch {
    /// A session was (re)created: its screen and exit are news again.
    pub fn started(&self, full: &str) {
        self.lock().insert(full.to_owned(), (0, false));
    }

    pub fn forget(&self, full: &str) {
        self.lock().remove(full);
    }

    /// Signals for `task`'s sessions since the last poll. The sessions are those tmux
    /// lists, so after a restart of plinth a new sandbox still watches the old sessions.
    /// `Err` when tmux could not be asked at all.
    pub fn poll(&self, tmux: &TmuxServer, task: &str) -> Result<Vec<Signal>, CapError> {
        let live = tmux.list_task_sessions(task)?;
        {
            let mut seen = self.lock();
            seen.retain(|name, _| live.contains(name));
            for name in &live {
                seen.entry(name.clone()).or_insert((0, false));
            }
        }
        let prefix = format!("{task}--");
        let mut signals = Vec::new();
        for full in live {
            let session = full.strip_prefix(&prefix).unwrap_or(&full).to_owned();
            let Ok((screen, state)) = tmux.snapshot(&full) else {
                continue;
            };
            let mut seen = self.lock();
            let Some(entry) = seen.get_mut(&full) else {
                continue;
            };
            let hash = hash_of(&screen.text);
            if hash != entry.0 {
                entry.0 = hash;
                signals.push(Signal::ScreenChanged(session.clone()));
            }
            if state.dead && !entry.1 {
                entry.1 = true;
                signals.push(Signal::ProcessExited(ProcessExit {
                    session,
                    exit_code: state.exit_status,
                }));
            }
        }
        Ok(signals)
    }

    /// Every watched session whose exit was not reported yet has ended with its sandbox,
    /// status unknown (the container was killed, say).
    pub fn all_gone(&self, task: &str) -> Vec<Signal> {
        let prefix = format!("{task}--");
        let mut seen = self.lock();
        let mut signals = Vec::new();
        for (full, entry) in seen.iter_mut().filter(|(_, e)| !e.1) {
            entry.1 = true;
            signals.push(Signal::ProcessExited(ProcessExit {
                session: full.strip_prefix(&prefix).unwrap_or(full).to_owned(),
                exit_code: None,
            }));
        }
        signals
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, bool)>> {
        self.seen.lock().expect("session watch lock")
    }
}

fn hash_of(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}
