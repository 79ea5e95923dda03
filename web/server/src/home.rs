//! Where plinth keeps its state on disk: `$PLINTH_HOME`, by default the XDG data dir.
//!
//! Everything the server persists lives under this one directory so that a user can move
//! or wipe plinth by moving one folder, and tests can run isolated servers side by side.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the data directory.
pub const HOME_ENV: &str = "PLINTH_HOME";

#[derive(Clone, Debug)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Home { root: root.into() }
    }

    /// `$PLINTH_HOME`, else `$XDG_DATA_HOME/plinth` (`~/.local/share/plinth`).
    pub fn from_env() -> Self {
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Home::new(PathBuf::from(dir));
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        Home::new(base.join("plinth"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("plinth.db")
    }

    /// Written while a server runs: how clients find it.
    pub fn server_file(&self) -> PathBuf {
        self.root.join("server.json")
    }

    /// The access token, kept across restarts so a signed-in browser stays signed in.
    pub fn token_file(&self) -> PathBuf {
        self.root.join("token")
    }

    /// Held (flock) by the one server that owns this home.
    /// Agent components the user added, one file per component hash.
    pub fn agents_dir(&self) -> PathBuf {
        self.root.join("agents")
    }

    /// Compiled components, so a second load skips compilation.
    pub fn wasm_cache_dir(&self) -> PathBuf {
        self.root.join("cache").join("wasm")
    }

    pub fn lock_file(&self) -> PathBuf {
        self.root.join("server.lock")
    }

    /// Creates the directory with owner-only permissions.
    pub fn ensure(&self) -> std::io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !self.root.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.root)?;
        } else {
            let meta = std::fs::metadata(&self.root)?;
            if !meta.is_dir() {
                return Err(std::io::Error::other(format!(
                    "{} exists and is not a directory",
                    self.root.display()
                )));
            }
            if meta.permissions().mode() & 0o077 != 0 {
                // Tighten rather than refuse: the token lives here.
                std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_live_under_the_root() {
        let home = Home::new("/tmp/x");
        assert_eq!(home.database(), PathBuf::from("/tmp/x/plinth.db"));
        assert_eq!(home.server_file(), PathBuf::from("/tmp/x/server.json"));
    }

    #[test]
    fn ensure_creates_an_owner_only_directory() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("a/b"));
        home.ensure().unwrap();
        let mode = std::fs::metadata(home.root()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
