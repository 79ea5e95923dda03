//! `$PLINTH_HOME/server.json`: how the CLI finds the running server. Written with mode
//! 0600 (it holds the token) once the port is bound, removed on a clean exit.

use serde::{Deserialize, Serialize};

use crate::home::Home;
use crate::secret_file;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServerFile {
    pub url: String,
    pub token: String,
    pub pid: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error(
        "no plinth server is running (no {0}); start one with `plinth serve`, or run `plinth` in your repository"
    )]
    Missing(String),
    #[error(
        "no plinth server is running (pid {pid} from {path} is gone); start one with `plinth serve`"
    )]
    Stale { pid: u32, path: String },
    #[error("{path} is unreadable ({detail}); remove it and start the server with `plinth serve`")]
    Unreadable { path: String, detail: String },
}

impl ServerFile {
    pub fn write(&self, home: &Home) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        secret_file::write(&home.server_file(), &json)
    }

    /// Removes the file only if it is still ours: a second server may have replaced it.
    pub fn remove_if_ours(home: &Home) {
        let path = home.server_file();
        if let Ok(found) = ServerFile::read(home)
            && found.pid == std::process::id()
        {
            let _ = std::fs::remove_file(path);
        }
    }

    pub fn read(home: &Home) -> Result<ServerFile, FindError> {
        let path = home.server_file();
        let text = std::fs::read_to_string(&path).map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => FindError::Missing(path.display().to_string()),
            _ => FindError::Unreadable {
                path: path.display().to_string(),
                detail: err.to_string(),
            },
        })?;
        serde_json::from_str(&text).map_err(|err| FindError::Unreadable {
            path: path.display().to_string(),
            detail: err.to_string(),
        })
    }

    /// The server file of a live process; a file left by a killed server counts as none.
    pub fn find(home: &Home) -> Result<ServerFile, FindError> {
        let file = ServerFile::read(home)?;
        if !process_alive(file.pid) {
            return Err(FindError::Stale {
                pid: file.pid,
                path: home.server_file().display().to_string(),
            });
        }
        Ok(file)
    }
}

pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence without delivering anything.
    // SAFETY: kill(2) with signal 0 has no effect on the target.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let file = ServerFile {
            url: "http://127.0.0.1:1".into(),
            token: "t".into(),
            pid: std::process::id(),
        };
        file.write(&home).unwrap();
        assert_eq!(ServerFile::find(&home).unwrap(), file);
        ServerFile::remove_if_ours(&home);
        assert!(matches!(
            ServerFile::find(&home),
            Err(FindError::Missing(_))
        ));
    }

    #[test]
    fn a_dead_pid_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let file = ServerFile {
            url: "http://127.0.0.1:1".into(),
            token: "t".into(),
            pid: i32::MAX as u32,
        };
        file.write(&home).unwrap();
        assert!(matches!(
            ServerFile::find(&home),
            Err(FindError::Stale { .. })
        ));
    }
}
