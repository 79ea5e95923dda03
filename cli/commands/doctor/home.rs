//! plinth's home: the free space on its filesystem, and its store.

use std::path::Path;

use plinth_server::Home;
use plinth_store::Store;

use super::GIB;
use super::check::Check;
use crate::limits::DISK_FAIL;
use crate::limits::DISK_WARN;

pub(super) fn disk_check(root: &Path) -> Check {
    // The home may not exist yet: the space that matters is that of the filesystem it will
    // be created on.
    let Some(existing) = root.ancestors().find(|p| p.exists()) else {
        return Check::warn(
            "disk",
            format!("no existing directory above {}", root.display()),
            "check PLINTH_HOME",
        );
    };
    let free = match free_bytes(existing) {
        Ok(free) => free,
        Err(err) => {
            return Check::warn(
                "disk",
                format!("cannot measure free space at {}: {err}", existing.display()),
                "check PLINTH_HOME",
            );
        }
    };
    let detail = format!(
        "{:.1} GiB free at {}",
        free as f64 / GIB as f64,
        existing.display()
    );
    let fix = "free space there, or point PLINTH_HOME (--home) at a larger filesystem";
    if free < DISK_FAIL {
        Check::fail("disk", format!("{detail} (under 1 GiB)"), fix)
    } else if free < DISK_WARN {
        Check::warn("disk", format!("{detail} (under 5 GiB)"), fix)
    } else {
        Check::ok("disk", detail)
    }
}

/// Bytes an unprivileged user may still write on the filesystem holding `path`.
fn free_bytes(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("the path contains a NUL byte"))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is NUL-terminated and `stat` is valid for writes of one statvfs.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    // The field types are narrower than u64 on 32-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let free = (stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64);
    Ok(free)
}

pub(super) fn store_check(home: &Home) -> Check {
    let fix = "move the file aside (plinth creates a new one) or point PLINTH_HOME elsewhere";
    if let Err(err) = home.ensure() {
        return Check::fail(
            "store",
            format!("cannot create {}: {err}", home.root().display()),
            fix,
        );
    }
    match Store::open(&home.database()) {
        Ok(_store) => Check::ok("store", format!("{} opens", home.database().display())),
        Err(err) => Check::fail("store", err.to_string(), fix),
    }
}
