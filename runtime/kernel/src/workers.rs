//! The threads actors run on: an actix system with one arbiter (a single-threaded tokio
//! runtime) per worker. Actors are placed round-robin; an actor stays on its arbiter for its
//! whole incarnation, so it needs no locks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use actix_rt::{Arbiter, ArbiterHandle, System};
use parking_lot::Mutex;

use crate::spin;

pub struct Workers {
    arbiters: Vec<ArbiterHandle>,
    next: AtomicUsize,
    system: System,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Workers {
    pub fn start(count: usize) -> std::io::Result<Workers> {
        let count = count.max(1);
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("plinth-kernel".into())
            .spawn(move || {
                let runner = System::new();
                let arbiters: std::io::Result<Vec<Arbiter>> = runner.block_on(async {
                    (0..count)
                        .map(|_| Arbiter::try_with_tokio_rt(worker_runtime))
                        .collect()
                });
                let arbiters = match arbiters {
                    Ok(a) => a,
                    Err(err) => {
                        let _ = tx.send(Err(err));
                        return;
                    }
                };
                let handles = arbiters.iter().map(Arbiter::handle).collect();
                let _ = tx.send(Ok((System::current(), handles)));
                let _ = runner.run();
                for arbiter in arbiters {
                    let _ = arbiter.join();
                }
            })?;
        let (system, arbiters) = rx
            .recv()
            .map_err(|_| std::io::Error::other("the kernel thread died while starting"))??;
        Ok(Workers {
            arbiters,
            next: AtomicUsize::new(0),
            system,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// The arbiter for the next actor.
    pub fn pick(&self) -> &ArbiterHandle {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.arbiters.len();
        &self.arbiters[i]
    }

    /// Stops every arbiter (dropping whatever still runs there) and waits for the threads.
    pub fn stop(&self) {
        self.system.stop();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

fn worker_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(|| spin::before_park(crate::limits::WORKER_SPIN))
        .build()
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.system.stop();
    }
}
