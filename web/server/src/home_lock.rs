//! One server per `$PLINTH_HOME`: two writers on one database would each think they own the
//! event sequence. The lock is an flock, so the kernel releases it when a server is killed.

use std::fs::File;
use std::os::fd::AsRawFd;

use crate::home::Home;

pub struct HomeLock {
    _file: File,
}

impl HomeLock {
    /// `Ok(None)` when another live server holds it.
    pub fn try_acquire(home: &Home) -> std::io::Result<Option<HomeLock>> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(home.lock_file())?;
        // SAFETY: flock on a descriptor we own; non-blocking, so no wait.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(Some(HomeLock { _file: file }));
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            Ok(None)
        } else {
            Err(err)
        }
    }
}
