//! Records the exact wasmtime version from Cargo.lock, for the compiled-adapter cache key:
//! a compiled artifact is only ever loaded by the wasmtime that wrote it.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let lock = manifest
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|p| p.is_file());
    let version = lock
        .as_deref()
        .and_then(wasmtime_version)
        .unwrap_or_else(|| "48.unknown".to_string());
    if let Some(lock) = lock {
        println!("cargo:rerun-if-changed={}", lock.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=PLINTH_WASMTIME_VERSION={version}");
}

fn wasmtime_version(lock: &Path) -> Option<String> {
    let text = std::fs::read_to_string(lock).ok()?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasmtime\"" {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string);
        }
    }
    None
}
