//! The checks keys' values must pass, each saying what is wrong and what to write instead.

use std::path::Path;

use crate::environments::DEFAULT_BASE_IMAGE;

/// An `http://` or `https://` URL with a host.
pub(super) fn http_url(v: &str) -> Result<(), String> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(|| format!("{v:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{v:?} has no host"));
    }
    Ok(())
}

pub(super) fn image_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        Err(format!(
            "{name:?} is not an image name: write e.g. `{DEFAULT_BASE_IMAGE}`"
        ))
    } else {
        Ok(())
    }
}

/// The forms the Docker connection accepts, so a bad address fails at load, not at the
/// first task.
pub(super) fn docker_address(address: &str) -> Result<(), String> {
    let ok = address.starts_with("unix://")
        || address.starts_with('/')
        || address.starts_with("tcp://")
        || address.starts_with("http://");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{address:?} is not a Docker address: use unix:///path/to/docker.sock or tcp://host:port"
        ))
    }
}

pub(super) fn non_empty_path(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        Err("the path is empty".to_string())
    } else {
        Ok(())
    }
}

pub(super) fn positive(value: u64, unit: &str) -> Result<(), String> {
    if value > 0 {
        Ok(())
    } else {
        Err(format!("0 {unit}: it must be more than 0"))
    }
}
